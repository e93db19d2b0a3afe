"""JAX set-up for a measurement child.

JAX has no call that sets its CPU thread count: XLA sizes its CPU thread pool to the CPUs the
process may run on. So a run given fewer threads than the machine has is pinned to that many
CPUs (``sched_setaffinity``) before JAX starts, and the record says how many it may use.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from measurements.frameworks import Unavailable
from measurements.results import FrameworkBuild

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # XLA logs through the same C++ logger as TensorFlow

try:
    import jax
    import jaxlib
except ImportError as exc:  # recorded as an unavailable run, not a crash
    raise Unavailable(f"JAX is not installed: {exc}") from exc


def _pin(threads: int) -> int:
    """Pin this process to ``threads`` of the CPUs it may run on; returns how many it may use."""
    allowed = sorted(os.sched_getaffinity(0))
    if threads < len(allowed):
        os.sched_setaffinity(0, allowed[:threads])
    return len(os.sched_getaffinity(0))


def setup(threads: int, device: str) -> FrameworkBuild:
    cpus = _pin(threads)
    platform = "cpu" if device == "cpu" else "gpu"
    jax.config.update("jax_platforms", platform if device == "cpu" else "cuda,cpu")
    try:
        devices = jax.devices(platform)
    except RuntimeError as exc:
        raise Unavailable(f"this JAX build sees no {device} device ({exc})") from None
    if device == "cuda":  # float32 means float32, as for the others: no TF32 in matrix products or convolutions
        jax.config.update("jax_default_matmul_precision", "highest")
    build: dict[str, object] = {
        "jaxlib": jaxlib.__version__,
        "backend": jax.default_backend(),
        "device_kind": devices[0].device_kind,
        "threads": cpus,  # XLA's CPU pool: one thread per CPU the process may run on
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        # "highest" on a GPU: float32 matrix products and convolutions in full float32, no TF32
        "default_matmul_precision": jax.config.jax_default_matmul_precision,
    }
    return {"name": "jax", "version": jax.__version__, "build": build}


def first_operation(device: str) -> Any:
    """A tiny operation; import time runs until it has finished, so that it includes starting the
    backend (``jax.devices()`` in ``setup``) and dispatching a first computation."""
    return jax.numpy.ones(2) + 1


def fresh_case() -> None:
    """Forget compiled executables of the case before, as a fresh process would."""
    jax.clear_caches()


def to_numpy(value: Any) -> np.ndarray:
    return np.asarray(jax.block_until_ready(value))


def reset_device_peak(device: str) -> None:
    """XLA's GPU allocator keeps one peak for the process and has no reset: the peak read is the process's."""


def device_peak_bytes(device: str) -> int | None:
    """The GPU allocator's peak (``memory_stats``, the whole process so far); None on the CPU."""
    if device != "cuda":
        return None
    stats = jax.devices("gpu")[0].memory_stats() or {}
    peak = stats.get("peak_bytes_in_use")
    return int(peak) if peak is not None else None
