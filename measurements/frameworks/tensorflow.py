"""TensorFlow set-up for a measurement child."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from measurements.frameworks import Unavailable
from measurements.results import FrameworkBuild

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's C++ start-up chatter out of logs

try:
    import tensorflow as tf
except ImportError as exc:  # recorded as an unavailable run, not a crash
    raise Unavailable(f"TensorFlow is not installed: {exc}") from exc


def _onednn_enabled() -> bool | None:
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:
        return None
    return bool(_pywrap_util_port.IsMklEnabled())


def setup(threads: int, device: str) -> FrameworkBuild:
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    gpus = tf.config.list_physical_devices("GPU")
    if device == "cuda" and not gpus:
        raise Unavailable("this TensorFlow build sees no GPU (tensorflow-cpu has none)")
    if device == "cpu" and gpus:
        tf.config.set_visible_devices([], "GPU")
    if device == "cuda":  # float32 means float32, as for PyTorch: no TF32 on Ampere and newer
        tf.config.experimental.enable_tensor_float_32_execution(False)
    info = tf.sysconfig.get_build_info()
    build: dict[str, object] = {
        "cuda": info.get("cuda_version"),
        "cudnn": info.get("cudnn_version"),
        "onednn": _onednn_enabled(),
        "keras": tf.keras.__version__ if hasattr(tf.keras, "__version__") else None,
        "threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "interop_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }
    return {"name": "tensorflow", "version": tf.__version__, "build": build}


def first_operation(device: str) -> Any:
    """A tiny operation through Keras, as the models are built; import time runs until it has
    finished, so that it includes loading Keras (``tf.keras`` is loaded on first use)."""
    return tf.keras.layers.Dense(1, kernel_initializer="ones")(tf.ones((1, 2)))


def to_numpy(value: Any) -> np.ndarray:
    return np.asarray(value.numpy())


def compiled(function: Any, mode: str) -> Any:
    """``function`` as the mode runs it: as is (eager), under ``tf.function``, or with XLA."""
    if mode == "function":
        return tf.function(function)
    if mode == "xla":
        return tf.function(function, jit_compile=True)
    return function


def reset_device_peak(device: str) -> None:
    if device == "cuda":
        tf.config.experimental.reset_memory_stats("GPU:0")


def device_peak_bytes(device: str) -> int | None:
    """The GPU allocator's peak since the last reset, from ``get_memory_info``."""
    if device != "cuda":
        return None
    return int(tf.config.experimental.get_memory_info("GPU:0")["peak"])
