"""What the model workloads (MLP, CNN, Transformer) share: the optimiser's settings, the
parity check's tolerances and references for one training step, and, per framework, the
training and inference steps built around a model.

Adam's hyper-parameters are pinned to the same values in every framework (PyTorch defaults
epsilon to 1e-8, Keras to 1e-7). The two still place epsilon differently: PyTorch adds it to
the bias-corrected √v̂, Keras to the uncorrected √v, so after one step PyTorch moves a weight by
lr·g/(|g| + ε) and Keras by lr·g/(|g| + ε/√(1−β₂)). Each framework is checked against its own
formula; the parity record also gives the largest difference between the two formulas on the
step's actual gradients.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from measurements.workloads import Case, S

LEARNING_RATE = 1e-3
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


@dataclass(frozen=True)
class Tolerances:
    """How close one training step must come to the NumPy float64 reference, for one dtype.

    A value passes when ``|got - expected| <= atol + rtol * |expected|``, elementwise."""

    loss: tuple[float, float]  # (rtol, atol) of the loss
    gradients: tuple[float, float]  # exact backward (where a spec has one), elementwise
    # directional derivatives: |g·d - D_d L| <= rtol * max(|D_d L|, ‖g‖/√n) (n weights)
    directional_rtol: float
    weights: tuple[float, float]  # the weights after one Adam step
    # inference: (rtol, atol as a share of the reference's largest magnitude); None: the spec's own
    forward: tuple[float, float] | None = None


# float32: the directional check allows 1e-2 because PyTorch's channels_last convolutions
# (oneDNN) compute some weight gradients only to ~1e-2 of their largest element (a stride-2
# kernel of the CNN, against float64); eager NCHW and TensorFlow stay within ~1e-3. A wrong
# gradient (a missing term, a wrong scale or sign in any one tensor) is off by far more.
# bfloat16 (the bf16 modes: the model computes in bfloat16, the weights, their gradients and the
# optimiser stay in float32): bfloat16 keeps 8 bits of mantissa, so each rounding is off by up to
# 0.4%, and a deep model's logits and loss by a few per cent; a wrong model is off by its values'
# own size. Its gradients along random directions: up to 32% off at the dry run's toy ResNet-50
# (widths 4-8, whose BatchNorm averages over few values), so 50% is allowed; a missing term or a
# wrong sign is off by 100% or more. The weights after one step follow the framework's formula applied to its
# own float32 gradients, as in float32.
TOLERANCES = {
    "float32": Tolerances(loss=(1e-4, 1e-5), gradients=(1e-3, 1e-5), directional_rtol=1e-2, weights=(0.0, 1e-6)),
    "bfloat16": Tolerances(
        loss=(3e-2, 1e-3), gradients=(5e-2, 1e-3), directional_rtol=0.5, weights=(0.0, 1e-6), forward=(5e-2, 5e-2)
    ),
}
GRADIENT_DIRECTIONS = 3  # random directions of the gradient check
# central-difference steps along a unit direction, in float64: where the longer step disagrees,
# the shorter is tried and the closer counts, so that a ReLU kink crossed by the longer step
# does not fail a right gradient
GRADIENT_STEPS = (1e-5, 1e-6)
GRADIENT_SEED = 12345


def model_cases(
    task: str,
    prefix: str,
    params: Callable[[int], S],
    forward_flops: Callable[[S, int], int],
    train_batches: Iterable[int],
    infer_batches: Iterable[int],
    distinct: int | None = None,
) -> list[Case[S]]:
    """A model's cases at each batch size b, named ``{prefix}batch {b}``, from its ``params(b)`` and
    the FLOPs of its forward pass, ``forward_flops(params(b), b)``: training throughput at each of
    ``train_batches`` (a step counts the forward pass, then twice as many in the backward pass; the
    element-wise work and the optimiser update are left out, so the achieved rate is a lower bound),
    or the latency of one sample and the inference throughput at each of ``infer_batches``. A batch
    larger than ``distinct`` (a profile's) holds that many distinct examples, repeated to fill it
    (``workloads.repeat``)."""

    def case(b: int, metric: str) -> Case[S]:
        found = params(b)  # a new dictionary at each call
        if distinct and b > distinct and b % distinct == 0:
            found["distinct"] = distinct
        flops = forward_flops(found, b) * (3 if task == "train" else 1)
        return Case(f"{prefix}batch {b}", metric, found, work_per_step=1 if metric == "infer_latency" else b,
                    flops_per_step=flops)  # fmt: skip

    if task == "train":
        return [case(b, "train_throughput") for b in train_batches]
    return [case(1, "infer_latency"), *(case(b, "infer_throughput") for b in infer_batches)]


def conv_flops(side: int, kernel: int, stride: int, c_in: int, c_out: int) -> tuple[int, int]:
    """Twice the multiply-adds of one example through a square convolution padded with half its
    kernel on every side (as every convolution here is), and its output's side. Only the kernel
    taps that land inside the input count: the padded zeros are no work the convolution needs
    (at 3×3 on 32×32, counting them would add 4.3%)."""
    pad = kernel // 2
    out = (side + 2 * pad - kernel) // stride + 1
    # along one axis, the taps of each output position that fall inside the input; a square's are its square
    inside = sum(1 for o in range(out) for t in range(kernel) if 0 <= o * stride - pad + t < side)
    return 2 * inside * inside * c_in * c_out, out


def network_conv_flops(
    convolutions: Iterable[tuple[str, int, int, int, int]], side: int, after_stem: Callable[[int], int] = int
) -> int:
    """Twice the multiply-adds of one example through a network's convolutions, (name, kernel,
    stride, input channels, output channels) in order (``conv_flops``): each reads the output of the
    one before, and a shortcut (a name ending in "shortcut") its block's input, the one its "conv1"
    read. ``after_stem``: the side after what follows the stem (a pooling)."""
    flops, entry = 0, side
    for name, kernel, stride, c_in, c_out in convolutions:
        if name == "stem" or name.endswith("conv1"):
            entry = side
        count, out = conv_flops(entry if name.endswith("shortcut") else side, kernel, stride, c_in, c_out)
        flops += count
        if not name.endswith("shortcut"):
            side = after_stem(out) if name == "stem" else out
    return flops


def adam_first_step_pytorch(w0: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``torch.optim.Adam``'s first step: m̂ = g, v̂ = g², w − lr·m̂/(√v̂ + ε)."""
    w0, g = w0.astype(np.float64), g.astype(np.float64)
    return np.asarray(w0 - LEARNING_RATE * g / (np.abs(g) + ADAM_EPS))


