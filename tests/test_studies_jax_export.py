"""JAX's paths in the export and serving studies. Fast tests import no framework; the slow ones export the
MLP with jax.export and through jax2tf's SavedModel for real, in fresh processes, with parity checked, and
serve the CNN saved with jax.export."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from measurements.results import ROOT
from measurements.studies import export, registry, runner, serving

ID_PATTERN = re.compile(json.loads((ROOT / "measurements" / "study.schema.json").read_text())
                        ["properties"]["findings"]["items"]["properties"]["id"]["pattern"])  # fmt: skip


def test_jax_is_one_of_the_export_studys_frameworks_and_the_default_is_unchanged() -> None:
    assert registry()["export"].frameworks == ("pytorch", "tensorflow", "jax")
    assert "study/export/jax" in [r.key for r in runner.plan(["study/export/*"])]
    assert "JAX" in registry()["export"].description and "jax2tf" in registry()["export"].description


def test_every_jax_path_has_a_converter_a_loader_and_a_valid_id() -> None:
    paths = export.paths_of("jax")
    assert [p.key for p in paths] == ["jax-export", "savedmodel", "tflite", "onnx"]
    ids = [f"{p.key}-{m}" for p in paths for m in export.MODELS]
    assert len(set(ids)) == len(ids) == 8 and all(ID_PATTERN.fullmatch(i) for i in ids)
    for path in paths:
        assert export.steps("jax").CONVERTERS[path.key] is not export.steps("tensorflow").CONVERTERS.get(path.key)
        assert path.key in export.steps("jax").LOADERS
    # the ONNX paths share an id across frameworks, their titles differ
    assert len({export.get_path(fw, "onnx").title for fw in ("pytorch", "tensorflow", "jax")}) == 3
    with pytest.raises(ValueError, match="known: jax-export, savedmodel, tflite, onnx"):
        export.get_path("jax", "aoti")


def test_jax_inputs_are_nhwc_as_the_spec_makes_them() -> None:
    cnn, mlp = export.case_params("cnn"), export.case_params("mlp")
    assert export.input_shape("jax", cnn) == (1, 32, 32, 3) and export.input_shape("jax", mlp) == (1, 784)


def test_a_tool_that_is_a_framework_is_recorded_and_required_under_its_installed_distribution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    versions = {"jax": "0.10.2", "tensorflow-cpu": "2.21.0", "tf2onnx": "1.17.0"}
    monkeypatch.setattr(export, "distribution_version", versions.get)
    path = export.get_path("jax", "onnx")
    assert export.tool_versions(path) == {"jax": "0.10.2", "tensorflow-cpu": "2.21.0", "tf2onnx": "1.17.0",
                                          "onnx": None, "onnxruntime": None}  # fmt: skip
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "tensorflow" else real(name))
    problem = export.missing_tool(path)
    assert problem == "TensorFlow is not installed in this environment (the path needs it beside JAX)"
    found = export.study_one(path, "mlp", Path("/nonexistent"))  # stops before making anything
    assert found["stage"] == "install" and not found["success"] and found["error"] == problem
    assert export.missing_tool(export.get_path("jax", "jax-export")) is None  # JAX alone


def check_mlp(found: Mapping[str, object]) -> None:
    assert found["success"], found["error"]
    assert found["parity_passed"] and isinstance(found["max_abs_diff"], float) and found["max_abs_diff"] < 1e-4
    weights = (784 * 512 + 512 * 512 + 512 * 10) * 4  # held once, as constants of the serialized module
    assert isinstance(found["artifact_bytes"], int) and weights < found["artifact_bytes"] < 1.1 * weights
    assert len(found["latency_samples"]) == export.LATENCY_CALLS  # type: ignore[arg-type]
    assert found["latency_ms"] > 0 and found["convert_s"] > 0  # type: ignore[operator]
    json.dumps(found, allow_nan=False)


@pytest.mark.slow
def test_jax_export_of_the_mlp_runs_for_real(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    found = export.study_one(export.get_path("jax", "jax-export"), "mlp", tmp_path)
    check_mlp(found)
    notes = found["notes"]
    assert notes["platforms"] == ["cpu"] and notes["stablehlo_text_chars"] > 0
    assert str(found["runtime"]).startswith("jax 0.") and found["tool_versions"]["jax"]


@pytest.mark.slow
def test_jax2tf_savedmodel_of_the_mlp_is_served_by_tensorflow_for_real(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    pytest.importorskip("tensorflow")
    found = export.study_one(export.get_path("jax", "savedmodel"), "mlp", tmp_path)
    check_mlp(found)
    assert str(found["runtime"]).startswith("tensorflow ") and "XlaCallModule" in found["notes"]["tf_ops"]


def test_serving_has_jax_paths_made_and_loaded_by_the_export_studys_code() -> None:
    assert registry()["serving"].frameworks == ("pytorch", "tensorflow", "jax")
    assert "study/serving/jax" in [r.key for r in runner.plan(["study/serving/*"])]
    paths = serving.paths_of("jax")
    assert [p.key for p in paths] == ["jax-export", "savedmodel"] and all(p.export_key == p.key for p in paths)
    for path in paths:
        assert path.export_key in export.steps("jax").CONVERTERS and path.export_key in export.steps("jax").LOADERS
        assert ID_PATTERN.fullmatch(serving.finding(path)["id"])


@pytest.mark.slow
def test_serving_the_cnn_saved_with_jax_export_for_real(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    found = serving.study_one(serving.paths_of("jax")[0], tmp_path)
    assert found["outcome"] == "ok", found["error"]
    assert found["parity_passed"] and found["max_abs_diff"] is not None and found["max_abs_diff"] < 1e-4
    assert found["latency_p50_ms"] is not None and found["latency_p50_ms"] > 0
    assert len(found["latency_samples"]) == serving.LATENCY_CALLS
    assert len(found["samples"]) == serving.THROUGHPUT_SAMPLES and min(found["samples"]) > 0
    rates = [v for k, v in found.items() if k.startswith("clients") and k.endswith("_requests_per_s")]
    assert len(rates) == len(serving.CLIENTS) and all(isinstance(v, float) and v > 0 for v in rates)
    json.dumps(found, allow_nan=False)
