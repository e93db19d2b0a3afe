"""Convolution FLOPs count only the kernel taps that land inside the input: the zeros a
convolution is padded with are no work it needs, so they are left out of every count."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest

from measurements.profiles import PROFILES
from measurements.workloads.cnn import spec as cnn
from measurements.workloads.conv2d import spec as conv2d
from measurements.workloads.resnet import spec as resnet


def taps(side: int, kernel: int, stride: int) -> tuple[int, int]:
    """The kernel taps that land inside a ``side``² input, summed over the outputs, and the output's
    side: the models' own padded convolution (NumPy) of ones by ones."""
    out = cnn._conv(np.ones((1, side, side, 1)), np.ones((kernel, kernel, 1, 1)), stride)
    return round(float(out.sum())), out.shape[1]


def test_the_convolution_counts_no_padded_taps() -> None:
    for profile in PROFILES.values():
        for case in conv2d.cases(profile, "op"):
            p = case.params
            inside, _ = taps(p["side"], conv2d.KERNEL, 1)
            assert case.flops_per_step == 2 * p["batch_size"] * inside * p["c_in"] * p["c_out"], case.name


def test_at_32_by_32_the_padded_taps_were_4_3_percent() -> None:
    (case,) = (c for c in conv2d.cases(PROFILES["standard"], "op") if c.params["side"] == 32)
    p = case.params
    padded = 2 * p["batch_size"] * 32 * 32 * 9 * p["c_in"] * p["c_out"]
    assert padded / case.flops_per_step == pytest.approx(96**2 / 94**2)  # 4.3% more
    assert 1.042 < padded / case.flops_per_step < 1.044


def counted(spec: ModuleType, params: Any, pooled: bool) -> int:
    """Twice the multiply-adds of a model's convolutions, from each convolution's taps inside its
    input: a shortcut reads its block's input; ``pooled``: a 3×3 max pool of stride 2 follows the stem."""
    side = entry = params["side"]
    flops = 0
    for name, kernel, stride, c_in, c_out in spec.convolutions(params):
        if name == "stem" or name.endswith("conv1"):
            entry = side
        inside, out = taps(entry if name.endswith("shortcut") else side, kernel, stride)
        flops += 2 * inside * c_in * c_out
        if not name.endswith("shortcut"):
            side = out
        if name == "stem" and pooled:
            side = (side - 1) // 2 + 1
    return flops


@pytest.mark.parametrize("size", ["tiny", "standard"])
def test_the_models_count_no_padded_taps(size: str) -> None:
    side, channels, widths = cnn.SHAPES[size]
    params = cnn.params_for(side, channels, widths, 1, "infer")
    classifier = 2 * params["widths"][-1] * params["classes"]
    assert cnn.forward_flops(params, 3) == 3 * (counted(cnn, params, pooled=False) + classifier)
    params = resnet.params_for(size, 1, "infer")
    classifier = 2 * params["widths"][-1] * resnet.EXPANSION * params["classes"]
    assert resnet.forward_flops(params, 3) == 3 * (counted(resnet, params, pooled=True) + classifier)
