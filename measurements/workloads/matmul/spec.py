"""Square single-precision matrix multiply: the machine's ceiling in GFLOP/s.

Each step computes ``a @ b`` for n×n float32 matrices (2·n³ floating-point operations) and
returns one element of the product, so waiting for that element waits for the whole product
without copying it.
"""

from __future__ import annotations

import numpy as np

from measurements.profiles import Profile
from measurements.workloads import Case, Parity, Sizes

SEED = 0
SIZES = {"tiny": [128, 256], "standard": [1024, 2048], "full": [1024, 2048, 4096], "gpu": [4096, 8192]}


class MatmulSizes(Sizes):
    """A product of two n×n matrices (this workload's and ``gemm``'s)."""

    n: int


def cases(profile: Profile, task: str) -> list[Case[MatmulSizes]]:
    return [
        Case(
            name=f"n={n}",
            metric="matmul_rate",
            params=MatmulSizes(n=n, dtype="float32", seed=SEED),
            work_per_step=2 * n**3 / 1e9,
            flops_per_step=2 * n**3,
        )
        for n in SIZES[profile.batch_key]
    ]


def matrices(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    return a, b


def parity(params: MatmulSizes) -> Parity:
    """The timed step's output: element [0, 0] of the product of the timed matrices (for the
    ``gemm`` workload, which returns the whole product, use ``product_parity``)."""
    n = params["n"]
    a, b = matrices(n, params["seed"])
    expected = np.asarray(a[0].astype(np.float64) @ b[:, 0].astype(np.float64))
    return Parity(inputs=(a, b), expected=expected, rtol=1e-4, atol=1e-5 * n)


def product_parity(params: MatmulSizes) -> Parity:
    """The whole product of the timed matrices; float32 rounding grows with n, and so does atol."""
    n = params["n"]
    a, b = matrices(n, params["seed"])
    return Parity(inputs=(a, b), expected=a.astype(np.float64) @ b.astype(np.float64), rtol=1e-4, atol=1e-5 * n)
