"""The launcher (measurements/launch.py), with tiny ``python -c`` children, and the rule that no other
module starts a process."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import psutil
import pytest

from measurements import launch
from measurements.launch import child_env, launch_group, run_tool
from tests.conftest import ROOT


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def gone(pid: int, within_s: float = 5) -> bool:
    """Whether the process ``pid`` has ended (a zombie counts as ended) within ``within_s``."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_a_child_that_reports_is_ok_with_its_report_output_and_peak_memory() -> None:
    code = "from measurements.launch import report; print('hello'); report({'status': 'ok', 'n': 1})"
    done = launch.launch(python(code), timeout_s=30)
    assert (done.status, done.error, done.returncode) == ("ok", None, 0)
    assert done.report == {"status": "ok", "n": 1} and done.reports == {0: done.report}
    assert done.stdout == "hello\n" and done.tail == "hello" and done.stderr == ""
    assert done.peak_rss_bytes is not None and done.peak_rss_bytes > 2**20
    assert done.elapsed_s > 0 and done.killed_for is None


def test_stdout_and_stderr_are_apart_when_asked_and_the_environment_is_given() -> None:
    code = "import os, sys; print(os.environ['FG_X']); print('oops', file=sys.stderr); sys.exit(3)"
    done = launch.launch(python(code), env=child_env({"FG_X": "given"}), timeout_s=30, capture="separate")
    assert (done.status, done.error, done.returncode) == ("failed", "exited with code 3", 3)
    assert (done.stdout, done.stderr) == ("given\n", "oops\n") and done.report is None


def test_a_hang_is_a_timeout_and_its_whole_tree_is_killed() -> None:
    # the grandchild runs in a session of its own, out of reach of the child's process group
    code = (
        "import subprocess, sys, time; from measurements.launch import report; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True); "
        "report({'grandchild': p.pid}); time.sleep(60)"
    )
    start = time.monotonic()
    done = launch.launch(python(code), timeout_s=3)
    assert done.status == "timeout" and done.killed_for == "timeout" and time.monotonic() - start < 15
    assert done.error == "no result after 3 s; killed" and done.returncode == -signal.SIGKILL
    grandchild = done.report["grandchild"] if done.report is not None else None
    assert isinstance(grandchild, int) and gone(grandchild)
    assert gone(done.pids[0])


def test_past_the_memory_limit_is_out_of_memory() -> None:
    code = "import time; x = bytearray(400 * 2**20); time.sleep(30)"
    done = launch.launch(python(code), timeout_s=30, memory_limit=200 * 2**20)
    assert (done.status, done.killed_for) == ("oom", "oom")
    assert done.error == "used more than the memory limit (200 MiB); killed"


def test_a_signal_is_a_crash_and_a_sigkill_from_outside_is_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    done = launch.launch(python("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"), timeout_s=30)
    assert (done.status, done.error) == ("crashed", "killed by SIGSEGV")
    killed = python("import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    done = launch.launch(killed, timeout_s=30)
    assert done.status == "crashed" and (done.error or "").startswith("was killed by SIGKILL from outside")
    counts = iter([0, 1])  # the kernel counts an out-of-memory kill in this cgroup meanwhile
    monkeypatch.setattr("measurements.environment.oom_kill_count", lambda pid="self": next(counts))
    done = launch.launch(killed, timeout_s=30)
    assert done.status == "oom" and (done.error or "").startswith("was killed by the kernel's out-of-memory killer")


def test_a_child_dies_with_its_parent_even_when_the_parent_is_killed_outright(tmp_path: Path) -> None:
    """The parent launches a sleeper, then is killed by SIGKILL: it has no chance to kill it itself."""
    pid_file = tmp_path / "sleeper.pid"
    sleeper = f"import os, pathlib, time; pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid())); time.sleep(60)"
    parent = (
        "import os, pathlib, signal, sys, threading, time\n"
        "from measurements.launch import launch\n"
        "def kill():\n"
        f"    while not pathlib.Path({str(pid_file)!r}).exists(): time.sleep(0.05)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "threading.Thread(target=kill).start()\n"
        f"launch([sys.executable, '-c', {sleeper!r}], timeout_s=60)\n"
    )
    done = launch.launch(python(parent), timeout_s=60)
    assert done.returncode == -signal.SIGKILL and done.killed_for is None  # the parent's end, not a launcher kill
    assert gone(int(pid_file.read_text()))


def test_ctrl_c_kills_the_child_and_goes_on_up() -> None:
    started: list[float] = []
    before = {p.pid for p in psutil.Process().children(recursive=True)}

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            started.append(time.monotonic())
            launch.launch(python("import time; time.sleep(60)"), timeout_s=60)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started[0] < 15
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before


def test_a_group_reports_by_rank_and_one_failure_takes_the_others_down() -> None:
    ranks = [python(f"from measurements.launch import report; report({{'rank': {r}}}, rank={r})") for r in (0, 1)]
    done = launch_group([(command, None) for command in ranks], timeout_s=30)
    assert done.status == "ok" and done.reports == {0: {"rank": 0}, 1: {"rank": 1}}
    start = time.monotonic()
    planned = [(python("import time; time.sleep(60)"), None), (python("print('boom'); raise SystemExit(3)"), None)]
    done = launch_group(planned, timeout_s=30, grace_s=0.5)
    assert (done.status, done.killed_for, done.returncodes) == ("failed", "failed", (-signal.SIGKILL, 3))
    assert time.monotonic() - start < 15 and "[process 1] boom" in done.tail


SCHEMA = {"type": "object", "required": ["status"], "properties": {"status": {"enum": ["ok", "failed"]}}}


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        (
            "report({'status': 'maybe'})",
            "the child's report 0.json does not match its schema at status: 'maybe' is not",
        ),
        ("report({'other': 1})", "the child's report 0.json does not match its schema at the top level: 'status'"),
        ("report([1, 2])", "the child's report 0.json does not match its schema at the top level: [1, 2] is not"),
        (
            "open(os.environ['FG_REPORT_DIR'] + '/0.json', 'w').write('{')",
            "the child's report 0.json is not valid JSON",
        ),
    ],
)
def test_a_report_that_breaks_its_schema_is_a_failure_that_names_the_problem(code: str, problem: str) -> None:
    done = launch.launch(python(f"import os; from measurements.launch import report; {code}"), timeout_s=30,
                         schema=SCHEMA)  # fmt: skip
    assert done.status == "failed" and done.report is None
    assert (done.error or "").startswith(problem), done.error


