"""Matrix multiply in TensorFlow."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from measurements.workloads import Prepared
from measurements.workloads.matmul import spec


def prepare(params: dict[str, Any], mode: str, device: str) -> Prepared:
    a_np, b_np = spec.matrices(params["n"], params["seed"])
    a, b = tf.constant(a_np), tf.constant(b_np)

    def forward(a: np.ndarray, b: np.ndarray) -> tf.Tensor:
        return tf.matmul(tf.constant(a), tf.constant(b))

    return Prepared(step=lambda: tf.matmul(a, b)[0, 0], forward=forward)
