"""ResNet-50 in TensorFlow/Keras (NHWC, its default layout), training or predicting:
``tf.function``, or with XLA (``jit_compile=True``). Built from Keras layers as
``keras.applications.ResNet50`` is, with the stride on the 3×3 convolution (v1.5, as
PyTorch's) and from the shared weights."""

from __future__ import annotations

import tensorflow as tf

from measurements.workloads import Prepared
from measurements.workloads.cnn.tensorflow import _conv, classified, prepared
from measurements.workloads.resnet import spec

layers = tf.keras.layers


def build_model(params: spec.ResnetSizes) -> tf.keras.Model:
    weights = spec.weights(params)
    inputs = tf.keras.Input(shape=(params["side"], params["side"], params["channels"]))
    h = layers.ReLU()(_conv(inputs, "stem", weights, 2))
    h = layers.MaxPooling2D(3, strides=2)(layers.ZeroPadding2D(1)(h))  # after ReLU: zeros pad as −∞ would
    for name, stride, projected in spec.blocks(params):
        out = layers.ReLU()(_conv(h, f"{name}.conv1", weights, 1))
        out = layers.ReLU()(_conv(out, f"{name}.conv2", weights, stride))
        out = _conv(out, f"{name}.conv3", weights, 1)
        shortcut = _conv(h, f"{name}.shortcut", weights, stride) if projected else h
        h = layers.ReLU()(layers.Add()([out, shortcut]))
    return classified(inputs, h, params, weights)


def prepare(params: spec.ResnetSizes, mode: str, device: str) -> Prepared:
    names = [name for name, *_ in spec.convolutions(params)]
    return prepared(build_model(params), params, mode, names, spec.batch(params))
