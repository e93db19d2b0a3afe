"""Where does the spread between processes come from, and what removes the most of it per minute?

    python -m benchmarks.noise                           # MLP training batch 256, PyTorch eager, 10 processes
    python -m benchmarks.noise --processes 20 --json /tmp/noise.json
    python -m benchmarks.noise --run mlp/tensorflow/function/cpu --case 'batch 32' --profile quick

Run it on a quiet machine (nothing else running: on 2 vCPUs ``nice`` does not protect it). It starts
the run's worker in ``--processes`` fresh processes, one after another, exactly as the harness does
(``harness.run_child``: the same environment, compile cache and references), and for the one case
chosen reads each process's median speed, its canary's median speed (``measurements.canary``), its
steal and its wall time. It then prints the SD of the log process medians:

- **raw**: as the guides' intervals see it today;
- **canary-adjusted**: each process's log median minus β × its log canary median, β fitted over the
  processes (a control variate: the spread the canary's drift explains is removed; one degree of
  freedom is spent on β);
- **paired, adjacent processes**: the SD of the log ratio of each process to the one before it,
  ÷ √2, so that it compares with the raw SD: what interleaving at the grain of one process and a
  paired analysis would leave, when the drift is slower than a process;

and for each, about how many processes a side calling a true 10% difference needs with 80% power
(the normal approximation, 2 ((1.96 + 0.84) σ / ln 1.1)²; one comparison, no correction) and the
minutes both sides take at the measured time per process. Inside each
process it also gives the correlation between each sample's log speed and its canary's (pooled
within processes). ``--json`` keeps every process's readings, so the figures can be recomputed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from generator.analyse import noise, stats
from generator.analyse.compare import speed_unit
from measurements import catalog, environment, harness
from measurements.profiles import PROFILES

TARGET = 1.10  # the difference the processes-a-side column sizes for
Z = 1.96  # a two-sided 95% interval
POWER_Z = 0.8416  # 80% power


def processes_for(sigma: float, target: float = TARGET) -> int:
    """About how many processes a side call a true difference of ``target`` (faster) with 80% power at
    the 5% level, at the spread ``sigma``: 2 ((1.96 + 0.84) σ / ln target)², the normal approximation."""
    return max(2, math.ceil(2 * ((Z + POWER_Z) * sigma / math.log(target)) ** 2))


def one_process(run: harness.Run, profile_name: str, case: str, threads: int, timeout_s: float) -> dict[str, Any]:
    """One fresh process of ``run``: the chosen case's samples, canaries, and the process's noise record."""
    start = time.perf_counter()
    reported, _ = harness.run_child(run, PROFILES[profile_name], threads, timeout_s)
    wall_s = time.perf_counter() - start
    if reported["status"] != "ok":
        sys.exit(f"error: {run.key} {reported['status']}: {(reported.get('error') or '').strip()[-400:]}")
    found = [m for m in reported.get("measurements", []) if case in m["case"]]
    if not found:
        known = ", ".join(m["case"] for m in reported.get("measurements", []))
        sys.exit(f"error: {run.key} has no case matching {case!r} in the {profile_name} profile; its cases: {known}")
    m = found[0]
    return {
        "case": m["case"], "metric": m["metric"], "samples": m["samples"], "canary": m.get("canary", []),
        "samples_per_canary": m.get("samples_per_canary", 1), "noise": reported.get("noise"), "wall_s": wall_s,
    }  # fmt: skip


def within_correlation(processes: list[dict[str, Any]], unit: str) -> float | None:
    """The correlation of each sample's log speed with its canary's, each centred on its process's means."""
    xs, ys = [], []
    for p in processes:
        if not p["canary"] or p["samples_per_canary"] != 1 or len(p["canary"]) != len(p["samples"]):
            continue
        y, x = np.log(stats.to_speed(p["samples"], unit)), np.log(p["canary"])
        ys.append(y - y.mean())
        xs.append(x - x.mean())
    if not xs:
        return None
    x, y = np.concatenate(xs), np.concatenate(ys)
    return float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else None


