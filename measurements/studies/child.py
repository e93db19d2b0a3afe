"""Runs one study for one framework inside a fresh child process and writes what it found.

python -m measurements.studies.child --study codesize --framework pytorch

It reports the launcher's way (``measurements.launch.report``); run by hand, it prints its report.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from measurements.environment import installed_version
from measurements.findings import StudyReport
from measurements.frameworks import Unavailable, with_why
from measurements.launch import report as write_report
from measurements.worker import inject


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m measurements.studies.child")
    parser.add_argument("--study", required=True)
    parser.add_argument("--framework", required=True)
    parser.add_argument("--inject", action="append", default=[], help="misbehave on purpose (tests)")
    args = parser.parse_args(argv)
    for fault in args.inject:
        inject(fault)
    found: StudyReport
    try:
        if installed_version(args.framework) is None:
            raise Unavailable(f"{args.framework} is not installed in this environment")
        module = importlib.import_module(f"measurements.studies.{args.study}")
        found = {"status": "ok", "error": None, "findings": module.run(args.framework)}
    except (Unavailable, ImportError) as exc:  # the framework (or a tool the study needs) is missing
        found = {"status": "unavailable", "error": with_why(args.framework, f"{type(exc).__name__}: {exc}"),
                 "findings": []}  # fmt: skip
    except Exception:
        found = {"status": "failed", "error": traceback.format_exc()[-4000:], "findings": []}
    write_report(found)
    return 0 if found["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
