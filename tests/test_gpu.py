"""The gpu profile, prepared here for a GPU machine: its plan, its dry run on the CPU (the same
command, tiny sizes, one process each), the repeated batches its parity rests on, and the
script that runs it there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from generator.judge import decide, questionnaire, ruling, usecases
from generator.read import corpus
from measurements import catalog, harness, worker, workloads
from measurements.frameworks import REGISTRY, WHY_ENV, why_here, with_why
from measurements.profiles import GPU_PLAN, PROFILES
from measurements.results import result_path
from measurements.workloads.mlp import spec as mlp
from measurements.workloads.resnet import spec as resnet
from tests.conftest import ROOT, make_result, measured

GPU, DRY = PROFILES["gpu"], PROFILES["gpu-dry-run"]


def test_the_gpu_profile_plans_pytorch_and_jax_on_the_gpu_in_three_processes() -> None:
    runs = harness.plan(["cpu"], profile=GPU)  # on the GPU whatever this machine has
    assert {r.device for r in runs} == {"cuda"}
    assert GPU.rounds >= 3
    for workload in GPU_PLAN:
        planned = {(r.framework, r.mode) for r in runs if r.workload == workload}
        assert {("pytorch", "eager"), ("jax", "jit")} <= planned, workload
    assert {"resnet50/pytorch/bf16/cuda", "resnet50/jax/bf16/cuda", "encoder_infer/pytorch/compile/cuda"} <= {
        r.key for r in runs
    }
    assert ("resnet50", 64) in {(w, c.params["batch_size"]) for w in ("resnet50",)
                                for c in resnet.cases(GPU, "train")}  # fmt: skip
    # bf16 is a labelled mode on a GPU only: the CPU profiles never plan it
    assert not [r for r in harness.plan(["cpu"], profile=PROFILES["standard"]) if r.mode == "bf16"]
    assert REGISTRY["pytorch"].variants["bf16"] == "eager" and REGISTRY["jax"].variants["bf16"] == "jit"


def test_its_dry_run_plans_the_same_runs_on_the_cpu() -> None:
    gpu = [(r.workload, r.framework, r.mode, r.control) for r in harness.plan(["cpu", "cuda"], profile=GPU)]
    dry = [(r.workload, r.framework, r.mode, r.control) for r in harness.plan(["cpu", "cuda"], profile=DRY)]
    assert gpu == dry  # the A/A control too
    assert {r.device for r in harness.plan(["cpu", "cuda"], profile=GPU)} == {"cuda"}
    assert {r.device for r in harness.plan(["cpu", "cuda"], profile=DRY)} == {"cpu"}
    assert DRY.size == "tiny" and DRY.rounds == 1


def test_without_a_gpu_the_profile_is_refused_with_the_dry_run_named() -> None:
    done = subprocess.run(check=False, args=[sys.executable, "-m", "measurements", "run", "--profile", "gpu"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1
    assert "--dry-run" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_repeated_batch_has_the_loss_of_its_distinct_examples() -> None:
    (case,) = mlp.cases(DRY, "train")
    params = case.params
    assert params["distinct"] == 2 and params["batch_size"] % 2 == 0
    x, y = mlp.batch(params)
    assert len(x) == params["batch_size"]
    assert np.array_equal(x[:2], x[2:4]) and np.array_equal(y[:2], y[-2:])
    flat = mlp.flat_weights(params)
    whole = mlp.loss_reference(params, flat, x, y)
    assert whole == pytest.approx(mlp.loss_reference(params, flat, x[:2], y[:2]), rel=1e-12)


def test_references_are_kept_for_the_other_processes_of_a_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(worker.REFERENCES_ENV, str(tmp_path))
    calls: list[float] = []

    def compute(value: float) -> float:
        calls.append(value)
        return value

    case: workloads.Sizes = {"batch_size": 4, "dtype": "float32", "seed": 0}
    assert worker.references(mlp, case)("loss", lambda: compute(2.5)) == 2.5
    again = worker.references(mlp, case)  # another process of the same case
    assert again("loss", lambda: compute(9.0)) == 2.5
    assert worker.references(mlp, {**case, "batch_size": 8})("loss", lambda: compute(7.0)) == 7.0  # another case
    assert calls == [2.5, 7.0]


@pytest.mark.slow  # PyTorch and JAX children; the fast tests' one real pipeline is in test_site.py
def test_the_dry_run_measures_with_parity_into_a_folder_of_its_own(tmp_path: Path) -> None:
    """Two of the planned runs, end to end (the whole dry run is the slow test below)."""
    command = [sys.executable, "-m", "measurements", "run", "--profile", "gpu", "--dry-run", "--results",
               str(tmp_path), "--only", "mlp_infer/pytorch/eager/*", "--only", "mlp_infer/jax/jit/*"]  # fmt: skip
    done = subprocess.run(check=False, args=command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    found = [json.loads(p.read_text()) for p in tmp_path.glob("*/*.json")]
    assert sorted((d["run"]["framework"], d["run"]["device"], d["run"]["profile"]) for d in found) == [
        ("jax", "cpu", "gpu-dry-run"), ("pytorch", "cpu", "gpu-dry-run"),
    ]  # fmt: skip
    for doc in found:
        assert doc["outcome"]["status"] == "ok"
        assert all(m["parity"]["passed"] for m in doc["measurements"])
        assert {m["params"].get("distinct") for m in doc["measurements"]} == {None, 2}  # batch 1, then repeated


@pytest.mark.slow
def test_the_whole_dry_run_passes(tmp_path: Path) -> None:
    """The command the GPU machine runs, on this CPU at tiny sizes: every planned run ok, parity
    passed in each (bf16 too); TensorFlow where it is installed."""
    command = [sys.executable, "-m", "measurements", "run", "--profile", "gpu", "--dry-run", "--results", str(tmp_path)]
    done = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    found = [json.loads(p.read_text()) for p in tmp_path.glob("*/*.json")]
    assert len(found) == len(harness.plan(["cpu"], profile=DRY))
    assert all(d["outcome"]["status"] in ("ok", "unavailable") for d in found)
    assert {d["run"]["mode"] for d in found if d["outcome"]["status"] == "ok"} >= {"eager", "jit", "bf16", "compile"}


def test_every_planned_workload_has_gpu_sizes() -> None:
    for name in GPU_PLAN:
        w = catalog.workload(name)
        spec = __import__(f"{w.module}.spec", fromlist=["cases"])
        assert spec.cases(GPU, w.task), name


GPU_MACHINE = "test-cpu-16cpu-test-gpu"
NOTE = "its CUDA build can't be installed on the GPU machine"


def on_the_gpu(doc: dict[str, Any]) -> dict[str, Any]:
    doc["run"]["device"] = "cuda"
    doc["machine"].update(id=GPU_MACHINE, cpu_count=16, cpus_available=16,
                          gpus=[{"name": "Test GPU", "driver": "1", "memory_bytes": 80 * 2**30}])  # fmt: skip
    return doc


def gpu_results(folder: Path, jax_speed_up: float) -> Path:
    """A synthetic GPU machine's results (tests only, never results/): PyTorch eager and jax.jit on
    the GPU, JAX ``jax_speed_up`` times PyTorch's training speed and as fast at inference; TensorFlow
    recorded as unavailable, with the note the GPU machine's script leaves."""
    unavailable = with_why("tensorflow", "TensorFlow is not installed: No module named 'tensorflow'")
    docs = []
    for w in ("mlp", "cnn", "transformer", "mlp_infer"):
        latency = w == "mlp_infer"
        speed, step = (0.4, 0.001) if latency else (2000.0, 1.0)
        docs += [
            on_the_gpu(measured(w, "pytorch", "eager", speed, step)),
            on_the_gpu(measured(w, "jax", "jit", speed if latency else speed * jax_speed_up, step)),
            on_the_gpu(make_result(w, "tensorflow", "function", status="unavailable", error=unavailable)),
        ]
    for doc in docs:
        run = doc["run"]
        version = doc["software"]["framework"]["version"]
        path = result_path(folder, GPU_MACHINE, run["workload"], run["framework"], version, run["mode"], "cuda")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))
    return folder


