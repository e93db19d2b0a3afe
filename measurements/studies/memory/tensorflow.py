"""The memory study in TensorFlow (see ``measurements.studies.memory``): the model saved as a SavedModel and
loaded with ``tf.saved_model.load``. TensorFlow is imported inside the functions, in the study's processes only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from measurements.findings import MemoryReport
from measurements.studies import memory
from measurements.workloads.mlp.spec import MlpSizes

SAVED_PATH = "savedmodel"


def save(module: ModuleType, params: MlpSizes, artifact: Path) -> MemoryReport:
    return memory.saved_by_export("tensorflow", module.build_model(params), params, artifact)


def load(artifact: Path, x: np.ndarray) -> tuple[str, Callable[[], Any]]:
    import tensorflow as tf

    signature = tf.saved_model.load(str(artifact)).signatures["serving_default"]
    tensor = tf.constant(x)
    return f"tensorflow {tf.__version__} (tf.saved_model.load, serving_default)", lambda: signature(x=tensor)
