"""Shared test helpers: valid results documents built from given samples."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from measurements.results import SCHEMA_VERSION, Result, result_path

ROOT = Path(__file__).resolve().parents[1]
MACHINE = "test-cpu-4cpu"

ResultMaker = Callable[..., dict[str, Any]]


def make_result(
    workload: str = "mlp",
    framework: str = "pytorch",
    mode: str = "eager",
    samples: Sequence[float] = (100.0, 101.0, 99.0),
    *,
    machine_id: str = MACHINE,
    status: str = "ok",
    error: str | None = None,
    cpu_model: str = "Test CPU",
    parity_passed: bool = True,
    curve: Sequence[float] = (),
    version: str = "1.0",
    started_at: str = "2026-11-26T12:00:00+00:00",
    processes: int = 1,
) -> dict[str, Any]:
    """A complete, schema-valid result: one run with one measurement of ``samples``, split evenly
    over ``processes`` fresh processes (rounds); for the ``digits`` workload, ``curve`` is the
    test accuracy after each epoch (the last is the sample)."""
    if len(samples) % processes:
        raise ValueError(f"{len(samples)} samples do not split evenly over {processes} processes")
    metric, unit, case = {
        "matmul": ("matmul_rate", "GFLOP/s", "n=1024"),
        "mlp_infer": ("infer_latency", "ms", "784-512-512-10 batch 1"),
        "digits": ("test_accuracy", "%", "MLP 64-512-512-10"),
    }.get(workload, ("train_throughput", "samples/s", "784-512-512-10 batch 256"))
    measurement = {
        "metric": metric,
        "unit": unit,
        "case": case,
        "params": {"target": 95.0} if curve else {},
        "flops_per_unit": 1e9 if workload == "matmul" else 4_000_000.0,
        "parity": {"reference": "NumPy float64", "max_abs_diff": 1e-6, "rtol": 1e-4, "atol": 1e-4,
                   "passed": parity_passed},
    }  # fmt: skip
    each = len(samples) // processes
    readings: list[dict[str, Any]] = [{
        "samples": list(samples[i * each : (i + 1) * each]),
        "steps_per_sample": 10,
        "warmup_steps": 20,
        "prepare_s": 1.5 if mode == "compile" else 0.05,
        "first_call_s": 2.5 if mode in ("compile", "xla") else 0.05,
    } for i in range(processes)]  # fmt: skip
    if curve:
        points = [{"epoch": i + 1, "accuracy": a, "train_s": 0.5 * (i + 1)} for i, a in enumerate(curve)]
        reached = next((p["train_s"] for p in points if p["accuracy"] >= 95.0), None)
        readings = [{**readings[0], "samples": [curve[-1]], "curve": points, "time_to_target_s": reached}]
    ok = status == "ok"
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {"workload": workload, "framework": framework, "mode": mode, "device": "cpu",
                "profile": "standard", "started_at": started_at, "wall_s": 10.0},
        "machine": {"id": machine_id, "cpu_model": cpu_model, "cpu_count": 4, "cpus_available": 4,
                    "memory_bytes": 8 * 2**30, "gpus": [], "os": "Linux 6.1", "arch": "x86_64"},
        "software": {"python": "CPython 3.11.7", "numpy": "2.4.6",
                     "framework": {"name": framework, "version": version, "build": {"onednn": True}}},
        "settings": {"threads": 4, "env": {}},
        "outcome": {"status": status, "error": error, "exit_code": 0 if ok else 1},
        "measurements": [measurement] if ok else [],
        "rounds": [{"import_s": 1.0, "peak_rss_bytes": 300 * 2**20, "after_import_rss_bytes": 200 * 2**20,
                    "measurements": [reading] if ok else []} for reading in readings],
    }  # fmt: skip


def performance_guide(out: Path, page: str = "performance.md") -> str:
    """A machine's Performance guide as one text: its overview page, then each workload's page in
    the order the overview links to them."""
    overview = (out / page).read_text()
    linked = dict.fromkeys(re.findall(r"\]\((workloads/[^)]+\.md)\)", overview))
    return overview + "".join((out / link).read_text() for link in linked)


def write_results(folder: Path, docs: Sequence[dict[str, Any]]) -> Path:
    """Write documents where the harness would; returns the results folder."""
    for doc in docs:
        run = doc["run"]
        version = doc["software"]["framework"]["version"]
        path = result_path(folder, doc["machine"]["id"], run["workload"], run["framework"], version, run["mode"], "cpu")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))
    return folder


PROCESSES = 5  # fresh processes per run in the golden corpus, as the standard profile measures
JITTER = (0.99, 1.0, 1.01, 0.995, 1.005)  # each process lands a little fast or slow as a whole (σ ≈ 0.8%)


def processes(median: float, step: float = 1.0) -> list[float]:
    """Samples of ``PROCESSES`` processes around ``median``: process i's median is median × JITTER[i]
    (so the median of the process medians is ``median``), its samples ±1 and ±2 ``step`` around it."""
    return [median * m + d * step for m in JITTER for d in (-2.0, -1.0, 1.0, 2.0)]


def measured(workload: str, framework: str, mode: str, median: float, step: float = 1.0, **kw: Any) -> dict[str, Any]:
    """A result of ``PROCESSES`` processes around ``median`` (see ``processes``)."""
    return make_result(workload, framework, mode, processes(median, step), processes=PROCESSES, **kw)


def golden_docs() -> list[dict[str, Any]]:
    """A small corpus with known answers, five processes per run: PyTorch's primary mode (eager)
    is exactly twice as fast as TensorFlow's (tf.function), in training throughput and in
    inference latency alike; the other modes are secondary, a little slower than each primary."""
    return [
        measured("mlp", "pytorch", "eager", 2000),
        measured("mlp", "pytorch", "compile", 1900),
        measured("mlp", "tensorflow", "eager", 500),
        measured("mlp", "tensorflow", "function", 1000),
        measured("mlp", "tensorflow", "xla", 990),
        measured("mlp_infer", "pytorch", "eager", 0.4, 0.001),
        measured("mlp_infer", "pytorch", "compile", 0.5, 0.001),
        measured("mlp_infer", "tensorflow", "eager", 2.0, 0.001),
        measured("mlp_infer", "tensorflow", "function", 0.8, 0.001),
        measured("mlp_infer", "tensorflow", "xla", 1.0, 0.001),
        measured("matmul", "numpy", "default", 80),
        measured("matmul", "pytorch", "eager", 100),
        measured("matmul", "tensorflow", "eager", 90),
    ]


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    return write_results(tmp_path / "results", golden_docs())


def measure_quick(folder: Path, only: Sequence[str] = ()) -> Path:
    """Measure for real, in child processes, as ``python -m measurements run --profile quick`` does:
    the timing runs and studies it plans, or those ``only`` names. Returns ``folder``."""
    from measurements.__main__ import main

    assert main(["run", "--profile", "quick", "--results", str(folder), *(f"--only={g}" for g in only)]) == 0
    return folder


@pytest.fixture(scope="session")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every run and study the quick profile plans, measured for real (every registered framework);
    about seven minutes on 2 cores, so only slow tests use it."""
    return measure_quick(tmp_path_factory.mktemp("quick") / "results")


