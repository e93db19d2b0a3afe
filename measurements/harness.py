"""Plans the runs and launches one child process per (workload, framework, mode, device).

The launcher imports neither framework. Each child gets a timeout and a cold compile cache;
a child that fails, crashes or hangs is recorded as such with its error text, and the run
goes on. Each result is written as soon as its child ends, atomically.
"""

from __future__ import annotations

import fnmatch
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from measurements import UserError, environment, workloads
from measurements.frameworks import MODE_LABELS
from measurements.profiles import Profile
from measurements.results import ROOT, SCHEMA_VERSION, result_path, write_json_atomic

ERROR_TAIL_CHARS = 4000


@dataclass(frozen=True)
class Run:
    workload: str
    framework: str
    mode: str
    device: str

    @property
    def key(self) -> str:
        return f"{self.workload}/{self.framework}/{self.mode}/{self.device}"


def plan(devices: Iterable[str], only: list[str] | None = None) -> list[Run]:
    """Every registered (workload, framework, mode) on each device, filtered by ``only`` globs.

    A glob matches the key ``workload/framework/mode/device``, e.g. ``mlp/*`` or ``*/pytorch/*``.
    """
    runs = [
        Run(w.name, framework, mode, device)
        for w in workloads.REGISTRY.values()
        for framework, modes in w.modes.items()
        for mode in modes
        for device in devices
    ]
    if only:
        runs = [r for r in runs if any(fnmatch.fnmatchcase(r.key, pattern) for pattern in only)]
        if not runs:
            known = ", ".join(w.name for w in workloads.REGISTRY.values())
            raise UserError(
                f"--only {' '.join(only)} matches no run; runs are named workload/framework/mode/device "
                f"(workloads: {known}), e.g. --only 'mlp/*'"
            )
    return runs


def devices_here(gpus: list[dict[str, Any]]) -> list[str]:
    return ["cpu", "cuda"] if gpus else ["cpu"]


def _tail(path: Path) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-ERROR_TAIL_CHARS:].strip()


def run_child(run: Run, profile: Profile, threads: int, timeout_s: float) -> tuple[dict[str, Any], int | None]:
    """Run one measurement in a fresh process; returns (what the child reported, exit code)."""
    with tempfile.TemporaryDirectory(prefix="fg-run-") as tmp:
        output, log = Path(tmp) / "child.json", Path(tmp) / "child.log"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            # each child compiles from scratch, so first-call cost is the cold cost
            "TORCHINDUCTOR_CACHE_DIR": str(Path(tmp) / "inductor"),
            "TRITON_CACHE_DIR": str(Path(tmp) / "triton"),
        }
        command = [
            sys.executable, "-m", "measurements.worker",
            "--workload", run.workload, "--framework", run.framework, "--mode", run.mode,
            "--device", run.device, "--profile", profile.name, "--threads", str(threads),
            "--output", str(output),
        ]  # fmt: skip
        with log.open("wb") as log_file:
            child = subprocess.Popen(
                command, stdout=log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
            try:
                code: int | None = child.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                return {"status": "timeout", "error": f"no result after {timeout_s:.0f} s; killed.\n{_tail(log)}"}, None
            except BaseException:  # Ctrl-C: take the child down with us
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                raise
        if output.exists():
            reported: dict[str, Any] = json.loads(output.read_text())
            return reported, code
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return {"status": "failed", "error": f"the child process ended without a result ({how}).\n{_tail(log)}"}, code


def record(
    run: Run,
    profile: Profile,
    threads: int,
    machine: dict[str, Any],
    reported: dict[str, Any],
    exit_code: int | None,
    started_at: str,
    wall_s: float,
) -> dict[str, Any]:
    framework = reported.get("framework") or {"name": run.framework, "version": None, "build": {}}
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {
            "workload": run.workload, "framework": run.framework, "mode": run.mode, "device": run.device,
            "profile": profile.name, "started_at": started_at, "wall_s": wall_s,
            "command": f"python -m measurements run --profile {profile.name} --only '{run.key}'",
        },
        "machine": machine,
        "software": {"python": environment.python_version(), "numpy": np.__version__, "framework": framework},
        "settings": {"threads": threads, "env": environment.relevant_env(), "compile_cache": "cold (fresh per run)"},
        "outcome": {"status": reported["status"], "error": reported.get("error"), "exit_code": exit_code},
        "import_s": reported.get("import_s"),
        "memory": reported.get("memory") or {"peak_rss_bytes": None, "after_import_rss_bytes": None},
        "measurements": reported.get("measurements", []),
    }  # fmt: skip


def summary(result: dict[str, Any]) -> str:
    outcome = result["outcome"]
    if outcome["status"] != "ok":
        first_line = (outcome["error"] or "").strip().splitlines()[-1:] or [""]
        return f"[red]{outcome['status']}[/red]: {first_line[0][:160]}"
    parts = []
    for m in result["measurements"]:
        flag = "" if m["parity"]["passed"] else " [yellow](parity failed)[/yellow]"
        parts.append(f"{m['case']}: {float(np.median(m['samples'])):,.1f} {m['unit']}{flag}")
    return "; ".join(parts)


def run_all(
    runs: list[Run],
    profile: Profile,
    results_dir: Path,
    threads: int | None = None,
    timeout_s: float | None = None,
    console: Console | None = None,
) -> list[dict[str, Any]]:
    console = console or Console(stderr=True)
    machine = environment.machine()
    threads = threads or machine["cpus_available"]
    timeout_s = timeout_s or profile.timeout_s
    console.print(
        f"Measuring {len(runs)} runs on [bold]{machine['id']}[/bold] with the {profile.name} profile, "
        f"{threads} threads; results go to {results_dir / machine['id']}"
    )
    results = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("starting", total=len(runs))
        for run in runs:
            label = MODE_LABELS.get((run.framework, run.mode), run.mode)
            progress.update(task, description=f"{run.workload}: {label} on {run.device}")
            started_at = datetime.now(UTC).isoformat(timespec="seconds")
            start = time.perf_counter()
            reported, code = run_child(run, profile, threads, timeout_s)
            result = record(run, profile, threads, machine, reported, code, started_at, time.perf_counter() - start)
            write_json_atomic(result_path(results_dir, machine["id"], *vars(run).values()), result)
            results.append(result)
            progress.console.print(f"{run.key} ({result['run']['wall_s']:.0f} s): {summary(result)}")
            progress.advance(task)
    failed = [r for r in results if r["outcome"]["status"] != "ok"]
    console.print(f"Done: {len(results) - len(failed)} of {len(results)} runs ok.")
    for r in failed:
        console.print(f"  {r['outcome']['status']}: {r['run']['workload']}/{r['run']['framework']}/{r['run']['mode']}")
    return results
