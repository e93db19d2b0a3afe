"""One matrix multiply in JAX: under ``jax.jit``, or op by op."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from measurements.workloads import Prepared
from measurements.workloads.matmul import spec as matmul
from measurements.workloads.shared.jax import compiled


def prepare(params: dict[str, Any], mode: str, device: str) -> Prepared:
    a_np, b_np = matmul.matrices(params["n"], params["seed"])
    a, b = jnp.asarray(a_np), jnp.asarray(b_np)
    op = compiled(jnp.matmul, mode)

    def forward(a: np.ndarray, b: np.ndarray) -> jax.Array:
        return jnp.matmul(jnp.asarray(a), jnp.asarray(b))

    return Prepared(step=lambda: op(a, b), forward=forward)
