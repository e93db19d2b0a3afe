"""The guides' figures and comparisons, on the process-level statistics of ``generator.analyse.stats``.

A mode's figure is the median of its process medians (each fresh process summarised by its
median; fairness rule 8), with a 95% interval over processes: the Student t-interval of the
mean log process median, mapped back through exp (the centre the ratios compare: under the
lognormal model of ``stats`` the median and the geometric mean of the processes coincide).
With one process there is no interval.

Every comparison is the speed of A ÷ the speed of B (latencies turned into speed), so a ratio
above 1 always means A is faster, on every page. A case's headline comparisons are the pairs
of ``stats.pairwise``: each framework by its primary mode (the registry's ``default_mode``,
fixed before the data are seen), every pair of frameworks, one Bonferroni correction over the
pairs. Each primary mode shows its pair against the fastest other framework; every other mode is
a secondary result, compared with the same opponent at its own level, and never in a verdict.
Each comparison uses the rounds both sides ran in, where the results name their rounds; results
that share none are compared whole and marked as measured apart (see ``stats``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from generator.analyse import stats
from generator.analyse.stats import Ratio
from measurements import catalog
from measurements.frameworks import MODE_LABELS, REGISTRY

CONFIDENCE = stats.CONFIDENCE
NOISY_CV = 0.10  # coefficient of variation of the samples above which a series is flagged as noisy
ROUNDS_DISAGREE = 1.10  # processes whose medians differ by more than this factor are flagged

Array = npt.NDArray[np.float64]
Processes = Sequence[Sequence[float]]  # a series' samples, one list per fresh process, in round order
Comparison = Ratio  # every comparison of the guides: speed of A ÷ speed of B, see ``stats.Ratio``


@dataclass(frozen=True)
class Summary:
    """A series in its own unit, over its processes."""

    n: int  # samples
    processes: int  # fresh processes (rounds) with samples
    median: float  # the geometric mean of the process medians: the figure the ratios compare
    low: float | None  # 95% interval over processes (see the module); None with one process
    high: float | None
    cv: float  # coefficient of variation of the samples (within and between processes), descriptive only

    @property
    def noisy(self) -> bool:
        return self.cv > NOISY_CV

    @property
    def enough_processes(self) -> bool:
        return self.low is not None


def process_medians(processes: Processes) -> list[float]:
    """Each process's median, in its own unit and round order (a round without samples left out)."""
    return [float(np.median(np.asarray(own, dtype=float))) for own in processes if len(own)]


def each_alone(values: Sequence[float]) -> list[list[float]]:
    """Readings taken one per fresh process, as a series of processes."""
    return [[v] for v in values]


def summarise(processes: Processes) -> Summary:
    """The geometric mean of the process medians and its 95% interval over processes (t-interval
    on logs). The geometric mean, not the median of the medians, is the figure: ratios compare
    geometric means, so a figure, its interval and every ratio beside it agree."""
    values = np.asarray([s for own in processes for s in own], dtype=float)
    medians = process_medians(processes)
    if len(medians) > 1 and min(medians) > 0:
        median = float(np.exp(np.mean(np.log(medians))))
    else:  # one process (or a value that has no logarithm): its median as it is
        median = float(np.median(medians))
    cv = float(np.std(values, ddof=1) / np.mean(values)) if len(values) > 1 and np.mean(values) else 0.0
    if len(medians) < stats.MIN_PROCESSES or min(medians) <= 0:
        return Summary(len(values), len(medians), median, None, None, cv)
    logs = np.log(medians)
    half = float(special.stdtrit(len(logs) - 1, 1 - (1 - CONFIDENCE) / 2)) * float(np.std(logs, ddof=1))
    half /= math.sqrt(len(logs))
    centre = float(np.mean(logs))
    return Summary(len(values), len(medians), median, math.exp(centre - half), math.exp(centre + half), cv)


