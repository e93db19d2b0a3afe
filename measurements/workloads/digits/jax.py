"""The digits runs in JAX: the MLP's or the CNN's own training code."""

from __future__ import annotations

import importlib

from measurements.workloads import Prepared
from measurements.workloads.digits import spec


def prepare(params: spec.DigitsSizes, mode: str, device: str) -> Prepared:
    module = importlib.import_module(f"measurements.workloads.{params['model']}.jax")
    return module.prepare(params, mode, device)  # type: ignore[no-any-return]
