"""The memory study in PyTorch (see ``measurements.studies.memory``): the model saved with ``torch.export``
and loaded with ``torch.export.load``. PyTorch is imported inside the functions, in the study's processes only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from measurements.findings import MemoryReport
from measurements.studies import memory
from measurements.workloads.mlp.spec import MlpSizes

SAVED_PATH = "torch-export"


def save(module: ModuleType, params: MlpSizes, artifact: Path) -> MemoryReport:
    model = module.build_model(params)
    model.eval()
    return memory.saved_by_export("pytorch", model, params, artifact)


def load(artifact: Path, x: np.ndarray) -> tuple[str, Callable[[], Any]]:
    import torch

    module = torch.export.load(str(artifact / "model.pt2")).module()
    inputs = torch.from_numpy(x)

    def call() -> Any:
        with torch.inference_mode():
            return module(inputs)

    return f"torch {torch.__version__} (torch.export.load, .module())", call
