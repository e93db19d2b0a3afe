"""Starts every child process of the measurements, and nothing else in ``measurements/`` does.

``launch(command, ...)`` starts one child (``launch_group`` several that work together, such as
the ranks of a distributed run), watches its time and memory, kills its whole process tree past a
limit or when this process is interrupted, and returns an ``Outcome``. Every child:

- gets its environment from ``child_env`` (this source tree first on ``PYTHONPATH``);
- starts in a session of its own, and dies with this process (Linux's parent-death signal, set
  before it starts), even when this process is killed outright;
- reports back one way: a JSON file, written with ``report(data)`` (``report(data, rank=r)`` in a
  process of a group) into the folder this launcher names in ``FG_REPORT_DIR``. Each rank writes
  its own file, ``<rank>.json``, atomically, so a report is whole or absent. The launcher reads
  them once every process has ended, checks each against the caller's JSON Schema, and returns
  them by rank; a report that is not JSON or breaks its schema is a ``failed`` outcome whose
  error names the file and the problem.

Short commands whose output is what is wanted (``nvidia-smi``, a probe in another virtual
environment) go through ``run_tool``, the same launch with its output captured.

The launcher only starts, watches and kills: what a child measures is timed inside the child.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, TypedDict, Unpack

from measurements.results import ROOT, write_json_atomic

REPORT_ENV = "FG_REPORT_DIR"  # where a child writes its report, ``<rank>.json``
POLL_S = 0.2  # how often a running child's time and memory are checked
TAIL_CHARS = 4000  # how much of each process's output an outcome keeps for error messages
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
STATUSES = ("ok", "failed", "crashed", "timeout", "oom")
SCRATCH_PREFIX = "fg-harness-"  # + pid: one folder per launching process for its children's temporary files


@functools.cache
def scratch() -> Path:
    """This process's folder for its children's temporary folders (the harness's, and the
    launcher's own), removed when it exits.

    A process killed outright (``kill -9``) cannot remove it; the next one to start removes the
    folders of those that are no longer running.
    """
    sweep_scratch()
    folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def sweep_scratch() -> list[Path]:
    """Remove the scratch folders of this user's processes that are no longer running; returns them."""
    removed = []
    for path in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        found = re.fullmatch(rf"{SCRATCH_PREFIX}(\d+)-.*", path.name)
        try:
            mine = path.is_dir() and not path.is_symlink() and path.stat().st_uid == os.getuid()
        except OSError:
            continue
        if found and mine and not alive(int(found[1])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def alive(pid: int) -> bool:
    """Whether a process of this id is running (a process of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LaunchError(RuntimeError):
    """A command that could not be started at all (no such program)."""


@dataclass(frozen=True)
class Outcome:
    """How a child (or a group of children) ended.

    ``status`` is one of ``STATUSES``: ``ok`` (every process exited with 0 and its report, if
    any, is valid), ``failed`` (a process exited with another code, or a report is invalid),
    ``crashed`` (a process was killed by a signal this launcher did not send), ``timeout``
    (killed at the time limit), ``oom`` (killed at the memory limit, or by the kernel's
    out-of-memory killer). ``error`` says what happened in one sentence (None when ok);
    ``tail`` is the end of each process's output, labelled when there are several."""

    status: str
    error: str | None
    returncodes: tuple[int | None, ...]
    stdout: str  # the first process's output (with its stderr, unless captured apart)
    stderr: str  # the first process's stderr when captured apart, else ""
    tail: str
    elapsed_s: float
    pids: tuple[int, ...]
    reports: dict[int, dict[str, object]] = field(default_factory=dict)  # by rank
    peak_rss_bytes: int | None = None  # the largest process's peak resident memory, from the kernel's accounting
    peak_pss_bytes: int | None = None  # the whole tree's peak PSS, sampled (``track_pss=True``)
    peak_processes: int = 0  # the most processes in the tree when it was sampled (``track_pss=True``)
    killed_for: str | None = None  # "timeout", "oom" or "failed" (``grace_s``) when this launcher killed it

    @property
    def returncode(self) -> int | None:
        return self.returncodes[0] if self.returncodes else None

    @property
    def report(self) -> dict[str, object] | None:
        """Rank 0's report: a single child's."""
        return self.reports.get(0)


def child_env(
    extra: Mapping[str, str] | None = None, *, drop: Iterable[str] = (), project: bool = True
) -> dict[str, str]:
    """The environment of a child: this process's, less the names in ``drop`` (a name ending in
    ``*`` drops every name it begins), with this source tree first on ``PYTHONPATH`` (unless
    ``project`` is false: a command of another virtual environment), then ``extra``."""
    names = list(drop)
    exact = {n for n in names if not n.endswith("*")}
    prefixes = tuple(n[:-1] for n in names if n.endswith("*"))
    env = {k: v for k, v in os.environ.items() if k not in exact and not (prefixes and k.startswith(prefixes))}
    if project:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **(extra or {})}


def report(data: Mapping[str, object], rank: int = 0) -> None:
    """Inside a child: write its report where the launcher asked (``FG_REPORT_DIR``), atomically
    (``results.write_json_atomic``). Run by hand, without a launcher, the report is printed instead.
    Either way a value JSON has no type for (a path, a NumPy integer) is written as its text."""
    folder = os.environ.get(REPORT_ENV)
    if not folder:
        print(json.dumps(data, allow_nan=False, default=str), flush=True)
        return
    write_json_atomic(Path(folder) / f"{rank}.json", data, default=str)


def _prctl() -> Callable[..., int] | None:
    try:
        found: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the launcher still kills the children it outlives
        return None
    return found


def _die_with_parent(parent: int, then: Callable[[], None] | None) -> Callable[[], None]:
    """What runs in the child between fork and exec: ``then`` (joining a memory cgroup), and asking
    Linux to kill the child when this process ends, even by ``kill -9``. Kept to system calls: the
    harness has threads (its progress bar), and the child runs this before it executes anything."""
    prctl = _prctl()

    def setup() -> None:
        if then is not None:
            then()
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # this process ended before the request took effect
            os._exit(1)

    return setup


def die_with_parent() -> None:
    """Inside a child that another program started (torchrun's workers): ask Linux to kill it when
    that parent dies. Children of this launcher have asked already, before they started."""
    prctl = _prctl()
    if prctl is not None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before the request took effect
        sys.exit(1)


def kill_tree(pids: Sequence[int]) -> None:
    """Kill each process's group (each leads a session of its own) and everything below it,
    including processes started in sessions of their own (torchrun's workers, a study's
    launches); return once those below are gone, so that the folders they wrote in can be removed.
    The processes in ``pids`` themselves are this launcher's to reap."""
    import psutil  # here, not at the top: the generator reads the studies' registry, which imports this module

    below = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            below += psutil.Process(pid).children(recursive=True)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    for process in below:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(below, timeout=10)


def _tree_pss(pids: Sequence[int]) -> tuple[int | None, int]:
    """The summed PSS of the processes and everything below them, and how many processes that was."""
    import psutil

    total, counted = 0, 0
    for pid in pids:
        try:
            top = psutil.Process(pid)
            tree = [top, *top.children(recursive=True)]
        except psutil.Error:
            continue
        for process in tree:
            with contextlib.suppress(psutil.Error):
                total += int(process.memory_full_info().pss)
                counted += 1
    return (total if counted else None), counted


def _signal_name(code: int) -> str:
    with contextlib.suppress(ValueError):
        return signal.Signals(-code).name
    return f"signal {-code}"


def _killed_from_outside(pid: int, since: float, oom_kills_before: int | None) -> tuple[bool, str]:
    """A child killed by SIGKILL that this launcher did not send: (whether the kernel's out-of-memory
    killer did it, a sentence that says what is known). Evidence is the kernel's count of
    out-of-memory kills in this process's memory cgroup, or its log naming the child."""
    from measurements import environment

    after = environment.oom_kill_count()
    if oom_kills_before is not None and after is not None and after > oom_kills_before:
        return True, "killed by the kernel's out-of-memory killer (its memory cgroup counted an out-of-memory kill)"
    logged = environment.kernel_log_oom_kills(pid, since)
    if logged:
        return True, "killed by the kernel's out-of-memory killer (the kernel log names it)"
    if (oom_kills_before is not None and after is not None) or logged is not None:
        return False, "killed by SIGKILL from outside the harness; the kernel reports no out-of-memory kill"
    return False, (
        "killed by SIGKILL from outside the harness; this machine does not show whether the kernel's "
        "out-of-memory killer sent it"
    )


def _read_reports(folder: Path, schema: Mapping[str, object] | None) -> tuple[dict[int, dict[str, object]], str | None]:
    """The reports in ``folder`` by rank, each checked against ``schema``; and the first problem."""
    import jsonschema

    found: dict[int, dict[str, object]] = {}
    for path in sorted(folder.glob("*.json"), key=lambda p: p.name):
        if not path.stem.isdigit():
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            return found, f"the child's report {path.name} is not valid JSON ({exc})"
        if schema is not None:
            problem = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(data))
            if problem is not None:
                where = "/".join(map(str, problem.absolute_path)) or "the top level"
                return found, f"the child's report {path.name} does not match its schema at {where}: {problem.message}"
        if not isinstance(data, dict):
            return found, f"the child's report {path.name} is not a JSON object"
        found[int(path.stem)] = data
    return found, None


