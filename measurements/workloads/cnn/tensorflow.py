"""The ResNet-style CNN in TensorFlow/Keras (NHWC, its default layout), training or predicting:
eager, ``tf.function``, or with XLA (``jit_compile=True``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from measurements.workloads import Prepared
from measurements.workloads.cnn import spec
from measurements.workloads.shared.tensorflow import steps

layers = tf.keras.layers


def _conv(x: Any, name: str, weights: dict[str, np.ndarray], stride: int) -> Any:
    """Convolution (no bias) and BatchNorm; stride 2 pads one pixel on every side, as PyTorch."""
    kernel = weights[name]
    padding = "same"
    if stride == 2 and kernel.shape[0] > 1:
        x, padding = layers.ZeroPadding2D(kernel.shape[0] // 2)(x), "valid"
    conv = layers.Conv2D(kernel.shape[3], kernel.shape[0], strides=stride, padding=padding, use_bias=False, name=name)
    x = conv(x)
    conv.set_weights([kernel])
    return layers.BatchNormalization(epsilon=spec.BN_EPS, momentum=1 - spec.BN_MOMENTUM, name=f"{name}.bn")(x)


def classified(inputs: Any, h: Any, params: spec.CnnSizes, weights: dict[str, np.ndarray]) -> tf.keras.Model:
    """The model from ``inputs`` to the classifier's logits: global average pooling of the features ``h``,
    then the dense layer loaded from the shared weights."""
    h = layers.GlobalAveragePooling2D()(h)
    dense = layers.Dense(params["classes"], name="dense")
    logits = dense(h)
    dense.set_weights([weights["dense.kernel"], weights["dense.bias"]])
    return tf.keras.Model(inputs, logits)


def build_model(params: spec.CnnSizes) -> tf.keras.Model:
    weights = spec.weights(params)
    inputs = tf.keras.Input(shape=(params["side"], params["side"], params["channels"]))
    h = layers.ReLU()(_conv(inputs, "stem", weights, 1))
    for stage in range(len(params["widths"])):
        stride = 1 if stage == 0 else 2
        out = layers.ReLU()(_conv(h, f"stage{stage}.conv1", weights, stride))
        out = _conv(out, f"stage{stage}.conv2", weights, 1)
        name = f"stage{stage}.shortcut"
        shortcut = _conv(h, name, weights, stride) if name in weights else h
        h = layers.ReLU()(layers.Add()([out, shortcut]))
    return classified(inputs, h, params, weights)


def prepared(
    model: tf.keras.Model, params: spec.CnnSizes, mode: str, names: list[str], batch: tuple[np.ndarray, np.ndarray]
) -> Prepared:
    """The steps of a convolutional ``model`` whose convolutions are ``names``, in the spec's
    order: per convolution its kernel, BatchNorm's gamma and beta; then the classifier."""
    wanted = []
    for name in names:
        bn = model.get_layer(f"{name}.bn")
        wanted += [model.get_layer(name).kernel, bn.gamma, bn.beta]
    dense = model.get_layer("dense")
    wanted += [dense.kernel, dense.bias]
    position = {id(v): i for i, v in enumerate(model.trainable_variables)}
    order = [position[id(v)] for v in wanted]
    assert len(order) == len(position), "every trainable variable has its place in the spec"
    return steps(model, params, mode, batch, layout=lambda arrays: [arrays[i] for i in order])


def prepare(params: spec.CnnSizes, mode: str, device: str) -> Prepared:
    names = [name for name, *_ in spec.convolutions(params)]
    return prepared(build_model(params), params, mode, names, spec.batch(params))
