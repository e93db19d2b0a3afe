"""Matrix multiply in PyTorch."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from measurements.workloads import Prepared
from measurements.workloads.matmul import spec


def prepare(params: dict[str, Any], mode: str, device: str) -> Prepared:
    a_np, b_np = spec.matrices(params["n"], params["seed"])
    a, b = torch.from_numpy(a_np).to(device), torch.from_numpy(b_np).to(device)

    def forward(a: np.ndarray, b: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a).to(device) @ torch.from_numpy(b).to(device)

    return Prepared(step=lambda: (a @ b)[0, 0], forward=forward)
