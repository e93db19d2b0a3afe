"""One matrix multiply in JAX: under ``jax.jit``, or op by op."""

from __future__ import annotations

import jax.numpy as jnp

from measurements.workloads import Prepared, prepare_op
from measurements.workloads.matmul import spec as matmul
from measurements.workloads.shared.jax import compiled


def prepare(params: matmul.MatmulSizes, mode: str, device: str) -> Prepared:
    matrices = matmul.matrices(params["n"], params["seed"])
    return prepare_op(matrices, jnp.asarray, jnp.matmul, timed=compiled(jnp.matmul, mode))
