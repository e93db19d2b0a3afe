"""One matrix multiply in TensorFlow: eager, ``tf.function``, or with XLA."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from measurements.frameworks.tensorflow import compiled
from measurements.workloads import Prepared
from measurements.workloads.matmul import spec as matmul


def prepare(params: dict[str, Any], mode: str, device: str) -> Prepared:
    a_np, b_np = matmul.matrices(params["n"], params["seed"])
    a, b = tf.constant(a_np), tf.constant(b_np)
    op = compiled(tf.matmul, mode)

    def forward(a: np.ndarray, b: np.ndarray) -> tf.Tensor:
        return tf.matmul(tf.constant(a), tf.constant(b))

    return Prepared(step=lambda: op(a, b), forward=forward)
