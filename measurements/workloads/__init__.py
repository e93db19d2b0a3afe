"""What a workload's code is made of: the cases a spec plans, the parity check and what a framework
module hands the worker. The workloads themselves (their titles, descriptions, tasks, scales and
modes) and the metrics are declared in ``measurements.catalog``, one registration each, which the
generator reads too.

A workload lives in ``measurements/workloads/<package>/``: ``spec.py`` (sizes, seeds, shared
weights, the NumPy reference for the parity check; ``cases(profile, task)``) and one module
per framework (``<framework id>.py``, as the registry in ``measurements.frameworks`` names it) with
``prepare(params, mode, device)``: a framework runs the workloads it has a module for, in the
modes its registry entry gives the workload's ``mode_choice``. Training and inference of one
model are two workloads on one package, so that each runs, and has its peak memory read, in
processes of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, NotRequired, TypedDict, TypeVar

import numpy as np


class Sizes(TypedDict):
    """A case's parameters (``Case.params``; ``params`` in a results file): the keys that code outside
    the workload's spec reads (the worker, the harness, the pages). Each workload's spec extends it
    with the sizes only it and its framework modules read (``MlpSizes``, ``CnnSizes``, ...)."""

    dtype: str  # of its data and initial weights
    seed: int  # from which its data and initial weights are drawn
    batch_size: NotRequired[int]  # every case's but one matrix multiply's
    # a profile's: the batch holds this many distinct examples, repeated to its size (``repeat``);
    # None or absent: every example is distinct
    distinct: NotRequired[int | None]
    task: NotRequired[str]  # a model's: "train" or "infer"
    epochs: NotRequired[int]  # the accuracy runs': the epochs trained,
    target: NotRequired[float]  # and the test accuracy (%) whose training time is measured


S = TypeVar("S", bound=Sizes)  # a workload's own sizes (``MlpSizes``, ``CnnSizes``, ...)


@dataclass(frozen=True)
class Case(Generic[S]):
    """One measured configuration of a workload (a size, a batch) and what it measures."""

    name: str
    metric: str  # a key of catalog.METRICS
    params: S
    work_per_step: float  # units of a rate's numerator done by one step (1 for latency)
    flops_per_step: float  # floating-point operations of one step, for the ceiling share


@dataclass(frozen=True)
class Parity:
    """Inputs to a forward pass and the NumPy float64 reference output they must match.

    For inference and operations, ``inputs`` are the timed step's own inputs and ``expected``
    is what the step returns (in the spec's layout), so that parity checks the timed mode on
    the timed shapes; the accuracy runs check the eager ``forward`` on these inputs."""

    inputs: tuple[np.ndarray, ...]
    expected: np.ndarray
    rtol: float
    atol: float


@dataclass
class Prepared:
    """What a framework module hands the worker for one case."""

    step: Callable[[], Any]  # one timed step; returns a small framework value to wait on
    forward: Callable[..., Any]  # forward pass on NumPy inputs (inference mode), for parity and accuracy
    fit: Callable[[np.ndarray, np.ndarray], Any] | None = None  # one training step on a NumPy batch
    # Parity of the timed path. Inference and operations: the step's output as NumPy -> the
    # spec's layout (default: as it is). Training: after the first step (from the shared
    # initial weights, on the timed batch), its (gradients, weights) as NumPy in the spec's
    # order and layout (``spec.flat_weights``), and the framework's Adam formula (a key of
    # ``workloads.shared.ADAM_FIRST_STEP``) that the weights must follow.
    to_reference: Callable[[np.ndarray], np.ndarray] | None = None
    train_state: Callable[[], tuple[list[np.ndarray], list[np.ndarray]]] | None = None
    optimizer: str = ""


def prepare_op(
    inputs: tuple[np.ndarray, ...],
    to_array: Callable[[np.ndarray], Any],
    op: Callable[..., Any],
    timed: Callable[..., Any] | None = None,
) -> Prepared:
    """An operation's step and forward pass: the step calls ``timed`` (``op`` as the mode runs it, or
    the part of its output that the step returns; ``op`` by default) on ``inputs`` converted once by
    ``to_array`` and passed as arguments, never captured as constants that a compiler could fold; the
    forward pass calls ``op`` on NumPy inputs converted the same way."""
    arrays = [to_array(a) for a in inputs]
    run = op if timed is None else timed
    return Prepared(step=lambda: run(*arrays), forward=lambda *given: op(*(to_array(a) for a in given)))


def distinct(params: Sizes) -> int:
    """How many distinct examples a case's batch holds (the rest repeat them)."""
    return int(params.get("distinct") or params["batch_size"])


def repeat(params: Sizes, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Arrays of ``distinct(params)`` examples, repeated to the batch size. The loss (a mean), its
    gradients and BatchNorm's batch statistics over the repeated batch are those of the distinct
    examples, and so is each example's output: the NumPy float64 reference that checks parity is
    computed on them alone, which at a GPU's batch sizes takes seconds instead of minutes. A GPU's
    time for a step does not depend on the values it computes with."""
    copies = params["batch_size"] // distinct(params)
    return tuple(np.concatenate([a] * copies) for a in arrays)