def speed_unit(metric: catalog.Metric) -> str:
    """How ``stats`` reads a metric's samples: as a rate, or as a time per thing (a
    latency, turned into speed). Taken from the catalog, never from the unit a results file
    states (free text there)."""
    return "samples/s" if metric.higher_is_better else "s"


def compare(a: Processes, b: Processes, *, unit: str, family: int = 1, band: float | None = None) -> Ratio:
    """Speed of series A ÷ speed of series B, over their processes (``stats.compare``); a series
    of one process gives no interval and no verdict."""
    return stats.compare(stats.process_speeds(a, unit), stats.process_speeds(b, unit), family=family, band=band)


def describe(comparison: Ratio, detail: bool = False, terms: tuple[str, str] = ("faster", "slower")) -> str:
    """The outcome in words, from A's side: "1.52× faster", "equivalent within 5%", "too
    uncertain to call", "too few processes to call (1 against 1)"; never a p-value beside an
    equivalent or uncertain call (``stats.words``)."""
    return stats.words(comparison, detail=detail, terms=terms)


def bound(value: float) -> str:
    """An interval's end: two decimals, or in powers of ten where that would read 0.00 or run
    to many digits (an interval over two processes can span orders of magnitude)."""
    return f"{value:.2f}" if 0.01 <= value < 1000 else f"{value:.1e}"


def figures(comparison: Ratio) -> str:
    """The figures behind a comparison, for a table cell: the ratio and its interval, and the
    p-value only beside a faster or slower call; a single reading says so."""
    if not comparison.enough_processes:
        return f"ratio {comparison.ratio:.2f}, {comparison.n_a} against {comparison.n_b} processes: no interval"
    assert comparison.low is not None and comparison.high is not None and comparison.p_value is not None
    level = f"{comparison.confidence:.0%} interval"
    text = f"ratio {comparison.ratio:.2f}, {level} {bound(comparison.low)}–{bound(comparison.high)}"
    if comparison.detectable is not None:  # the minimum detectable effect, at 80% power
        text += f", detects {bound(comparison.detectable)}×"
    over = [f"{n} {what}" for n, what in ((comparison.family, "comparisons"), (comparison.looks, "looks")) if n > 1]
    if over:
        text += f", Bonferroni over {' and '.join(over)}"
    if comparison.outcome in ("faster", "slower"):
        p = comparison.p_value
        text += ", p < 0.001" if p < 0.001 else f", p = {p:.3f}"
    return text + together(comparison)


def together(comparison: Ratio) -> str:
    """How the two sides were measured, where the results say: "; 5 rounds together" (paired by
    round), "; measured apart, not interleaved" (no round shared); nothing where unknown."""
    if comparison.interleaved is None:
        return ""
    if comparison.interleaved:
        return f"; {comparison.n_a} round{'s' if comparison.n_a != 1 else ''} together"
    return "; measured apart, not interleaved"


