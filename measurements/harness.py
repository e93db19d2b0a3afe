"""Plans the runs and launches one child process per (workload, framework, mode, device).

The launcher imports neither framework. Each child gets a timeout and a cold compile cache;
a child that fails, crashes or hangs is recorded as such with its error text, and the run
goes on. Each result is written as soon as its child ends, atomically.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, cast

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from measurements import UserError, catalog, environment, results
from measurements.frameworks import MODE_LABELS, REGISTRY
from measurements.launch import child_env as launch_env
from measurements.launch import launch, scratch
from measurements.lock import exclusive
from measurements.profiles import PROFILES, Profile, looks_for, rounds_for
from measurements.results import RESULTS_DIR, SCHEMA_PATH, result_path, write_json_atomic
from measurements.worker import REFERENCES_ENV

# each profile measures more than the one before it: a result is never replaced by a smaller one unasked
PROFILE_ORDER = tuple(PROFILES)  # in the order PROFILES lists them, as the generator ranks them
POLL_S = 0.2  # how often a running child's time and memory are checked
COMPILE_CACHE = (
    "cold in each run's first process; its later processes reuse the kernels it compiled (TorchInductor's cache, "
    "JAX's persistent compilation cache), which changes their first call, not their steady state"
)


@dataclass(frozen=True)
class Run:
    workload: str
    framework: str
    mode: str
    device: str
    control: str = ""  # "aa": the A/A control of the run of the same workload, framework, mode and device

    @property
    def key(self) -> str:
        key = f"{self.workload}/{self.framework}/{self.mode}/{self.device}"
        return f"{key}#{self.control}" if self.control else key


def plan(devices: Iterable[str], only: list[str] | None = None, profile: Profile | None = None) -> list[Run]:
    """Every registered (workload, framework, mode) on each device, filtered by ``only`` globs;
    without globs, by the profile's choice of workloads and modes (the quick profile measures most
    workloads in their plain modes only, the standard profile those some verdict reads).

    A glob matches the key ``workload/framework/mode/device``, e.g. ``mlp/*`` or ``*/pytorch/*``.
    """
    every_mode = profile.every_mode if profile and not only else None
    chosen = profile.plan if profile and not only else None
    workloads = profile.workloads if profile and not only else None
    devices = profile.devices if profile and profile.devices else devices
    runs = [
        Run(w.name, framework, mode, device)
        for w in catalog.WORKLOADS.values()
        if (chosen is None or w.name in chosen) and (workloads is None or w.name in workloads)
        for framework, modes in w.modes.items()
        for mode in (modes if every_mode is None or w.name in every_mode else modes[:1])
        if chosen is None or mode in chosen[w.name].get(framework, ())
        if not (profile and profile.primary_only and not only) or mode == primary(framework, modes)
        for device in devices
        if device in REGISTRY[framework].devices_of(mode)
    ]
    if profile and profile.on_cpu:  # a dry run: each planned run on the CPU instead
        runs = list(dict.fromkeys(Run(r.workload, r.framework, r.mode, "cpu") for r in runs))
    if profile and profile.control:  # the A/A control, right after its run
        runs = [
            twin for r in runs for twin in ([r, replace(r, control="aa")] if _controlled(r, profile.control) else [r])
        ]
    if only:
        runs = [r for r in runs if any(fnmatch.fnmatchcase(r.key, pattern) for pattern in only)]
        if not runs:
            known = ", ".join(w.name for w in catalog.WORKLOADS.values())
            raise UserError(
                f"--only {' '.join(only)} matches no run; runs are named workload/framework/mode/device "
                f"(workloads: {known}), e.g. --only 'mlp/*', and studies study/<name>/<framework>, e.g. "
                "--only 'study/*'"
            )
    return runs


def primary(framework: str, modes: tuple[str, ...]) -> str:
    """The mode a framework's verdicts rest on among a workload's ``modes``: its default fast path,
    or its plain mode where the workload has no other (an operation measured op by op alone)."""
    default = REGISTRY[framework].default_mode
    return default if default in modes else modes[0]


def _controlled(run: Run, control: str) -> bool:
    return f"{run.workload}/{run.framework}/{run.mode}" == control


def devices_here(gpus: list[results.Gpu]) -> list[str]:
    return ["cpu", "cuda"] if gpus else ["cpu"]


class Keyed(Protocol):
    @property
    def key(self) -> str: ...


def injected_faults(run: Keyed) -> list[str]:
    """Faults to inject into this run, from ``FG_INJECT_FAULT`` ("GLOB=FAULT,..."), for tests."""
    faults = []
    for item in filter(None, os.environ.get("FG_INJECT_FAULT", "").split(",")):
        pattern, _, fault = item.rpartition("=")
        if fnmatch.fnmatchcase(run.key, pattern):
            faults += ["--inject", fault]
    return faults


def compile_cache(run: Run) -> Path:
    """The compiled kernels of one run, shared by its processes in this harness."""
    return scratch() / "compiled" / re.sub(r"[^A-Za-z0-9._-]", "_", run.key)


def child_env(tmp: Path, framework: str) -> dict[str, str]:
    """A child's environment: this source tree on its path, its temporary files in ``tmp`` (which
    the harness removes however the child ends), and the modules its framework keeps out, besides
    any the user's ``FG_KEEP_OUT`` names (read by ``measurements/__init__.py``; the child's own
    children inherit it)."""
    keeps_out = REGISTRY[framework].keeps_out if framework in REGISTRY else ()
    asked = filter(None, os.environ.get("FG_KEEP_OUT", "").split(","))
    return launch_env({"TMPDIR": str(tmp), "FG_KEEP_OUT": ",".join(dict.fromkeys([*keeps_out, *asked]))})


def report_schema() -> dict[str, object]:
    """What a worker reports (``measurements.worker``): its status and error as the results schema
    has them, and its measurements as a list."""
    outcome = json.loads(SCHEMA_PATH.read_text())["properties"]["outcome"]["properties"]
    return {
        "type": "object",
        "required": ["status", "error"],
        "properties": {"status": outcome["status"], "error": outcome["error"], "measurements": {"type": "array"}},
    }


def run_child(
    run: Run, profile: Profile, threads: int, timeout_s: float, memory_limit: int | None = None
) -> tuple[results.Reported, int | None]:
    """Run one measurement in a fresh process; returns (what the child reported, exit code)."""
    with tempfile.TemporaryDirectory(prefix="fg-run-", dir=scratch()) as tmp:
        env = {
            **child_env(Path(tmp), run.framework),
            # a run's first process compiles from scratch, so its first call is the cold cost; the
            # run's later processes in this harness reuse those kernels (see COMPILE_CACHE)
            "TORCHINDUCTOR_CACHE_DIR": str(compile_cache(run) / "inductor"),
            "TRITON_CACHE_DIR": str(compile_cache(run) / "triton"),
            "JAX_COMPILATION_CACHE_DIR": str(compile_cache(run) / "jax"),
            # the NumPy float64 references that check parity, computed once a case (worker.references)
            REFERENCES_ENV: str(scratch() / "references"),
        }
        command = [
            sys.executable, "-m", "measurements.worker",
            "--workload", run.workload, "--framework", run.framework, "--mode", run.mode,
            "--device", run.device, "--profile", profile.name, "--threads", str(threads), *injected_faults(run),
        ]  # fmt: skip
        done = launch(command, env=env, timeout_s=timeout_s, memory_limit=memory_limit, schema=report_schema())
    if done.killed_for in ("timeout", "oom"):
        return {"status": done.status, "error": f"{done.error}.\n{done.tail}"}, done.returncode
    if done.report is not None:  # checked against report_schema()
        return cast(results.Reported, done.report), done.returncode
    if done.returncode == -signal.SIGKILL:  # from outside: the launcher says whether it was out of memory
        return {"status": done.status, "error": f"the child process {done.error}.\n{done.tail}"}, done.returncode
    return {"status": "crashed", "error": f"the child process {done.error} without a result.\n{done.tail}"}, (
        done.returncode
    )


def record(
    run: Run,
    profile: Profile,
    threads: int,
    machine: results.Machine,
    reported: results.Reported,
    exit_code: int | None,
    started_at: str,
    wall_s: float,
    version: str | None = None,
    round_id: str | None = None,
    looks: tuple[int, ...] = (),
) -> results.Result:
    """The result of one round (see ``results.record``), named ``round_id``, of a run looked at
    after ``looks`` processes.

    A child that did not report its framework (it failed, crashed or was killed) is recorded with
    the installed ``version``, the one its file is named for.
    """
    framework = reported.get("framework") or {"name": run.framework, "version": version, "build": {}}
    workload = catalog.workload(run.workload)
    measured: results.RunRecord = {
        "workload": run.workload,
        "framework": run.framework,
        "mode": run.mode,
        "device": run.device,
        "profile": profile.name,
        "started_at": started_at,
        "wall_s": wall_s,
        "rounds_planned": rounds_for(profile, workload.task, workload.scale),
        "command": f"python -m measurements run --profile {profile.name} --only '{run.key}' --redo",
    }
    if run.control:
        measured["control"] = run.control
    if looks:
        measured["looks"] = list(looks)
    return results.record(
        measured,
        machine,
        {"python": environment.python_version(), "numpy": np.__version__, "framework": framework},
        {"threads": threads, "env": environment.relevant_env(), "compile_cache": COMPILE_CACHE},
        reported,
        exit_code,
        round_id,
    )  # fmt: skip


def summary(result: results.Result) -> str:
    """The latest round's figures in one line: each case's median sample."""
    outcome = result["outcome"]
    if outcome["status"] != "ok":
        first_line = (outcome["error"] or "").strip().splitlines()[-1:] or [""]
        return f"[red]{outcome['status']}[/red]: {first_line[0][:160]}"
    parts = []
    for m, reading in zip(result["measurements"], result["rounds"][-1]["measurements"], strict=True):
        flag = "" if m["parity"]["passed"] else " [yellow](parity failed)[/yellow]"
        median = float(np.median(reading["samples"]))
        parts.append(f"{m['case']}: {median:,.1f}" if median >= 100 else f"{m['case']}: {median:.3g}")
        parts[-1] += f" {m['unit']}{flag}"
    return "; ".join(parts)


def finished(path: Path, profile: Profile) -> results.Result | None:
    """The result already at ``path`` from the same profile, if it is readable (an older version
    migrated); else None."""
    try:
        doc, _ = results.check_file(path)
    except (OSError, ValueError):
        return None
    return doc if doc is not None and doc["run"]["profile"] == profile.name else None


def holds_more(path: Path, profile: Profile) -> str | None:
    """The profile of the result at ``path`` if it holds more than a run of ``profile`` would
    measure there: a larger profile, or more rounds (processes) of another one; else None."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    run = doc.get("run") if isinstance(doc, dict) else None
    theirs = run.get("profile") if isinstance(run, dict) else None
    if not isinstance(theirs, str) or theirs == profile.name:
        return None  # the same profile resumes, keeping the rounds it has
    rank = {name: i for i, name in enumerate(PROFILE_ORDER)}
    rounds = doc.get("rounds")
    if isinstance(rounds, list):  # a list of rounds since version 3, a count before
        rounds = len(rounds)
    larger = rank.get(theirs, len(PROFILE_ORDER)) > rank.get(profile.name, -1)  # an unknown profile is kept
    more_rounds = isinstance(rounds, int) and not isinstance(rounds, bool) and rounds > profile.rounds
    return theirs if larger or more_rounds else None


def refuse_to_replace(paths: Iterable[Path], profile: Profile, folder: Path) -> None:
    """Refuse, before measuring anything, a run that would replace results of a larger profile."""
    found = [theirs for path in paths if (theirs := holds_more(path, profile)) is not None]
    if found:
        profiles = ", ".join(sorted(set(found), key=lambda name: (name not in PROFILE_ORDER, name)))
        raise UserError(
            f"{folder}: {'1 result there holds' if len(found) == 1 else f'{len(found)} results there hold'} more "
            f"than the {profile.name} profile measures ({profiles}) and would be replaced; to keep both, measure "
            "into another folder (--results DIR) or under another machine id (FG_MACHINE_ID=NAME), or to replace "
            "them add --redo"
        )


@dataclass(frozen=True)
class Group:
    """The runs of one workload on one device: each round measures them back to back, so that
    their comparisons rest on rounds they ran in together."""

    runs: tuple[Run, ...]
    looks: tuple[int, ...]  # the process counts at which it is looked at (``profiles.looks_for``)

    @property
    def key(self) -> str:
        return f"{self.runs[0].workload} on {self.runs[0].device}"


def groups_of(runs: list[Run], profile: Profile) -> list[Group]:
    """The runs by workload and device, in the order planned."""
    found: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        found.setdefault((run.workload, run.device), []).append(run)
    return [
        Group(tuple(members), looks_for(profile, catalog.workload(name).task, catalog.workload(name).scale))
        for (name, _), members in found.items()
    ]


def measurement_id() -> str:
    """This invocation's name, which its rounds' ids begin with: when it started, and a few random
    characters that keep two started in the same second apart."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def active(group: Group, state: dict[Run, results.Result | None]) -> list[Run]:
    """The group's runs still measured: those not yet measured or ok so far (a failed run stays failed)."""
    return [run for run in group.runs if (doc := state[run]) is None or doc["outcome"]["status"] == "ok"]


def rounds_done(group: Group, state: dict[Run, results.Result | None]) -> int:
    """The rounds every run still measured holds (``resume`` leaves them the same number)."""
    docs = [state[run] for run in active(group, state)]
    return min((len(doc["rounds"]) if doc else 0 for doc in docs), default=0)


def resume(group: Group, state: dict[Run, results.Result | None]) -> list[str]:
    """Keep the group's earlier results by whole rounds: only the rounds that every run still
    measured ran in together (a round interrupted half way is measured again whole, for every run);
    results written before rounds had ids are kept whole where each holds the first look's
    rounds (they stay measured apart). Changes ``state``; returns a line per run whose rounds went."""
    runs = active(group, state)
    docs = [state[run] for run in runs]
    if all(doc and len(doc["rounds"]) >= group.looks[0] and all("id" not in one for one in doc["rounds"])
           for doc in docs):  # fmt: skip
        return []
    named = [[one["id"] for one in doc["rounds"] if "id" in one] if doc else [] for doc in docs]
    shared = [i for i in named[0] if all(i in ids for ids in named)] if named else []
    lines = []
    for run, doc in zip(runs, docs, strict=True):
        state[run] = None if doc is None else results.only_rounds(doc, shared)
        if doc is not None and len(doc["rounds"]) > len(shared):
            lines.append(
                f"{run.key}: {len(doc['rounds']) - len(shared)} of its {len(doc['rounds'])} rounds were not "
                "measured with every run of its case: measured again"
            )
    return lines


def wants_round(group: Group, state: dict[Run, results.Result | None], folder: Path) -> bool:
    """Whether the group needs another round: below its first look, between looks, or at a look
    where some comparison is not yet decided (``generator.analyse.compare.undecided``); never past
    its last look, the cap."""
    runs = active(group, state)
    done = rounds_done(group, state)
    if not runs or done >= group.looks[-1]:
        return False
    if done < group.looks[0] or done not in group.looks:
        return True
    return bool(undecided(group, state, folder))


def undecided(group: Group, state: dict[Run, results.Result | None], folder: Path) -> list[str]:
    """The group's cases whose comparisons are not decided on the rounds measured, judged by the
    generator's own code."""
    from generator.analyse import compare  # here: only a look needs the statistics
    from generator.read import load

    docs = [
        (folder / run.key, doc) for run in active(group, state) if (doc := state[run]) is not None and not run.control
    ]
    frame = load.to_frame(docs, folder)
    return compare.undecided(frame) if not frame.empty and "case" in frame and frame["case"].notna().any() else []


def process_s(run: Run, state: dict[Run, results.Result | None], earlier_s: dict[Run, float]) -> float | None:
    """How long one process of ``run`` is expected to take: the mean of its processes measured so
    far, else of an earlier result's (``earlier_s``); None where neither is known."""
    doc = state[run]
    walls = [one["wall_s"] for one in doc["rounds"] if "wall_s" in one] if doc else []
    return sum(walls) / len(walls) if walls else earlier_s.get(run)


def planned(groups: list[Group], state: dict[Run, results.Result | None]) -> list[Run]:
    """The processes still planned: each group's runs up to its next look (its first, or the one
    after the rounds it has; more only where its comparisons stay undecided there)."""
    found: list[Run] = []
    for group in groups:
        done = rounds_done(group, state)
        target = next((n for n in group.looks if n > done), done) if done >= group.looks[0] else group.looks[0]
        for run in active(group, state):  # a run measured in the round under way has one process more
            found += [run] * max(0, target - (len(doc["rounds"]) if (doc := state[run]) else 0))
    return found


def time_left(groups: list[Group], state: dict[Run, results.Result | None], earlier_s: dict[Run, float]) -> str:
    """The time the processes still ``planned`` take, from each run's processes so far or its
    earlier result; a run with neither counts as the mean of the others."""
    runs = planned(groups, state)
    known = [s for run in runs if (s := process_s(run, state, earlier_s)) is not None]
    if not runs:
        return "done"
    if not known:
        return "time left: estimating"
    mean = sum(known) / len(known)
    left = sum(s if (s := process_s(run, state, earlier_s)) is not None else mean for run in runs)
    return f"about {timedelta(seconds=round(left))} left to the next look"


def earlier_wall_s(run: Run, path: Path) -> float | None:
    """A process's wall time in the result at ``path`` (any profile), if it holds one."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return results.process_wall_s(doc) if isinstance(doc, dict) else None


def run_all(
    runs: list[Run],
    profile: Profile,
    results_dir: Path,
    *,
    threads: int | None = None,
    timeout_s: float | None = None,
    memory_limit: int | None = None,
    redo: bool = False,
    console: Console | None = None,
) -> list[results.Result]:
    """Measure the runs in rounds, all together: rounds outer, each workload's runs on a device (a
    ``Group``) inner, measured back to back in an order rotated each round, each process a round
    record named for its round (``measurement_id`` and the round's number), shared by the group's
    runs. A group is measured up to its first look, then at each look (``Profile.looks``) given one
    more round until every comparison of its cases is decided or its last look is reached. Each
    result is rewritten after each of its processes.

    Whole rounds that a result already holds are kept unless ``redo`` is given (``resume``), so
    the same command resumes an interrupted measurement. A result of a larger profile (or more
    rounds) is never replaced unless ``redo`` is given: the run is refused before it measures.
    """
    console = console or Console(stderr=True, soft_wrap=True)
    machine = environment.machine()
    threads = threads or machine["cpus_available"]
    timeout_s = timeout_s or profile.timeout_s
    folder = results_dir / machine["id"]
    versions = {fw: environment.installed_version(fw) for fw in {run.framework for run in runs}}
    paths = {
        run: result_path(results_dir, machine["id"], run.workload, run.framework, versions[run.framework], run.mode,
                         run.device, run.control)
        for run in runs
    }  # fmt: skip
    groups = groups_of(runs, profile)
    measurement = measurement_id()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[left]}"))  # fmt: skip
    with ExitStack() as stack:
        stack.enter_context(exclusive(folder))
        if not redo:
            refuse_to_replace(paths.values(), profile, folder)
        state = {run: None if redo else finished(paths[run], profile) for run in runs}
        earlier_s = {run: s for run in runs if (s := earlier_wall_s(run, paths[run]) or earlier_wall_s(
            run, result_path(RESULTS_DIR, machine["id"], run.workload, run.framework, versions[run.framework],
                             run.mode, run.device))) is not None}  # fmt: skip
        progress = stack.enter_context(Progress(*columns, console=console, transient=True))
        progress.console.print(
            f"Measuring {len(runs)} runs in rounds of every run of a workload (at least {profile.rounds}, "
            f"at most {max(g.looks[-1] for g in groups)}) on [bold]{machine['id']}[/bold] with the {profile.name} "
            f"profile, {threads} threads, measurement {measurement}; results go to {folder}"
        )
        progress.console.print(
            "Versions: " + ", ".join(f"{fw} {version or 'not installed'}" for fw, version in sorted(versions.items()))
        )
        kept = set()
        for group in groups:
            for line in resume(group, state):
                progress.console.print(line)
            more = wants_round(group, state, folder)
            for run in group.runs:
                if state[run] is not None and (run not in active(group, state) or not more):
                    kept.add(run)
                    progress.console.print(f"{run.key}: kept from an earlier run (--redo measures it again)")
        task = progress.add_task(
            "starting", total=len(planned(groups, state)), left=time_left(groups, state, earlier_s)
        )
        finished_processes = 0
        while going := [group for group in groups if wants_round(group, state, folder)]:
            for group in going:
                members = active(group, state)
                count = rounds_done(group, state)
                round_id = f"{measurement}:{count + 1}"
                turn = count % len(members)
                for run in members[turn:] + members[:turn]:  # rotated: each run in turn first
                    label = MODE_LABELS.get((run.framework, run.mode), run.mode) + (
                        " (A/A control)" if run.control else ""
                    )
                    total = finished_processes + len(planned(groups, state))
                    progress.update(
                        task, description=f"round {count + 1} of {group.key}: {label}", total=total,
                        left=time_left(groups, state, earlier_s),
                    )  # fmt: skip
                    started_at = datetime.now(UTC).isoformat(timespec="seconds")
                    start = time.perf_counter()
                    reported, code = run_child(run, profile, threads, timeout_s, memory_limit)
                    latest = record(
                        run, profile, threads, machine, reported, code, started_at, time.perf_counter() - start,
                        version=versions[run.framework], round_id=round_id, looks=group.looks,
                    )  # fmt: skip
                    state[run] = results.add_round(state[run], latest)
                    write_json_atomic(paths[run], state[run])
                    progress.console.print(
                        f"{run.key} round {count + 1} ({latest['run']['wall_s']:.0f} s): {summary(latest)}"
                    )
                    finished_processes += 1
                    progress.update(task, completed=finished_processes)
    done = [doc for run in runs if (doc := state[run]) is not None]
    failed = [r for r in done if r["outcome"]["status"] != "ok"]
    console.print(
        f"Done: {len(done) - len(failed)} of {len(done)} runs ok"
        + (f" ({len(kept)} kept from an earlier run)." if kept else ".")
    )
    for r in failed:
        console.print(f"  {r['outcome']['status']}: {results.run_label(r)}")
    return done
