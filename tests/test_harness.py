"""The harness for real: child processes, every framework, the quick profile, and faults."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import cast

import pytest

from generator.read import load
from measurements import UserError, catalog, environment, harness, results
from measurements.__main__ import main as measurements_main
from measurements.frameworks import COMPARED, REGISTRY
from measurements.lock import exclusive
from measurements.profiles import PROFILES, rounds_for
from measurements.results import Reported
from measurements.studies import runner
from tests.conftest import ROOT, check_measured


def test_plan_covers_every_registered_mode() -> None:
    keys = [r.key for r in harness.plan(["cpu"])]
    expected = [
        f"{w.name}/{framework}/{mode}/cpu"
        for w in catalog.WORKLOADS.values()
        for framework, modes in w.modes.items()
        for mode in modes
        if "cpu" in REGISTRY[framework].devices_of(mode)  # bf16: on a GPU only
    ]
    assert keys == expected
    assert len(keys) == len(set(keys)) == 87
    assert "cnn/pytorch/channels_last/cpu" in keys
    assert "transformer_infer/tensorflow/xla/cpu" in keys


def test_quick_profile_measures_the_standard_workloads_in_their_primary_modes() -> None:
    quick = [r.key for r in harness.plan(["cpu"], profile=PROFILES["quick"])]
    assert "mlp/pytorch/compile/cpu" not in quick  # a cold torch.compile takes 10-30 s: the larger profiles'
    assert "transformer/tensorflow/function/cpu" in quick and "transformer/tensorflow/eager/cpu" not in quick
    assert "digits/tensorflow/function/cpu" in quick  # accuracy, which the slow tests check
    assert "mlp/pytorch/eager/cpu#aa" in quick
    assert {r.workload for r in harness.plan(["cpu"], profile=PROFILES["quick"])} == {
        *(r.workload for r in harness.plan(["cpu"], profile=PROFILES["standard"])),
        "digits",
    }
    assert len(quick) == 3 * 11 + 1  # within 3 minutes on 2 cores (README, "How long it takes")
    # runs named explicitly are measured whatever the profile
    assert [r.key for r in harness.plan(["cpu"], ["cnn/pytorch/c*"], PROFILES["quick"])] == [
        "cnn/pytorch/compile/cpu", "cnn/pytorch/channels_last/cpu",
    ]  # fmt: skip


def test_the_standard_profile_measures_what_verdicts_compare_each_framework_in_its_primary_mode() -> None:
    standard = harness.plan(["cpu"], profile=PROFILES["standard"])
    assert {r.workload for r in standard} == set(PROFILES["standard"].workloads or ())  # tests/test_budget.py
    for r in standard:  # the registry's default fast path, or the plain mode where a workload has no other
        modes = catalog.WORKLOADS[r.workload].modes[r.framework]
        assert r.mode == (REGISTRY[r.framework].default_mode if REGISTRY[r.framework].default_mode in modes
                          else modes[0]), r.key  # fmt: skip
    # one mode each, and the A/A control a second run of one of them
    assert len({(r.workload, r.framework) for r in standard}) == len([r for r in standard if not r.control])
    assert "matmul/tensorflow/eager/cpu" in [r.key for r in harness.plan(["cpu"], profile=dataclasses.replace(
        PROFILES["standard"], workloads=None))]  # an op measured op by op alone  # fmt: skip
    assert "cnn/pytorch/compile/cpu" not in [r.key for r in standard]  # the full profile's
    assert "cnn/pytorch/compile/cpu" in [r.key for r in harness.plan(["cpu"], profile=PROFILES["full"])]
    # runs named explicitly are measured whatever the profile
    assert [r.key for r in harness.plan(["cpu"], ["mlp/pytorch/compile/*"], PROFILES["standard"])] == [
        "mlp/pytorch/compile/cpu"
    ]
    # five processes a side at least, the large models' too (rule 8)
    assert all(rounds_for(PROFILES["standard"], w.task, w.scale) >= 5 for w in catalog.WORKLOADS.values()
               if w.task != "accuracy")  # fmt: skip


def test_only_globs_filter_the_plan() -> None:
    assert [r.key for r in harness.plan(["cpu"], ["mlp/tensorflow/*"])] == [
        "mlp/tensorflow/eager/cpu", "mlp/tensorflow/function/cpu", "mlp/tensorflow/xla/cpu",
    ]  # fmt: skip
    assert len(harness.plan(["cpu", "cuda"], ["*/pytorch/eager/*"])) == 28
    assert [r.key for r in harness.plan(["cpu", "cuda"], ["matmul/*"])] == [  # the registry's order
        "matmul/pytorch/eager/cpu", "matmul/pytorch/eager/cuda",
        "matmul/tensorflow/eager/cpu", "matmul/tensorflow/eager/cuda",
        "matmul/jax/eager/cpu", "matmul/jax/eager/cuda",
        "matmul/numpy/default/cpu",
    ]  # fmt: skip


def test_a_glob_matching_nothing_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UserError, match="matches no run; runs are named workload/framework/mode/device"):
        harness.plan(["cpu"], ["resnet/*"])
    assert measurements_main(["list", "--only", "resnet/*"]) == 1
    assert capsys.readouterr().err.startswith("error: --only resnet/* matches no run")


def test_registry_refuses_duplicates_and_names_known_workloads() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        catalog.register(catalog.WORKLOADS["mlp"])
    with pytest.raises(
        catalog.UnknownName,
        match="known workloads: cnn, cnn_infer, conv2d, digits, encoder, encoder_infer, gemm, matmul, mlp, mlp_infer",
    ):
        catalog.workload("resnet")


@pytest.mark.slow
def test_quick_profile_measures_every_framework(quick_results: Path) -> None:
    assert len(load.result_files(quick_results)) == len(harness.plan(["cpu"], profile=PROFILES["quick"]))
    docs = check_measured(quick_results)
    for doc in docs:
        (one,) = doc["rounds"]
        for m, reading in zip(doc["measurements"], one["measurements"], strict=True):
            timing = catalog.METRICS[m["metric"]].timing
            expected = {"latency": PROFILES["quick"].latency_samples, "curve": 1}.get(timing, PROFILES["quick"].samples)
            assert len(reading["samples"]) == expected
    accuracy = {
        (doc["run"]["framework"], m["case"]): (m, doc["rounds"][0]["measurements"][i]) for doc in docs
        for i, m in enumerate(doc["measurements"]) if m["metric"] == "test_accuracy"
    }  # fmt: skip
    assert len(accuracy) == 2 * len(COMPARED)  # the MLP and the CNN, in every compared framework
    for m, reading in accuracy.values():
        curve = reading.get("curve", [])
        assert [p["epoch"] for p in curve] == list(range(1, m["params"]["epochs"] + 1))
        assert curve[-1]["accuracy"] == reading["samples"][0]
    mlp = [reading["samples"][0] for (_, case), (_, reading) in accuracy.items() if case.startswith("MLP")]
    assert min(mlp) > 30  # well above chance (10%) after two epochs: all really train
    assert max(mlp) - min(mlp) <= 2  # the same model, the same batches: the same accuracy
    builds = {doc["run"]["framework"]: doc["software"]["framework"]["build"] for doc in docs}
    assert len({builds[fw]["threads"] for fw in COMPARED}) == 1  # every framework got the same threads


@pytest.mark.slow
def test_a_failing_child_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    runs = [harness.Run("mlp", "pytorch", "no-such-mode", "cpu"), harness.Run("matmul", "numpy", "default", "cpu")]
    results = harness.run_all(runs, PROFILES["quick"], tmp_path)
    assert [r["outcome"]["status"] for r in results] == ["failed", "ok"]
    assert "ValueError: mlp has no mode 'no-such-mode' for pytorch" in str(results[0]["outcome"]["error"])
    written = json.loads(next(tmp_path.glob("*/mlp.pytorch*.no-such-mode.cpu.json")).read_text())
    assert written["outcome"]["status"] == "failed"


@pytest.mark.slow
def test_a_hanging_child_is_killed_and_recorded_as_timeout(tmp_path: Path) -> None:
    run = harness.Run("mlp", "tensorflow", "eager", "cpu")  # importing TensorFlow alone takes longer
    (result,) = harness.run_all([run], PROFILES["quick"], tmp_path, timeout_s=0.5)
    assert result["outcome"]["status"] == "timeout"
    assert str(result["outcome"]["error"]).startswith("no result after 0.5 s; killed.")
    _, problems = results.check_file(next(tmp_path.glob("*/*.json")))
    assert problems == []


@pytest.mark.slow
def test_each_injected_fault_is_recorded_and_the_run_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    faults = {
        "matmul/numpy/default/cpu": "crash",
        "matmul/pytorch/eager/cpu": "raise",
        "matmul/tensorflow/eager/cpu": "hang",
        "mlp/pytorch/eager/cpu": "oom",
    }
    monkeypatch.setenv("FG_INJECT_FAULT", ",".join(f"{key}={fault}" for key, fault in faults.items()))
    runs = harness.plan(["cpu"], [*faults, "mlp/tensorflow/function/cpu"])
    results = harness.run_all(runs, PROFILES["quick"], tmp_path, timeout_s=30, memory_limit=800 * 2**20)
    outcomes = {"/".join(r["run"][k] for k in ("workload", "framework", "mode", "device")): r["outcome"]
                for r in results}  # fmt: skip
    assert outcomes["matmul/numpy/default/cpu"]["status"] == "crashed"
    assert "killed by SIGSEGV without a result" in str(outcomes["matmul/numpy/default/cpu"]["error"])
    assert outcomes["matmul/pytorch/eager/cpu"]["status"] == "failed"
    assert "RuntimeError: injected fault" in str(outcomes["matmul/pytorch/eager/cpu"]["error"])
    assert outcomes["matmul/tensorflow/eager/cpu"]["status"] == "timeout"
    assert outcomes["mlp/pytorch/eager/cpu"]["status"] == "oom"
    assert "more than the memory limit (800 MiB)" in str(outcomes["mlp/pytorch/eager/cpu"]["error"])
    assert outcomes["mlp/tensorflow/function/cpu"]["status"] == "ok"  # the run went on
    loaded = load.load_results(load.result_files(tmp_path))
    assert loaded.problems == [] and len(loaded.results) == 5


@pytest.mark.slow
@pytest.mark.parametrize(("shim", "expected"), [
    ("raise ImportError('libtensorflow_framework.so.2: cannot open shared object file')",
     "TensorFlow is not installed: libtensorflow_framework.so.2"),
    ("raise RuntimeError('broken install')", "tensorflow fails to import: RuntimeError: broken install"),
])  # fmt: skip
def test_a_framework_that_fails_to_import_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shim: str, expected: str
) -> None:
    fake = tmp_path / "shim" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(shim + "\n")
    monkeypatch.setenv("PYTHONPATH", str(fake.parent))
    (result,) = harness.run_all(harness.plan(["cpu"], ["matmul/tensorflow/*"]), PROFILES["quick"], tmp_path / "r")
    assert result["outcome"]["status"] == "unavailable"
    assert expected in str(result["outcome"]["error"])


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.slow
def test_kill_9_loses_nothing_and_a_rerun_resumes(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "measurements", "run", "--profile", "quick", "--only", "matmul/*",
               "--results", str(tmp_path)]  # fmt: skip
    harness_process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("*/*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the next child has started
    workers = _children(harness_process.pid)
    harness_process.send_signal(signal.SIGKILL)
    harness_process.wait()
    finished = {p: p.stat().st_mtime_ns for p in tmp_path.glob("*/*.json")}
    assert finished, "no run finished before the harness was killed"
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    for pid in workers:  # a worker dies with its harness
        for _ in range(50):
            if not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"worker {pid} outlived its harness")

    rerun = subprocess.run(command, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    # the round the kill interrupted is measured again whole, for every run of the workload
    assert rerun.stderr.count("not measured with every run of its case: measured again") == len(finished)
    ids = {json.loads(path.read_text())["rounds"][0]["id"] for path in tmp_path.glob("*/*.json")}
    assert len(ids) == 1 and all(path.stat().st_mtime_ns != mtime for path, mtime in finished.items())
    loaded = load.load_results(load.result_files(tmp_path))
    assert loaded.problems == [] and len(loaded.results) == len(harness.plan(["cpu"], ["matmul/*"]))


def test_a_second_harness_on_the_same_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "results"
    machine_id = environment.machine()["id"]
    with exclusive(folder / machine_id):
        code = measurements_main(["run", "--profile", "quick", "--only", "matmul/numpy/*", "--results", str(folder)])
    assert code == 1
    err = capsys.readouterr().err
    assert f"another measurement (pid {os.getpid()}) is writing here" in err
    assert not list(folder.glob("*/*.json"))


@pytest.mark.slow
def test_rounds_keep_each_process_and_resume_where_they_stopped(tmp_path: Path) -> None:
    one_round = PROFILES["quick"]
    runs = harness.plan(["cpu"], ["matmul/numpy/*", "matmul/pytorch/*"])
    first = harness.run_all(runs, one_round, tmp_path)
    two_rounds = dataclasses.replace(one_round, rounds=2)
    both = harness.run_all(runs, two_rounds, tmp_path)  # keeps round 1, measures round 2 only
    for before, after in zip(first, both, strict=True):
        assert len(after["rounds"]) == 2
        assert after["rounds"][0] == before["rounds"][0]  # round 1 as it was written
        assert [len(r["measurements"][0]["samples"]) for r in after["rounds"]] == [one_round.samples] * 2
    loaded = load.load_results(load.result_files(tmp_path))
    assert loaded.problems == [] and len(loaded.results) == 2


def test_a_failed_round_fails_the_whole_run() -> None:
    run = harness.Run("matmul", "numpy", "default", "cpu")
    parity = {"reference": "r", "max_abs_diff": 0.1, "rtol": 0, "atol": 0, "passed": True}
    measurement = {"metric": "m", "unit": "u", "case": "c", "params": {}, "samples": [1.0, 2.0], "steps_per_sample": 1,
                   "warmup_steps": 3, "first_call_s": 0.5, "flops_per_unit": 1.0, "parity": parity}  # fmt: skip
    ok = {"status": "ok", "import_s": 0.1, "memory": {"peak_rss_bytes": 10, "after_import_rss_bytes": 5},
          "measurements": [measurement]}  # fmt: skip
    machine = environment.machine()
    first = harness.record(run, PROFILES["quick"], 2, machine, cast(Reported, ok), 0, "t", 1.0)
    second = harness.record(run, PROFILES["quick"], 2, machine, cast(Reported, {**ok, "import_s": 0.2}), 0, "t", 1.0)
    merged = results.add_round(first, second)
    assert [r["import_s"] for r in merged["rounds"]] == [0.1, 0.2]
    assert [r["measurements"][0]["samples"] for r in merged["rounds"]] == [[1.0, 2.0], [1.0, 2.0]]  # each its own
    assert merged["measurements"] == first["measurements"]  # what is measured, once
    assert len(first["rounds"]) == 1  # not changed in place
    crashed = harness.record(
        run, PROFILES["quick"], 2, machine, {"status": "crashed", "error": "SIGSEGV"}, -11, "t", 1.0
    )
    assert results.add_round(merged, crashed)["outcome"]["status"] == "crashed"


@pytest.mark.slow
def test_two_harnesses_at_once_never_interleave(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "measurements", "run", "--profile", "quick", "--only", "matmul/numpy/*",
               "--results", str(tmp_path), "--timeout", "4"]  # fmt: skip
    env = {**os.environ, "FG_INJECT_FAULT": "matmul/numpy/*=hang"}  # the first holds the folder for 4 s
    harnesses = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    errors = sorted(p.communicate()[1] for p in harnesses)
    refused = [e for e in errors if "is writing here" in e]
    assert len(refused) == 1, errors
    assert refused[0].startswith(f"error: {tmp_path / environment.machine()['id']}: another measurement (pid ")
    loaded = load.load_results(load.result_files(tmp_path))
    assert loaded.problems == []
    assert [doc["outcome"]["status"] for _, doc in loaded.results] == ["timeout"]


@pytest.mark.slow
def test_the_gpu_path_measures_and_reads_the_allocator_peak(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")  # here, not at collection: importing it costs every test run seconds
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    runs = harness.plan(["cpu", "cuda"], ["mlp/pytorch/eager/cuda", "mlp_infer/pytorch/eager/cuda"])
    results = harness.run_all(runs, PROFILES["quick"], tmp_path)
    for result in results:
        assert result["outcome"]["status"] == "ok", result["outcome"]["error"]
        assert result["software"]["framework"]["build"]["device_name"]
        assert all(m["parity"]["passed"] for m in result["measurements"])
        for reading in result["rounds"][0]["measurements"]:
            assert (reading.get("device_peak_bytes") or 0) > 0


@pytest.mark.slow
def test_compiled_modes_of_the_new_models_run_with_parity(tmp_path: Path) -> None:
    """The quick profile compiles the MLP only; here the CNN and Transformer compile too."""
    keys = ["cnn/pytorch/compile/cpu", "cnn/pytorch/channels_last/cpu", "transformer/tensorflow/xla/cpu"]
    results = harness.run_all(harness.plan(["cpu"], keys), PROFILES["quick"], tmp_path)
    for result in results:
        assert result["outcome"]["status"] == "ok", result["outcome"]["error"]
        for m, reading in zip(result["measurements"], result["rounds"][0]["measurements"], strict=True):
            assert m["parity"]["passed"], m["parity"]
            assert reading["first_call_s"] > 0 and reading["samples"]


def test_results_are_written_readable_by_others(tmp_path: Path) -> None:
    """Like any file the user makes (mkstemp alone leaves 0600), whatever the umask allows."""
    path = tmp_path / "m" / "r.json"
    for umask, expected in ((0o022, 0o644), (0o027, 0o640)):
        previous = os.umask(umask)
        try:
            results.write_json_atomic(path, {"a": 1})
        finally:
            os.umask(previous)
        assert stat.S_IMODE(path.stat().st_mode) == expected
    assert json.loads(path.read_text()) == {"a": 1}


def _generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True, text=True, check=False)


def _assert_checked_and_merged_unchanged(folder: Path, tmp_path: Path) -> None:
    """``generator check`` passes every file, and ``merge`` into an empty folder keeps each name and byte."""
    files = sorted(p.relative_to(folder) for p in folder.rglob("*.json"))
    assert files
    checked = _generator("check", *(str(folder / f) for f in files))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    into = tmp_path / f"merged-{folder.name}"
    merged = _generator("merge", str(folder), "--into", str(into))
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert sorted(p.relative_to(into) for p in into.rglob("*.json")) == files
    for f in files:
        assert (into / f).read_bytes() == (folder / f).read_bytes(), f


@pytest.mark.slow
def test_failure_records_pass_check_and_survive_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed, crashed, timed-out and out-of-memory runs (and failed studies) are named for the installed
    version and say so inside, so that check accepts them and merge leaves them where they are."""
    quick = PROFILES["quick"]
    monkeypatch.setenv("FG_INJECT_FAULT", "matmul/numpy/*=oom")
    (oom,) = harness.run_all(harness.plan(["cpu"], ["matmul/numpy/*"]), quick, tmp_path / "oom",
                             memory_limit=300 * 2**20)  # fmt: skip
    monkeypatch.setenv("FG_INJECT_FAULT", "matmul/numpy/*=hang")
    (timeout,) = harness.run_all(harness.plan(["cpu"], ["matmul/numpy/*"]), quick, tmp_path / "timeout", timeout_s=3)
    monkeypatch.setenv("FG_INJECT_FAULT", "matmul/pytorch/*=crash,matmul/tensorflow/*=raise")
    crashed, failed = harness.run_all(harness.plan(["cpu"], ["matmul/pytorch/*", "matmul/tensorflow/*"]), quick,
                                      tmp_path / "other", timeout_s=120)  # fmt: skip
    assert [r["outcome"]["status"] for r in (oom, timeout, crashed, failed)] == ["oom", "timeout", "crashed", "failed"]
    for result in (oom, timeout, crashed, failed):
        framework = result["software"]["framework"]
        assert framework["version"] == environment.installed_version(framework["name"])
    monkeypatch.setenv("FG_INJECT_FAULT", "study/codesize/pytorch=crash,study/codesize/tensorflow=hang")
    studies = runner.run_all(
        runner.plan(["study/codesize/pytorch", "study/codesize/tensorflow"]), tmp_path / "studies", timeout_s=3
    )
    assert [s["outcome"]["status"] for s in studies] == ["crashed", "timeout"]
    for folder in ("oom", "timeout", "other", "studies"):
        _assert_checked_and_merged_unchanged(tmp_path / folder, tmp_path)


