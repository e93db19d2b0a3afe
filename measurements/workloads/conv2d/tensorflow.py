"""One convolution in TensorFlow (NHWC, its default layout): eager, ``tf.function``, or with XLA."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from measurements.frameworks.tensorflow import compiled
from measurements.workloads import Prepared
from measurements.workloads.conv2d import spec


def convolve(x: tf.Tensor, w: tf.Tensor) -> tf.Tensor:
    return tf.nn.conv2d(x, w, strides=1, padding="SAME")


def prepare(params: dict[str, Any], mode: str, device: str) -> Prepared:
    x_np, w_np = spec.tensors(params)
    x, w = tf.constant(x_np), tf.constant(w_np)
    op = compiled(convolve, mode)

    def forward(x: np.ndarray, w: np.ndarray) -> tf.Tensor:
        return convolve(tf.constant(x), tf.constant(w))

    return Prepared(step=lambda: op(x, w), forward=forward)