@dataclass(frozen=True)
class ModeResult:
    """One (framework, mode) of one workload case on one machine, against the best of the others."""

    framework: str
    mode: str
    summary: Summary
    first_call_s: float
    peak_rss_bytes: int | None
    after_import_rss_bytes: int | None  # resident memory once the framework is imported
    parity_passed: bool
    parity_max_abs_diff: float | None
    file: str
    gflops: float  # achieved floating-point rate at the median
    unit: str = "samples/s"
    speeds: tuple[float, ...] = ()  # each process's median speed (``stats.process_speeds``)
    higher_is_better: bool = True  # a rate; False for a latency
    p90: float = float("nan")  # percentiles of the samples, shown for latencies
    p99: float = float("nan")
    device_peak_bytes: int | None = None  # the GPU allocator's peak, on a GPU
    round_spread: float = 1.0  # the highest process median over the lowest
    prepare_s: float | None = None  # building and wrapping the model, before the first call
    versus: str | None = None  # "framework/mode": the fastest mode of the other frameworks, compared against
    versus_file: str | None = None  # and its results file
    versus_summary: Summary | None = None  # and its figure
    comparison: Ratio | None = None  # this mode's speed ÷ the versus mode's
    best: bool = False  # the mode that stands for its framework (its primary): ``comparison`` is a headline pair
    margins: dict[str, Ratio] = field(default_factory=dict)  # best only: its speed ÷ each other mode's (secondary)
    rounds: tuple[str | None, ...] = ()  # each process's round id (None where its result names none), as ``speeds``
    looks: int = 1  # the planned looks of a result replicated until decided (``stats``)

    @property
    def round_ids(self) -> tuple[str | None, ...]:
        """Each process's round id, as ``speeds`` (None where the result names none)."""
        return self.rounds or (None,) * len(self.speeds)

    def against(self, other: ModeResult, floor: float | None = None) -> Ratio:
        """This mode's speed ÷ ``other``'s on the rounds both ran in (``stats.compare``), at its own level;
        ``floor``: the machine's noise floor, where it has one."""
        return stats.compare(self.speeds, other.speeds, rounds=(self.round_ids, other.round_ids),
                             looks=max(self.looks, other.looks), floor=floor)  # fmt: skip

    @property
    def rounds_disagree(self) -> bool:
        return self.round_spread > ROUNDS_DISAGREE

    @property
    def called(self) -> bool:
        """Whether the comparison calls a difference (faster or slower), rather than equivalent,
        too uncertain or too few processes."""
        c = self.comparison
        return c is not None and c.enough_processes and c.outcome in ("faster", "slower")

    @property
    def verdict(self) -> str:
        if self.comparison is None:
            return "no other framework measured"
        return describe(self.comparison)


@dataclass
class CaseModes:
    """Every mode of one case: the pairs of frameworks by their primary modes, and every mode
    against the fastest other framework."""

    unit: str
    results: list[ModeResult]
    headlines: dict[str, stats.Headline]  # framework -> its primary against the fastest other framework's
    pairwise: stats.Pairwise | None = None  # every pair of frameworks, one correction

    def get(self, framework: str, mode: str) -> ModeResult | None:
        return next((r for r in self.results if (r.framework, r.mode) == (framework, mode)), None)

    @property
    def headline(self) -> ModeResult | None:
        """The fastest framework's primary mode against the fastest other framework's: the case's
        headline pair, read from the faster side (its ratio is at least 1)."""
        bests = [r for r in self.results if r.best and r.comparison is not None]
        return max(bests, key=lambda r: r.comparison.ratio if r.comparison else 0.0, default=None)

    def best_of(self, framework: str) -> ModeResult | None:
        return next((r for r in self.results if r.framework == framework and r.best), None)


def round_spread(processes: Processes) -> float:
    """The highest process median over the lowest: how far apart separate processes landed."""
    medians = process_medians(processes)
    return max(medians) / min(medians) if medians and min(medians) > 0 else 1.0


PRIMARY = {f.id: f.default_mode for f in REGISTRY.values()}  # each framework's primary mode, fixed in advance


def against_best_of_others(results: list[ModeResult], floor: float | None = None) -> CaseModes:
    """The pairs of frameworks present in ``results`` by their primary modes (``stats.pairwise``),
    and each mode against the fastest other framework's primary mode: a primary with its pair, the
    other modes as secondary results (their own interval, uncorrected, never in a verdict). ``floor``:
    the machine's noise floor, inside which no faster or slower is called (``stats.compare``)."""
    unit = results[0].unit if results else "samples/s"
    by_framework: dict[str, dict[str, list[float]]] = {}
    rounds: dict[str, dict[str, tuple[str | None, ...]]] = {}
    for r in results:
        by_framework.setdefault(r.framework, {})[r.mode] = list(r.speeds)
        rounds.setdefault(r.framework, {})[r.mode] = r.round_ids
    looks = max((r.looks for r in results), default=1)
    found_pairs = stats.pairwise(by_framework, PRIMARY, floor=floor, rounds=rounds, looks=looks)
    headlines = (
        stats.headlines(found_pairs, by_framework, floor=floor, rounds=rounds, looks=looks) if found_pairs else {}
    )
    found = {(r.framework, r.mode): r for r in results}
    compared = []
    for r in results:
        h = headlines.get(r.framework)
        if h is None:  # no other framework measured
            compared.append(r)
            continue
        other = found[(h.versus_framework, h.versus_mode)]
        versus = replace(
            r, versus=f"{other.framework}/{other.mode}", versus_file=other.file, versus_summary=other.summary
        )
        if r.mode == h.mode:
            compared.append(replace(versus, comparison=h.comparison, best=True, margins=dict(h.margins)))
            continue
        compared.append(replace(versus, comparison=r.against(other, floor)))
    return CaseModes(unit, compared, headlines, found_pairs)


