"""The MLP in TensorFlow, training or predicting: eager, ``tf.function``, or with XLA (``jit_compile=True``)."""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from measurements.frameworks.tensorflow import compiled
from measurements.workloads import Prepared
from measurements.workloads.mlp import spec


def build_model(params: dict[str, Any]) -> tf.keras.Sequential:
    layers = spec.weights(params)
    model = tf.keras.Sequential([tf.keras.Input(shape=(params["layers"][0],))])
    for i, (kernel, _) in enumerate(layers):
        activation = "relu" if i < len(layers) - 1 else None
        model.add(tf.keras.layers.Dense(kernel.shape[1], activation=activation))
    model.set_weights([array for pair in layers for array in pair])
    return model


def prepare(params: dict[str, Any], mode: str, device: str) -> Prepared:
    model = build_model(params)
    x_np, y_np = spec.batch(params)
    x, y = tf.constant(x_np), tf.constant(y_np)

    def forward(inputs: Any) -> tf.Tensor:
        return model(tf.constant(inputs), training=False)

    if params["task"] == "infer":
        predict = compiled(lambda x: model(x, training=False), mode)
        return Prepared(step=lambda: predict(x), forward=forward)

    optimizer = tf.keras.optimizers.Adam(
        learning_rate=spec.LEARNING_RATE,
        beta_1=spec.ADAM_BETAS[0],
        beta_2=spec.ADAM_BETAS[1],
        epsilon=spec.ADAM_EPS,
    )
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def train_step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    train_step = compiled(train_step, mode)
    return Prepared(
        step=lambda: train_step(x, y), forward=forward, fit=lambda x, y: train_step(tf.constant(x), tf.constant(y))
    )
