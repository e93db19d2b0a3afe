"""The steps of a Keras classifier: eager, ``tf.function``, or with XLA (``jit_compile=True``),
each wrapping the whole training step or the model's call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from measurements.frameworks.tensorflow import compiled
from measurements.workloads import Prepared, Sizes
from measurements.workloads.shared import ADAM_BETAS, ADAM_EPS, LEARNING_RATE


def steps(
    model: tf.keras.Model,
    params: Sizes,
    mode: str,
    batch: tuple[np.ndarray, np.ndarray],
    layout: Callable[[list[np.ndarray]], list[np.ndarray]] | None = None,
) -> Prepared:
    """Training (Adam, cross-entropy) or inference on ``batch``, as ``params["task"]`` says.

    The compiled training step returns its gradients beside the loss (tensors it computes
    anyway), so that the parity check reads the first step's gradients from the very function
    that is timed; the timed step keeps only the loss. ``layout`` turns arrays of
    ``model.trainable_variables`` (in that order) into the spec's ``flat_weights`` order and
    layout.
    """
    x, y = tf.constant(batch[0]), tf.constant(batch[1])

    def forward(inputs: np.ndarray) -> tf.Tensor:
        return model(tf.constant(inputs), training=False)

    if params["task"] == "infer":
        predict = compiled(lambda x: model(x, training=False), mode)
        return Prepared(step=lambda: predict(x), forward=forward)

    optimizer = tf.keras.optimizers.Adam(
        learning_rate=LEARNING_RATE, beta_1=ADAM_BETAS[0], beta_2=ADAM_BETAS[1], epsilon=ADAM_EPS
    )
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def train_step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        # Embeddings' gradients come as IndexedSlices; given those, Keras's Adam moves a row
        # once per occurrence of its token in the batch (2·lr on the first step for a token
        # seen twice), not by Adam's formula. Dense, as PyTorch's nn.Embedding gives them.
        grads = [tf.convert_to_tensor(g) for g in tape.gradient(loss, model.trainable_variables)]
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss, grads

    train_step = compiled(train_step, mode)
    first: list[Any] = []  # the first step's gradients, for the parity check

    def step() -> tf.Tensor:
        loss, grads = train_step(x, y)
        if not first:
            first.append(grads)
        return loss

    def train_state() -> tuple[list[np.ndarray], list[np.ndarray]]:
        assert layout is not None and first, "a training workload names its layout; the first step has run"
        gradients = [np.asarray(g.numpy()) for g in first[0]]
        return layout(gradients), layout([np.asarray(v.numpy()) for v in model.trainable_variables])

    return Prepared(
        step=step, forward=forward, fit=lambda x, y: train_step(tf.constant(x), tf.constant(y))[0],
        train_state=train_state, optimizer="keras",
    )  # fmt: skip