@pytest.fixture(scope="session")
def pipeline_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fast tests' one real measurement: the MLP's training in each compared framework's
    primary mode and the code-size study, with the quick profile (about half a minute on 2 cores)."""
    from measurements.frameworks import COMPARED, REGISTRY

    only = [f"mlp/{f}/{REGISTRY[f].default_mode}/cpu" for f in COMPARED] + ["study/codesize/*"]
    return measure_quick(tmp_path_factory.mktemp("pipeline") / "results", only)


def check_measured(results: Path) -> list[Result]:
    """Every result under ``results`` is valid, ok and passed parity, with positive samples and
    memory read; returns the documents."""
    from generator.read import load

    loaded = load.load_results(load.result_files(results))
    assert loaded.problems == []
    for path, doc in loaded.results:
        assert doc["outcome"]["status"] == "ok", (path, doc["outcome"]["error"])
        assert doc["settings"]["threads"] >= 1
        framework = doc["software"]["framework"]
        assert framework["name"] == doc["run"]["framework"] and framework["version"]
        for m in doc["measurements"]:
            assert m["parity"]["passed"], (path, m["parity"])
        for one in doc["rounds"]:
            peak, after_import = one["peak_rss_bytes"], one["after_import_rss_bytes"]
            assert peak is not None and after_import is not None and peak >= after_import > 0
            for reading in one["measurements"]:
                assert reading.get("device_peak_bytes") is None  # read on a GPU only
                assert 0 < reading.get("prepare_s", 0) < 60
                assert all(s > 0 for s in reading["samples"])
    return [doc for _, doc in loaded.results]
