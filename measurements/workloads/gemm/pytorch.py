"""One matrix multiply in PyTorch: eager, or under ``torch.compile``."""

from __future__ import annotations

import torch

from measurements.workloads import Prepared, prepare_op
from measurements.workloads.matmul import spec as matmul


def multiply(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return a @ b


def prepare(params: matmul.MatmulSizes, mode: str, device: str) -> Prepared:
    matrices = matmul.matrices(params["n"], params["seed"])
    op = torch.compile(multiply) if mode == "compile" else multiply
    return prepare_op(matrices, lambda a: torch.from_numpy(a).to(device), multiply, timed=op)
