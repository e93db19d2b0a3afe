"""Matrix multiply in NumPy (its BLAS)."""

from __future__ import annotations

from measurements.workloads import Prepared
from measurements.workloads.matmul import spec


def prepare(params: spec.MatmulSizes, mode: str, device: str) -> Prepared:
    a, b = spec.matrices(params["n"], params["seed"])
    return Prepared(step=lambda: (a @ b)[0, 0], forward=lambda a, b: a @ b)
