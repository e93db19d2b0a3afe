"""One matrix multiply in every mode, at sizes where framework overhead shows.

At n=64 a multiply is a few microseconds of arithmetic, so the rate mostly measures the
framework's per-call overhead; at n=512 it mostly measures the kernel. Each step returns the
whole product (never a slice: a compiler could then skip the rest), and the matrices are
passed as arguments, never captured as constants that a compiler could fold.
"""

from __future__ import annotations

from measurements.profiles import Profile
from measurements.workloads import Case, Parity
from measurements.workloads.matmul import spec as matmul

SIZES = {"tiny": [32, 128], "standard": [64, 512], "full": [64, 512, 2048], "gpu": [64, 4096]}


def cases(profile: Profile, task: str) -> list[Case[matmul.MatmulSizes]]:
    return [
        Case(f"n={n}", "op_rate", matmul.MatmulSizes(n=n, dtype="float32", seed=matmul.SEED),
             work_per_step=2 * n**3 / 1e9, flops_per_step=2 * n**3)
        for n in SIZES[profile.batch_key]
    ]  # fmt: skip


def parity(params: matmul.MatmulSizes) -> Parity:
    """The timed step's output: the whole product of the timed matrices."""
    return matmul.product_parity(params)
