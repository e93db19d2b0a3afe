"""The kernel-library study in JAX (see ``measurements.studies.libraries``): a matrix multiply and a
convolution under ``jax.jit``, and what XLA compiled each into. Runs inside the study's child only."""

from __future__ import annotations

import os
from typing import Any

from measurements.findings import Probed
from measurements.studies.libraries import xla_ops


def probe() -> Probed:
    """JAX's matrix multiply and convolution under ``jax.jit``, and what XLA compiled each into."""
    import jax
    import jax.numpy as jnp
    import jaxlib

    key_a, key_x, key_w = jax.random.split(jax.random.key(0), 3)
    a = jax.random.normal(key_a, (1024, 1024))
    x, w = jax.random.normal(key_x, (8, 32, 32, 64)), jax.random.normal(key_w, (3, 3, 64, 64))

    def conv(x: Any, w: Any) -> Any:
        return jax.lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))

    compiled = []
    for function, args in ((jnp.matmul, (a, a)), (conv, (x, w))):
        jitted = jax.jit(function)
        float(jnp.sum(jitted(*args)))
        compiled.append(xla_ops(jitted.lower(*args).compile().as_text() or ""))
    return {"xla": {"matmul": compiled[0], "conv": compiled[1]}, "compiled": compiled,
            "build": [f"jaxlib {jaxlib.__version__}", f"backend {jax.default_backend()}",
                      f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '')}"]}  # fmt: skip
