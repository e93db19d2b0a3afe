"""One convolution in TensorFlow (NHWC, its default layout): eager, ``tf.function``, or with XLA."""

from __future__ import annotations

import tensorflow as tf

from measurements.frameworks.tensorflow import compiled
from measurements.workloads import Prepared, prepare_op
from measurements.workloads.conv2d import spec


def convolve(x: tf.Tensor, w: tf.Tensor) -> tf.Tensor:
    return tf.nn.conv2d(x, w, strides=1, padding="SAME")


def prepare(params: spec.Conv2dSizes, mode: str, device: str) -> Prepared:
    return prepare_op(spec.tensors(params), tf.constant, convolve, timed=compiled(convolve, mode))
