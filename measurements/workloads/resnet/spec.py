"""ResNet-50 (v1.5) image classifier at 224×224: sizes, data and initial weights shared by both frameworks.

The architecture of torchvision's ``resnet50`` (He et al., 2016, with the stride of each
bottleneck on its 3×3 convolution): a 7×7 stride-2 stem convolution and a 3×3 stride-2 max
pool; four stages of 3, 4, 6 and 3 bottleneck blocks (1×1 reduce, 3×3, 1×1 expand by 4,
a 1×1 projection on the shortcut of each stage's first block); BatchNorm after every
convolution, ReLU, global average pooling and a dense classifier: 25.6 million parameters
at 1,000 classes. Convolutions have no bias. Weights are made here in HWIO and loaded into
both frameworks. BatchNorm's epsilon and momentum are pinned to PyTorch's defaults, as in
the small CNN.

Every convolution and the max pool pad half the kernel on every side in both frameworks
(Keras gets explicit zero padding: its ``"same"`` would pad only the bottom and right at
stride 2). The max pool follows a ReLU, so zero padding equals PyTorch's −∞ padding.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from measurements.profiles import Profile
from measurements.workloads import Case, Parity
from measurements.workloads.cnn import spec as cnn_spec
from measurements.workloads.cnn.spec import (
    CnnSizes,
    conv_bn,
    conv_flat_weights,
    conv_weights,
    references,
)  # the small CNN's conventions
from measurements.workloads.shared import model_cases, network_conv_flops

SEED = 0
CLASSES = 1000
# The gradient check along random directions allows 20% here, not the small models' 1%: at this
# depth, float32 itself is that far from the exact gradient. Measured on the standard size at
# batch 8: PyTorch's float32 gradient, projected on the check's three directions, gave -0.0201,
# -0.1054 and 0.0914; the same model in float64 autograd gave -0.0140, -0.1015 and 0.0920, and
# the float64 NumPy loss's central differences agreed with float64 autograd to 1e-6 (step 1e-7).
# The difference, 0.006, is 13% of the gradient's scale (0.046, ‖g‖/√n); the last stage's
# kernels carry most of it (up to 15% of their largest element). A wrong gradient (a missing
# term, a wrong scale or sign) is off by 100%. The loss and the forward pass keep their
# tolerances.
DIRECTIONAL_RTOL = 0.2
# profile size -> (image side, blocks per stage, base widths); "tiny" keeps the structure at a toy size
SHAPES: dict[str, tuple[int, tuple[int, ...], tuple[int, ...]]] = {
    "tiny": (32, (1, 1, 1, 1), (4, 8, 8, 8)),
    "standard": (224, (3, 4, 6, 3), (64, 128, 256, 512)),
    "full": (224, (3, 4, 6, 3), (64, 128, 256, 512)),
}
EXPANSION = 4
STEM_WIDTH = {"tiny": 4, "standard": 64, "full": 64}
# a few steps a process are enough at this size; the larger batches are in the full profile
# gpu: batches that keep an H100 busy in float32
TRAIN_BATCHES = {"tiny": (4,), "standard": (8,), "full": (8, 32), "gpu": (64,)}
INFER_BATCHES = {"tiny": (4,), "standard": (16,), "full": (16, 64), "gpu": (128,)}


class ResnetSizes(CnnSizes):
    """The small CNN's sizes (here ``widths`` are each stage's bottleneck widths, its output ``EXPANSION``
    times wider), with the stem's width and each stage's count of blocks."""

    stem: int  # the stem convolution's output channels
    blocks: list[int]  # the bottleneck blocks of each stage


def params_for(size: str, batch: int, task: str) -> ResnetSizes:
    side, blocks, widths = SHAPES[size]
    return {
        "side": side, "channels": 3, "stem": STEM_WIDTH[size], "blocks": list(blocks), "widths": list(widths),
        "classes": CLASSES if size != "tiny" else 10, "batch_size": batch, "dtype": "float32", "seed": SEED,
        "task": task,
    }  # fmt: skip


def convolutions(params: ResnetSizes) -> Iterator[tuple[str, int, int, int, int]]:
    """(name, kernel, stride, input channels, output channels) of every convolution, in order."""
    yield "stem", 7, 2, params["channels"], params["stem"]
    previous = params["stem"]
    for stage, (count, width) in enumerate(zip(params["blocks"], params["widths"], strict=True)):
        for block in range(count):
            stride = 2 if stage > 0 and block == 0 else 1
            name = f"s{stage}b{block}"
            yield f"{name}.conv1", 1, 1, previous, width
            yield f"{name}.conv2", 3, stride, width, width
            yield f"{name}.conv3", 1, 1, width, width * EXPANSION
            if block == 0:
                yield f"{name}.shortcut", 1, stride, previous, width * EXPANSION
            previous = width * EXPANSION


def blocks(params: ResnetSizes) -> Iterator[tuple[str, int, bool]]:
    """(name, stride, has a projection shortcut) of every bottleneck block, in order."""
    for stage, count in enumerate(params["blocks"]):
        for block in range(count):
            yield f"s{stage}b{block}", 2 if stage > 0 and block == 0 else 1, block == 0


def parameter_count(params: ResnetSizes) -> int:
    convs = sum(k * k * c_in * c_out + 2 * c_out for _, k, _, c_in, c_out in convolutions(params))
    features = params["widths"][-1] * EXPANSION
    return int(convs + (features + 1) * params["classes"])


def forward_flops(params: ResnetSizes, batch: int) -> int:
    """Multiply-adds of the convolutions (the padded zeros' taps left out) and the classifier, times
    two; BatchNorm, pooling and the rest left out. The stem is followed by a 3×3 max pool of stride 2."""
    flops = network_conv_flops(convolutions(params), params["side"], after_stem=lambda side: (side - 1) // 2 + 1)
    return int(batch * (flops + 2 * params["widths"][-1] * EXPANSION * params["classes"]))


def cases(profile: Profile, task: str) -> list[Case[ResnetSizes]]:
    side = SHAPES[profile.size][0]
    millions = parameter_count(params_for(profile.size, 1, task)) / 1e6

    def params(batch: int) -> ResnetSizes:
        return params_for(profile.size, batch, task)

    shape = f"{side}×{side}, {millions:.1f}M parameters, "
    return model_cases(task, shape, params, forward_flops, TRAIN_BATCHES[profile.batch_key],
                       INFER_BATCHES[profile.batch_key], profile.distinct)  # fmt: skip


def weights(params: ResnetSizes) -> dict[str, np.ndarray]:
    """As the small CNN's, the kernels drawn in float32 (the classifier takes the last stage's expanded width)."""
    return conv_weights(params, convolutions(params), params["widths"][-1] * EXPANSION, np.float32)


batch = cnn_spec.batch  # one batch of synthetic images (NHWC, standard normal) and labels, as the small CNN's


def flat_weights(params: ResnetSizes) -> list[np.ndarray]:
    """The trainable tensors in the parity check's order, as the small CNN's (``conv_flat_weights``)."""
    return conv_flat_weights(weights(params), convolutions(params))


def _max_pool(x: np.ndarray) -> np.ndarray:
    """3×3, stride 2, one pixel of padding on every side (zeros: the input is ≥ 0 after ReLU)."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    out_h, out_w = (x.shape[1] - 1) // 2 + 1, (x.shape[2] - 1) // 2 + 1
    out = np.full((x.shape[0], out_h, out_w, x.shape[3]), -np.inf)
    for i in range(3):
        for j in range(3):
            out = np.maximum(out, padded[:, i : i + 2 * (out_h - 1) + 1 : 2, j : j + 2 * (out_w - 1) + 1 : 2])
    return out


