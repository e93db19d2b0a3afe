"""Command line: ``python -m measurements run --profile quick|standard|full [--only GLOB]``."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from measurements import UserError, environment, estimate, harness, inputs
from measurements.profiles import PROFILES, Profile
from measurements.results import RESULTS_DIR, Gpu
from measurements.studies import runner

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the harness is, so that it cleans up as after Ctrl-C:
    its child is killed, temporary folders are removed, finished results are kept."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into ``Stopped`` while the measurement runs (signals reach the
    main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _stop) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


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
    listing.add_argument(
        "--estimate",
        action="store_true",
        help="each run's and study's estimated minutes, and the total, from a machine's earlier results",
    )
    listing.add_argument("--results", type=Path, default=RESULTS_DIR, help="with --estimate: the results folder "
                         "(default: %(default)s)")  # fmt: skip
    listing.add_argument("--machine", help="with --estimate: whose results (default: this machine's where it has "
                         "any, else the reference machine's)")  # fmt: skip
    run.add_argument("--threads", type=int, help="threads for both frameworks (default: the CPUs available)")
    run.add_argument("--timeout", type=float, help="seconds per run before it is killed (default: per profile)")
    run.add_argument(
        "--memory-limit",
        type=float,
        metavar="MIB",
        help="resident memory per run before it is killed and recorded as out of memory",
    )
    run.add_argument("--redo", action="store_true", help="measure again runs that already have a result")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="the profile's runs on the CPU at tiny sizes, one process each, into a temporary folder unless "
        "--results names one: a check that the command works here (the gpu profile has one)",
    )
    args = parser.parse_args(argv)

    try:
        with stop_signals_raise():
            return measure(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Stopped as exc:
        print(f"stopped by {exc.args[0]}: results written so far are kept", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("interrupted: results written so far are kept", file=sys.stderr)
        return 130


def measure(args: argparse.Namespace) -> int:
    """List or run what the command line asks for; 0 if every run ended ok (or had no framework).

    Before anything runs, every option and environment variable is checked (``inputs``): a bad
    one is refused with one line, before a framework is imported or a file written."""
    profile = PROFILES[args.profile]
    gpus = environment.gpus()
    if args.command == "run":
        threads = inputs.threads(args.threads)
        timeout_s = inputs.timeout(args.timeout)
        memory_limit = inputs.memory_limit(args.memory_limit)
        profile = dry_run_of(profile) if args.dry_run else profile
        if profile.devices and not profile.on_cpu and "cuda" in profile.devices and not gpus:
            raise UserError(f"the {profile.name} profile measures on a CUDA GPU, and this machine has none; "
                            "add --dry-run to try its runs on the CPU")  # fmt: skip
        if args.dry_run and args.results == RESULTS_DIR:
            args.results = Path(tempfile.mkdtemp(prefix="fg-dry-run-"))
            print(f"dry run: results go to {args.results}", file=sys.stderr)
    studies = runner.plan(args.only, profile)
    try:
        runs = harness.plan(harness.devices_here(gpus), args.only, profile)
    except UserError:
        if not studies:
            raise
        runs = []  # --only named studies alone
    if args.command == "list":
        if args.estimate:
            folder = args.results / (args.machine or estimate_machine(args.results, gpus))
            print(estimate.table(estimate.estimate(runs, studies, profile, folder), profile, folder))
        else:
            print("\n".join([r.key for r in runs] + [s.key for s in studies]))
        return 0
    inputs.environment_variables({r.framework for r in runs} | {s.framework for s in studies})
    inputs.results_folder(args.results, environment.machine_id(environment.available_cpus(), gpus))
    outcomes = []
    if runs:
        outcomes = [r["outcome"] for r in harness.run_all(
            runs, profile, args.results, threads=threads, timeout_s=timeout_s, memory_limit=memory_limit,
            redo=args.redo,
        )]  # fmt: skip
    if studies:
        outcomes += [
            r["outcome"]
            for r in runner.run_all(studies, args.results, redo=args.redo, timeout_s=timeout_s, profile=profile)
        ]
    return 0 if all(o["status"] in ("ok", "unavailable") for o in outcomes) else 1


def estimate_machine(results: Path, gpus: list[Gpu]) -> str:
    """This machine's id where ``results`` holds results of it, else the reference machine's
    (``reference-machine`` in pyproject.toml), else this machine's."""
    here = environment.machine_id(environment.available_cpus(), gpus)
    if any((results / here).glob("*.json")):
        return here
    with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
        config = tomllib.loads(PYPROJECT.read_text()).get("tool", {}).get("framework-guide", {})
        if isinstance(config.get("reference-machine"), str):
            return str(config["reference-machine"])
    return here


def dry_run_of(profile: Profile) -> Profile:
    """The registered dry run of ``profile`` (its runs on the CPU at tiny sizes)."""
    dry = PROFILES.get(f"{profile.name}-dry-run", profile if profile.on_cpu else None)
    if dry is None:
        known = ", ".join(name.removesuffix("-dry-run") for name in PROFILES if name.endswith("-dry-run"))
        raise UserError(f"the {profile.name} profile has no dry run; --dry-run works with: {known}")
    return dry


if __name__ == "__main__":
    sys.exit(main())
