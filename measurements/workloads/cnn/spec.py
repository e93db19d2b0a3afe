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

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import numpy as np

from measurements.profiles import Profile
from measurements.workloads import Case, Parity, Sizes, distinct, repeat
from measurements.workloads.shared import cross_entropy, model_cases, network_conv_flops

SEED = 0
BN_EPS = 1e-5
BN_MOMENTUM = 0.1  # PyTorch's convention: the weight of the new batch (Keras: momentum=0.9)
CLASSES = 10
# profile size -> (image side, channels, stage widths)
SHAPES = {"tiny": (8, 3, (4, 8, 8)), "standard": (32, 3, (16, 32, 64)), "full": (32, 3, (16, 32, 64))}
TRAIN_BATCHES = {"tiny": (8,), "standard": (32, 128), "full": (32, 128, 512), "gpu": (256, 1024)}
INFER_BATCHES = {"tiny": (16,), "standard": (256,), "full": (256, 1024), "gpu": (4096,)}


class CnnSizes(Sizes):
    """A residual network's sizes (this CNN's; ResNet-50's add theirs, ``ResnetSizes``)."""

    side: int  # of the square input images
    channels: int  # of the input images
    widths: list[int]  # the output channels of each stage
    classes: int


def params_for(side: int, channels: int, widths: tuple[int, ...], batch: int, task: str) -> CnnSizes:
    return {
        "side": side, "channels": channels, "widths": list(widths), "classes": CLASSES, "batch_size": batch,
        "dtype": "float32", "seed": SEED, "task": task,
    }  # fmt: skip


def convolutions(params: CnnSizes) -> Iterator[tuple[str, int, int, int, int]]:
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


def forward_flops(params: CnnSizes, batch: int) -> int:
    """Multiply-adds of the convolutions (the padded zeros' taps left out) and the classifier, times
    two; BatchNorm and the rest left out."""
    flops = network_conv_flops(convolutions(params), params["side"])
    return int(batch * (flops + 2 * params["widths"][-1] * params["classes"]))


def cases(profile: Profile, task: str) -> list[Case[CnnSizes]]:
    side, channels, widths = SHAPES[profile.size]

    def params(batch: int) -> CnnSizes:
        return params_for(side, channels, widths, batch, task)

    shape = f"{side}×{side}×{channels}, widths {'-'.join(map(str, widths))}, "
    return model_cases(task, shape, params, forward_flops, TRAIN_BATCHES[profile.batch_key],
                       INFER_BATCHES[profile.batch_key], profile.distinct)  # fmt: skip


def weights(params: CnnSizes) -> dict[str, np.ndarray]:
    """Convolution kernels (HWIO, He-normal) by name, and the classifier's kernel (in, out) and bias."""
    return conv_weights(params, convolutions(params), params["widths"][-1], np.float64)


def conv_weights(
    params: CnnSizes, convs: Iterable[tuple[str, int, int, int, int]], features: int, draw: type[np.floating[Any]]
) -> dict[str, np.ndarray]:
    """A residual network's initial weights (this CNN's and ResNet-50's): per convolution its kernel
    (HWIO, He-normal, drawn in the ``draw`` dtype), then the classifier's kernel (``features`` in,
    Glorot-uniform) and bias (zeros), all float32."""
    rng = np.random.default_rng(params["seed"])
    found = {}
    for name, kernel, _, c_in, c_out in convs:
        std = np.sqrt(2.0 / (kernel * kernel * c_in))
        found[name] = (rng.standard_normal((kernel, kernel, c_in, c_out), dtype=draw) * draw(std)).astype(np.float32)
    limit = np.sqrt(6.0 / (features + params["classes"]))
    found["dense.kernel"] = rng.uniform(-limit, limit, size=(features, params["classes"])).astype(np.float32)
    found["dense.bias"] = np.zeros(params["classes"], dtype=np.float32)
    return found


def batch(params: CnnSizes) -> tuple[np.ndarray, np.ndarray]:
    """One batch of synthetic images (NHWC, standard normal) and integer class labels."""
    rng = np.random.default_rng(params["seed"] + 1)
    side = params["side"]
    x = rng.standard_normal((distinct(params), side, side, params["channels"])).astype(np.float32)
    y = rng.integers(0, params["classes"], size=distinct(params)).astype(np.int64)
    x, y = repeat(params, x, y)
    return x, y


def flat_weights(params: CnnSizes) -> list[np.ndarray]:
    """The trainable tensors in the parity check's order (see ``conv_flat_weights``)."""
    return conv_flat_weights(weights(params), convolutions(params))