def test_decide_compares_pytorch_and_jax_on_a_gpu_and_says_why_tensorflow_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WHY_ENV, f"tensorflow={NOTE}")
    found = corpus.load_corpus(gpu_results(tmp_path / "results", jax_speed_up=2.0))
    assert found.problems == []
    known = usecases.load_rules()
    machines = decide.Machines(known, found.machines, found.reference())
    machine = machines.for_hardware("gpu")
    assert machine is not None and machine.unmeasured("gpu") == {"tensorflow": NOTE}
    training = questionnaire.answer({"hardware": "gpu", "priority": "training-speed"}, known, machines)
    assert training.ring != ruling.NOT_MEASURED_HERE
    assert [p.pair for p in training.verdict.pairs] == [("pytorch", "jax")]
    assert training.verdict.contenders == ["jax"] and list(training.verdict.ruled_out) == ["pytorch"]
    assert training.verdict.why.endswith(f"TensorFlow was not measured on a GPU here: {NOTE}")
    use_case = machines.verdict(next(u for u in known.use_cases if u.id == "gpu-training"), decide.Scope("gpu"))
    assert f"TensorFlow was not measured on a GPU here: {NOTE}" in use_case.verdict.why
    # where they are as fast, neither is ruled out
    even = corpus.load_corpus(gpu_results(tmp_path / "even", jax_speed_up=1.0))
    again = decide.Machines(known, even.machines, even.reference())
    assert questionnaire.answer({"hardware": "gpu", "priority": "training-speed"}, known, again).verdict.ruled_out == {}


