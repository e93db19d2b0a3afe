"""The steps of a Keras classifier: eager, ``tf.function``, or with XLA (``jit_compile=True``),
each wrapping the whole training step or the model's call."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from measurements.frameworks.tensorflow import compiled
from measurements.workloads import Prepared
from measurements.workloads.shared import ADAM_BETAS, ADAM_EPS, LEARNING_RATE


def steps(model: tf.keras.Model, params: dict[str, Any], mode: str, batch: tuple[np.ndarray, np.ndarray]) -> Prepared:
    """Training (Adam, cross-entropy) or inference on ``batch``, as ``params["task"]`` says."""
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
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    train_step = compiled(train_step, mode)
    return Prepared(
        step=lambda: train_step(x, y), forward=forward, fit=lambda x, y: train_step(tf.constant(x), tf.constant(y))
    )