def _tail(texts: Sequence[str], chars: int) -> str:
    parts = []
    for i, text in enumerate(texts):
        label = f"[process {i}] " if len(texts) > 1 else ""
        parts.append(f"{label}{text.strip()[-chars:] or '(no output)'}")
    return "\n".join(parts)


class Options(TypedDict, total=False):
    """How a child runs, besides its command and time limit (see ``launch``)."""

    cwd: Path | str | None
    memory_limit: int | None
    cgroup: Any  # an environment.MemoryLimit
    schema: Mapping[str, object] | None
    capture: Literal["merged", "separate"]
    track_pss: bool
    poll_s: float
    tail_chars: int


def launch(
    command: Sequence[str], *, env: Mapping[str, str] | None = None, timeout_s: float, **options: Unpack[Options]
) -> Outcome:
    """Run ``command`` in a fresh process, in ``cwd``, and wait for it, under ``timeout_s`` seconds
    and, with ``memory_limit`` (bytes), a limit on its resident memory; with ``cgroup`` (an
    ``environment.MemoryLimit``), inside that memory cgroup, where the kernel ends the tree past
    its limit. ``env`` defaults to ``child_env()``. Its report is checked against ``schema``; its
    stderr goes with its stdout unless ``capture`` is ``"separate"``; with ``track_pss``, the
    tree's PSS is sampled every ``poll_s``; ``tail_chars`` of its output go in the outcome's tail.
    Ctrl-C or SIGTERM here kills the child's tree before it goes on up."""
    return launch_group([(command, env)], timeout_s=timeout_s, **options)


