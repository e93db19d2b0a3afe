"""ResNet-50 in PyTorch (NCHW, its default layout), training or predicting: eager, or under
``torch.compile``. Built from ``nn`` layers as torchvision's ``resnet50`` is (torchvision is
not installed beside the pinned torch), from the shared weights."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from measurements.workloads import Prepared
from measurements.workloads.cnn.pytorch import _conv, spec_layout
from measurements.workloads.resnet import spec
from measurements.workloads.shared.pytorch import steps


class Bottleneck(nn.Module):  # type: ignore[misc]  # torch is untyped for mypy here
    def __init__(self, name: str, stride: int, projected: bool, weights: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.conv1 = _conv(f"{name}.conv1", weights, 1)
        self.conv2 = _conv(f"{name}.conv2", weights, stride)
        self.conv3 = _conv(f"{name}.conv3", weights, 1)
        self.shortcut = _conv(f"{name}.shortcut", weights, stride) if projected else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv3(torch.relu(self.conv2(torch.relu(self.conv1(x)))))
        return torch.relu(out + self.shortcut(x))


def build_model(params: spec.ResnetSizes) -> nn.Sequential:
    weights = spec.weights(params)
    body = [Bottleneck(name, stride, projected, weights) for name, stride, projected in spec.blocks(params)]
    dense = nn.Linear(*weights["dense.kernel"].shape)
    with torch.no_grad():
        dense.weight.copy_(torch.from_numpy(weights["dense.kernel"].T))
        dense.bias.copy_(torch.from_numpy(weights["dense.bias"]))
    stem = [_conv("stem", weights, 2), nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1)]
    return nn.Sequential(*stem, *body, nn.AdaptiveAvgPool2d(1), nn.Flatten(), dense)


def prepare(params: spec.ResnetSizes, mode: str, device: str) -> Prepared:
    def images(x: np.ndarray) -> torch.Tensor:
        """NHWC NumPy images as an NCHW tensor."""
        return torch.from_numpy(x).permute(0, 3, 1, 2).contiguous().to(device)

    model = build_model(params).to(device)
    return steps(model, params, mode, device, spec.batch(params), inputs=images, layout=spec_layout)
