"""The harness for real: child processes, both frameworks, the quick profile, and faults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator import load
from measurements import UserError, harness, workloads
from measurements.__main__ import main as measurements_main
from measurements.profiles import PROFILES


def test_plan_covers_every_registered_mode() -> None:
    keys = [r.key for r in harness.plan(["cpu"])]
    assert keys == [
        "mlp/pytorch/eager/cpu", "mlp/pytorch/compile/cpu",
        "mlp/tensorflow/eager/cpu", "mlp/tensorflow/function/cpu", "mlp/tensorflow/xla/cpu",
        "matmul/numpy/default/cpu", "matmul/pytorch/eager/cpu", "matmul/tensorflow/eager/cpu",
    ]  # fmt: skip


def test_only_globs_filter_the_plan() -> None:
    assert [r.key for r in harness.plan(["cpu"], ["mlp/tensorflow/*"])] == [
        "mlp/tensorflow/eager/cpu", "mlp/tensorflow/function/cpu", "mlp/tensorflow/xla/cpu",
    ]  # fmt: skip
    assert len(harness.plan(["cpu", "cuda"], ["*/pytorch/eager/*"])) == 4


def test_a_glob_matching_nothing_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UserError, match="matches no run; runs are named workload/framework/mode/device"):
        harness.plan(["cpu"], ["resnet/*"])
    assert measurements_main(["list", "--only", "resnet/*"]) == 1
    assert capsys.readouterr().err.startswith("error: --only resnet/* matches no run")


def test_registry_refuses_duplicates_and_names_known_workloads() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        workloads.register(workloads.REGISTRY["mlp"])
    with pytest.raises(workloads.UnknownName, match="known workloads: matmul, mlp"):
        workloads.get("resnet")


@pytest.mark.slow
def test_quick_profile_measures_both_frameworks(quick_results: Path) -> None:
    files = load.result_files(quick_results)
    assert len(files) == len(harness.plan(["cpu"]))
    loaded = load.load_results(files)
    assert loaded.problems == []
    for path, doc in loaded.results:
        assert doc["outcome"]["status"] == "ok", (path, doc["outcome"]["error"])
        assert doc["settings"]["threads"] >= 1
        assert doc["memory"]["peak_rss_bytes"] >= doc["memory"]["after_import_rss_bytes"] > 0
        framework = doc["software"]["framework"]
        assert framework["name"] == doc["run"]["framework"] and framework["version"]
        for m in doc["measurements"]:
            assert m["parity"]["passed"], (path, m["parity"])
            assert len(m["samples"]) == PROFILES["quick"].samples
            assert all(s > 0 for s in m["samples"])
    builds = {doc["run"]["framework"]: doc["software"]["framework"]["build"] for _, doc in loaded.results}
    assert builds["tensorflow"]["threads"] == builds["pytorch"]["threads"]


@pytest.mark.slow
def test_a_failing_child_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    runs = [harness.Run("mlp", "pytorch", "no-such-mode", "cpu"), harness.Run("matmul", "numpy", "default", "cpu")]
    results = harness.run_all(runs, PROFILES["quick"], tmp_path)
    assert [r["outcome"]["status"] for r in results] == ["failed", "ok"]
    assert "ValueError: mlp has no mode 'no-such-mode' for pytorch" in results[0]["outcome"]["error"]
    written = json.loads(next(tmp_path.glob("*/mlp.pytorch.no-such-mode.cpu.json")).read_text())
    assert written["outcome"]["status"] == "failed"


@pytest.mark.slow
def test_a_hanging_child_is_killed_and_recorded_as_timeout(tmp_path: Path) -> None:
    run = harness.Run("mlp", "tensorflow", "eager", "cpu")  # importing TensorFlow alone takes longer
    (result,) = harness.run_all([run], PROFILES["quick"], tmp_path, timeout_s=0.5)
    assert result["outcome"]["status"] == "timeout"
    assert result["outcome"]["error"].startswith("no result after 0 s; killed.")
    _, problems = load.check_file(next(tmp_path.glob("*/*.json")))
    assert problems == []
