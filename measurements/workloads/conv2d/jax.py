"""One convolution in JAX (NHWC, as TensorFlow's): under ``jax.jit``, or op by op."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from measurements.workloads import Prepared
from measurements.workloads.conv2d import spec
from measurements.workloads.shared.jax import compiled


def convolve(x: jax.Array, w: jax.Array) -> jax.Array:
    return lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))


def prepare(params: dict[str, Any], mode: str, device: str) -> Prepared:
    x_np, w_np = spec.tensors(params)
    x, w = jnp.asarray(x_np), jnp.asarray(w_np)
    op = compiled(convolve, mode)

    def forward(x: np.ndarray, w: np.ndarray) -> jax.Array:
        return convolve(jnp.asarray(x), jnp.asarray(w))

    return Prepared(step=lambda: op(x, w), forward=forward)
