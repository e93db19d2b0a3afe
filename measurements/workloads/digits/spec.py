"""Accuracy parity on real data: the MLP and the CNN trained on scikit-learn's digits.

Both frameworks train the same model (the ``mlp`` and ``cnn`` workloads' code, with their
shared initial weights) with the same hyper-parameters on the same batches in the same order:
the split and each epoch's shuffle come from NumPy with a fixed seed, and the last partial
batch of an epoch is dropped, so every step sees the same shapes. The digits (8×8 grey) are
scaled to [0, 1]; for the CNN each pixel is repeated 4×4 (32×32) and on three channels.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Literal

import numpy as np

from measurements.profiles import Profile
from measurements.workloads import Case, Parity, Sizes
from measurements.workloads.cnn import spec as cnn
from measurements.workloads.mlp import spec as mlp

SEED = 0
TEST_SHARE = 0.2
BATCH = 32
TARGET = 95.0  # test accuracy (%) for "time to target"
EPOCHS = {"tiny": 2, "standard": 10, "full": 20}
MLP_LAYERS = {"tiny": (64, 32, 32, 10), "standard": (64, 512, 512, 10), "full": (64, 512, 512, 10)}
CNN_SHAPES = {"tiny": (8, 3, (4, 8, 8)), "standard": (32, 3, (16, 32, 64)), "full": (32, 3, (16, 32, 64))}


class DigitsMlpSizes(mlp.MlpSizes):
    model: Literal["mlp"]


class DigitsCnnSizes(cnn.CnnSizes):
    model: Literal["cnn"]


# an accuracy run's: which model, its sizes, and the epochs and target accuracy (``Sizes``)
DigitsSizes = DigitsMlpSizes | DigitsCnnSizes


def cases(profile: Profile, task: str) -> list[Case[DigitsSizes]]:
    epochs = EPOCHS[profile.size]
    common: Sizes = {"batch_size": BATCH, "epochs": epochs, "target": TARGET, "dtype": "float32", "seed": SEED,
                     "task": "train"}  # fmt: skip
    layers = MLP_LAYERS[profile.size]
    side, channels, widths = CNN_SHAPES[profile.size]
    mlp_params: DigitsMlpSizes = {**common, "model": "mlp", "layers": list(layers)}
    cnn_params: DigitsCnnSizes = {**cnn.params_for(side, channels, widths, BATCH, "train"), **common, "model": "cnn"}
    return [
        Case(f"MLP {'-'.join(map(str, layers))}", "test_accuracy", mlp_params, work_per_step=1, flops_per_step=0),
        Case(f"CNN {side}×{side}×{channels}, widths {'-'.join(map(str, widths))}", "test_accuracy", cnn_params,
             work_per_step=1, flops_per_step=0),
    ]  # fmt: skip


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # ships with scikit-learn: nothing is downloaded

    found = load_digits()
    return (found.data / 16.0).astype(np.float32), found.target.astype(np.int64)


def images(x: np.ndarray, side: int, channels: int) -> np.ndarray:
    """Flat 8×8 digits as NHWC images of ``side``×``side``×``channels`` (each pixel repeated)."""
    grid = x.reshape(-1, 8, 8)
    grid = np.repeat(np.repeat(grid, side // 8, axis=1), side // 8, axis=2)
    return np.ascontiguousarray(np.repeat(grid[..., None], channels, axis=3))


def data(params: DigitsSizes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train inputs, train labels, test inputs, test labels), split with a fixed seed."""
    x, y = _digits()
    if params["model"] == "cnn":
        x = images(x, params["side"], params["channels"])
    order = np.random.default_rng(params["seed"]).permutation(len(y))
    n_test = int(len(y) * TEST_SHARE)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def batches(params: DigitsSizes, n: int, epoch: int) -> Iterator[np.ndarray]:
    """Index arrays of one epoch's full batches, shuffled by a seed of their own."""
    order = np.random.default_rng([params["seed"], epoch]).permutation(n)
    size = params["batch_size"]
    for start in range(0, n - size + 1, size):
        yield order[start : start + size]


def parity(params: DigitsSizes) -> Parity:
    """The model's own parity check (its eager forward pass on its timed batch)."""
    return cnn.parity(params) if params["model"] == "cnn" else mlp.parity(params)
