"""The Transformer classifier in PyTorch, training or predicting: eager, or under ``torch.compile``
(the whole training step, optimiser included; for inference, the model).

The encoder is PyTorch's own ``nn.TransformerEncoder``; in inference (``eval()`` under
``torch.inference_mode()``) PyTorch takes its fused encoder-layer fast path, as its users get.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from measurements.workloads import Prepared
from measurements.workloads.shared.pytorch import steps
from measurements.workloads.transformer import spec


class TransformerClassifier(nn.Module):  # type: ignore[misc]  # torch is untyped for mypy here
    def __init__(self, params: spec.TransformerSizes) -> None:
        super().__init__()
        d = params["d_model"]
        self.embedding = nn.Embedding(params["vocab"], d)
        self.position = nn.Parameter(torch.empty(params["seq_len"], d))
        layer = nn.TransformerEncoderLayer(
            d, params["heads"], dim_feedforward=params["d_ff"], dropout=0.0, activation="relu",
            layer_norm_eps=spec.LAYER_NORM_EPS, batch_first=True, norm_first=False,
        )  # fmt: skip
        self.encoder = nn.TransformerEncoder(layer, params["layers"], enable_nested_tensor=False)
        self.classifier = nn.Linear(d, params["classes"])

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embedding(tokens) + self.position[: tokens.shape[1]]
        return self.classifier(self.encoder(x).mean(dim=1))


def _copy(target: torch.Tensor, source: np.ndarray) -> None:
    target.copy_(torch.from_numpy(np.ascontiguousarray(source)))


def _copy_linear(linear: nn.Linear, kernel_bias: tuple[np.ndarray, np.ndarray]) -> None:
    kernel, bias = kernel_bias
    _copy(linear.weight, kernel.T)  # PyTorch stores (outputs, inputs)
    _copy(linear.bias, bias)


def build_model(params: spec.TransformerSizes) -> TransformerClassifier:
    model = TransformerClassifier(params)
    w = spec.weights(params)
    with torch.no_grad():
        _copy(model.embedding.weight, w.token_embedding)
        _copy(model.position, w.position_embedding)
        for layer, lw in zip(model.encoder.layers, w.layers, strict=True):
            attention = layer.self_attn  # query, key and value projections stacked as (3·d, d)
            _copy(attention.in_proj_weight, np.concatenate([lw.query[0].T, lw.key[0].T, lw.value[0].T]))
            _copy(attention.in_proj_bias, np.concatenate([lw.query[1], lw.key[1], lw.value[1]]))
            _copy_linear(attention.out_proj, lw.output)
            _copy_linear(layer.linear1, lw.ff1)
            _copy_linear(layer.linear2, lw.ff2)
            for norm, (gamma, beta) in ((layer.norm1, lw.norm1), (layer.norm2, lw.norm2)):
                _copy(norm.weight, gamma)
                _copy(norm.bias, beta)
        _copy_linear(model.classifier, w.classifier)
    return model


def prepare(params: spec.TransformerSizes, mode: str, device: str) -> Prepared:
    model = build_model(params).to(device)
    names = [name for name, _ in model.named_parameters()]

    def layout(arrays: list[np.ndarray]) -> list[np.ndarray]:
        """``parameters()`` in the spec's order and layout (kernels (inputs, outputs); the
        stacked query, key and value projections split)."""
        a = dict(zip(names, arrays, strict=True))
        found = [a["embedding.weight"], a["position"]]
        for i in range(params["layers"]):
            p = f"encoder.layers.{i}."
            stacked, stacked_bias = a[p + "self_attn.in_proj_weight"], a[p + "self_attn.in_proj_bias"]
            for part in range(3):  # query, key, value
                rows = slice(part * params["d_model"], (part + 1) * params["d_model"])
                found += [stacked[rows].T, stacked_bias[rows]]
            found += [a[p + "self_attn.out_proj.weight"].T, a[p + "self_attn.out_proj.bias"]]
            found += [a[p + "norm1.weight"], a[p + "norm1.bias"]]
            found += [a[p + "linear1.weight"].T, a[p + "linear1.bias"]]
            found += [a[p + "linear2.weight"].T, a[p + "linear2.bias"]]
            found += [a[p + "norm2.weight"], a[p + "norm2.bias"]]
        return [*found, a["classifier.weight"].T, a["classifier.bias"]]

    return steps(model, params, mode, device, spec.batch(params), layout=layout)
