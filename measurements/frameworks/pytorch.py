"""PyTorch set-up for a measurement child."""

from __future__ import annotations

from typing import Any

import numpy as np

from measurements.frameworks import Unavailable
from measurements.results import FrameworkBuild

try:
    import torch
except ImportError as exc:  # recorded as an unavailable run, not a crash
    raise Unavailable(f"PyTorch is not installed: {exc}") from exc


def setup(threads: int, device: str) -> FrameworkBuild:
    torch.set_num_threads(threads)
    if torch.get_num_interop_threads() != threads:  # it can be set once only: a second setup keeps it
        torch.set_num_interop_threads(threads)
    if device == "cuda" and not torch.cuda.is_available():
        raise Unavailable("this PyTorch build sees no CUDA device")
    if device == "cuda":  # float32 means float32: no TF32 shortcuts in matrix products or convolutions
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    build: dict[str, object] = {
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "mkl": torch.backends.mkl.is_available(),
        "openmp": torch.backends.openmp.is_available(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
    }
    if device == "cuda":
        build["device_name"] = torch.cuda.get_device_name(0)
        build["tf32"] = torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32
    return {"name": "pytorch", "version": torch.__version__, "build": build}


def first_operation(device: str) -> Any:
    """A tiny operation on the device; import time runs until it has finished (on a GPU, that
    includes starting CUDA)."""
    return torch.ones(2, device=device) + 1


def fresh_case() -> None:
    """Forget what torch.compile traced for the case before: a second batch size in the same
    process would otherwise recompile with dynamic shapes (automatic dynamic) and slow that case."""
    torch._dynamo.reset()


def to_numpy(value: Any) -> np.ndarray:
    if value.is_cuda:
        torch.cuda.synchronize()
    return np.asarray(value.detach().cpu().numpy())


def reset_device_peak(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()


def device_peak_bytes(device: str) -> int | None:
    """The caching allocator's peak since the last reset (tensors only, not its cache or CUDA's context)."""
    if device != "cuda":
        return None
    torch.cuda.synchronize()
    return int(torch.cuda.max_memory_allocated())
