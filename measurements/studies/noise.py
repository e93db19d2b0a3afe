"""Warnings and log noise: what each framework prints while doing this project's own work.

The canonical workflows are the timing runs themselves: the worker (``measurements.worker``)
builds each model, checks parity, trains or predicts in every mode, at the quick profile's
sizes. Each runs in a fresh process with Python's warnings shown once per place (``-W
default``, which also shows the deprecation warnings a plain script hides) and the
frameworks' own logging at its defaults; what the process writes to stderr is sorted into
Python warnings (by category) and framework log lines (by level). Identical lines count once
per workflow.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

from measurements import catalog
from measurements.catalog import STUDIES
from measurements.findings import LogLine, Noise, NoiseFinding, PythonWarning
from measurements.launch import child_env, launch

STUDY = STUDIES["noise"]
WORKLOADS = ("mlp", "mlp_infer", "cnn", "cnn_infer", "transformer", "transformer_infer")
WORKFLOW_TIMEOUT_S = 300
PYTHON_WARNING = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<category>\w*Warning): (?P<message>.*)$")
# absl (I1127 02:12:01.123 ...) and TensorFlow's C++ logging (2026-11-27 02:12:01.1: I tensorflow/...)
ABSL_LOG = re.compile(r"^(?P<level>[IWEF])\d{4} [\d:.]+\s+\d+\s+(?P<source>[^\]]+)\] (?P<message>.*)$")
TF_LOG = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+: (?P<level>[IWEF]) (?P<source>\S+)\] (?P<message>.*)$")
LEVELS = {"I": "info", "W": "warning", "E": "error", "F": "fatal"}
MESSAGE_CHARS = 500


def _short(where: str) -> str:
    """A source file named from its package down (``torch/_logging/_internal.py:1345``)."""
    where = Path(where).as_posix()
    return where.split("site-packages/")[-1] if "site-packages/" in where else Path(where).name


def sort_lines(stderr: str) -> Noise:
    """Python warnings and framework log lines in ``stderr``, each distinct one once; other
    lines (not a traceback's or a warning's indented continuation) count as level "other"."""
    python: dict[tuple[str, str], PythonWarning] = {}
    logs: dict[tuple[str, str], LogLine] = {}
    for line in stderr.splitlines():
        if match := PYTHON_WARNING.match(line):
            warning: PythonWarning = {"category": match["category"], "message": match["message"][:MESSAGE_CHARS],
                                      "source": _short(match["file"])}  # fmt: skip
            python.setdefault((warning["category"], warning["message"]), warning)
        elif match := ABSL_LOG.match(line) or TF_LOG.match(line):
            item: LogLine = {"level": LEVELS[match["level"]], "message": match["message"][:MESSAGE_CHARS],
                             "source": _short(match["source"].strip())}  # fmt: skip
            logs.setdefault((item["level"], item["message"]), item)
        elif line.strip() and not line[0].isspace():  # anything else a user sees, e.g. absl's own preamble
            item = {"level": "other", "message": line.strip()[:MESSAGE_CHARS], "source": "stderr"}
            logs.setdefault((item["level"], item["message"]), item)
    return {"python_warnings": list(python.values()), "log_lines": list(logs.values())}


def workflow(workload: str, framework: str, mode: str) -> NoiseFinding:
    """One worker run at tiny sizes; what it wrote to stderr, sorted."""
    with tempfile.TemporaryDirectory(prefix="fg-noise-") as tmp:
        env = child_env(drop=("PYTHONWARNINGS*", "TF_CPP_*"))
        command = [
            sys.executable, "-W", "default", "-m", "measurements.worker", "--workload", workload,
            "--framework", framework, "--mode", mode, "--device", "cpu", "--profile", "quick",
            "--threads", str(os.cpu_count() or 1),
        ]  # fmt: skip
        done = launch(command, env=env, cwd=tmp, timeout_s=WORKFLOW_TIMEOUT_S, capture="separate")
    if done.killed_for == "timeout":
        raise TimeoutError(f"the {workload} {mode} worker: {done.error}")
    found = sort_lines(done.stderr)
    return {
        "id": f"{workload}-{mode}".replace("_", "-"),
        "workload": workload,
        "mode": mode,
        "exit_code": done.returncode,
        **found,
    }


def run(framework: str) -> list[NoiseFinding]:
    modes = {name: catalog.workload(name).modes.get(framework, ()) for name in WORKLOADS}
    return [workflow(name, framework, mode) for name in WORKLOADS for mode in modes[name]]