def round_ids(row: Any) -> tuple[str | None, ...]:
    """Each process's round id of a row of ``load.to_frame`` (a round without samples left out, as
    ``stats.process_speeds`` leaves it out); none where the frame has no ids."""
    ids = getattr(row, "round_ids", None) or [None] * len(row.samples)
    return tuple(rid for rid, own in zip(ids, row.samples, strict=True) if len(own))


def mode_results(rows: pd.DataFrame, floor: float | None = None) -> CaseModes:
    """Each mode's figures (rows of one case), compared with the fastest mode of the other frameworks;
    ``floor``: the machine's noise floor (``generator.analyse.noise``), where it has one."""
    results = []
    for row in rows.itertuples():
        metric = catalog.METRICS[row.metric]
        summary = summarise(row.samples)
        if metric.timing == "latency":  # milliseconds per call
            gflops = row.flops_per_unit / (summary.median / 1000) / 1e9
        else:
            gflops = summary.median * row.flops_per_unit / 1e9
        p90, p99 = np.percentile([s for own in row.samples for s in own], [90, 99])
        results.append(ModeResult(
            framework=row.framework, mode=row.mode, summary=summary, first_call_s=row.first_call_s,
            peak_rss_bytes=None if pd.isna(row.peak_rss_bytes) else int(row.peak_rss_bytes),
            after_import_rss_bytes=None if pd.isna(row.after_import_rss_bytes) else int(row.after_import_rss_bytes),
            parity_passed=bool(row.parity_passed),
            parity_max_abs_diff=None if pd.isna(row.parity_max_abs_diff) else float(row.parity_max_abs_diff),
            file=row.file, gflops=gflops, unit=row.unit,
            speeds=tuple(stats.process_speeds(row.samples, speed_unit(metric))),
            rounds=round_ids(row), looks=int(getattr(row, "looks", 1)),
            higher_is_better=metric.higher_is_better, p90=float(p90), p99=float(p99),
            device_peak_bytes=None if pd.isna(row.device_peak_bytes) else int(row.device_peak_bytes),
            round_spread=round_spread(row.samples),
            prepare_s=None if pd.isna(row.prepare_s) else float(row.prepare_s),
        ))  # fmt: skip
    order = list(MODE_LABELS)
    results.sort(key=lambda r: order.index((r.framework, r.mode)) if (r.framework, r.mode) in order else len(order))
    return against_best_of_others(results, floor)


def undecided(rows: pd.DataFrame) -> list[str]:
    """The cases among ``rows`` (the ok results of one workload on one device) whose pairs of
    frameworks by their primary modes are not all decided (faster, slower or equivalent at δ): what
    the harness adds rounds to, judged as the pages judge them (the machine's noise floor aside, which
    more rounds do not move)."""
    found = []
    for name in dict.fromkeys(rows["case"]):
        pairs = mode_results(rows[rows.case == name]).pairwise
        if pairs is not None and any(r.outcome == "uncertain" for r in pairs.pairs.values()):
            found.append(str(name))
    return found