def adam_first_step_keras(w0: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``keras.optimizers.Adam``'s first step: w − lr·√(1−β₂)/(1−β₁)·m/(√v + ε), m = (1−β₁)g, v = (1−β₂)g²."""
    w0, g = w0.astype(np.float64), g.astype(np.float64)
    beta_1, beta_2 = ADAM_BETAS
    alpha = LEARNING_RATE * np.sqrt(1 - beta_2) / (1 - beta_1)
    return np.asarray(w0 - alpha * (1 - beta_1) * g / (np.sqrt(1 - beta_2) * np.abs(g) + ADAM_EPS))


ADAM_FIRST_STEP: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "pytorch": adam_first_step_pytorch,
    "keras": adam_first_step_keras,
}
# each optimiser's formula by the name a workload gives (``Prepared.optimizer``): optax.adam adds ε
# to the bias-corrected √v̂ as PyTorch does (its eps_root is 0), so it is the same formula
OPTIMIZERS = {**ADAM_FIRST_STEP, "optax": adam_first_step_pytorch}


@dataclass(frozen=True)
class Directional:
    """The gradient check: the gradient projected on random directions against central
    differences of the float64 loss along them."""

    projected: list[float]  # g·d per direction
    differences: list[float]  # (L(w + h d) − L(w − h d)) / 2h, of the step h closest to g·d
    scale: float  # ‖g‖/√n, the typical size of a projection on a random unit direction
    max_abs_diff: float
    max_rel_diff: float  # the largest |g·d − D_d L| / max(|D_d L|, scale)
    passed: bool


def directions(shapes: Sequence[tuple[int, ...]], count: int, seed: int) -> list[list[np.ndarray]]:
    """Seeded random unit directions in weight space; every tensor gets an equal share of the
    length, so that a small tensor (a bias, a norm) weighs as much as a large kernel."""
    rng = np.random.default_rng(seed)
    found = []
    for _ in range(count):
        parts = [rng.standard_normal(shape) for shape in shapes]
        found.append([p / (np.linalg.norm(p) * np.sqrt(len(parts))) for p in parts])
    return found


def _loss_along(loss: Callable[[list[np.ndarray]], float], w: list[np.ndarray], d: list[np.ndarray],
                step: float) -> float:  # fmt: skip
    return loss([a + step * b for a, b in zip(w, d, strict=True)])


def directional_check(
    loss: Callable[[list[np.ndarray]], float],
    weights: Sequence[np.ndarray],
    gradients: Sequence[np.ndarray],
    rtol: float,
    count: int = GRADIENT_DIRECTIONS,
    steps: Sequence[float] = GRADIENT_STEPS,
    seed: int = GRADIENT_SEED,
    memo: Callable[[str, Callable[[], float]], float] | None = None,
) -> Directional:
    """Compare ``gradients`` with central differences of the float64 ``loss`` at ``weights``.

    ``memo(key, compute)``, where given, keeps each loss by a key naming where it was taken (the
    direction, the step and its sign), so that other processes of the same case reuse it."""
    memo = memo or (lambda key, compute: compute())
    w = [np.asarray(a, dtype=np.float64) for a in weights]
    g = [np.asarray(a, dtype=np.float64) for a in gradients]
    n = sum(a.size for a in w)
    scale = float(np.sqrt(sum(float(np.sum(a * a)) for a in g)) / np.sqrt(n))
    projected, differences, abs_diffs, rel_diffs = [], [], [], []
    for i, d in enumerate(directions([a.shape for a in w], count, seed)):
        along = float(sum(float(np.sum(a * b)) for a, b in zip(g, d, strict=True)))
        found = []
        for step in steps:  # the shorter step only where the longer one does not agree (it costs two losses)
            plus = memo(f"{seed}/{i}/{step}/+", functools.partial(_loss_along, loss, w, d, step))
            minus = memo(f"{seed}/{i}/{step}/-", functools.partial(_loss_along, loss, w, d, -step))
            found.append((plus - minus) / (2 * step))
            if abs(along - found[-1]) <= rtol * max(abs(found[-1]), scale):
                break
        derivative = min(found, key=lambda value: abs(along - value) if np.isfinite(value) else np.inf)
        projected.append(along)
        differences.append(derivative)
        abs_diffs.append(abs(along - derivative))
        rel_diffs.append(abs(along - derivative) / max(abs(derivative), scale, np.finfo(np.float64).tiny))
    max_rel = max(rel_diffs)
    return Directional(projected, differences, scale, max(abs_diffs), max_rel,
                       bool(np.isfinite(max_rel) and max_rel <= rtol))  # fmt: skip


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean softmax cross-entropy in float64."""
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(labels)), labels].mean())