def report(processes: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures this script prints, from the processes' readings."""
    unit = speed_unit(catalog.METRICS[processes[0]["metric"]])
    speeds = [float(np.median(stats.to_speed(p["samples"], unit))) for p in processes]
    canaries = [float(np.median(p["canary"])) if p["canary"] else None for p in processes]
    logs = np.log(speeds)
    minutes = float(np.mean([p["wall_s"] for p in processes])) / 60
    raw = noise.log_sd(speeds)
    adjusted = noise.canary_adjusted([noise.Series("", processes[0]["case"], speeds, canaries)])
    # the canary's β is fitted on these processes: n − 2 degrees of freedom, not n − 1
    adjusted_sd = adjusted[0] * math.sqrt((len(speeds) - 1) / (len(speeds) - 2)) if adjusted else None
    paired = float(np.std(np.diff(logs), ddof=1) / math.sqrt(2)) if len(logs) > 2 else None
    steal = [p["noise"]["steal"] for p in processes if p["noise"] and p["noise"]["steal"] is not None]
    share = [p["noise"]["canary_share"] for p in processes if p["noise"]]
    methods = {"raw": raw, "canary-adjusted": adjusted_sd, "paired, adjacent processes": paired}
    return {
        "case": processes[0]["case"], "unit": unit, "processes": len(processes), "minutes_per_process": minutes,
        "speeds": speeds, "canaries": canaries,
        "sd": methods,
        "processes_a_side_for_10_percent": {k: processes_for(v) if v else None for k, v in methods.items()},
        "within_process_correlation": within_correlation(processes, unit),
        "steal_median": float(np.median(steal)) if steal else None, "steal_max": max(steal, default=None),
        "canary_share_median": float(np.median(share)) if share else None,
    }  # fmt: skip


def percent(share: float | None, digits: int) -> str:
    return "–" if share is None else f"{100 * share:.{digits}f}%"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default="mlp/pytorch/eager/cpu", help="workload/framework/mode/device")
    parser.add_argument("--case", default="batch 256", help="a part of the case's name (default: %(default)s)")
    parser.add_argument("--profile", default="standard", choices=sorted(PROFILES), help="sizes and samples")
    parser.add_argument("--processes", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0, help="default: the CPUs available")
    parser.add_argument("--json", type=Path, help="write every process's readings and the figures here")
    args = parser.parse_args(argv)
    if args.processes < 3:
        parser.error("--processes: at least 3 (the canary's slope spends one)")
    parts = args.run.split("/")
    if len(parts) != 4:
        parser.error("--run: workload/framework/mode/device, e.g. mlp/pytorch/eager/cpu")
    run = harness.Run(*parts)
    threads = args.threads or environment.machine()["cpus_available"]
    profile = PROFILES[args.profile]
    processes = []
    for i in range(args.processes):
        processes.append(one_process(run, args.profile, args.case, threads, profile.timeout_s))
        print(f"process {i + 1}/{args.processes}: {processes[-1]['wall_s']:.0f} s", file=sys.stderr)
    found = report(processes)
    print(f"{run.key}, {found['case']}: {found['processes']} processes, {found['minutes_per_process']:.2f} min each")
    print(f"{'SD of log process medians':<32} {'SD':>7} {'a side, 10%':>16} {'minutes':>8}")
    for method, sd in found["sd"].items():
        n = found["processes_a_side_for_10_percent"][method]
        text = f"{sd:7.3f} {n:16d} {2 * n * found['minutes_per_process']:8.0f}" if sd is not None else "      –"
        print(f"{method:<32} {text}")
    corr = found["within_process_correlation"]
    print(f"sample ~ canary correlation within processes: {'–' if corr is None else f'{corr:.2f}'}")
    print(f"steal: median {percent(found['steal_median'], 2)}, at most {percent(found['steal_max'], 2)}; "
          f"the canary's share of each process: {percent(found['canary_share_median'], 1)}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"run": run.key, "profile": args.profile, "figures": found,
                                         "readings": processes}, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
