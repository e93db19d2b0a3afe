"""NumPy set-up for a measurement child (used for the machine's matrix-multiply ceiling)."""

from __future__ import annotations

from typing import Any

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from measurements.frameworks import Unavailable
from measurements.results import FrameworkBuild


def setup(threads: int, device: str) -> FrameworkBuild:
    if device != "cpu":
        raise Unavailable("NumPy runs on the CPU only")
    threadpool_limits(threads)
    blas = [
        f"{pool.get('internal_api')} {pool.get('version')} ({pool.get('architecture')} kernels)"
        for pool in threadpool_info()
        if pool.get("user_api") == "blas"
    ]
    return {"name": "numpy", "version": np.__version__, "build": {"blas": ", ".join(blas), "threads": threads}}


def first_operation(device: str) -> Any:
    """A tiny operation; import time runs until it has finished."""
    return np.ones(2, dtype=np.float32) + 1


def to_numpy(value: Any) -> np.ndarray:
    return np.asarray(value)


def reset_device_peak(device: str) -> None:
    """NumPy runs on the CPU only: nothing to reset."""


def device_peak_bytes(device: str) -> int | None:
    return None
