"""Matrix multiply in JAX (each call dispatched on its own, as the others' eager calls)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from measurements.workloads import Prepared
from measurements.workloads.matmul import spec


def prepare(params: dict[str, Any], mode: str, device: str) -> Prepared:
    a_np, b_np = spec.matrices(params["n"], params["seed"])
    a, b = jnp.asarray(a_np), jnp.asarray(b_np)

    def forward(a: np.ndarray, b: np.ndarray) -> jax.Array:
        return jnp.matmul(jnp.asarray(a), jnp.asarray(b))

    return Prepared(step=lambda: jnp.matmul(a, b)[0, 0], forward=forward)
