"""Do fresh measurements agree with the committed ones? Run after changing measurement code.

    python -m measurements run --profile standard --only 'mlp_infer/pytorch/eager/cpu' --results /tmp/check
    python -m benchmarks.agreement /tmp/check     # against results/: the same machine's files

For every case of every run measured in both folders (same machine, workload, framework, version,
mode and device), prints the fresh speed ÷ the committed speed with its 95% interval over the
processes (``stats.compare``: a Welch interval on log process medians) and whether it contains 1.
Exits 1 if a run is missing from the committed results or a case's interval excludes 1, so that a
sceptical reader sees each disagreement rather than a summary. A machine that drifts between days
can disagree with unchanged code: quote the ratios, not only the verdict.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from generator.analyse import stats
from generator.read import load
from measurements import UserError, lock
from measurements.results import RESULTS_DIR, check_file, samples_of

Cases = dict[tuple[str, ...], dict[tuple[str, str], list[list[float]]]]


def cases(folder: Path) -> Cases:
    """Each run's per-process samples by case (its unit and ``metric case``), keyed by ``load.run_key``."""
    found: Cases = {}
    for path in load.result_files(folder):
        doc, problems = check_file(path)
        if doc is None:
            sys.exit(f"error: {path}: {problems[0] if problems else 'unreadable'}; measure it again")
        found[load.run_key(doc)] = {
            (m["unit"], f"{m['metric']} {m['case']}"): samples_of(doc, i) for i, m in enumerate(doc["measurements"])
        }
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fresh", type=Path, help="the results folder of the fresh measurements")
    parser.add_argument("--against", type=Path, default=RESULTS_DIR, help="committed results (default: %(default)s)")
    args = parser.parse_args(argv)
    try:  # a run still being measured is compared only once it has all its processes
        for machine in (p for p in sorted(args.fresh.glob("*")) if p.is_dir()):
            with lock.exclusive(machine):
                pass
    except UserError as exc:
        sys.exit(f"error: {exc}")
    committed, fresh = cases(args.against), cases(args.fresh)
    if not fresh:
        sys.exit(f"error: {args.fresh}: no results files; measure first (see this script's docstring)")
    disagree = 0
    for key, measured in sorted(fresh.items()):
        label = "/".join(key[1:])
        if key not in committed:
            print(f"{label}: not in {args.against} (another machine or version?)")
            disagree += 1
            continue
        for (unit, case), processes in measured.items():
            old = committed[key].get((unit, case))
            if old is None:
                print(f"{label} {case}: not in the committed run")
                disagree += 1
                continue
            r = stats.compare(stats.process_speeds(processes, unit), stats.process_speeds(old, unit))
            agrees = r.low is not None and r.high is not None and r.low <= 1 <= r.high
            interval = "no interval" if r.low is None else f"95% interval {r.low:.2f}–{r.high:.2f}"
            print(f"{label} {case}: fresh ÷ committed {r.ratio:.2f} ({interval}, {r.n_a} against {r.n_b} processes)"
                  f"{'' if agrees else '  DISAGREES'}")  # fmt: skip
            disagree += not agrees
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
