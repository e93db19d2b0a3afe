"""Command line: ``python -m generator build|check|merge``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from generator import load, render
from generator import merge as merge_results
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
    """Validate each file, then check the good ones together: names that match their content,
    and no two files of the same run (a copy, or a clash of different numbers)."""
    problems: list[str] = []
    bad: set[Path] = set()
    seen: dict[tuple[str, ...], tuple[Path, dict[str, Any]]] = {}
    unique = sorted(set(paths))
    for path in unique:  # sorted, so the file called shown is the one a build shows
        kind = merge_results.kind_of(path)
        if kind is merge_results.STUDY:  # a study's findings: validated, and where it belongs
            doc, found = kind.check(path)
            found = [f"{path}: {problem}" for problem in found]
            expected = kind.target(doc, path.resolve().parents[2]) if doc is not None else path
            if path.resolve() != expected.resolve():
                found.append(f"{path}: named or placed unlike its content; move it to {expected}")
            if found:
                bad.add(path)
                problems += found
            continue
        doc, found = load.check_file(path)
        found = [f"{path}: {problem}" for problem in found]
        if doc is not None:
            found += load.name_problems(path, doc)
            key = load.run_key(doc)
            if key in seen:
                found.append(load.duplicate_problem(path, doc, *seen[key]))
            else:
                seen[key] = path, doc
        if found:
            bad.add(path)
            problems += found
    for problem in problems:
        print(problem)
    print(f"{len(unique)} files checked, {len(bad)} with problems", file=sys.stderr)
    return 1 if problems else 0


def merge(sources: list[Path], into: Path) -> int:
    result = merge_results.merge(sources, into)
    for problem in result.problems:
        print(problem)
    print(result.summary(into))
    return 1 if result.problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description="Generate the guide's pages.")
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="generate pages and charts into docs/generated/")
    build_cmd.add_argument("--results", type=Path, default=RESULTS_DIR, help="results folder (default: %(default)s)")
    build_cmd.add_argument("--out", type=Path, default=GENERATED_DIR, help="output folder (default: %(default)s)")
    build_cmd.add_argument("--strict", action="store_true", help="fail on any bad results file")
    check_cmd = commands.add_parser("check", help="validate results files: schema, names, clashes")
    check_cmd.add_argument("files", nargs="+", type=Path)
    merge_cmd = commands.add_parser("merge", help="merge results folders from other machines into one, checked")
    merge_cmd.add_argument("sources", nargs="+", type=Path, metavar="SRC", help="a results folder or machine folder")
    merge_cmd.add_argument("--into", type=Path, default=RESULTS_DIR, help="results folder (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return check(args.files)
        if args.command == "merge":
            return merge(args.sources, args.into)
        return build(args.results, args.out, args.strict)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
