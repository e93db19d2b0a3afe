"""Matrix multiply in TensorFlow."""

from __future__ import annotations

import tensorflow as tf

from measurements.workloads import Prepared, prepare_op
from measurements.workloads.matmul import spec


def prepare(params: spec.MatmulSizes, mode: str, device: str) -> Prepared:
    matrices = spec.matrices(params["n"], params["seed"])
    return prepare_op(matrices, tf.constant, tf.matmul, timed=lambda a, b: tf.matmul(a, b)[0, 0])
