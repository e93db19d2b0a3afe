"""Claims at scale: the large workloads, the memory baseline, pipelines under a memory limit, serving
best path against best path, distributed scoped by cores, and the math libraries."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest

from generator.analyse import study_memory
from generator.judge import evidence, evidence_kinds
from generator.pages import render
from generator.read import corpus
from measurements import catalog, environment
from measurements.findings import LimitedFinding, LimitedLaunch
from measurements.profiles import PROFILES
from measurements.studies import libraries, pipeline, pipeline_limit, runner
from tests.conftest import MACHINE, golden_docs, performance_guide, write_results
from tests.test_studies import distributed_findings, study_doc, write_study


@pytest.mark.parametrize(("name", "millions"), [("resnet", 25.557032), ("encoder", 108.601354)])
def test_the_large_models_have_the_sizes_practitioners_use(name: str, millions: float) -> None:
    spec = __import__(f"measurements.workloads.{name}.spec", fromlist=["spec"])
    case = spec.cases(PROFILES["standard"], "train")[0]
    assert spec.parameter_count(case.params) / 1e6 == pytest.approx(millions, rel=1e-3)
    if name == "resnet":  # 4.1 billion multiply-adds an image at 224×224, as published for ResNet-50, which
        # counts every tap of each kernel; the count here leaves out the taps that fall on padding: 3.5% fewer
        flops = spec.forward_flops(case.params, 1)
        assert flops == pytest.approx(7.90e9, rel=1e-2)
        assert 0.95 * 8.18e9 < flops < 8.18e9
    else:  # BERT-base's encoder: 12 layers, d_model 768, sequences of 128
        assert (case.params["layers"], case.params["d_model"], case.params["seq_len"]) == (12, 768, 128)


def test_the_large_workloads_are_labelled_large_and_the_small_ones_small() -> None:
    large = {w.name for w in catalog.WORKLOADS.values() if w.scale == "large"}
    assert large == {"resnet50", "resnet50_infer", "encoder", "encoder_infer"}
    for w in catalog.WORKLOADS.values():
        if w.task in ("train", "infer"):
            assert f"({w.scale})" in w.title


def test_the_tiny_encoder_counts_its_parameters_as_its_weights_do() -> None:
    from measurements.workloads.encoder import spec
    from measurements.workloads.transformer.spec import flat_weights, parameter_count

    params = spec.cases(PROFILES["quick"], "train")[0].params
    assert parameter_count(params) == sum(int(a.size) for a in flat_weights(params))


def test_memory_is_compared_on_the_whole_process_and_split_beside_it() -> None:
    finding = {"peak_rss_bytes": 700 * 2**20, "after_import_rss_bytes": 600 * 2**20,
               "per_process": {"peak_rss_bytes": [690 * 2**20, 700 * 2**20, 710 * 2**20]}}  # fmt: skip
    assert study_memory.memory_mib(finding) == [690, 700, 710]
    assert study_memory.working_mib(finding) == [90, 100, 110]
    assert study_memory.import_mib(finding) == [600]


def test_runner_keeps_each_processs_outcome() -> None:
    merged = runner.merge_findings([[{"id": "a", "outcome": "ok"}], [{"id": "a", "outcome": "timeout", "error": "x"}]])
    assert merged[0]["outcome_per_process"] == ["ok", "timeout"]
    assert merged[0]["outcome"] == "timeout"


def launch(outcome: str, rate: float | None = None, charged: int = 2**30) -> LimitedLaunch:
    return {"outcome": outcome, "error": None if outcome == "ok" else "out of memory: killed", "wall_s": 60.0,
            "epoch_s": [30.0, 20.0] if rate else [12.0], "epoch_samples_per_s": [1000.0, rate] if rate else None,
            "peak_charged_bytes": charged, "peak_pss_bytes": charged, "oom_kills": 0 if outcome == "ok" else 1,
            "report": {"first_epoch_samples_per_s": 1000.0} if rate else {}}  # fmt: skip


def limited(config: str, title: str, launches: list[LimitedLaunch]) -> LimitedFinding:
    settings = pipeline_limit.Settings(images=100_000)
    found = pipeline_limit.base_finding(
        next(c for c in pipeline.CONFIGURATIONS if c.id == config), settings,
        cast(pipeline.Manifest, {"bytes": 285_000_000}))  # fmt: skip
    found["launches"] = launches
    return pipeline_limit.summarise(found)


def test_a_configuration_completes_under_the_limit_only_when_every_launch_does() -> None:
    ok = limited("no-cache", "tf.data, no cache", [launch("ok", 5000.0), launch("ok", 5100.0), launch("ok", 4900.0)])
    assert (ok["outcome"], ok["completed"], ok["samples_per_process"]) == (
        "ok",
        3,
        [[5000.0], [5100.0], [4900.0]],
    )
    one_oom = limited("cache", "tf.data, cache", [launch("ok", 9000.0), launch("oom"), launch("ok", 9100.0)])
    assert one_oom["outcome"] == "oom" and one_oom["completed"] == 2
    assert str(one_oom["error"]).startswith("1 of 3 launches: out of memory")
    assert "report" not in one_oom["launches"][0]


def test_a_machine_without_a_writable_memory_cgroup_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(environment, "memory_cgroup", lambda pid="self": (tmp_path / "no" / "such", 1))
    made = environment.MemoryLimit.create(2**30, "fg-test")
    assert isinstance(made, str) and "cannot make a memory cgroup" in made
    found = pipeline_limit.findings("pytorch", pipeline_limit.Settings(images=10))
    assert {f["outcome"] for f in found} == {"unavailable"} and len(found) == 3


@pytest.mark.skipif(environment.MemoryLimit.unavailable() is not None, reason="this machine cannot set a memory limit")
def test_the_kernel_ends_a_process_tree_past_its_limit() -> None:
    limit = environment.MemoryLimit.create(128 * 2**20, "fg-kill-test")
    assert not isinstance(limit, str)
    try:
        grow = "b = bytearray(512 * 2**20); b[::4096] = b'x' * len(b[::4096])"
        done = subprocess.run([sys.executable, "-c", grow], preexec_fn=limit.join, check=False)
        assert done.returncode == -9 and limit.oom_kills() == 1
    finally:
        limit.remove()


def test_claim_on_running_out_of_memory_reads_completion_under_the_limit(golden: Path, tmp_path: Path) -> None:
    results = tmp_path / "with-limit"
    shutil.copytree(golden, results)
    torch = [limited(c, t, [launch("ok", 3000.0 + i) for i in range(3)])
             for c, t in (("workers0", "x"), ("workers1", "y"), ("workers2", "z"))]  # fmt: skip
    tf = [limited("no-cache", "a", [launch("ok", 5000.0 + i) for i in range(3)]),
          limited("cache", "b", [launch("oom") for _ in range(3)])]  # fmt: skip
    write_study(results, study_doc("pipeline_limit", "pytorch", torch))
    write_study(results, study_doc("pipeline_limit", "tensorflow", tf))
    loaded = corpus.load_corpus(results)
    machine = loaded.machines[MACHINE]
    items = evidence_kinds.pipeline(
        {"evidence": "pipeline", "study": "pipeline_limit", "measure": "completion"}, machine
    )
    assert len(items) == 1 and items[0].call == "equivalent"
    assert "1.00 GiB" in items[0].what and "tf.data, cache: oom" not in items[0].detail
    out = tmp_path / "out"
    render.build(loaded, out)
    page = performance_guide(out)
    assert "## Data pipelines under a memory limit" in page
    row = next(line for line in page.splitlines() if line.startswith("| TensorFlow: tf\\.data, cache |"))
    assert "| 0 of 3 |" in row and "**out of memory**" in row


def test_distributed_claim_is_not_testable_below_the_cores_it_needs(golden: Path, tmp_path: Path) -> None:
    two_cores = [{**doc, "machine": {**doc["machine"], "cpu_count": 2, "cpus_available": 2}} for doc in golden_docs()]
    results = write_results(tmp_path / "two-cores", two_cores)  # one machine folder has one fingerprint
    for fw in ("pytorch", "tensorflow"):
        doc = study_doc("distributed", fw, distributed_findings([500.0 + d for d in (-2, 0, 2)] * 4))
        doc["machine"] |= {"cpu_count": 2, "cpus_available": 2}
        write_study(results, doc)
    loaded = corpus.load_corpus(results)
    machine = loaded.machines[MACHINE]
    found = [evidence_kinds.distributed({"evidence": "distributed"}, machine)]
    assert evidence.verdict(found, "tensorflow") == "not testable here"
    assert "needs at least 4" in found[0][0].detail
    out = tmp_path / "out"
    render.build(loaded, out)
    assert "Not testable on this machine" in performance_guide(out)


def serving_finding(path: str, latency_ms: float, rate: float, runtime: str = "rt") -> dict[str, Any]:
    slug = path.split(maxsplit=1)[0].lower().replace(".", "-")
    return {"id": f"{slug}-cnn", "path": path, "model": "cnn", "server_batch": 64, "outcome": "ok", "error": None,
            "runtime": runtime, "max_abs_diff": 1e-7, "parity_passed": True,
            "latency_samples_per_process": [[latency_ms * (1 + d / 100) for d in range(-5, 5)]] * 3,
            "latency_p50_ms": latency_ms, "latency_p99_ms": 2 * latency_ms,
            "samples_per_process": [[rate * (1 + d / 100) for d in range(-2, 3)]] * 3,
            "clients1_requests_per_s": 1000.0, "clients1_p50_ms": 1.0, "clients1_p99_ms": 2.0,
            "clients4_requests_per_s": 1500.0, "clients4_p50_ms": 2.0, "clients4_p99_ms": 4.0,
            "clients16_requests_per_s": 2000.0, "clients16_p50_ms": 8.0, "clients16_p99_ms": 16.0,
            "per_process": {"clients16_requests_per_s": [1990.0, 2000.0, 2010.0]}, "fresh_processes": 3}  # fmt: skip


def test_serving_compares_each_frameworks_fastest_path_and_names_both(golden: Path, tmp_path: Path) -> None:
    results = tmp_path / "with-serving"
    shutil.copytree(golden, results)
    write_study(
        results,
        study_doc(
            "serving",
            "pytorch",
            [serving_finding("AOTInductor package", 0.3, 9000.0, "torch 2.13.0 (aoti)"),
             serving_finding("torch.export", 1.6, 3000.0, "torch 2.13.0 (export)"),
             serving_finding("ONNX Runtime (torch.onnx.export)", 0.1, 20000.0, "onnxruntime 1.31.1")],
        ),
    )  # fmt: skip
    write_study(
        results,
        study_doc(
            "serving", "tensorflow", [serving_finding("SavedModel", 1.2, 4000.0, "tensorflow 2.21.0 (saved_model)")]
        ),
    )
    loaded = corpus.load_corpus(results)
    machine = loaded.machines[MACHINE]
    (item,) = evidence_kinds.serving({"evidence": "serving", "measure": "latency"}, machine)
    assert item.winner == "pytorch"
    # the native paths only: ONNX Runtime, a shared runtime, is faster still and is no framework's win
    assert "(AOTInductor package)" in item.figures and "(SavedModel)" in item.figures and "ONNX" not in item.figures
    (tie,) = evidence_kinds.serving({"evidence": "serving", "measure": "clients"}, machine)
    assert tie.winner is None
    out = tmp_path / "out"
    render.build(loaded, out)
    page = performance_guide(out)
    assert "## Serving from a saved model" in page
    assert "| PyTorch: AOTInductor package | torch 2\\.13\\.0 \\(aoti\\) |" in page


def test_the_peak_rests_on_the_microarchitecture_and_the_reported_clock() -> None:
    zen4 = {"vendor_id": "AuthenticAMD", "cpu family": "25", "model": "17", "cpu MHz": "2596.144",
            "flags": "fma avx avx2 avx512f"}  # fmt: skip
    found = libraries.peak(zen4, 2)
    assert found["microarchitecture"] == "Zen 4" and found["flops_per_cycle"] == 32
    assert found["source"] == "https://stackoverflow.com/questions/76195232"
    assert found["gflops"] == pytest.approx(2 * 32 * 2.596144)
    unknown = libraries.peak({**zen4, "cpu family": "6", "vendor_id": "GenuineIntel"}, 2)
    assert unknown["gflops"] is None and "not in the study's table" in unknown["why"]


def test_the_kernels_are_read_from_onednns_log() -> None:
    log = (
        "onednn_verbose,v1,primitive,exec,cpu,convolution,brg_conv_fwd:avx512_core,forward_training,src:f32\n"
        "onednn_verbose,v1,primitive,exec,cpu,gemm_api,,undef,src_f32\n"
        "onednn_verbose,v1,primitive,exec,cpu,convolution,brg_conv_fwd:avx512_core,forward_training,src:f32\n"
    )
    assert libraries.kernels(log) == [
        {"primitive": "convolution", "implementation": "brg_conv_fwd:avx512_core"},
        {"primitive": "gemm_api", "implementation": ""},
    ]
