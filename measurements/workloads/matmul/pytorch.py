"""Matrix multiply in PyTorch."""

from __future__ import annotations

import torch

from measurements.workloads import Prepared, prepare_op
from measurements.workloads.matmul import spec


def prepare(params: spec.MatmulSizes, mode: str, device: str) -> Prepared:
    matrices = spec.matrices(params["n"], params["seed"])
    return prepare_op(
        matrices, lambda a: torch.from_numpy(a).to(device), torch.matmul, timed=lambda a, b: (a @ b)[0, 0]
    )
