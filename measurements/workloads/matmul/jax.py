"""Matrix multiply in JAX (each call dispatched on its own, as the others' eager calls)."""

from __future__ import annotations

import jax.numpy as jnp

from measurements.workloads import Prepared, prepare_op
from measurements.workloads.matmul import spec


def prepare(params: spec.MatmulSizes, mode: str, device: str) -> Prepared:
    matrices = spec.matrices(params["n"], params["seed"])
    return prepare_op(matrices, jnp.asarray, jnp.matmul, timed=lambda a, b: jnp.matmul(a, b)[0, 0])
