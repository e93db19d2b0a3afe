"""One 3×3 convolution (stride 1, same padding) in every mode.

Data and weights are made here in NHWC / HWIO; each framework then uses its own default
layout (PyTorch NCHW, TensorFlow NHWC), as its users would. A small case exposes per-call
overhead, a larger one the kernel.
"""

from __future__ import annotations

import numpy as np

from measurements.profiles import Profile
from measurements.workloads import Case, Parity, Sizes
from measurements.workloads.shared import conv_flops

SEED = 0
KERNEL = 3
# profile size -> (batch, height = width, input channels, output channels)
SIZES = {
    "tiny": [(2, 8, 8, 8)],
    "standard": [(1, 16, 16, 16), (32, 32, 64, 64)],
    "full": [(1, 16, 16, 16), (32, 32, 64, 64), (32, 56, 128, 128)],
    "gpu": [(1, 16, 16, 16), (128, 56, 128, 128)],
}


class Conv2dSizes(Sizes):
    """A batch (``batch_size``) of square images convolved with one kernel."""

    side: int
    c_in: int  # input channels
    c_out: int  # output channels


def _params(size: tuple[int, int, int, int]) -> Conv2dSizes:
    batch, side, c_in, c_out = size
    return {"batch_size": batch, "side": side, "c_in": c_in, "c_out": c_out, "dtype": "float32", "seed": SEED}


def cases(profile: Profile, task: str) -> list[Case[Conv2dSizes]]:
    found = []
    for size in SIZES[profile.batch_key]:
        batch, side, c_in, c_out = size
        flops = batch * conv_flops(side, KERNEL, 1, c_in, c_out)[0]  # the padded zeros' taps left out
        found.append(Case(f"{batch}×{side}×{side}×{c_in}→{c_out}", "op_rate", _params(size),
                          work_per_step=flops / 1e9, flops_per_step=flops))  # fmt: skip
    return found


def tensors(params: Conv2dSizes) -> tuple[np.ndarray, np.ndarray]:
    """Input (NHWC) and kernel (HWIO), standard normal, from the seed."""
    rng = np.random.default_rng(params["seed"])
    side, c_in = params["side"], params["c_in"]
    x = rng.standard_normal((params["batch_size"], side, side, c_in)).astype(np.float32)
    w = rng.standard_normal((KERNEL, KERNEL, c_in, params["c_out"])).astype(np.float32)
    return x, w


def reference(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The convolution in NumPy float64 (NHWC in, NHWC out): one matrix product per kernel offset."""
    pad = KERNEL // 2
    padded = np.pad(x.astype(np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    n, side_h, side_w, _ = x.shape
    w64 = w.astype(np.float64)
    out = np.zeros((n, side_h, side_w, w.shape[3]))
    for i in range(KERNEL):
        for j in range(KERNEL):
            out += np.ascontiguousarray(padded[:, i : i + side_h, j : j + side_w]) @ w64[i, j]
    return out


def parity(params: Conv2dSizes) -> Parity:
    """The timed step's output on the timed tensors (NHWC); atol grows with the terms summed."""
    x, w = tensors(params)
    return Parity(inputs=(x, w), expected=reference(x, w), rtol=1e-4, atol=1e-5 * KERNEL * KERNEL * params["c_in"])
