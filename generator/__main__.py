"""Command line: ``python -m generator build|check``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from generator import load, render
from measurements import UserError
from measurements.results import RESULTS_DIR, ROOT

GENERATED_DIR = ROOT / "docs" / "generated"


def build(results_dir: Path, out: Path, strict: bool) -> int:
    start = time.perf_counter()
    if not results_dir.is_dir():
        raise UserError(f"{results_dir}: no results folder; measure this machine first with `nox -s measure`")
    loaded = load.load_results(load.result_files(results_dir))
    for problem in loaded.problems:
        print(f"error: {problem}", file=sys.stderr)
    if strict and loaded.problems:
        raise UserError(f"{len(loaded.problems)} bad results files (listed above) and --strict was given")
    reports = render.build(loaded, results_dir, out)
    print(f"Generated pages for {len(reports)} machines from {len(loaded.results)} results files "
          f"into {out} in {time.perf_counter() - start:.1f} s")  # fmt: skip
    return 0


def check(paths: list[Path]) -> int:
    bad = 0
    for path in paths:
        _, problems = load.check_file(path)
        bad += bool(problems)
        for problem in problems:
            print(f"{path}: {problem}")
    print(f"{len(paths)} files checked, {bad} with problems", file=sys.stderr)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description="Generate the guide's pages.")
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="generate pages and charts into docs/generated/")
    build_cmd.add_argument("--results", type=Path, default=RESULTS_DIR, help="results folder (default: %(default)s)")
    build_cmd.add_argument("--out", type=Path, default=GENERATED_DIR, help="output folder (default: %(default)s)")
    build_cmd.add_argument("--strict", action="store_true", help="fail on any bad results file")
    check_cmd = commands.add_parser("check", help="validate results files against the schema")
    check_cmd.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return check(args.files)
        return build(args.results, args.out, args.strict)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