def _kill_worker_when_it_starts(pids: list[int]) -> None:
    """From outside the harness (this test's thread), SIGKILL the measurement child once it runs."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for pid in _children(os.getpid()):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"measurements.worker" in command:
                time.sleep(1)  # past its start
                os.kill(pid, signal.SIGKILL)
                pids.append(pid)
                return
        time.sleep(0.05)


@pytest.mark.slow
def test_an_outside_sigkill_is_told_apart_from_running_out_of_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    run = harness.Run("matmul", "numpy", "default", "cpu")
    monkeypatch.setenv("FG_INJECT_FAULT", "matmul/numpy/*=hang")
    killed: list[int] = []
    killer = threading.Thread(target=_kill_worker_when_it_starts, args=(killed,))
    killer.start()
    reported, code = harness.run_child(run, PROFILES["quick"], 1, timeout_s=60)
    killer.join()
    assert killed and code == -signal.SIGKILL
    assert reported["status"] == "crashed"
    assert str(reported["error"]).startswith("the child process was killed by SIGKILL from outside the harness")

    # the same kill, where the kernel counts an out-of-memory kill in the child's memory cgroup meanwhile
    counts = iter([0, 1])
    monkeypatch.setattr(environment, "oom_kill_count", lambda pid="self": next(counts))
    killer = threading.Thread(target=_kill_worker_when_it_starts, args=(killed,))
    killer.start()
    reported, code = harness.run_child(run, PROFILES["quick"], 1, timeout_s=60)
    killer.join()
    assert reported["status"] == "oom"
    assert str(reported["error"]).startswith("the child process was killed by the kernel's out-of-memory killer")


def _start_hanging_harness(
    tmp_path: Path, only: str = "matmul/numpy/*"
) -> tuple[subprocess.Popen[str], Path, list[int]]:
    """A harness whose one child (a run or a study) hangs, with its temporary files under tmp_path/tmp;
    returns once the child runs."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "FG_INJECT_FAULT": f"{only}=hang"}
    command = [sys.executable, "-m", "measurements", "run", "--profile", "quick", "--only", only,
               "--results", str(tmp_path / "results"), "--timeout", "120"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    started = ("fg-run-*", "fg-study-*")  # the child's temporary folder
    while not (any(scratch.rglob(p) for p in started) and _children(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)  # the child is past its start
    workers = _children(process.pid)
    assert workers, "the child did not start"
    return process, scratch, workers


def _wait_gone(pids: list[int]) -> None:
    for pid in pids:
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"worker {pid} outlived its harness")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stopped_harness_kills_its_child_and_leaves_no_temporary_folder(tmp_path: Path, signum: int) -> None:
    process, scratch, workers = _start_hanging_harness(tmp_path)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, err
    assert f"stopped by {signal.Signals(signum).name}: results written so far are kept" in err
    _wait_gone(workers)
    assert list(scratch.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("only", ["matmul/numpy/*", "study/codesize/pytorch"])
def test_the_folder_a_killed_harness_leaves_is_removed_by_the_next(tmp_path: Path, only: str) -> None:
    process, scratch, workers = _start_hanging_harness(tmp_path, only)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    _wait_gone(workers)
    (left,) = scratch.iterdir()  # kill -9 leaves no chance to clean up
    assert left.name.startswith(f"fg-harness-{process.pid}-")
    env = {**os.environ, "TMPDIR": str(scratch)}
    command = [sys.executable, "-m", "measurements", "run", "--profile", "quick", "--only", only,
               "--results", str(tmp_path / "results")]  # fmt: skip
    rerun = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert list(scratch.iterdir()) == []


@pytest.fixture
def standard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed standard-profile result in ``tmp_path``, as if measured on this machine (named as the
    reference one) with the installed NumPy: the real thing, without its 20 minutes."""
    monkeypatch.setenv("FG_MACHINE_ID", "amd-epyc-2cpu")
    folder = tmp_path
    doc = json.loads((ROOT / "results" / "amd-epyc-2cpu" / "matmul.numpy-2.4.6.default.cpu.json").read_text())
    assert doc["run"]["profile"] == "standard" and doc["rounds"] == PROFILES["standard"].rounds
    version = environment.installed_version("numpy")
    doc["software"]["framework"]["version"] = version
    path = results.result_path(folder, "amd-epyc-2cpu", "matmul", "numpy", version, "default", "cpu")
    results.write_json_atomic(path, doc)
    return path


def test_a_smaller_profile_is_refused_before_it_measures(
    tmp_path: Path, standard: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = standard.read_bytes()
    code = measurements_main(["run", "--profile", "quick", "--only", "matmul/*", "--results", str(tmp_path)])
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {standard.parent}: 1 result there holds more than")
    assert "(standard)" in err and "--results DIR" in err and "FG_MACHINE_ID=NAME" in err and "--redo" in err
    assert standard.read_bytes() == before
    assert list(tmp_path.rglob("*.json")) == [standard]  # nothing measured, not even the other frameworks


def test_what_a_result_holds_decides_whether_a_run_may_replace_it(tmp_path: Path) -> None:
    quick, standard, full = (PROFILES[name] for name in ("quick", "standard", "full"))
    assert tuple(PROFILES) == harness.PROFILE_ORDER
    path = tmp_path / "r.json"
    for profile, rounds, run_with, expected in [
        ("standard", 2, quick, "standard"),  # a larger profile
        ("full", 5, standard, "full"),
        ("quick", 3, dataclasses.replace(standard, rounds=2), "quick"),  # more processes
        ("quick", 1, standard, None),  # a smaller one is measured over
        ("standard", 2, full, None),
        ("standard", 2, dataclasses.replace(standard, rounds=1), None),  # the same profile resumes, keeping rounds
        ("mine", 1, full, "mine"),  # a profile this harness does not know is kept
    ]:
        path.write_text(json.dumps({"run": {"profile": profile}, "rounds": rounds}))
        assert harness.holds_more(path, run_with) == expected, (profile, rounds, run_with.name)
    path.write_text("{not json")
    assert harness.holds_more(path, quick) is None
    assert harness.holds_more(tmp_path / "missing.json", quick) is None


@pytest.mark.slow
def test_quick_over_standard_in_the_same_folder_loses_nothing(
    tmp_path: Path, standard: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = standard.read_bytes()
    quick = ["run", "--profile", "quick", "--only", "matmul/numpy/*", "--results", str(tmp_path)]
    assert measurements_main(quick) == 1  # refused
    assert "--redo" in capsys.readouterr().err
    monkeypatch.setenv("FG_MACHINE_ID", "amd-epyc-2cpu-quick")  # as the message says: both kept
    assert measurements_main(quick) == 0
    assert standard.read_bytes() == before
    loaded = load.load_results(load.result_files(tmp_path))
    assert loaded.problems == []
    assert sorted((doc["machine"]["id"], doc["run"]["profile"]) for _, doc in loaded.results) == [
        ("amd-epyc-2cpu", "standard"), ("amd-epyc-2cpu-quick", "quick"),
    ]  # fmt: skip


def test_a_child_keeps_out_what_its_framework_would_import_unasked(tmp_path: Path) -> None:
    assert harness.child_env(tmp_path, "tensorflow")["FG_KEEP_OUT"] == "jax"  # tf.lite imports JAX where installed
    assert harness.child_env(tmp_path, "jax")["FG_KEEP_OUT"] == ""
    code = "import measurements\ntry:\n    import PIL\nexcept ImportError:\n    print('kept out')\n"
    code += "else:\n    print('imported')"
    for keep_out, said in (("PIL", "kept out"), ("", "imported")):
        env = {**harness.child_env(tmp_path, "jax"), "FG_KEEP_OUT": keep_out}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert done.stdout.strip() == said


@pytest.mark.slow
def test_a_tensorflow_child_runs_without_jax_in_its_process(tmp_path: Path) -> None:
    code = "import measurements, sys, tensorflow; print(sys.modules.get('jax') is None)"
    done = subprocess.run([sys.executable, "-c", code], env=harness.child_env(tmp_path, "tensorflow"),
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout.strip().endswith("True")


def test_a_run_records_the_processes_its_profile_plans_and_a_page_flags_one_cut_short() -> None:
    from generator.pages.performance import planned_rounds

    machine = environment.machine()
    standard = PROFILES["standard"]
    large = harness.Run("encoder", "pytorch", "eager", "cpu")
    written = harness.record(
        large, standard, 2, machine, {"status": "ok", "error": None}, 0, "2026-12-08T00:00:00+00:00", 1.0
    )
    assert written["run"]["rounds_planned"] == 5  # the large models too, in the standard profile
    assert planned_rounds(written["run"]) == 5  # three rounds of it would be cut short
    legacy = {k: v for k, v in written["run"].items() if k != "rounds_planned"}
    assert (
        planned_rounds(cast(results.RunRecord, legacy)) == 3
    )  # as the standard profile planned before it was recorded
    small = harness.record(harness.Run("mlp", "pytorch", "eager", "cpu"), standard, 2, machine,
                           {"status": "ok", "error": None}, 0, "2026-12-08T00:00:00+00:00", 1.0)  # fmt: skip
    assert (
        planned_rounds(cast(results.RunRecord, {k: v for k, v in small["run"].items() if k != "rounds_planned"})) == 5
    )