def launch_group(
    planned: Sequence[tuple[Sequence[str], Mapping[str, str] | None]],
    *,
    timeout_s: float,
    grace_s: float | None = None,
    **options: Unpack[Options],
) -> Outcome:
    """Start several processes that work together, each (command, environment), and wait for all
    of them as ``launch`` does; with ``grace_s``, kill the rest ``grace_s`` after one of them
    failed (the others would wait for it forever), and the group is ``failed``. They share one
    report folder, where each writes ``<rank>.json``."""
    from measurements import environment

    cwd, cgroup, memory_limit = options.get("cwd"), options.get("cgroup"), options.get("memory_limit")
    capture, track_pss = options.get("capture", "merged"), options.get("track_pss", False)
    poll_s, tail_chars, schema = (
        options.get("poll_s", POLL_S),
        options.get("tail_chars", TAIL_CHARS),
        options.get("schema"),
    )
    with tempfile.TemporaryDirectory(prefix="fg-launch-", dir=scratch()) as tmp:
        group = _Group(Path(tmp), len(planned), capture == "separate")
        oom_kills_before, start = environment.oom_kill_count(), time.monotonic()
        try:
            group.start(planned, cwd, cgroup)
            watch = _watch(group, start + timeout_s, grace_s, memory_limit, track_pss, poll_s)
        finally:  # a limit, an exception or Ctrl-C: leave nothing running
            group.stop()
        elapsed = time.monotonic() - start
        codes = tuple(p.returncode for p in group.started)
        status, error = _judge(watch.killed_for, codes, [p.pid for p in group.started], timeout_s, memory_limit, cgroup,
                               start, oom_kills_before)  # fmt: skip
        reports, problem = _read_reports(group.reports, schema)
        if problem is not None:
            status, error = ("failed", problem) if status == "ok" else (status, f"{error}; {problem}")
        outputs = group.outputs()
        return Outcome(
            status=status, error=error, returncodes=codes, stdout=outputs[0][0], stderr=outputs[0][1],
            tail=_tail([out + err for out, err in outputs], tail_chars), elapsed_s=elapsed,
            pids=tuple(p.pid for p in group.started), reports=reports, peak_rss_bytes=group.peak_rss,
            peak_pss_bytes=watch.peak_pss,
            peak_processes=watch.peak_processes, killed_for=watch.killed_for,
        )  # fmt: skip


