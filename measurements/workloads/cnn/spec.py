"""A small ResNet-style image classifier: sizes, data and initial weights shared by both frameworks.

A 3×3 stem convolution, then one basic residual block per stage (two 3×3 convolutions, the
first with the stage's stride; a 1×1 projection on the shortcut where the shape changes),
BatchNorm after every convolution, ReLU, global average pooling and a dense classifier.
Convolutions have no bias (BatchNorm follows). Weights are made here in NHWC / HWIO and
loaded into both frameworks. BatchNorm's epsilon and momentum are pinned to PyTorch's
defaults (Keras defaults to epsilon 1e-3 and momentum 0.99, which is PyTorch's 0.01).

Stride-2 convolutions pad one pixel on every side in both frameworks: Keras' ``"same"``
padding would pad only the bottom and right, a different model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from measurements.profiles import Profile
from measurements.workloads import Case, Parity

SEED = 0
BN_EPS = 1e-5
BN_MOMENTUM = 0.1  # PyTorch's convention: the weight of the new batch (Keras: momentum=0.9)
CLASSES = 10
# profile size -> (image side, channels, stage widths)
SHAPES = {"tiny": (8, 3, (4, 8, 8)), "standard": (32, 3, (16, 32, 64)), "full": (32, 3, (16, 32, 64))}
TRAIN_BATCHES = {"tiny": (8,), "standard": (32, 128), "full": (32, 128, 512)}
INFER_BATCHES = {"tiny": (16,), "standard": (256,), "full": (256, 1024)}


def params_for(side: int, channels: int, widths: tuple[int, ...], batch: int, task: str) -> dict[str, Any]:
    return {
        "side": side, "channels": channels, "widths": list(widths), "classes": CLASSES, "batch_size": batch,
        "dtype": "float32", "seed": SEED, "task": task,
    }  # fmt: skip


def convolutions(params: dict[str, Any]) -> Iterator[tuple[str, int, int, int, int]]:
    """(name, kernel, stride, input channels, output channels) of every convolution, in order."""
    previous = params["channels"]
    widths = params["widths"]
    yield "stem", 3, 1, previous, widths[0]
    previous = widths[0]
    for stage, width in enumerate(widths):
        stride = 1 if stage == 0 else 2
        yield f"stage{stage}.conv1", 3, stride, previous, width
        yield f"stage{stage}.conv2", 3, 1, width, width
        if stride != 1 or previous != width:
            yield f"stage{stage}.shortcut", 1, stride, previous, width
        previous = width


def forward_flops(params: dict[str, Any], batch: int) -> int:
    """Multiply-adds of the convolutions and the classifier, times two; BatchNorm and the rest left out."""
    side, flops = params["side"], 0
    for name, kernel, stride, c_in, c_out in convolutions(params):
        if stride == 2 and not name.endswith("shortcut"):
            side //= 2
        flops += 2 * side * side * kernel * kernel * c_in * c_out
    return int(batch * (flops + 2 * params["widths"][-1] * params["classes"]))


def cases(profile: Profile, task: str) -> list[Case]:
    side, channels, widths = SHAPES[profile.size]
    shape = f"{side}×{side}×{channels}, widths {'-'.join(map(str, widths))}"

    def case(batch: int, metric: str) -> Case:
        params = params_for(side, channels, widths, batch, task)
        flops = forward_flops(params, batch) * (3 if task == "train" else 1)  # backward: twice the forward
        return Case(f"{shape}, batch {batch}", metric, params, work_per_step=1 if metric == "infer_latency" else batch,
                    flops_per_step=flops)  # fmt: skip

    if task == "train":
        return [case(b, "train_throughput") for b in TRAIN_BATCHES[profile.size]]
    return [case(1, "infer_latency"), *(case(b, "infer_throughput") for b in INFER_BATCHES[profile.size])]


def weights(params: dict[str, Any]) -> dict[str, np.ndarray]:
    """Convolution kernels (HWIO, He-normal) by name, and the classifier's kernel (in, out) and bias."""
    rng = np.random.default_rng(params["seed"])
    found = {}
    for name, kernel, _, c_in, c_out in convolutions(params):
        std = np.sqrt(2.0 / (kernel * kernel * c_in))
        found[name] = (rng.standard_normal((kernel, kernel, c_in, c_out)) * std).astype(np.float32)
    width = params["widths"][-1]
    limit = np.sqrt(6.0 / (width + params["classes"]))
    found["dense.kernel"] = rng.uniform(-limit, limit, size=(width, params["classes"])).astype(np.float32)
    found["dense.bias"] = np.zeros(params["classes"], dtype=np.float32)
    return found


def batch(params: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """One batch of synthetic images (NHWC, standard normal) and integer class labels."""
    rng = np.random.default_rng(params["seed"] + 1)
    side = params["side"]
    x = rng.standard_normal((params["batch_size"], side, side, params["channels"])).astype(np.float32)
    y = rng.integers(0, params["classes"], size=params["batch_size"]).astype(np.int64)
    return x, y


def _conv(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    pad = w.shape[0] // 2
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, w.shape[:2], axis=(1, 2))[:, ::stride, ::stride]
    return np.asarray(np.einsum("nhwcij,ijco->nhwo", windows, w))


def forward_reference(params: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Inference in NumPy float64: BatchNorm with its initial statistics (mean 0, variance 1)."""
    w = {k: v.astype(np.float64) for k, v in weights(params).items()}

    def bn(h: np.ndarray) -> np.ndarray:
        return np.asarray(h / np.sqrt(1.0 + BN_EPS))

    h = np.maximum(bn(_conv(x.astype(np.float64), w["stem"], 1)), 0.0)
    for stage in range(len(params["widths"])):
        stride = 1 if stage == 0 else 2
        out = np.maximum(bn(_conv(h, w[f"stage{stage}.conv1"], stride)), 0.0)
        out = bn(_conv(out, w[f"stage{stage}.conv2"], 1))
        shortcut = w.get(f"stage{stage}.shortcut")
        h = np.maximum(out + (h if shortcut is None else bn(_conv(h, shortcut, stride))), 0.0)
    return np.asarray(h.mean(axis=(1, 2)) @ w["dense.kernel"] + w["dense.bias"])


def parity(params: dict[str, Any]) -> Parity:
    x, _ = batch({**params, "batch_size": 2})
    return Parity(inputs=(x,), expected=forward_reference(params, x), rtol=1e-4, atol=1e-4)
