"""Parity before timing: the gradient check, Adam's first step in each framework's formula,
the parity record's schema, and the worker checking every timed mode of the MLP."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import cast

import jsonschema
import numpy as np
import pytest

from measurements import catalog, workloads
from measurements.frameworks import REGISTRY
from measurements.launch import launch
from measurements.results import Reported
from measurements.workloads import shared
from measurements.workloads.mlp import spec as mlp
from tests.conftest import ROOT

TINY: mlp.MlpSizes = {"layers": [16, 12, 12, 4], "batch_size": 8, "dtype": "float32", "seed": 0, "task": "train"}


def _mlp_check(gradients: list[np.ndarray]) -> shared.Directional:
    x, y = mlp.batch(TINY)
    w = mlp.flat_weights(TINY)
    return shared.directional_check(lambda flat: mlp.loss_reference(TINY, flat, x, y), w, gradients,
                                    shared.TOLERANCES["float32"].directional_rtol)  # fmt: skip


def test_the_exact_mlp_gradient_passes_the_directional_check() -> None:
    x, y = mlp.batch(TINY)
    exact = mlp.gradient_reference(TINY, mlp.flat_weights(TINY), x, y)
    found = _mlp_check(exact)
    assert found.passed and found.max_rel_diff < 1e-6, found
    # float32 rounding of a right gradient passes as well
    assert _mlp_check([g.astype(np.float32) for g in exact]).passed


@pytest.mark.parametrize("tensor", [0, 1, 5])  # a kernel, a bias, the last bias
def test_a_wrong_gradient_fails_the_directional_check(tensor: int) -> None:
    """Each tensor has an equal share of every direction, so one wrong bias is caught too."""
    x, y = mlp.batch(TINY)
    wrong = mlp.gradient_reference(TINY, mlp.flat_weights(TINY), x, y)
    wrong[tensor] = wrong[tensor] * 1.2
    found = _mlp_check(wrong)
    assert not found.passed and found.max_rel_diff > 1e-2, found


def test_adam_first_steps_follow_each_frameworks_formula() -> None:
    w0, g = np.zeros(4), np.array([1.0, -1e-3, 1e-7, 0.0])
    lr, eps = shared.LEARNING_RATE, shared.ADAM_EPS
    assert np.allclose(shared.adam_first_step_pytorch(w0, g), -lr * g / (np.abs(g) + eps), rtol=1e-12, atol=0)
    keras_eps = eps / np.sqrt(1 - shared.ADAM_BETAS[1])
    assert np.allclose(shared.adam_first_step_keras(w0, g), -lr * g / (np.abs(g) + keras_eps), rtol=1e-12, atol=0)
    # the two differ where |g| is near epsilon, and agree where it is far above
    difference = np.abs(shared.adam_first_step_pytorch(w0, g) - shared.adam_first_step_keras(w0, g))
    assert difference[2] > 1e-4 and difference[0] < 1e-9 and difference[3] == 0


def test_a_parity_record_with_checks_validates() -> None:
    schema = json.loads((ROOT / "measurements" / "result.schema.json").read_text())
    parity_schema = schema["properties"]["measurements"]["items"]["properties"]["parity"]
    check = {"what": "loss", "max_abs_diff": 1e-7, "max_rel_diff": 1e-8, "rtol": 1e-4, "atol": 1e-5, "passed": True}
    record = {"reference": "NumPy float64", "max_abs_diff": 1e-7, "rtol": 1e-4, "atol": 1e-5, "passed": True}
    jsonschema.validate(record, parity_schema)  # committed results have no checks
    jsonschema.validate({**record, "checks": [check, {**check, "informational": True}]}, parity_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**record, "checks": [{**check, "unknown": 1}]}, parity_schema)


# the modes measured on the CPU, where this test runs its worker (bf16 is measured on a GPU only: its
# parity there is the gpu profile's, tests/test_gpu.py's dry run runs it on the CPU at tiny sizes)
MLP_MODES = [
    (framework, mode)
    for framework, modes in catalog.workload("mlp").modes.items()
    for mode in modes
    if "cpu" in REGISTRY[framework].devices_of(mode)
]


@pytest.mark.slow
@pytest.mark.parametrize(("framework", "mode"), MLP_MODES)
def test_the_worker_checks_one_training_step_of_every_mlp_mode(tmp_path: Path, framework: str, mode: str) -> None:
    done = launch(
        [sys.executable, "-m", "measurements.worker", "--workload", "mlp", "--framework", framework, "--mode", mode,
         "--profile", "quick", "--threads", "1"],
        cwd=tmp_path, timeout_s=300,
    )  # fmt: skip
    assert done.report is not None, done.tail
    found = cast(Reported, done.report)  # what a worker reports
    assert found["status"] == "ok", found["error"]
    for m in found["measurements"]:
        checks = {c["what"].split(" (")[0]: c for c in m["parity"]["checks"]}
        assert {"loss", "gradients", "weights after one Adam step"} <= set(checks), checks
        assert all(c["passed"] for c in m["parity"]["checks"] if not c.get("informational")), m["parity"]
        assert m["parity"]["passed"]


def test_a_case_whose_parity_fails_is_never_timed() -> None:
    from types import SimpleNamespace

    from measurements import worker
    from measurements.frameworks import numpy as numpy_fw
    from measurements.profiles import PROFILES

    case = mlp.cases(PROFILES["quick"], "infer")[0]
    x, _ = mlp.batch(case.params)
    calls = []

    def step() -> np.ndarray:
        calls.append(1)
        return mlp.forward_reference(case.params, x) + 1e-2  # wrong by 0.01

    module = SimpleNamespace(prepare=lambda params, mode, device: workloads.Prepared(step=step, forward=lambda x: x))
    with pytest.raises(worker.ParityFailed, match=r"forward: largest difference 0\.01"):
        worker.measure_case(numpy_fw, mlp, module, case, "default", "cpu", PROFILES["quick"])  # type: ignore[arg-type]
    assert len(calls) == 1  # the first call only: no warm-up, no samples
