"""One convolution in PyTorch (NCHW, its default layout): eager, or under ``torch.compile``."""

from __future__ import annotations

import numpy as np
import torch

from measurements.workloads import Prepared
from measurements.workloads.conv2d import spec


def to_torch(x: np.ndarray, w: np.ndarray, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """NHWC input and HWIO kernel to PyTorch's NCHW and OIHW."""
    return (
        torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).to(device),
        torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1))).to(device),
    )


def convolve(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.conv2d(x, w, padding=spec.KERNEL // 2)


def prepare(params: spec.Conv2dSizes, mode: str, device: str) -> Prepared:
    x, w = to_torch(*spec.tensors(params), device)
    op = torch.compile(convolve) if mode == "compile" else convolve

    def forward(x: np.ndarray, w: np.ndarray) -> torch.Tensor:
        with torch.inference_mode():
            return convolve(*to_torch(x, w, device)).permute(0, 2, 3, 1)  # back to NHWC

    def step() -> torch.Tensor:
        with torch.inference_mode():
            return op(x, w)

    return Prepared(step=step, forward=forward, to_reference=lambda out: out.transpose(0, 2, 3, 1))  # NCHW -> NHWC
