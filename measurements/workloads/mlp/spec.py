"""MLP classifier training step: sizes, data and initial weights shared by both frameworks.

Weights are made once here with NumPy from a fixed seed and loaded into each framework, so
both start from the same model. The optimiser's settings are in ``workloads.shared``.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from measurements.profiles import Profile
from measurements.workloads import Case, Parity, Sizes, distinct, repeat
from measurements.workloads.shared import cross_entropy, model_cases

SEED = 0

LAYERS = {"tiny": (64, 32, 32, 10), "standard": (784, 512, 512, 10), "full": (784, 512, 512, 10)}
# profile size -> batch sizes: training throughput; inference throughput (latency is at batch 1)
TRAIN_BATCHES = {"tiny": (32,), "standard": (64, 256), "full": (64, 256, 1024), "gpu": (1024, 16384)}
INFER_BATCHES = {"tiny": (64,), "standard": (1024,), "full": (1024, 4096), "gpu": (16384,)}


class MlpSizes(Sizes):
    layers: list[int]  # the widths of the input, each hidden layer and the output (the classes)


def _forward_flops(params: MlpSizes, batch: int) -> int:
    layers = params["layers"]
    return 2 * batch * sum(a * b for a, b in pairwise(layers))


def cases(profile: Profile, task: str) -> list[Case[MlpSizes]]:
    layers = LAYERS[profile.size]

    def params(batch: int) -> MlpSizes:
        return {"layers": list(layers), "batch_size": batch, "dtype": "float32", "seed": SEED, "task": task}

    return model_cases(
        task,
        f"{'-'.join(map(str, layers))} ",
        params,
        _forward_flops,
        TRAIN_BATCHES[profile.batch_key],
        INFER_BATCHES[profile.batch_key],
        profile.distinct,
    )


def weights(params: MlpSizes) -> list[tuple[np.ndarray, np.ndarray]]:
    """(kernel, bias) per layer; kernels are (inputs, outputs), Glorot-uniform, biases zero."""
    rng = np.random.default_rng(params["seed"])
    layers = params["layers"]
    found = []
    for fan_in, fan_out in pairwise(layers):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        kernel = rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)
        found.append((kernel, np.zeros(fan_out, dtype=np.float32)))
    return found


def batch(params: MlpSizes) -> tuple[np.ndarray, np.ndarray]:
    """One batch of synthetic inputs (standard normal) and integer class labels."""
    rng = np.random.default_rng(params["seed"] + 1)
    layers = params["layers"]
    x = rng.standard_normal((distinct(params), layers[0])).astype(np.float32)
    y = rng.integers(0, layers[-1], size=distinct(params)).astype(np.int64)
    x, y = repeat(params, x, y)
    return x, y


def flat_weights(params: MlpSizes) -> list[np.ndarray]:
    """The trainable tensors in the parity check's order: kernel (inputs, outputs), bias, per layer."""
    return [array for pair in weights(params) for array in pair]


def _layers(flat: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.asarray(flat[i], dtype=np.float64), np.asarray(flat[i + 1], dtype=np.float64))
            for i in range(0, len(flat), 2)]  # fmt: skip


def forward_reference(params: MlpSizes, x: np.ndarray, flat: list[np.ndarray] | None = None) -> np.ndarray:
    h = x.astype(np.float64)
    layers = _layers(flat if flat is not None else flat_weights(params))
    for i, (kernel, bias) in enumerate(layers):
        h = h @ kernel + bias
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h


def loss_reference(params: MlpSizes, flat: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """The training loss (mean softmax cross-entropy) in float64 at the weights ``flat``."""
    return cross_entropy(forward_reference(params, x, flat), y)


def gradient_reference(params: MlpSizes, flat: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """The exact gradient of ``loss_reference`` (backpropagation in float64), in ``flat``'s order."""
    layers = _layers(flat)
    activations = [x.astype(np.float64)]
    for i, (kernel, bias) in enumerate(layers):
        h = activations[-1] @ kernel + bias
        activations.append(np.maximum(h, 0.0) if i < len(layers) - 1 else h)
    logits = activations[-1]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    delta = p / len(y)
    found: list[np.ndarray] = []
    for i in range(len(layers) - 1, -1, -1):
        found[:0] = [activations[i].T @ delta, delta.sum(axis=0)]
        if i > 0:
            delta = (delta @ layers[i][0].T) * (activations[i] > 0)
    return found


def parity(params: MlpSizes) -> Parity:
    """The timed batch's logits (inference, and the accuracy runs' eager check)."""
    x, _ = batch(params)
    return Parity(inputs=(x,), expected=forward_reference(params, x), rtol=1e-4, atol=1e-4)
