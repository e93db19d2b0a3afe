"""One matrix multiply in TensorFlow: eager, ``tf.function``, or with XLA."""

from __future__ import annotations

import tensorflow as tf

from measurements.frameworks.tensorflow import compiled
from measurements.workloads import Prepared, prepare_op
from measurements.workloads.matmul import spec as matmul


def prepare(params: matmul.MatmulSizes, mode: str, device: str) -> Prepared:
    matrices = matmul.matrices(params["n"], params["seed"])
    return prepare_op(matrices, tf.constant, tf.matmul, timed=compiled(tf.matmul, mode))
