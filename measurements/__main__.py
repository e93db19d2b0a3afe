"""Command line: ``python -m measurements run --profile quick|standard|full [--only GLOB]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from measurements import UserError, environment, harness
from measurements.profiles import PROFILES
from measurements.results import RESULTS_DIR
from measurements.studies import runner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m measurements", description="Measure this machine.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the measurements and write one results file per run")
    listing = commands.add_parser("list", help="list the runs a profile would make, without running them")
    for sub in (run, listing):
        sub.add_argument(
            "--only",
            action="append",
            metavar="GLOB",
            help="only runs whose workload/framework/mode/device matches (repeatable)",
        )
        sub.add_argument("--profile", choices=sorted(PROFILES), default="standard")
    run.add_argument("--results", type=Path, default=RESULTS_DIR, help="results folder (default: %(default)s)")
    run.add_argument("--threads", type=int, help="threads for both frameworks (default: the CPUs available)")
    run.add_argument("--timeout", type=float, help="seconds per run before it is killed (default: per profile)")
    run.add_argument(
        "--memory-limit",
        type=float,
        metavar="MIB",
        help="resident memory per run before it is killed and recorded as out of memory",
    )
    run.add_argument("--redo", action="store_true", help="measure again runs that already have a result")
    args = parser.parse_args(argv)

    try:
        profile = PROFILES[args.profile]
        studies = runner.plan(args.only, profile)
        try:
            runs = harness.plan(harness.devices_here(environment.gpus()), args.only, profile)
        except UserError:
            if not studies:
                raise
            runs = []  # --only named studies alone
        if args.command == "list":
            print("\n".join([r.key for r in runs] + [s.key for s in studies]))
            return 0
        if args.threads is not None and args.threads < 1:
            raise UserError(f"--threads must be at least 1, not {args.threads}")
        if args.memory_limit is not None and args.memory_limit <= 0:
            raise UserError(f"--memory-limit must be a positive number of MiB, not {args.memory_limit}")
        results = []
        if runs:
            results = harness.run_all(
                runs, profile, args.results, threads=args.threads, timeout_s=args.timeout,
                memory_limit=None if args.memory_limit is None else int(args.memory_limit * 2**20), redo=args.redo,
            )  # fmt: skip
        if studies:
            results += runner.run_all(studies, args.results, redo=args.redo, timeout_s=args.timeout)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: results written so far are kept", file=sys.stderr)
        return 130
    return 0 if all(r["outcome"]["status"] in ("ok", "unavailable") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
