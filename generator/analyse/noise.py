"""The noise floor of a machine: what its A/A control, its steal and its spread between processes say.

- **The A/A control.** A profile measures one run twice, interleaved, as if the second were another
  framework (``RunRecord.control``, ``measurements.profiles.Profile.control``). Each of its cases is
  compared with its run's by the same ``stats.compare`` as every comparison; the share of those
  identical pairs called faster or slower is the false-difference rate observed. Over a handful of
  cases that share says little, so the same rate is also simulated at the measured spread and process
  counts (log process medians normal around one true speed, both sides; ``SIMULATIONS`` seeded draws).
- **The noise floor** is the largest difference the control's intervals leave room for: over its
  cases, the far end of each A/A ratio's interval, max(high, 1/low). A faster or slower comparison on
  that machine whose ratio lies inside [1/floor, floor] is not called (``stats.compare``'s ``floor``).
  A machine without an A/A control with an interval has no floor, and the pages say so.
- **Steal**: each process's share of its CPUs' ticks stolen (``measurements.canary``), over the
  machine's processes that recorded it.
- **Spread between processes**: the SD of the log process medians of each series (a mode of a case,
  two processes or more), at the median and quartiles over the machine's series; and, where every
  process of a series recorded a canary, the same SD after adjusting each process by its canary's
  median speed (a control variate: one slope, pooled within series, of log speed on log canary).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from generator.analyse import stats
from generator.analyse.compare import speed_unit
from measurements import catalog
from measurements.results import Result, samples_of

SIMULATIONS = 2000
SEED = 27
MIN_ADJUSTED = 3  # processes a series needs for its canary-adjusted spread (one slope is spent on it)


@dataclass(frozen=True)
class Series:
    """One series of a machine (a mode of a case, or its A/A control): each process's median speed and,
    where it recorded one, its canary's median speed."""

    file: str
    case: str
    speeds: list[float]
    canaries: list[float | None]
    rounds: tuple[str | None, ...] = ()  # each process's round id (None where its result names none)


@dataclass(frozen=True)
class MachineNoise:
    machine: str
    control: str | None  # the A/A control as "workload/framework/mode/device"; None where none was measured
    pairs: list[tuple[str, stats.Ratio]] = field(default_factory=list)  # each case of the control: run ÷ control
    simulated_rate: float | None = None  # the false-difference rate at the measured spread, by simulation
    floor: float | None = None  # the noise floor (a ratio above 1); None without an A/A interval
    spreads: list[float] = field(default_factory=list)  # SD of log process medians, one per series
    adjusted: list[float] = field(default_factory=list)  # the same, canary-adjusted, where recorded
    steal: list[float] = field(default_factory=list)  # each process's, where recorded
    canary_share: list[float] = field(default_factory=list)  # each process's, where recorded

    @property
    def called(self) -> int:
        """A/A comparisons called faster or slower: each one a false difference."""
        return sum(r.enough_processes and r.outcome in ("faster", "slower") for _, r in self.pairs)

    @property
    def compared(self) -> int:
        return sum(r.enough_processes for _, r in self.pairs)

    @property
    def observed_rate(self) -> float | None:
        return self.called / self.compared if self.compared else None

    @staticmethod
    def quartiles(values: Sequence[float]) -> tuple[float, float, float] | None:
        if not values:
            return None
        q1, q2, q3 = np.percentile(values, [25, 50, 75])
        return float(q1), float(q2), float(q3)


def series_of(doc: Result, file: str = "") -> list[Series]:
    """Each speed case of a results file that ran: its processes' median speeds and canaries."""
    if doc["outcome"]["status"] != "ok":
        return []
    found = []
    for i, m in enumerate(doc["measurements"]):
        metric = catalog.METRICS.get(m["metric"])
        if metric is None or metric.timing == "curve":
            continue
        unit = speed_unit(metric)
        processes = samples_of(doc, i)
        readings = [r["measurements"][i] for r in doc["rounds"]]
        canaries = [float(np.median(r["canary"])) if r.get("canary") else None for r in readings]
        ids = [r.get("id") for r in doc["rounds"]]
        kept = [(own, c, i) for own, c, i in zip(processes, canaries, ids, strict=True) if own]
        speeds = stats.process_speeds([own for own, _, _ in kept], unit)
        found.append(Series(file, m["case"], speeds, [c for _, c, _ in kept], tuple(i for _, _, i in kept)))
    return found