def test_a_child_run_by_hand_prints_its_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(launch.REPORT_ENV, raising=False)
    launch.report({"status": "ok"})
    assert capsys.readouterr().out == '{"status": "ok"}\n'


def test_a_report_written_for_the_launcher_reads_as_the_one_printed_by_hand(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Both write a value JSON has no type for as its text, and refuse NaN; the file is written
    whole or not at all, with nothing left beside it."""
    data = {"status": "ok", "where": Path("/x"), "n": 1.5, "each": [1, 2]}
    monkeypatch.delenv(launch.REPORT_ENV, raising=False)
    launch.report(data)
    printed = json.loads(capsys.readouterr().out)
    monkeypatch.setenv(launch.REPORT_ENV, str(tmp_path))
    launch.report(data, rank=2)
    assert json.loads((tmp_path / "2.json").read_text()) == printed == {**data, "where": "/x"}
    with pytest.raises(ValueError, match="not JSON compliant"):
        launch.report({"status": "ok", "n": float("nan")}, rank=3)
    assert [p.name for p in tmp_path.iterdir()] == ["2.json"]
    monkeypatch.delenv(launch.REPORT_ENV)
    with pytest.raises(ValueError, match="not JSON compliant"):
        launch.report({"status": "ok", "n": float("nan")})
    assert capsys.readouterr().out == ""


def test_a_tool_that_is_not_there_is_a_failure_not_an_exception() -> None:
    done = run_tool(["fg-no-such-tool"])
    assert done.status == "failed" and (done.error or "").startswith("cannot start fg-no-such-tool: No such file")
    assert run_tool([sys.executable, "-c", "print(2 + 2)"]).stdout == "4\n"


def test_the_child_environment_puts_this_tree_first_and_drops_what_it_is_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    monkeypatch.setenv("FG_GONE", "1")
    env = child_env({"FG_X": "1"}, drop=("FG_GONE", "TF_CPP_*"))
    assert env["PYTHONPATH"] == os.pathsep.join([str(ROOT), "/elsewhere"]) and env["FG_X"] == "1"
    assert "FG_GONE" not in env and "TF_CPP_MIN_LOG_LEVEL" not in env
    assert child_env(project=False)["PYTHONPATH"] == "/elsewhere"


# ---- no other module starts a process ------------------------------------------------------------

# what starts a process: the subprocess module, os's process calls, multiprocessing, pty
STARTS_A_PROCESS = re.compile(
    r"\bsubprocess\b|\bPopen\b|\bos\.(system|popen|fork|forkpty|exec\w*|spawn\w*|posix_spawn\w*)\b"
    r"|\bmultiprocessing\b|\bpty\.spawn\b"
)
LAUNCHER = ROOT / "measurements" / "launch.py"


def checked_files() -> Iterator[Path]:
    """The project's own code: measurements/ (the mistake scripts a user would write included),
    generator/ and the tests' helpers. The test modules themselves may run the project's commands
    as a user would, and are not checked; noxfile.py runs the sessions."""
    for folder in ("measurements", "generator"):
        yield from sorted((ROOT / folder).rglob("*.py"))
    yield from sorted(p for p in (ROOT / "tests").rglob("*.py") if not p.name.startswith("test_"))


def test_only_the_launcher_starts_processes() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in checked_files()
        if path != LAUNCHER
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if STARTS_A_PROCESS.search(line)
    ]
    assert found == [], "start processes through measurements.launch (launch, launch_group or run_tool):\n" + "\n".join(
        found
    )
    assert STARTS_A_PROCESS.search("done = subprocess.run(['ls'])") and STARTS_A_PROCESS.search("os.execvp(x, y)")
    assert LAUNCHER.exists() and "subprocess.Popen(" in LAUNCHER.read_text()
