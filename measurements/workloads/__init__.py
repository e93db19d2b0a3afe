"""The workload registry: one module per workload, one registration line each.

A workload lives in ``measurements/workloads/<name>/``: ``spec.py`` (sizes, seeds, shared
weights, the NumPy reference for the parity check) and one module per framework
(``pytorch.py``, ``tensorflow.py``, ``numpy.py``) with ``prepare(params, mode, device)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    metric: str  # what one timed step produces, e.g. "train_throughput"
    unit: str  # the unit of each sample, e.g. "samples/s"
    modes: dict[str, tuple[str, ...]]  # framework -> its modes, plain first
    description: str = ""
    headline: bool = True  # shown in the Home page's verdicts at a glance


@dataclass(frozen=True)
class Case:
    """One measured configuration of a workload (a size, a batch)."""

    name: str
    params: dict[str, Any]
    work_per_step: float  # units of the metric's numerator done by one step
    flops_per_step: float  # floating-point operations of one step, for the ceiling share


@dataclass(frozen=True)
class Parity:
    """Inputs to a forward pass and the NumPy float64 reference output they must match."""

    inputs: tuple[np.ndarray, ...]
    expected: np.ndarray
    rtol: float
    atol: float


@dataclass
class Prepared:
    """What a framework module hands the worker for one case."""

    step: Callable[[], Any]  # one timed step; returns a small framework value to wait on
    forward: Callable[..., Any]  # forward pass on NumPy inputs, for the parity check
    extra: dict[str, Any] = field(default_factory=dict)


REGISTRY: dict[str, Workload] = {}


class UnknownName(KeyError):
    pass


def register(workload: Workload) -> Workload:
    if workload.name in REGISTRY:
        raise ValueError(f"workload {workload.name!r} is registered twice")
    REGISTRY[workload.name] = workload
    return workload


def get(name: str) -> Workload:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise UnknownName(f"unknown workload {name!r}; known workloads: {known}") from None


register(
    Workload(
        name="mlp",
        title="MLP classifier, training step",
        metric="train_throughput",
        unit="samples/s",
        modes={"pytorch": ("eager", "compile"), "tensorflow": ("eager", "function", "xla")},
        description=(
            "A multi-layer perceptron classifier (ReLU hidden layers, softmax cross-entropy, "
            "Adam) trained on one fixed batch of synthetic data: forward, loss, backward and "
            "optimiser update per step."
        ),
    )
)
register(
    Workload(
        name="matmul",
        title="Matrix-multiply ceiling",
        metric="matmul_rate",
        unit="GFLOP/s",
        modes={"numpy": ("default",), "pytorch": ("eager",), "tensorflow": ("eager",)},
        description=(
            "Square single-precision matrix multiplications: the best rate any library "
            "reaches here is the machine's ceiling, against which workloads are shown. Each "
            "framework calls its own matrix-multiply library (PyTorch: MKL or OpenBLAS; "
            "TensorFlow: oneDNN or Eigen; NumPy: its BLAS), so a difference here is a difference "
            "between those libraries and the code paths they pick for this CPU."
        ),
        headline=False,
    )
)
