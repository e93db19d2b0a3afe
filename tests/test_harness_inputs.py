"""The harness's own inputs: each bad option or environment value is refused at start-up with one
line, within a second, before a framework is imported or a file written; every accepted timeout
kills a hung child; a killed pipeline study leaves none of its images behind."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from measurements import UserError, environment, harness, inputs, launch
from measurements.studies import pipeline, runner

# runs main() as `python -m measurements` does, then says how long it took and which frameworks it imported;
# in CPU seconds: on a loaded machine the wall clock is the other processes' too (a framework's import alone
# takes more than a second of CPU)
DRIVER = """
import json, sys, time
start = time.process_time()
from measurements.__main__ import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "seconds": time.process_time() - start,
                  "frameworks": sorted(m for m in ("torch", "tensorflow", "jax", "keras")
                                       if sys.modules.get(m) is not None)}))
"""


def tree(folder: Path) -> list[str]:
    """Everything under ``folder``, links not followed."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def refuse(tmp_path: Path, args: list[str], env: dict[str, str] | None = None, results: Path | None = None) -> str:
    """Run the harness on ``args`` and check that it refuses them: exit status 1, one line on stderr
    and no traceback, within a second of CPU, no framework imported, nothing written. Returns the line."""
    results = results or tmp_path / "results"
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    before = tree(tmp_path)
    command = [sys.executable, "-c", DRIVER, "run", "--profile", "quick", "--only", "matmul/numpy/*",
               "--results", str(results), *args]  # fmt: skip
    base = {k: v for k, v in os.environ.items() if not k.startswith("FG_")}
    done = subprocess.run(command, capture_output=True, text=True, env={**base, "TMPDIR": str(scratch), **(env or {})},
                          timeout=60, check=False)  # fmt: skip
    report = json.loads(done.stdout.strip().splitlines()[-1])
    lines = done.stderr.strip().splitlines()
    assert report["code"] == 1 and len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    assert report["seconds"] < 1, report
    assert report["frameworks"] == []
    assert tree(tmp_path) == before  # nothing written, no temporary folder left
    return lines[0]


LONG = "a" * 150


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        # environment values
        ("FG_MACHINE_ID", "...", "has no letter or digit"),
        ("FG_MACHINE_ID", "..", "has no letter or digit"),
        ("FG_MACHINE_ID", "\uff21\uff22\uff23", "has no letter or digit"),  # full-width ABC
        ("FG_MACHINE_ID", "-/" * 150, "has no letter or digit"),
        ("FG_MACHINE_ID", LONG, "makes a machine id of 150 characters; the results schema allows at most 100"),
        ("FG_MACHINE_ID", "b" * 300, "makes a machine id of 300 characters"),
        ("FG_KEEP_OUT", "numpy", "FG_KEEP_OUT names numpy, which the harness itself needs"),
        ("FG_KEEP_OUT", "sklearn,numpy.linalg", "FG_KEEP_OUT names numpy.linalg, which the harness itself needs"),
        ("FG_KEEP_OUT", "json", "FG_KEEP_OUT names json, which the harness itself needs"),
        ("FG_KEEP_OUT", "a b", "which is not a module name"),
        ("FG_RUN_EAGERLY", "1", "FG_RUN_EAGERLY is set, but the debugging study sets it"),
        ("FG_COMPILED", "0", "unset FG_COMPILED"),
        ("FG_JAX_PROCESS_ID", "3", "unset FG_JAX_PROCESS_ID"),
        ("FG_PIPELINE_IMAGES", "0", "FG_PIPELINE_IMAGES must be comma-separated image counts from 1 to 1,000,000"),
        ("FG_PIPELINE_IMAGES", "1000,lots", "FG_PIPELINE_IMAGES must be"),
        ("FG_PIPELINE_IMAGES", "1000000000", "FG_PIPELINE_IMAGES must be"),
        ("FG_LIMIT_IMAGES", "-5", "FG_LIMIT_IMAGES must be a whole number from 1 to 1,000,000"),
        ("FG_LIMIT_MIB", "0", "FG_LIMIT_MIB must be a whole number from 1 to"),
        ("FG_LIMIT_MIB", "99999999999", "(this machine's memory)"),
        ("FG_INJECT_FAULT", "matmul/*=explode", "FG_INJECT_FAULT item 'matmul/*=explode' is not GLOB=FAULT"),
        ("FG_INJECT_FAULT", "hang", "is not GLOB=FAULT"),
        ("FG_DISTRIBUTED_HANG", "yes", "FG_DISTRIBUTED_HANG must be 0 or 1"),
        # options
        ("--timeout", "nan", "--timeout must be a positive, finite number of seconds, not nan"),
        ("--timeout", "inf", "not inf"),
        ("--timeout", "-inf", "not -inf"),
        ("--timeout", "-1", "not -1.0"),
        ("--timeout", "0", "not 0.0"),
        ("--timeout", "1e308", "--timeout must be at most 604,800 seconds (a week), not 1e+308"),
        ("--memory-limit", "nan", "--memory-limit must be a positive, finite number of MiB, not nan"),
        ("--memory-limit", "inf", "not inf"),
        ("--memory-limit", "-1", "not -1.0"),
        ("--memory-limit", "0", "not 0.0"),
        ("--memory-limit", "1e308", "MiB (this machine's memory), not 1e+308"),
        ("--memory-limit", "0.25", "--memory-limit must be at least 1 MiB"),
        ("--threads", "0", "--threads must be a whole number from 1 to 1,000,000, not 0"),
        ("--threads", "1000001", "not 1000001"),
    ],
)
def test_a_bad_value_is_refused_in_one_line(tmp_path: Path, name: str, value: str, said: str) -> None:
    """An environment value, or an option (a name starting with --)."""
    option = name.startswith("--")
    assert said in refuse(tmp_path, [f"{name}={value}"] if option else [], None if option else {name: value})


