"""Plans and launches the studies: one child process per (study, framework), with a time limit.

A study that fails, crashes or hangs is recorded with that outcome and its error, and the
others go on; each result is written as soon as its child ends. Results already measured at
the installed framework version are kept unless ``redo`` is given.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeGuard, cast

from rich.console import Console

from measurements import environment, harness
from measurements.findings import Found, StudyReport
from measurements.launch import launch, scratch
from measurements.lock import exclusive
from measurements.profiles import PROFILE_ENV, Profile
from measurements.results import (
    SAMPLE_LISTS,
    STUDY_SCHEMA_PATH,
    STUDY_SCHEMA_VERSION,
    Machine,
    StudyFile,
    release_name,
    study_path,
    write_json_atomic,
)
from measurements.studies import pipeline, registry


@dataclass(frozen=True)
class StudyRun:
    study: str
    framework: str

    @property
    def key(self) -> str:
        return f"study/{self.study}/{self.framework}"


def plan(only: list[str] | None = None, profile: Profile | None = None) -> list[StudyRun]:
    """Every study for each of its frameworks, filtered by ``only`` globs (``study/errors/*``);
    without globs, the quick profile leaves out the studies that take minutes, a profile that names
    its studies (standard) runs those, and a profile with a plan of its own (gpu) plans none."""
    quick = profile is not None and profile.name == "quick" and not only
    if profile is not None and profile.plan is not None and not only:
        return []  # a profile with a plan of its own (gpu) plans its timing runs alone
    named = profile.studies if profile is not None and not only else None
    runs = [
        StudyRun(study.name, framework)
        for study in registry().values()
        if (study.quick or not quick) and (named is None or study.name in named)
        for framework in study.frameworks
    ]
    if only:
        runs = [r for r in runs if any(fnmatch.fnmatchcase(r.key, pattern) for pattern in only)]
    return runs


def report_schema() -> dict[str, object]:
    """What a study's child reports (``measurements.studies.child``): its status and error, and its
    findings as the study schema has them."""
    schema = json.loads(STUDY_SCHEMA_PATH.read_text())["properties"]
    outcome = schema["outcome"]["properties"]
    return {
        "type": "object",
        "required": ["status", "error", "findings"],
        "properties": {"status": outcome["status"], "error": outcome["error"], "findings": schema["findings"]},
    }


def run_child(run: StudyRun, timeout_s: float, profile: Profile | None = None,
              cache: Path | None = None) -> tuple[StudyReport, int | None]:  # fmt: skip
    """Run one study in a fresh process under ``profile`` (what it measures: ``FG_STUDY_PROFILE``);
    returns (what the child reported, exit code). ``cache``: where the pipeline studies keep the data
    sets they generate, for the other children of this invocation (``FG_PIPELINE_CACHE``).

    What the child writes goes into folders this process makes and removes once the child and
    everything it started are gone, however it ended: its temporary folder and, where
    ``FG_PIPELINE_DIR`` names where the pipeline studies' images go, a folder of its own there."""
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="fg-study-", dir=scratch()))
        env = harness.child_env(Path(tmp), run.framework)
        if profile is not None:
            env[PROFILE_ENV] = profile.name
        if cache is not None:
            env[pipeline.CACHE_ENV] = str(cache)
        if os.environ.get(pipeline.DIR_ENV):
            data = Path(os.environ[pipeline.DIR_ENV])
            data.mkdir(parents=True, exist_ok=True)
            env[pipeline.DIR_ENV] = ours = tempfile.mkdtemp(prefix="fg-study-", dir=data)
            stack.callback(shutil.rmtree, ours, ignore_errors=True)
        command = [
            sys.executable, "-m", "measurements.studies.child",
            "--study", run.study, "--framework", run.framework, *harness.injected_faults(run),
        ]  # fmt: skip
        done = launch(command, env=env, cwd=tmp, timeout_s=timeout_s, schema=report_schema())
    if done.killed_for == "timeout":
        return {"status": "timeout", "error": f"{done.error}.\n{done.tail}"}, done.returncode
    if done.report is not None:
        return cast(StudyReport, done.report), done.returncode  # checked against report_schema()
    how = done.error or f"exited with code {done.returncode}"
    how = f"{how}, and ended" if done.returncode == -signal.SIGKILL else how  # studies have no out-of-memory outcome
    return {"status": "crashed", "error": f"{how} without a result.\n{done.tail}"}, done.returncode


def record(run: StudyRun, machine: Machine, version: str | None, reported: StudyReport, code: int | None,
           started_at: str, wall_s: float, profile: Profile | None = None) -> StudyFile:  # fmt: skip
    under = f"--profile {profile.name} " if profile is not None else ""
    return {
        "schema_version": STUDY_SCHEMA_VERSION,
        "study": run.study,
        "framework": run.framework,
        "run": {
            "started_at": started_at,
            "wall_s": wall_s,
            "command": f"python -m measurements run {under}--only '{run.key}' --redo",
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
    profile: Profile | None = None,
) -> list[StudyFile]:
    """Run each study for each of its frameworks, in ``Study.processes`` fresh processes each
    (interleaved across frameworks), under ``profile`` (what the studies measure); a result already
    there for this version is kept. ``timeout_s`` overrides each study's own time limit (per process).
    The pipeline studies' data sets are generated once for all of them (``run_child``'s ``cache``)."""
    console = console or Console(stderr=True, soft_wrap=True)
    machine = environment.machine()
    done: list[StudyFile] = []
    with exclusive(results_dir / machine["id"]), tempfile.TemporaryDirectory(prefix="fg-data-", dir=scratch()) as cache:
        for name in dict.fromkeys(r.study for r in runs):
            done += _study(name, [r for r in runs if r.study == name], machine, results_dir, redo, timeout_s, console,
                           profile, Path(cache))  # fmt: skip
    return done


def rounds(todo: list[StudyRun], processes: int) -> list[StudyRun]:
    """The order of the children: each run once per round, the order reversed every other round."""
    return [run for r in range(processes) for run in (todo if r % 2 == 0 else todo[::-1])]


def _study(name: str, runs: list[StudyRun], machine: Machine, results_dir: Path, redo: bool,
           timeout_s: float | None, console: Console, profile: Profile | None = None,
           cache: Path | None = None) -> list[StudyFile]:  # fmt: skip
    """One study for its frameworks: each kept if already measured at this version, else run in
    the study's number of fresh processes, merged and written."""
    study = registry()[name]
    done, todo, paths = [], [], {}
    for run in runs:
        version = environment.installed_version(run.framework)
        paths[run] = path = study_path(results_dir, machine["id"], run.study, run.framework, version)
        if path.exists() and not redo:
            console.print(f"{run.key}: kept from an earlier run ({path.name}; --redo measures it again)")
            done.append(json.loads(path.read_text()))
        else:
            todo.append(run)
    children: dict[StudyRun, list[tuple[StudyReport, int | None, float]]] = {run: [] for run in todo}
    started: dict[StudyRun, str] = {}
    order = rounds(todo, study.processes)
    for index, run in enumerate(order, 1):
        version = environment.installed_version(run.framework)
        console.print(f"study {study.title}, process {index}/{len(order)}: {release_name(run.framework, version)} ...")
        started.setdefault(run, datetime.now(UTC).isoformat(timespec="seconds"))
        start = time.perf_counter()
        reported, code = run_child(run, timeout_s or study.timeout_s, profile, cache)
        children[run].append((reported, code, time.perf_counter() - start))
        if len(children[run]) == study.processes:  # written as soon as its last process ends
            done.append(_write(run, machine, version, children[run], started[run], paths[run], console, profile))
    return done


def _write(run: StudyRun, machine: Machine, version: str | None,
           children: list[tuple[StudyReport, int | None, float]], started_at: str, path: Path,
           console: Console, profile: Profile | None = None) -> StudyFile:  # fmt: skip
    reported, code = merge_reports([(r, c) for r, c, _ in children])
    result = record(run, machine, version, reported, code, started_at, sum(w for _, _, w in children), profile)
    write_json_atomic(path, result)
    status = result["outcome"]["status"]
    found = f"{len(result['findings'])} findings" if status == "ok" else f"[red]{status}[/red]"
    console.print(f"{run.key} ({result['run']['wall_s']:.0f} s, {len(children)} processes): {found}")
    return result


def _failed(finding: Mapping[str, object]) -> bool:
    return finding.get("outcome", "ok") != "ok" or finding.get("success") is False


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def merge_findings(per_process: Sequence[Sequence[Mapping[str, object]]]) -> list[Found]:
    """One finding per id from several processes' findings. A finding that failed in any process
    is that failure (its error names in how many processes); sample lists become one list per
    process under ``<name>_per_process``; a number that differs between
    processes keeps each process's value under ``per_process`` and the lower median in its place;
    each process's outcome is kept in order under ``outcome_per_process``."""
    if len(per_process) == 1:
        return [dict(f) for f in per_process[0]]
    merged = []
    for finding_id in dict.fromkeys(f["id"] for findings in per_process for f in findings):
        copies = [f for findings in per_process for f in findings if f["id"] == finding_id]
        failed = [f for f in copies if _failed(f)]
        base = dict(failed[0] if failed else copies[0])
        if failed and isinstance(base.get("error"), str):
            base["error"] = f"failed in {len(failed)} of {len(copies)} processes; the first: {base['error']}"
        for key in SAMPLE_LISTS:
            lists = [f[key] for f in copies if isinstance(f.get(key), list) and f[key]]
            if len(lists) == len(copies):
                del base[key]
                base[f"{key}_per_process"] = lists
        varying: dict[str, list[int | float]] = {}
        for key, value in base.items():
            values = [f.get(key) for f in copies]
            numbers = [v for v in values if _number(v)]
            if _number(value) and len(numbers) == len(values) and len(set(numbers)) > 1:
                varying[key] = numbers
                base[key] = statistics.median_low(numbers)
        if varying:
            base["per_process"] = varying
        base["fresh_processes"] = len(copies)
        if all("outcome" in f for f in copies):  # how each process ended: a failure count, launch by launch
            base["outcome_per_process"] = [f["outcome"] for f in copies]
        merged.append(base)
    return merged


def merge_reports(children: list[tuple[StudyReport, int | None]]) -> tuple[StudyReport, int | None]:
    """What several children of one study and framework reported, as one report: the first
    failure's status, error and exit code if any child failed, and the findings of those that found any."""
    failed = [(r, c) for r, c in children if r.get("status") != "ok"]
    reported, code = failed[0] if failed else children[0]
    found = [r["findings"] for r, _ in children if r.get("findings")]
    merged: StudyReport = {**reported, "findings": merge_findings(found) if found else []}
    if failed and len(children) > 1 and merged.get("error"):
        merged["error"] = f"{len(failed)} of {len(children)} processes failed; the first: {merged['error']}"
    return merged, code
