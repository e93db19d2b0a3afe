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

from measurements.frameworks import Unavailable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m measurements.studies.child")
    parser.add_argument("--study", required=True)
    parser.add_argument("--framework", required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
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