class _Group:
    """The processes of one launch, their output files and their report folder."""

    def __init__(self, folder: Path, count: int, separate: bool) -> None:
        self.reports = folder / "reports"
        self.reports.mkdir()
        self.logs = [(folder / f"{i}.out", folder / f"{i}.err" if separate else None) for i in range(count)]
        self.started: list[subprocess.Popen[bytes]] = []
        self.peak_rss: int | None = None

    def start(self, planned: Sequence[tuple[Sequence[str], Mapping[str, str] | None]], cwd: Path | str | None,
              cgroup: Any) -> None:  # fmt: skip
        setup = _die_with_parent(os.getpid(), cgroup.join if cgroup is not None else None)
        for (command, env), (out, err) in zip(planned, self.logs, strict=True):
            with contextlib.ExitStack() as files:
                stdout = files.enter_context(out.open("wb"))
                stderr: IO[bytes] | int = files.enter_context(err.open("wb")) if err else subprocess.STDOUT
                full_env = {**(env if env is not None else child_env()), REPORT_ENV: str(self.reports)}
                try:
                    self.started.append(subprocess.Popen(
                        list(command), stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=full_env, cwd=cwd,
                        start_new_session=True, preexec_fn=setup,  # noqa: PLW1509  # system calls only: see _die_with_parent
                    ))  # fmt: skip
                except OSError as exc:
                    raise LaunchError(f"cannot start {command[0]}: {exc.strerror or exc}") from exc

    def running(self) -> list[subprocess.Popen[bytes]]:
        """The processes still running, once those that ended are reaped (with their peak memory)."""
        for process in self.started:
            if process.returncode is None:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    self._ended(process, status, usage)
        return [p for p in self.started if p.returncode is None]

    def _ended(self, process: subprocess.Popen[bytes], status: int, usage: Any) -> None:
        process.returncode = os.waitstatus_to_exitcode(status)
        self.peak_rss = max(self.peak_rss or 0, usage.ru_maxrss * 1024)  # KiB on Linux

    def stop(self) -> None:
        """Kill whatever still runs, with everything below it, and reap it."""
        if any(p.returncode is None for p in self.started):
            kill_tree([p.pid for p in self.started])
        for process in self.started:
            if process.returncode is None:
                _, status, usage = os.wait4(process.pid, 0)
                self._ended(process, status, usage)

    def outputs(self) -> list[tuple[str, str]]:
        return [(out.read_text(errors="replace"), err.read_text(errors="replace") if err else "")
                for out, err in self.logs]  # fmt: skip


