"""The Transformer classifier in TensorFlow (Keras layers), training or predicting: eager,
``tf.function``, or with XLA (``jit_compile=True``).

Keras has no ready-made encoder layer, so the block is written here from its own layers
(``MultiHeadAttention``, ``LayerNormalization``, ``Dense``), as the Keras examples do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from measurements.workloads import Prepared
from measurements.workloads.shared.tensorflow import steps
from measurements.workloads.transformer import spec


class TokenAndPositionEmbedding(tf.keras.layers.Layer):  # type: ignore[misc]  # tf is untyped for mypy here
    """Token embedding plus a learned embedding of each position."""

    def __init__(self, vocab: int, seq_len: int, d_model: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tokens = tf.keras.layers.Embedding(vocab, d_model)
        self.positions = tf.keras.layers.Embedding(seq_len, d_model)

    def build(self, input_shape: Any) -> None:
        self.tokens.build(input_shape)
        self.positions.build((input_shape[-1],))

    def call(self, tokens: tf.Tensor) -> tf.Tensor:
        return self.tokens(tokens) + self.positions(tf.range(tf.shape(tokens)[-1]))


class EncoderBlock(tf.keras.layers.Layer):  # type: ignore[misc]  # tf is untyped for mypy here
    """Post-norm encoder layer: x = norm1(x + attention(x)); x = norm2(x + feed_forward(x))."""

    def __init__(self, d_model: int, heads: int, d_ff: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.attention = tf.keras.layers.MultiHeadAttention(heads, key_dim=d_model // heads)
        self.norm1 = tf.keras.layers.LayerNormalization(epsilon=spec.LAYER_NORM_EPS)
        self.ff1 = tf.keras.layers.Dense(d_ff, activation="relu")
        self.ff2 = tf.keras.layers.Dense(d_model)
        self.norm2 = tf.keras.layers.LayerNormalization(epsilon=spec.LAYER_NORM_EPS)

    def build(self, input_shape: Any) -> None:
        self.attention.build(input_shape, input_shape)
        self.norm1.build(input_shape)
        self.ff1.build(input_shape)
        self.ff2.build((*input_shape[:-1], self.ff1.units))
        self.norm2.build(input_shape)

    def call(self, x: tf.Tensor, training: bool | None = None) -> tf.Tensor:
        x = self.norm1(x + self.attention(x, x, training=training))
        return self.norm2(x + self.ff2(self.ff1(x)))


def _mha_weights(lw: spec.LayerWeights, heads: int) -> list[np.ndarray]:
    """The shared (inputs, outputs) kernels in ``MultiHeadAttention``'s per-head shapes."""
    d = lw.query[0].shape[0]
    head_dim = d // heads
    found = []
    for kernel, bias in (lw.query, lw.key, lw.value):
        found += [kernel.reshape(d, heads, head_dim), bias.reshape(heads, head_dim)]
    kernel, bias = lw.output
    return [*found, kernel.reshape(heads, head_dim, d), bias]


def build_model(params: spec.TransformerSizes) -> tf.keras.Model:
    d, heads = params["d_model"], params["heads"]
    embedding = TokenAndPositionEmbedding(params["vocab"], params["seq_len"], d)
    blocks = [EncoderBlock(d, heads, params["d_ff"]) for _ in range(params["layers"])]
    classifier = tf.keras.layers.Dense(params["classes"])

    tokens = tf.keras.Input(shape=(params["seq_len"],), dtype="int64")
    x = embedding(tokens)
    for block in blocks:
        x = block(x)
    model = tf.keras.Model(tokens, classifier(tf.keras.layers.GlobalAveragePooling1D()(x)))
    model(np.zeros((1, params["seq_len"]), dtype=np.int64))  # every layer built before its weights are set

    w = spec.weights(params)
    embedding.tokens.set_weights([w.token_embedding])
    embedding.positions.set_weights([w.position_embedding])
    for block, lw in zip(blocks, w.layers, strict=True):
        block.attention.set_weights(_mha_weights(lw, heads))
        for layer, arrays in ((block.norm1, lw.norm1), (block.ff1, lw.ff1), (block.ff2, lw.ff2)):
            layer.set_weights(list(arrays))
        block.norm2.set_weights(list(lw.norm2))
    classifier.set_weights(list(w.classifier))
    return model


def prepare(params: spec.TransformerSizes, mode: str, device: str) -> Prepared:
    model = build_model(params)
    shapes = [a.shape for a in spec.flat_weights(params)]
    # trainable_variables come in the spec's order; attention kernels are per head: reshaped
    return steps(model, params, mode, spec.batch(params),
                 layout=lambda arrays: [a.reshape(s) for a, s in zip(arrays, shapes, strict=True)])  # fmt: skip
