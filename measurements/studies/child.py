"""Runs one study for one framework inside a fresh child process and writes what it found.

python -m measurements.studies.child --study codesize --framework pytorch --output out.json
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
from pathlib import Path

from measurements.environment import installed_version
from measurements.frameworks import Unavailable
from measurements.worker import die_with_parent, inject


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m measurements.studies.child")
    parser.add_argument("--study", required=True)
    parser.add_argument("--framework", required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--inject", action="append", default=[], help="misbehave on purpose (tests)")
    args = parser.parse_args(argv)
    die_with_parent()  # the launcher started this study in a session of its own
    for fault in args.inject:
        inject(fault)
    try:
        if installed_version(args.framework) is None:
            raise Unavailable(f"{args.framework} is not installed in this environment")
        module = importlib.import_module(f"measurements.studies.{args.study}")
        report = {"status": "ok", "error": None, "findings": module.run(args.framework)}
    except (Unavailable, ImportError) as exc:  # the framework (or a tool the study needs) is missing
        report = {"status": "unavailable", "error": f"{type(exc).__name__}: {exc}", "findings": []}
    except Exception:
        report = {"status": "failed", "error": traceback.format_exc()[-4000:], "findings": []}
    args.output.write_text(json.dumps(report, allow_nan=False, default=str))
    return 0 if report["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