def log_sd(values: Sequence[float]) -> float:
    return float(np.std(np.log(values), ddof=1))


def canary_adjusted(series: Iterable[Series]) -> list[float]:
    """The SD of each series' log process medians after adjusting by the canary: log speed − β × log
    canary, β the slope pooled within series (each centred on its own means), for the series whose
    every process recorded a canary and that have ``MIN_ADJUSTED`` processes or more."""
    usable = [s for s in series if len(s.speeds) >= MIN_ADJUSTED and all(c for c in s.canaries)]
    if not usable:
        return []
    centred = []
    for s in usable:
        y, x = np.log(s.speeds), np.log(np.asarray(s.canaries, dtype=float))
        centred.append((y - y.mean(), x - x.mean()))
    sxx = sum(float(x @ x) for _, x in centred)
    beta = sum(float(x @ y) for y, x in centred) / sxx if sxx > 0 else 0.0
    return [float(np.std(y - beta * x, ddof=1)) for y, x in centred]


def false_difference_rate(n_a: int, n_b: int, sigma: float, reps: int = SIMULATIONS, seed: int = SEED) -> float:
    """How often ``stats.compare`` calls two identical runs faster or slower, with ``n_a`` and ``n_b``
    processes whose log medians are normal with SD ``sigma``: ``reps`` seeded draws."""
    rng = np.random.default_rng(seed)
    called = 0
    for _ in range(reps):
        a, b = np.exp(rng.normal(0.0, sigma, n_a)), np.exp(rng.normal(0.0, sigma, n_b))
        called += stats.compare(a, b).outcome in ("faster", "slower")
    return called / reps


def floor_of(pairs: Sequence[tuple[str, stats.Ratio]]) -> float | None:
    """The noise floor: the far end of the A/A intervals, max(high, 1/low) over the control's cases."""
    ends = [max(r.high, 1 / r.low) for _, r in pairs if r.low is not None and r.high is not None and r.low > 0]
    return max(ends) if ends else None


def control_key(doc: Result) -> str:
    run = doc["run"]
    return f"{run['workload']}/{run['framework']}/{run['mode']}/{run['device']}"


def machine_noise(machine: str, docs: dict[str, Result]) -> MachineNoise:
    """The noise floor of one machine from its results files (file -> document): the runs the guides
    show and their A/A controls."""
    runs = {control_key(d): (f, d) for f, d in docs.items() if not d["run"].get("control")}
    controls = {control_key(d): (f, d) for f, d in docs.items() if d["run"].get("control")}
    pairs: list[tuple[str, stats.Ratio]] = []
    control = None
    for key, (file, doc) in sorted(controls.items()):
        control = key
        if key not in runs:
            continue
        base = {s.case: s for s in series_of(runs[key][1])}
        for twin in series_of(doc, file):
            if twin.case in base and base[twin.case].speeds and twin.speeds:
                one = base[twin.case]  # on the rounds both ran in, as every comparison
                ids = (one.rounds, twin.rounds) if one.rounds and twin.rounds else None
                pairs.append((twin.case, stats.compare(one.speeds, twin.speeds, rounds=ids)))
    spreads_of = [r.spread for _, r in pairs if r.spread is not None]
    simulated = None
    if spreads_of:
        sigma = float(np.sqrt(np.mean(np.square(spreads_of))))
        n_a = min(r.n_a for _, r in pairs if r.spread is not None)
        n_b = min(r.n_b for _, r in pairs if r.spread is not None)
        simulated = false_difference_rate(n_a, n_b, sigma)
    shown = [s for f, d in runs.values() for s in series_of(d, f)]
    spreads = [log_sd(s.speeds) for s in shown if len(s.speeds) >= stats.MIN_PROCESSES]
    noise = [r["noise"] for d in docs.values() for r in d["rounds"] if "noise" in r]
    return MachineNoise(
        machine, control, pairs, simulated, floor_of(pairs), spreads, canary_adjusted(shown),
        [n["steal"] for n in noise if n["steal"] is not None], [n["canary_share"] for n in noise],
    )  # fmt: skip


def floor_words(floor: float | None) -> str:
    """The noise floor in words, for the pages: "±12%" (from 1/floor to floor)."""
    return "none measured" if floor is None else f"±{(floor - 1) * 100:.0f}%"