@dataclass
class _Watched:
    killed_for: str | None = None
    peak_pss: int | None = None
    peak_processes: int = 0


def _watch(group: _Group, deadline: float, grace_s: float | None, memory_limit: int | None, track_pss: bool,
           poll_s: float) -> _Watched:  # fmt: skip
    """Wait for every process to end, or kill them all at a limit: which one, and the peaks seen."""
    from measurements import environment

    watched, failed_at = _Watched(), None
    pidfds = []
    with contextlib.suppress(AttributeError, OSError):  # a pidfd wakes the wait as soon as its process ends
        pidfds = [os.pidfd_open(p.pid) for p in group.started]
    try:
        while running := group.running():
            now = time.monotonic()
            if failed_at is None and any(p.returncode not in (None, 0) for p in group.started):
                failed_at = now
            if now > deadline:
                watched.killed_for = "timeout"
            elif memory_limit is not None and any(
                (environment.proc_status_bytes("VmRSS", p.pid) or 0) > memory_limit for p in running
            ):
                watched.killed_for = "oom"
            elif grace_s is not None and failed_at is not None and now - failed_at > grace_s:
                watched.killed_for = "failed"
            if watched.killed_for:
                return watched
            if track_pss:
                pss, processes = _tree_pss([p.pid for p in running])
                if pss is not None:
                    watched.peak_pss, watched.peak_processes = max(watched.peak_pss or 0, pss), max(
                        watched.peak_processes, processes)  # fmt: skip
            if pidfds:
                select.select([fd for fd, p in zip(pidfds, group.started, strict=True) if p.returncode is None], [], [],
                              poll_s)  # fmt: skip
            else:
                time.sleep(poll_s)
        return watched
    finally:
        for fd in pidfds:
            os.close(fd)


def _judge(
    killed_for: str | None,
    codes: tuple[int | None, ...],
    pids: list[int],
    timeout_s: float,
    memory_limit: int | None,
    cgroup: Any,
    since: float,
    oom_kills_before: int | None,
) -> tuple[str, str | None]:
    """The status of a group that has ended, and the sentence that says why it is not ok."""
    several = len(codes) > 1
    if killed_for == "timeout":
        return "timeout", f"no result after {timeout_s:g} s; killed"
    if killed_for == "oom":
        return "oom", f"used more than the memory limit ({(memory_limit or 0) / 2**20:,.0f} MiB); killed"
    if cgroup is not None and (cgroup.oom_kills() or 0) > 0:
        return "oom", (
            f"the kernel's out-of-memory killer ended it at the limit of {cgroup.limit_bytes / 2**30:.2f} GiB"
        )
    if killed_for == "failed":
        return "failed", f"exited with codes {list(codes)}"
    if all(code == 0 for code in codes):
        return "ok", None
    code, pid = next((c, p) for c, p in zip(codes, pids, strict=True) if c != 0)
    assert code is not None
    if several:
        return ("crashed" if code < 0 else "failed"), f"exited with codes {list(codes)}"
    if code == -signal.SIGKILL:
        oom, why = _killed_from_outside(pid, since, oom_kills_before)
        return ("oom" if oom else "crashed"), f"was {why}"
    if code < 0:
        return "crashed", f"killed by {_signal_name(code)}"
    return "failed", f"exited with code {code}"


def run_tool(command: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | str | None = None,
             timeout_s: float = 60) -> Outcome:  # fmt: skip
    """A short command whose output is what is wanted (``nvidia-smi``, a probe of another virtual
    environment): its stdout and stderr apart. A program that is not there is a ``failed``
    outcome, not an exception."""
    try:
        return launch(command, env=env, cwd=cwd, timeout_s=timeout_s, capture="separate")
    except LaunchError as exc:
        return Outcome("failed", str(exc), (None,), "", "", str(exc), 0.0, ())
