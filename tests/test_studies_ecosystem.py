"""The Ecosystem studies: export paths and install footprint. Fast tests import no framework; the slow
one exports the MLP with torch.export for real."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

from measurements.findings import Served
from measurements.frameworks import Unavailable
from measurements.profiles import PROFILES
from measurements.results import ROOT
from measurements.studies import export, install, registry, runner
from measurements.workloads import Parity

ID_PATTERN = re.compile(json.loads((ROOT / "measurements" / "study.schema.json").read_text())
                        ["properties"]["findings"]["items"]["properties"]["id"]["pattern"])  # fmt: skip


def reference(expected: list[list[float]]) -> Parity:
    return Parity(inputs=(), expected=np.array(expected, dtype=np.float64), rtol=1e-4, atol=1e-4)


def test_both_studies_are_registered_and_left_out_of_the_quick_profile() -> None:
    studies = registry()
    assert studies["export"].group == studies["install"].group == "ecosystem"
    assert not studies["export"].quick and not studies["install"].quick
    assert studies["export"].timeout_s >= 1800 and studies["install"].timeout_s >= 1800
    quick = [r.key for r in runner.plan(profile=PROFILES["quick"])]
    assert not any(key.startswith(("study/export/", "study/install/")) for key in quick)
    assert [r.key for r in runner.plan(["study/export/*"])] == [
        "study/export/pytorch",
        "study/export/tensorflow",
        "study/export/jax",
    ]


def test_every_export_path_has_a_converter_and_a_loader_and_valid_ids() -> None:
    for framework in ("pytorch", "tensorflow"):
        paths = export.paths_of(framework)
        assert len(paths) == 3
        ids = [f"{p.key}-{m}" for p in paths for m in export.MODELS]
        assert len(set(ids)) == len(ids) == 6
        assert all(ID_PATTERN.fullmatch(i) for i in ids)
        for path in paths:
            assert path.key in export.steps(framework).CONVERTERS
            assert path.key in export.steps(framework).LOADERS
    # the frameworks' ONNX paths share an id, so that the guide can set them side by side
    assert export.get_path("pytorch", "onnx").title != export.get_path("tensorflow", "onnx").title
    with pytest.raises(ValueError, match="known: onnx, torch-export, aoti"):
        export.get_path("pytorch", "savedmodel")


def test_the_study_uses_each_workloads_standard_batch_1_inference_case() -> None:
    mlp, cnn = export.case_params("mlp"), export.case_params("cnn")
    assert mlp["layers"] == [784, 512, 512, 10] and mlp["batch_size"] == 1 and mlp["task"] == "infer"
    assert (cnn["side"], cnn["channels"], cnn["widths"], cnn["batch_size"]) == (32, 3, [16, 32, 64], 1)
    assert export.input_shape("pytorch", cnn) == (1, 3, 32, 32)
    assert export.input_shape("tensorflow", cnn) == (1, 32, 32, 3)
    assert export.input_shape("pytorch", mlp) == export.input_shape("tensorflow", mlp) == (1, 784)
    images = np.arange(24, dtype=np.float32).reshape(1, 2, 3, 4)
    assert export.layout("pytorch", images).shape == (1, 4, 2, 3)
    assert export.layout("pytorch", images)[0, 1, 0, 2] == images[0, 0, 2, 1]
    assert export.layout("tensorflow", images) is not None and export.layout("tensorflow", images).shape == images.shape


def test_trim_keeps_the_start_and_the_end_within_the_limit() -> None:
    assert export.trim("  short error \n") == "short error"
    long = "HEAD" + "x" * 5000 + "the real message at the end"
    cut = export.trim(long)
    assert len(cut) == export.ERROR_CHARS == 2000
    assert cut.startswith("HEAD") and cut.endswith("the real message at the end") and "[...]" in cut


def test_tree_bytes_counts_files_of_a_folder_but_not_links(tmp_path: Path) -> None:
    (tmp_path / "variables").mkdir()
    (tmp_path / "saved_model.pb").write_bytes(b"a" * 100)
    (tmp_path / "variables" / "variables.data").write_bytes(b"b" * 1000)
    (tmp_path / "link").symlink_to(tmp_path / "saved_model.pb")
    assert export.tree_bytes(tmp_path) == 1100
    assert export.tree_bytes(tmp_path / "saved_model.pb") == 100
    assert export.tree_bytes(tmp_path / "missing") == 0


def test_compare_applies_the_workloads_tolerances() -> None:
    parity = reference([[1.0, -2.0]])
    close = export.compare(np.array([[1.00005, -2.0001]], dtype=np.float32), parity)
    assert close["parity_passed"] and close["max_abs_diff"] == pytest.approx(1e-4, rel=0.05)
    far = export.compare(np.array([[1.01, -2.0]]), parity)
    assert not far["parity_passed"] and far["max_abs_diff"] == pytest.approx(0.01)
    nan = export.compare(np.array([[np.nan, -2.0]]), parity)
    assert not nan["parity_passed"] and nan["max_abs_diff"] is None  # JSON has no NaN
    shape = export.compare(np.array([1.0, -2.0]), parity)
    assert not shape["parity_passed"] and shape["parity_error"] == "output shape (2,), expected (1, 2)"


def test_time_calls_times_each_call_after_the_warm_up() -> None:
    calls: list[int] = []
    samples = export.time_calls(lambda: calls.append(1), warmup=3, calls=50)
    assert len(calls) == 53 and len(samples) == 50 and all(s >= 0 for s in samples)


def test_a_failed_stage_makes_a_complete_finding_with_the_error() -> None:
    path = export.get_path("tensorflow", "tflite")
    found = export.failed(export.finding(path, "cnn"), "convert", "ConverterError: " + "z" * 3000)
    assert found["id"] == "tflite-cnn" and found["model"] == "cnn" and found["path"] == "TensorFlow Lite (LiteRT)"
    assert found["error"] is not None
    assert found["success"] is False and found["stage"] == "convert" and len(found["error"]) == 2000
    assert found["error"].startswith("ConverterError: ")
    assert set(found["tool_versions"]) >= {"ai-edge-litert", "keras"}
    assert found["latency_ms"] is None and found["latency_samples"] == []
    json.dumps(found, allow_nan=False)
    with pytest.raises(ValueError, match="unknown stage 'export'"):
        export.failed(found, "export", "")


def test_conclude_succeeds_only_with_parity() -> None:
    found = export.finding(export.get_path("pytorch", "aoti"), "mlp")
    served: Served = {"max_abs_diff": 0.5, "parity_passed": False, "latency_ms": 1.0, "latency_samples": [1.0]}
    bad = export.conclude(found, served, 1e-4, 1e-4)
    assert (bad["success"], bad["stage"]) == (False, "parity")
    assert "max |difference| 0.5" in str(bad["error"]) and bad["latency_ms"] == 1.0
    good = export.conclude(found, {**served, "max_abs_diff": 1e-6, "parity_passed": True}, 1e-4, 1e-4)
    assert (good["success"], good["stage"], good["error"]) == (True, None, None)


def test_a_tool_that_cannot_be_installed_is_an_install_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    path = export.get_path("tensorflow", "onnx")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "tf2onnx" else real(name))
    assert export.missing_tool(path) == (
        "tf2onnx is not installed in this environment (the `export` dependency group installs it)"
    )
    monkeypatch.setitem(export.INSTALL_FAILURES, "tf2onnx", "2026-11-27, pip install ...: ResolutionImpossible")
    found = export.study_one(path, "mlp", Path("/nonexistent"))  # stops before making anything
    assert (found["success"], found["stage"], found["error"]) == (False, "install", "2026-11-27, pip install ...: "
                                                                   "ResolutionImpossible")  # fmt: skip


def test_a_step_process_that_dies_is_reported_at_its_stage(tmp_path: Path) -> None:
    bogus = export.ExportPath("no-such-path", "pytorch", "Nothing", ())
    reported = export.launch("serve", bogus, "mlp", tmp_path, timeout_s=120)
    assert reported["ok"] is False and reported["stage"] == "load" and reported["error"] is not None
    assert reported["error"].startswith("the serve process exited with code 1 without a result during load.")
    assert "no export path 'no-such-path' for pytorch" in reported["error"]


def test_install_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    empty = {"pip": "23.2.1", "setuptools": "65.5.0"}
    full = {**empty, "torch": "2.13.0", "filelock": "3.20.0", "Jinja2": "3.1.6"}
    assert install.added(empty, full) == {"filelock": "3.20.0", "Jinja2": "3.1.6", "torch": "2.13.0"}
    log = (
        "Looking in links: /opt/wheels\nProcessing /opt/wheels/torch-2.13.0+cpu-cp311-cp311-linux.whl\n"
        "Collecting filelock\n  Using cached filelock-3.20.0-py3-none-any.whl (16 kB)\n"
        "Collecting sympy\n  Downloading sympy-1.14.0-py3-none-any.whl (6.3 MB)\n"
    )
    assert install.pip_sources(log) == {"cached": 1, "local_files": 1, "downloaded": 1}
    monkeypatch.setenv("PYTHONPATH", "/work/main")
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = install.clean_env()
    assert "PYTHONPATH" not in env and "PYTHONDONTWRITEBYTECODE" not in env and env["TF_CPP_MIN_LOG_LEVEL"] == "2"
    versions = {"tensorflow-cpu": "2.21.0"}
    monkeypatch.setattr(install, "distribution_version", versions.get)
    assert install.requirement("tensorflow") == "tensorflow-cpu==2.21.0"
    with pytest.raises(Unavailable, match="pytorch is not installed: none of torch"):
        install.requirement("pytorch")


@pytest.mark.slow
def test_torch_export_of_the_mlp_runs_for_real(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    found = export.study_one(export.get_path("pytorch", "torch-export"), "mlp", tmp_path)
    assert found["success"], found["error"]
    assert found["parity_passed"] and found["max_abs_diff"] is not None and found["max_abs_diff"] < 1e-4
    weights = (784 * 512 + 512 * 512 + 512 * 10) * 4
    assert found["artifact_bytes"] is not None and weights < found["artifact_bytes"] < 2 * weights
    assert len(found["latency_samples"]) == export.LATENCY_CALLS
    assert found["latency_ms"] is not None and found["convert_s"] is not None
    assert found["latency_ms"] > 0 and found["convert_s"] > 0
    assert str(found["runtime"]).startswith("torch 2.") and found["tool_versions"]["torch"]
    json.dumps(found, allow_nan=False)