def _forward(params: ResnetSizes, x: np.ndarray, flat: list[np.ndarray], training: bool) -> np.ndarray:
    """The logits in NumPy float64 (BatchNorm as the small CNN's ``conv_bn``)."""
    tensors = iter([np.asarray(a, dtype=np.float64) for a in flat])
    layers = {name: (next(tensors), next(tensors), next(tensors)) for name, *_ in convolutions(params)}
    strides = {name: stride for name, _, stride, *_ in convolutions(params)}
    kernel, bias = next(tensors), next(tensors)

    def conv(h: np.ndarray, name: str) -> np.ndarray:
        return conv_bn(h, layers[name], strides[name], training)

    h = _max_pool(np.maximum(conv(x.astype(np.float64), "stem"), 0.0))
    for name, _, projected in blocks(params):
        out = np.maximum(conv(h, f"{name}.conv1"), 0.0)
        out = np.maximum(conv(out, f"{name}.conv2"), 0.0)
        out = conv(out, f"{name}.conv3")
        h = np.maximum(out + (conv(h, f"{name}.shortcut") if projected else h), 0.0)
    return np.asarray(h.mean(axis=(1, 2)) @ kernel + bias)


forward_reference, loss_reference = references(_forward, flat_weights)  # as the small CNN's


def parity(params: ResnetSizes) -> Parity:
    """The timed batch's logits (inference). With BatchNorm's initial running statistics the
    activations grow through the 16 residual additions: at 224×224 the logits reach about 3,300, and
    float32 rounds them to about 5e-7 of that (0.0018, measured). So the absolute tolerance is 1e-5
    of the largest logit; a wrong model is off by the logits' own size."""
    x, _ = batch(params)
    expected = forward_reference(params, x)
    return Parity(inputs=(x,), expected=expected, rtol=1e-4, atol=max(1e-4, 1e-5 * float(abs(expected).max())))