def test_keeping_out_the_framework_a_run_measures_is_refused(tmp_path: Path) -> None:
    line = refuse(tmp_path, ["--only", "mlp/pytorch/*"], {"FG_KEEP_OUT": "torch"})
    assert line == "error: FG_KEEP_OUT names torch, which this run needs (PyTorch is measured); leave it out, or " \
        "measure without it (--only)"  # fmt: skip
    assert "(JAX is measured)" in refuse(tmp_path, ["--only", "study/codesize/jax"], {"FG_KEEP_OUT": "optax"})


def test_a_pipeline_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    line = refuse(tmp_path, [], {"FG_PIPELINE_DIR": str(tmp_path / "file")})
    assert line == f"error: FG_PIPELINE_DIR {tmp_path / 'file'} is a file, not a folder: name a folder"


def test_a_memory_limit_above_the_machines_memory_is_refused() -> None:
    total = environment.memory_bytes()
    assert total is not None
    with pytest.raises(UserError, match=r"must be at most .* MiB \(this machine's memory\)"):
        inputs.memory_limit(total / 2**20 + 1)
    assert inputs.memory_limit(1) == 2**20
    assert inputs.memory_limit(total / 2**20) == total


def test_the_command_line_itself_refuses_in_one_line(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "measurements", "run", "--only", "matmul/numpy/*", "--results",
               str(tmp_path / "results"), "--timeout", "nan"]  # fmt: skip
    env = {**os.environ, "FG_MACHINE_ID": "..", "FG_KEEP_OUT": "numpy"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=60)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: --timeout must be a positive, finite number of seconds")
    done = subprocess.run(command[:-2], capture_output=True, text=True, env=env, check=False, timeout=60)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert tree(tmp_path) == []


def results_with(tmp_path: Path, machine: str = "m") -> Path:
    results = tmp_path / "results"
    (results / machine / "studies").mkdir(parents=True)
    (results / machine / "matmul.numpy-1.0.default.cpu.json").write_text("{}")
    return results


def test_results_that_are_not_a_folder_are_refused(tmp_path: Path) -> None:
    env = {"FG_MACHINE_ID": "m"}
    (tmp_path / "file").write_text("x")
    line = refuse(tmp_path, [], env, tmp_path / "file")
    assert line == f"error: --results {tmp_path / 'file'} is a file, not a folder: name a folder"
    line = refuse(tmp_path, [], env, tmp_path / "file" / "inside")
    assert line.endswith(f"would be made inside {tmp_path / 'file'}, which is a file, not a folder: name a folder")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert refuse(tmp_path, [], env, tmp_path / "loop") == f"error: --results {tmp_path / 'loop'}: too many " \
        "levels of symbolic links"  # fmt: skip
    assert "too many levels of symbolic links" in refuse(tmp_path, [], env, tmp_path / "loop" / "inside")


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda r: (r / "m2").write_text("x"), "m2 is not a plain folder; move it away"),
        (lambda r: (r / "m2").symlink_to(r / "m"), "m2 is not a plain folder"),
        (
            lambda r: (r / "m" / "studies").rmdir() or (r / "m" / "studies").write_text("x"),
            "m/studies is not a plain folder",
        ),
        (lambda r: (r / "m" / ".lock").symlink_to(r.parent / "bashrc"), "m/.lock is not a plain file"),
        (lambda r: (r / "m" / ".lock").mkdir(), "m/.lock is not a plain file"),
        (
            lambda r: (r / "m" / "x.json").symlink_to("/etc/passwd"),
            "m/x.json is a symbolic link to /etc/passwd, outside the results folder; replace it with the file itself",
        ),
        (lambda r: (r / "other").symlink_to(r.parent), "other is a symbolic link to"),
        (
            lambda r: (r / "m" / "studies" / "gone.json").symlink_to(r / "nowhere"),
            "m/studies/gone.json is a symbolic link that leads nowhere (no such file or directory); remove it",
        ),
        (
            lambda r: (r / "m" / "loop.json").symlink_to("loop.json"),
            "m/loop.json is a symbolic link that leads nowhere",
        ),
    ],
)
def test_what_the_results_folder_holds_is_checked(tmp_path: Path, make: Callable[[Path], object], said: str) -> None:
    results = results_with(tmp_path)
    machine = "m2" if "m2" in said else "m"
    make(results)
    assert said in refuse(tmp_path, [], {"FG_MACHINE_ID": machine}, results)


