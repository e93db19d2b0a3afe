"""Plans and launches the studies: one child process per (study, framework), with a time limit.

A study that fails, crashes or hangs is recorded with that outcome and its error, and the
others go on; each result is written as soon as its child ends. Results already measured at
the installed framework version are kept unless ``redo`` is given.
"""

from __future__ import annotations

import fnmatch
import json
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from measurements import environment, harness
from measurements.profiles import Profile
from measurements.results import release_name, study_path, write_json_atomic
from measurements.studies import registry

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class StudyRun:
    study: str
    framework: str

    @property
    def key(self) -> str:
        return f"study/{self.study}/{self.framework}"


def plan(only: list[str] | None = None, profile: Profile | None = None) -> list[StudyRun]:
    """Every study for each of its frameworks, filtered by ``only`` globs (``study/errors/*``);
    without globs, the quick profile leaves out the studies that take minutes."""
    quick = profile is not None and profile.name == "quick" and not only
    runs = [
        StudyRun(study.name, framework)
        for study in registry().values()
        if study.quick or not quick
        for framework in study.frameworks
    ]
    if only:
        runs = [r for r in runs if any(fnmatch.fnmatchcase(r.key, pattern) for pattern in only)]
    return runs


def run_child(run: StudyRun, timeout_s: float) -> tuple[dict[str, Any], int | None]:
    """Run one study in a fresh process; returns (what the child reported, exit code)."""
    with tempfile.TemporaryDirectory(prefix="fg-study-", dir=harness.scratch()) as tmp:
        output, log = Path(tmp) / "child.json", Path(tmp) / "child.log"
        env = harness.child_env(Path(tmp))
        command = [
            sys.executable, "-m", "measurements.studies.child",
            "--study", run.study, "--framework", run.framework, "--output", str(output), *harness.injected_faults(run),
        ]  # fmt: skip
        with log.open("wb") as log_file:
            oom_kills_before, since = environment.oom_kill_count(), time.monotonic()
            child = subprocess.Popen(
                command, stdout=log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=tmp
            )
            try:
                killed_for = harness.watch(child, timeout_s, None)
            except BaseException:  # Ctrl-C: take the child down with us
                harness.kill_group(child)
                raise
        tail = harness.tail(log)
        if killed_for == "timeout":
            return {
                "status": "timeout",
                "error": f"no result after {timeout_s:.0f} s; killed.\n{tail}",
            }, child.returncode
        if output.exists():
            reported: dict[str, Any] = json.loads(output.read_text())
            return reported, child.returncode
        how = f"exited with code {child.returncode}"
        if child.returncode == -signal.SIGKILL:  # studies have no out-of-memory outcome: the error says which
            how = f"was {harness.killed_from_outside(child.pid, since, oom_kills_before)[1]}, and ended"
        return {"status": "crashed", "error": f"{how} without a result.\n{tail}"}, child.returncode


def record(run: StudyRun, machine: dict[str, Any], version: str | None, reported: dict[str, Any], code: int | None,
           started_at: str, wall_s: float) -> dict[str, Any]:  # fmt: skip
    return {
        "schema_version": SCHEMA_VERSION,
        "study": run.study,
        "framework": run.framework,
        "run": {
            "started_at": started_at,
            "wall_s": wall_s,
            "command": f"python -m measurements run --only '{run.key}' --redo",
        },
        "machine": machine,
        "software": {"python": environment.python_version(), "framework": {"name": run.framework, "version": version}},
        "outcome": {"status": reported["status"], "error": reported.get("error"), "exit_code": code},
        "findings": reported.get("findings", []),
    }


def run_all(
    runs: list[StudyRun],
    results_dir: Path,
    *,
    redo: bool = False,
    timeout_s: float | None = None,
    console: Console | None = None,
) -> list[dict[str, Any]]:
    """Run each study once per framework; a result already there for this version is kept.
    ``timeout_s`` overrides each study's own time limit."""
    console = console or Console(stderr=True, soft_wrap=True)
    machine = environment.machine()
    done = []
    with harness.exclusive(results_dir / machine["id"]):
        for index, run in enumerate(runs, 1):
            done.append(_study(index, run, runs, machine, results_dir, redo, timeout_s, console))
    return done


def _study(index: int, run: StudyRun, runs: list[StudyRun], machine: dict[str, Any], results_dir: Path, redo: bool,
           timeout_s: float | None, console: Console) -> dict[str, Any]:  # fmt: skip
    """One study for one framework: kept if already measured at this version, else run and written."""
    version = environment.installed_version(run.framework)
    path = study_path(results_dir, machine["id"], run.study, run.framework, version)
    if path.exists() and not redo:
        console.print(f"{run.key}: kept from an earlier run ({path.name}; --redo measures it again)")
        kept: dict[str, Any] = json.loads(path.read_text())
        return kept
    study = registry()[run.study]
    console.print(f"study {index}/{len(runs)}: {study.title} with {release_name(run.framework, version)} ...")
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    start = time.perf_counter()
    reported, code = run_child(run, timeout_s or study.timeout_s)
    result = record(run, machine, version, reported, code, started_at, time.perf_counter() - start)
    write_json_atomic(path, result)
    status = result["outcome"]["status"]
    found = f"{len(result['findings'])} findings" if status == "ok" else f"[red]{status}[/red]"
    console.print(f"{run.key} ({result['run']['wall_s']:.0f} s): {found}")
    return result
