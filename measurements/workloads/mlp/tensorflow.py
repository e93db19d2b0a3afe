"""The MLP in TensorFlow, training or predicting: eager, ``tf.function``, or with XLA (``jit_compile=True``)."""

from __future__ import annotations

import tensorflow as tf

from measurements.workloads import Prepared
from measurements.workloads.mlp import spec
from measurements.workloads.shared.tensorflow import steps


def build_model(params: spec.MlpSizes) -> tf.keras.Sequential:
    layers = spec.weights(params)
    model = tf.keras.Sequential([tf.keras.Input(shape=(params["layers"][0],))])
    for i, (kernel, _) in enumerate(layers):
        activation = "relu" if i < len(layers) - 1 else None
        model.add(tf.keras.layers.Dense(kernel.shape[1], activation=activation))
    model.set_weights([array for pair in layers for array in pair])
    return model


def prepare(params: spec.MlpSizes, mode: str, device: str) -> Prepared:
    return steps(build_model(params), params, mode, spec.batch(params), layout=list)  # kernels, biases as the spec
