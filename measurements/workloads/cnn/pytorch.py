"""The ResNet-style CNN in PyTorch (NCHW, its default layout), training or predicting: eager,
under ``torch.compile``, or eager in the ``channels_last`` memory format (NHWC in memory,
which oneDNN's convolutions prefer on CPUs)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from measurements.workloads import Prepared
from measurements.workloads.cnn import spec
from measurements.workloads.shared.pytorch import steps


def _conv(name: str, weights: dict[str, np.ndarray], stride: int) -> nn.Sequential:
    """Convolution (no bias) and BatchNorm, loaded from the shared HWIO kernel."""
    kernel = weights[name]
    size, _, c_in, c_out = kernel.shape
    conv = nn.Conv2d(c_in, c_out, size, stride=stride, padding=size // 2, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1))))
    return nn.Sequential(conv, nn.BatchNorm2d(c_out, eps=spec.BN_EPS, momentum=spec.BN_MOMENTUM))


class Block(nn.Module):  # type: ignore[misc]  # torch is untyped for mypy here
    def __init__(self, stage: int, stride: int, weights: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.conv1 = _conv(f"stage{stage}.conv1", weights, stride)
        self.conv2 = _conv(f"stage{stage}.conv2", weights, 1)
        name = f"stage{stage}.shortcut"
        self.shortcut = _conv(name, weights, stride) if name in weights else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(torch.relu(self.conv1(x)))
        return torch.relu(out + self.shortcut(x))


def build_model(params: spec.CnnSizes) -> nn.Sequential:
    weights = spec.weights(params)
    blocks = [Block(stage, 1 if stage == 0 else 2, weights) for stage in range(len(params["widths"]))]
    dense = nn.Linear(*weights["dense.kernel"].shape)
    with torch.no_grad():
        dense.weight.copy_(torch.from_numpy(weights["dense.kernel"].T))
        dense.bias.copy_(torch.from_numpy(weights["dense.bias"]))
    return nn.Sequential(_conv("stem", weights, 1), nn.ReLU(), *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), dense)


def spec_layout(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """``parameters()`` (per convolution: OIHW weight, BatchNorm weight and bias; then the
    classifier's (outputs, inputs) weight and bias) in the spec's order and layout."""
    return [a.transpose(2, 3, 1, 0) if a.ndim == 4 else a.T if a.ndim == 2 else a for a in arrays]


def prepare(params: spec.CnnSizes, mode: str, device: str) -> Prepared:
    layout = torch.channels_last if mode == "channels_last" else torch.contiguous_format

    def images(x: np.ndarray) -> torch.Tensor:
        """NHWC NumPy images as an NCHW tensor in this mode's memory format."""
        return torch.from_numpy(x).permute(0, 3, 1, 2).to(device).contiguous(memory_format=layout)

    model = build_model(params).to(device, memory_format=layout)
    return steps(model, params, mode, device, spec.batch(params), inputs=images, layout=spec_layout)
