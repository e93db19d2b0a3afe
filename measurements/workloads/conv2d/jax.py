"""One convolution in JAX (NHWC, as TensorFlow's): under ``jax.jit``, or op by op."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from measurements.workloads import Prepared, prepare_op
from measurements.workloads.conv2d import spec
from measurements.workloads.shared.jax import compiled


def convolve(x: jax.Array, w: jax.Array) -> jax.Array:
    return lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))


def prepare(params: spec.Conv2dSizes, mode: str, device: str) -> Prepared:
    return prepare_op(spec.tensors(params), jnp.asarray, convolve, timed=compiled(convolve, mode))
