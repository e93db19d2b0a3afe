"""One matrix multiply in TensorFlow: eager, ``tf.function``, or with XLA."""

from __future__ import annotations

from typing import Any

import tensorflow as tf

from measurements.frameworks.tensorflow import compiled
from measurements.workloads import Prepared, prepare_op
from measurements.workloads.matmul import spec as matmul


def prepare(params: dict[str, Any], mode: str, device: str) -> Prepared:
    matrices = matmul.matrices(params["n"], params["seed"])
    return prepare_op(matrices, tf.constant, tf.matmul, timed=compiled(tf.matmul, mode))
