"""The MLP in PyTorch, training or predicting: eager, or under ``torch.compile`` (the whole
training step, optimiser included; for inference, the model)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from measurements.workloads import Prepared
from measurements.workloads.mlp import spec


def build_model(params: dict[str, Any]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for kernel, bias in spec.weights(params):
        linear = nn.Linear(*kernel.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(kernel.T))  # PyTorch stores (outputs, inputs)
            linear.bias.copy_(torch.from_numpy(bias))
        layers += [linear, nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no activation after the last layer


def prepare(params: dict[str, Any], mode: str, device: str) -> Prepared:
    model = build_model(params).to(device)
    x_np, y_np = spec.batch(params)
    x, y = torch.from_numpy(x_np).to(device), torch.from_numpy(y_np).to(device)

    def forward(inputs: Any) -> torch.Tensor:
        with torch.inference_mode():
            return model(torch.from_numpy(inputs).to(device))

    if params["task"] == "infer":
        model.eval()
        predict = torch.compile(model) if mode == "compile" else model

        def infer() -> torch.Tensor:
            with torch.inference_mode():
                return predict(x)

        return Prepared(step=infer, forward=forward)

    optimizer = torch.optim.Adam(model.parameters(), lr=spec.LEARNING_RATE, betas=spec.ADAM_BETAS, eps=spec.ADAM_EPS)

    def train_step(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.detach()

    if mode == "compile":
        train_step = torch.compile(train_step)

    def fit(x: np.ndarray, y: np.ndarray) -> torch.Tensor:
        return train_step(torch.from_numpy(x).to(device), torch.from_numpy(y).to(device))

    return Prepared(step=lambda: train_step(x, y), forward=forward, fit=fit)