def conv_flat_weights(w: dict[str, np.ndarray], convs: Iterable[tuple[str, int, int, int, int]]) -> list[np.ndarray]:
    """Per convolution (as ``convolutions`` lists them) its kernel (HWIO), BatchNorm's gamma (ones)
    and beta (zeros); then the classifier's kernel (in, out) and bias (this CNN's and ResNet-50's)."""
    found: list[np.ndarray] = []
    for name, *_, c_out in convs:
        found += [w[name], np.ones(c_out, dtype=np.float32), np.zeros(c_out, dtype=np.float32)]
    return [*found, w["dense.kernel"], w["dense.bias"]]


def _conv(x: np.ndarray, w: np.ndarray, stride: int) -> np.ndarray:
    """NHWC convolution, zero padding of half the kernel on every side, as one matrix product
    per kernel offset (fast enough in float64 for the timed batches)."""
    size = w.shape[0]
    pad = size // 2
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    n, side_h, side_w, _ = x.shape
    out_h, out_w = (side_h + 2 * pad - size) // stride + 1, (side_w + 2 * pad - size) // stride + 1
    out = np.zeros((n, out_h, out_w, w.shape[3]))
    for i in range(size):
        for j in range(size):
            patch = padded[:, i : i + stride * (out_h - 1) + 1 : stride, j : j + stride * (out_w - 1) + 1 : stride]
            out += np.ascontiguousarray(patch) @ w[i, j]
    return out


def conv_bn(h: np.ndarray, layer: tuple[np.ndarray, ...], stride: int, training: bool) -> np.ndarray:
    """A convolution (``layer``: its kernel, BatchNorm's gamma and beta) and BatchNorm: in training
    on the batch's statistics (biased variance, as the frameworks normalise with), in inference on its
    initial running statistics (mean 0, variance 1)."""
    w, gamma, beta = layer
    h = _conv(h, w, stride)
    if training:
        mean, variance = h.mean(axis=(0, 1, 2)), h.var(axis=(0, 1, 2))
    else:
        mean, variance = np.zeros(h.shape[-1]), np.ones(h.shape[-1])
    return np.asarray((h - mean) / np.sqrt(variance + BN_EPS) * gamma + beta)


def _forward(params: CnnSizes, x: np.ndarray, flat: list[np.ndarray], training: bool) -> np.ndarray:
    """The logits in NumPy float64 (BatchNorm as ``conv_bn``)."""
    tensors = iter([np.asarray(a, dtype=np.float64) for a in flat])
    layers = {name: (next(tensors), next(tensors), next(tensors)) for name, *_ in convolutions(params)}
    kernel, bias = next(tensors), next(tensors)
    h = np.maximum(conv_bn(x.astype(np.float64), layers["stem"], 1, training), 0.0)
    for stage in range(len(params["widths"])):
        stride = 1 if stage == 0 else 2
        out = np.maximum(conv_bn(h, layers[f"stage{stage}.conv1"], stride, training), 0.0)
        out = conv_bn(out, layers[f"stage{stage}.conv2"], 1, training)
        shortcut = f"stage{stage}.shortcut"
        h = np.maximum(out + (conv_bn(h, layers[shortcut], stride, training) if shortcut in layers else h), 0.0)
    return np.asarray(h.mean(axis=(1, 2)) @ kernel + bias)


C = TypeVar("C", bound=CnnSizes)  # this CNN's sizes or ResNet-50's


def references(
    forward: Callable[[C, np.ndarray, list[np.ndarray], bool], np.ndarray],
    flat_weights: Callable[[C], list[np.ndarray]],
) -> tuple[Callable[[C, np.ndarray], np.ndarray], Callable[[C, list[np.ndarray], np.ndarray, np.ndarray], float]]:
    """A residual network's references from its float64 ``forward(params, x, flat, training)``
    (this CNN's and ResNet-50's): inference with BatchNorm's initial statistics (mean 0, variance 1),
    and the training loss (BatchNorm on the batch's statistics; mean softmax cross-entropy)."""

    def forward_reference(params: C, x: np.ndarray) -> np.ndarray:
        return forward(params, x, flat_weights(params), False)

    def loss_reference(params: C, flat: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
        return cross_entropy(forward(params, x, flat, True), y)

    return forward_reference, loss_reference


forward_reference, loss_reference = references(_forward, flat_weights)


def parity(params: CnnSizes) -> Parity:
    """The timed batch's logits (inference, and the accuracy runs' eager check)."""
    x, _ = batch(params)
    return Parity(inputs=(x,), expected=forward_reference(params, x), rtol=1e-4, atol=1e-4)
