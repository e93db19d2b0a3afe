"""One matrix multiply in PyTorch: eager, or under ``torch.compile``."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from measurements.workloads import Prepared
from measurements.workloads.matmul import spec as matmul


def prepare(params: dict[str, Any], mode: str, device: str) -> Prepared:
    a_np, b_np = matmul.matrices(params["n"], params["seed"])
    a, b = torch.from_numpy(a_np).to(device), torch.from_numpy(b_np).to(device)

    def multiply(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a @ b

    op = torch.compile(multiply) if mode == "compile" else multiply

    def forward(a: np.ndarray, b: np.ndarray) -> torch.Tensor:
        return multiply(torch.from_numpy(a).to(device), torch.from_numpy(b).to(device))

    return Prepared(step=lambda: op(a, b), forward=forward)
