"""The memory study in JAX (see ``measurements.studies.memory``): the model exported with ``jax.export`` and
called after ``jax.export.deserialize``. JAX is imported inside the functions, in the study's processes only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from measurements.findings import MemoryReport
from measurements.studies import export
from measurements.workloads.mlp import spec

SAVED_PATH = "jax-export"
ARTIFACT = "model.jax_exported"  # jax.export's serialized bytes


def save(module: ModuleType, params: spec.MlpSizes, artifact: Path) -> MemoryReport:
    """The workload's own ``apply`` at inference, under ``jax.jit``, its weights (the shared NumPy weights, as
    ``prepare`` takes them) closed over, exported for the batch's shape and serialized."""
    import jax
    import jax.numpy as jnp

    weights = [jnp.asarray(a) for a in spec.flat_weights(params)]
    x, _ = spec.batch(params)
    predict = jax.jit(lambda inputs: module.apply(weights, (), inputs, False)[0])
    exported = jax.export.export(predict)(jax.ShapeDtypeStruct(x.shape, x.dtype))
    artifact.mkdir(parents=True, exist_ok=True)
    (artifact / ARTIFACT).write_bytes(exported.serialize())
    return {"artifact_bytes": export.tree_bytes(artifact), "saved_with": "jax.export.export + Exported.serialize"}


def load(artifact: Path, x: np.ndarray) -> tuple[str, Callable[[], Any]]:
    import jax

    exported = jax.export.deserialize(bytearray((artifact / ARTIFACT).read_bytes()))
    array = jax.numpy.asarray(x)
    return f"jax {jax.__version__} (jax.export.deserialize, .call)", lambda: exported.call(array)
