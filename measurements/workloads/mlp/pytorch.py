"""The MLP in PyTorch, training or predicting: eager, or under ``torch.compile`` (the whole
training step, optimiser included; for inference, the model)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from measurements.workloads import Prepared
from measurements.workloads.mlp import spec
from measurements.workloads.shared.pytorch import steps


def build_model(params: spec.MlpSizes) -> nn.Sequential:
    layers: list[nn.Module] = []
    for kernel, bias in spec.weights(params):
        linear = nn.Linear(*kernel.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(kernel.T))  # PyTorch stores (outputs, inputs)
            linear.bias.copy_(torch.from_numpy(bias))
        layers += [linear, nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no activation after the last layer


def layout(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """``parameters()`` (weight (outputs, inputs), bias per layer) as the spec's kernels and biases."""
    return [a.T if a.ndim == 2 else a for a in arrays]


def prepare(params: spec.MlpSizes, mode: str, device: str) -> Prepared:
    return steps(build_model(params).to(device), params, mode, device, spec.batch(params), layout=layout)