def test_why_a_framework_is_missing_travels_in_its_results(monkeypatch: pytest.MonkeyPatch) -> None:
    assert with_why("tensorflow", "not installed") == "not installed"
    monkeypatch.setenv(WHY_ENV, f"tensorflow={NOTE}; jax=another reason")
    error = with_why("tensorflow", "TensorFlow is not installed: No module named 'tensorflow'")
    assert error.splitlines()[0].startswith("TensorFlow is not installed") and why_here(error) == NOTE
    assert why_here("TensorFlow is not installed") is None


@pytest.mark.slow  # starts a JAX child
def test_the_gpu_machines_script_runs_here_as_a_dry_run(tmp_path: Path) -> None:
    """measurements/gpu/run.sh, the one command for the GPU machine, on this CPU: it measures, writes
    the log and packs the results into one file under $OUT, as the device returns them."""
    env = {**os.environ, "OUT": str(tmp_path), "PYTHON": sys.executable}
    command = ["bash", "measurements/gpu/run.sh", "--dry-run", "--only", "mlp_infer/jax/jit/*"]
    done = subprocess.run(command, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.tar.gz", "run.log"]
    with tarfile.open(tmp_path / "results.tar.gz") as packed:
        names = [n for n in packed.getnames() if n.endswith(".json")]
        (doc,) = [json.load(packed.extractfile(n)) for n in names]  # type: ignore[arg-type]
    assert doc["run"]["profile"] == "gpu-dry-run" and doc["outcome"]["status"] == "ok"
    assert "== the gpu profile" in (tmp_path / "run.log").read_text()


def sixteen_core_study(framework: str, speed: float) -> dict[str, Any]:
    """The distributed study's 16-core layout as the GPU machine would record it: five launches."""

    def config(id_: str, title: str, processes: int, median: float) -> dict[str, Any]:
        return {"id": id_, "title": title, "processes": processes, "threads_per_process": 16 // processes,
                "global_batch": 1024, "outcome": "ok", "error": None, "setup_s": 3.0,
                "samples": [median * j + d for j in (0.99, 1.0, 1.01, 0.995, 1.005) for d in (-2, -1, 1, 2)],
                "samples_per_round": [4] * 5, "parity": None}  # fmt: skip

    findings = [
        config("single-16-threads", "One process, 16 threads", 1, speed * 0.8),
        config("four-processes", "Four data-parallel processes, 4 threads each", 4, speed),
        {"id": "scaling", "efficiency": {}},
    ]
    return {
        "schema_version": 1, "study": "distributed", "framework": framework,
        "run": {"started_at": "2026-12-07T22:00:00+00:00", "wall_s": 60.0, "command": "python -m measurements run"},
        "machine": {"id": GPU_MACHINE, "cpu_model": "Test CPU", "cpu_count": 16, "cpus_available": 16,
                    "memory_bytes": 128 * 2**30, "gpus": [], "os": "Linux 6.1", "arch": "x86_64"},
        "software": {"python": "CPython 3.12.3", "framework": {"name": framework, "version": "1.0"}},
        "outcome": {"status": "ok", "error": None, "exit_code": 0},
        "findings": findings,
    }  # fmt: skip


def test_multi_process_answers_compare_pytorch_and_jax_from_the_16_core_study(tmp_path: Path) -> None:
    folder = tmp_path / "results" / GPU_MACHINE / "studies"
    folder.mkdir(parents=True)
    for framework, speed in (("pytorch", 3000.0), ("jax", 1500.0)):
        (folder / f"distributed.{framework}-1.0.json").write_text(json.dumps(sixteen_core_study(framework, speed)))
    found = corpus.load_corpus(tmp_path / "results")
    assert found.problems == []
    known = usecases.load_rules()
    machines = decide.Machines(known, found.machines, found.reference())
    a = questionnaire.answer({"hardware": "several"}, known, machines)
    assert a.ring != ruling.NOT_MEASURED_HERE, a.verdict.why
    assert [p.pair for p in a.verdict.pairs] == [("pytorch", "jax")]
    assert list(a.verdict.ruled_out) == ["jax"], a.verdict.why