def test_a_link_that_stays_inside_the_results_folder_is_accepted(tmp_path: Path) -> None:
    results = results_with(tmp_path)
    (results / "m" / "alias.json").symlink_to(results / "m" / "matmul.numpy-1.0.default.cpu.json")
    (results / "elsewhere").symlink_to(results / "m")
    inputs.results_folder(results, "m")
    inputs.results_folder(tmp_path / "new" / "results", "m")  # creatable
    assert not (tmp_path / "new").exists()


def test_good_values_are_accepted_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    assert environment.named_machine_id("My Laptop (quick)") == "my-laptop-quick"
    assert environment.named_machine_id("a" * 100) == "a" * 100
    for name, value in [("FG_PIPELINE_IMAGES", "1_000, 10000"), ("FG_LIMIT_MIB", "512"), ("FG_DISTRIBUTED_HANG", "0"),
                        ("FG_INJECT_FAULT", "matmul/numpy/*=hang,study/x/y=crash"), ("FG_KEEP_OUT", "sklearn,PIL"),
                        ("FG_CACHE_DIR", "anything: the site's build reads it")]:  # fmt: skip
        monkeypatch.setenv(name, value)
    inputs.environment_variables(["pytorch", "tensorflow", "jax", "numpy"])
    assert inputs.threads(None) is None and inputs.timeout(None) is None and inputs.memory_limit(None) is None


def test_a_keep_out_from_outside_is_kept_out_besides_the_frameworks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FG_KEEP_OUT", "sklearn,jax")
    assert harness.child_env(tmp_path, "tensorflow")["FG_KEEP_OUT"] == "jax,sklearn"
    assert harness.child_env(tmp_path, "pytorch")["FG_KEEP_OUT"] == "sklearn,jax"
    assert "FG_KEEP_OUT" in environment.relevant_env()  # recorded with each result


def test_the_launcher_never_keeps_out_what_it_needs(tmp_path: Path) -> None:
    code = "import measurements, sys; print(sys.modules.get('numpy', 1) is not None, sys.modules.get('PIL', 1))"
    env = {**os.environ, "FG_KEEP_OUT": "numpy,json,PIL"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "None"]


@given(st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([1e-300, 0.5, inputs.MAX_TIMEOUT_S]))
@settings(max_examples=30, deadline=None)
def test_every_accepted_timeout_kills_a_hung_child(value: float) -> None:
    """Each value is refused at start-up, or a child that never ends is killed once that much time
    has passed (a clock that moves a day a poll)."""
    try:
        timeout_s = inputs.timeout(value)
    except UserError:
        assert not (math.isfinite(value) and 0 < value <= inputs.MAX_TIMEOUT_S)
        return
    assert timeout_s is not None
    clock = iter(range(0, 10**9, 86_400))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(launch, "time", SimpleNamespace(monotonic=lambda: float(next(clock)), sleep=time.sleep))
        done = launch.launch(["sleep", "60"], timeout_s=timeout_s, poll_s=0.001)
    assert done.killed_for == "timeout" and done.returncode == -signal.SIGKILL
    assert next(clock) <= 10 * 86_400  # within a week and a day of polls


def test_a_hung_child_is_killed_under_a_small_timeout(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "measurements", "run", "--profile", "quick", "--only", "matmul/numpy/*",
               "--results", str(tmp_path / "results"), "--timeout", "0.5"]  # fmt: skip
    env = {**os.environ, "FG_INJECT_FAULT": "matmul/numpy/*=hang", "FG_MACHINE_ID": "m"}
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=60)
    assert done.returncode == 1 and time.monotonic() - start < 30, done.stderr
    (written,) = (tmp_path / "results" / "m").glob("*.json")
    outcome = json.loads(written.read_text())["outcome"]
    assert outcome["status"] == "timeout" and outcome["error"].startswith("no result after 0.5 s; killed.")


def test_a_killed_pipeline_study_leaves_no_images(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The study's child writes images under FG_PIPELINE_DIR until its time is up: the launcher
    removes them once it has killed it."""
    data = tmp_path / "pipeline"
    monkeypatch.setenv(pipeline.DIR_ENV, str(data))
    monkeypatch.setenv(pipeline.SIZES_ENV, "100000")  # far more than it can write in time
    monkeypatch.setattr(runner, "scratch", lambda: tmp_path)
    seen: list[Path] = []

    def monotonic() -> float:  # time jumps past the limit once the child has written images
        seen.extend([] if seen else data.rglob("*.jpg"))
        return time.monotonic() + (3600 if seen else 0)

    monkeypatch.setattr(launch, "time", SimpleNamespace(monotonic=monotonic, sleep=time.sleep))
    reported, _ = runner.run_child(runner.StudyRun("pipeline", "pytorch"), 60)
    assert reported["status"] == "timeout"
    assert seen, "the study wrote no image before it was killed"
    assert list(data.iterdir()) == []
