"""Statistics on raw samples: medians with 95% intervals, ratios between frameworks, tests.

The maths is here; the words for it are in ``describe``. Bootstrap resampling uses a fixed
seed, so the same results always give the same pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from measurements import workloads
from measurements.frameworks import MODE_LABELS

CONFIDENCE = 0.95
ALPHA = 0.05  # significance level of the Mann-Whitney U test
MEANINGFUL = 0.05  # a difference under 5% is "no meaningful difference", however significant
NOISY_CV = 0.10  # coefficient of variation above which a series is flagged as noisy
ROUNDS_DISAGREE = 1.10  # rounds whose medians differ by more than this factor are flagged
RESAMPLES = 4000
SEED = 20261126

Array = npt.NDArray[np.float64]
Samples = Sequence[float] | Array


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    low: float  # 95% bootstrap interval of the median
    high: float
    cv: float  # coefficient of variation (standard deviation / mean)

    @property
    def noisy(self) -> bool:
        return self.cv > NOISY_CV


@dataclass(frozen=True)
class Comparison:
    ratio: float  # median(a) / median(b)
    low: float  # 95% bootstrap interval of the ratio
    high: float
    p_value: float  # two-sided Mann-Whitney U
    significant: bool
    meaningful: bool  # significant and at least MEANINGFUL away from 1


def _median_ci(*samples: np.ndarray, statistic: object) -> tuple[float, float]:
    if all(np.ptp(s) == 0 for s in samples):  # constant series: the resampled statistic is too
        value = float(statistic(*samples, axis=-1))  # type: ignore[operator]
        return value, value
    result = stats.bootstrap(
        samples, statistic, confidence_level=CONFIDENCE, n_resamples=RESAMPLES, method="percentile",
        vectorized=True, paired=False, rng=np.random.default_rng(SEED),
    )  # fmt: skip
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _median(a: Array, axis: int = -1) -> Array:
    return np.asarray(np.median(a, axis=axis))


def _ratio_of_medians(a: Array, b: Array, axis: int = -1) -> Array:
    return np.asarray(np.median(a, axis=axis) / np.median(b, axis=axis))


def _by_round(values: Array, per_round: Sequence[int]) -> list[Array]:
    """The pooled samples split back into their rounds, in order."""
    return np.split(values, np.cumsum(per_round)[:-1])


def _grid(values: Array, per_round: Sequence[int] | None) -> Array:
    """The samples as a rounds × samples array (one row where rounds are unknown or unequal)."""
    if per_round and len(per_round) > 1 and len(set(per_round)) == 1 and sum(per_round) == len(values):
        return np.stack(_by_round(values, per_round))
    return values.reshape(1, -1)


def _resampled_medians(grid: Array, rng: np.random.Generator) -> Array:
    """Medians of two-level bootstrap resamples: rounds drawn with replacement, then samples
    within each drawn round. A slow or fast process (round) so counts as one observation, not
    as many independent samples; with one round this is the ordinary bootstrap."""
    rounds, n = grid.shape
    chosen = rng.integers(0, rounds, size=(RESAMPLES, rounds, 1))
    picks = rng.integers(0, n, size=(RESAMPLES, rounds, n))
    return np.asarray(np.median(grid[chosen, picks].reshape(RESAMPLES, rounds * n), axis=1))


def _interval(estimates: Array) -> tuple[float, float]:
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(estimates, [tail, 100 - tail])
    return float(low), float(high)


def summarise(samples: Samples, per_round: Sequence[int] | None = None) -> Summary:
    """Median, its 95% interval and the CV. With ``per_round`` (samples per round, in order),
    the interval comes from resampling rounds, then samples within them."""
    values = np.asarray(samples, dtype=float)
    median = float(np.median(values))
    if len(values) < 2:
        return Summary(len(values), median, median, median, 0.0)
    grid = _grid(values, per_round)
    if len(grid) == 1:
        low, high = _median_ci(values, statistic=_median)
    else:
        low, high = _interval(_resampled_medians(grid, np.random.default_rng(SEED)))
    cv = float(np.std(values, ddof=1) / np.mean(values))
    return Summary(len(values), median, low, high, cv)


def compare(
    a: Samples, b: Samples, a_per_round: Sequence[int] | None = None, b_per_round: Sequence[int] | None = None
) -> Comparison:
    """How series ``a`` relates to series ``b``: the ratio of medians, its interval, a test.
    With samples per round, the interval resamples rounds first (see ``summarise``)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ratio = float(np.median(x) / np.median(y))
    if len(x) < 2 or len(y) < 2:
        return Comparison(ratio, ratio, ratio, 1.0, False, False)
    x_grid, y_grid = _grid(x, a_per_round), _grid(y, b_per_round)
    if len(x_grid) == 1 and len(y_grid) == 1:
        low, high = _median_ci(x, y, statistic=_ratio_of_medians)
    else:
        rng = np.random.default_rng(SEED)
        low, high = _interval(_resampled_medians(x_grid, rng) / _resampled_medians(y_grid, rng))
    p_value = float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)
    significant = p_value < ALPHA and not low <= 1.0 <= high  # the test and the interval agree
    return Comparison(ratio, low, high, p_value, significant, significant and abs(ratio - 1) >= MEANINGFUL)


def describe(comparison: Comparison, higher_is_better: bool = True) -> str:
    """Words for a comparison of ``a`` against ``b``, from ``a``'s side: "1.52× faster"."""
    if not comparison.meaningful:
        return "no meaningful difference"
    better = (comparison.ratio > 1) == higher_is_better
    factor = comparison.ratio if comparison.ratio > 1 else 1 / comparison.ratio
    return f"{factor:.2f}× {'faster' if better else 'slower'}"


@dataclass(frozen=True)
class ModeResult:
    """One (framework, mode) of one workload case on one machine, against the other framework."""

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
    higher_is_better: bool = True  # a rate; False for a latency
    p90: float = float("nan")  # percentiles of the samples, shown for latencies
    p99: float = float("nan")
    device_peak_bytes: int | None = None  # the GPU allocator's peak, on a GPU
    round_spread: float = 1.0  # the highest round's median over the lowest's
    prepare_s: float | None = None  # building and wrapping the model, before the first call
    versus: str | None = None  # the other framework's fastest mode, compared against
    versus_file: str | None = None  # and its results file
    comparison: Comparison | None = None

    @property
    def rounds_disagree(self) -> bool:
        return self.round_spread > ROUNDS_DISAGREE

    @property
    def verdict(self) -> str:
        if self.comparison is None:
            return "no other framework measured"
        return describe(self.comparison, self.higher_is_better)


def round_spread(samples: Samples, per_round: Sequence[int]) -> float:
    """The highest round's median over the lowest's: how far apart separate processes landed."""
    medians = [float(np.median(r)) for r in _by_round(np.asarray(samples, dtype=float), per_round) if len(r)]
    return max(medians) / min(medians) if medians and min(medians) > 0 else 1.0


def best(results: list[ModeResult], framework: str) -> ModeResult | None:
    """The framework's fastest mode by median (its best idiomatic path)."""
    own = [r for r in results if r.framework == framework]
    if not own:
        return None
    sign = 1 if own[0].higher_is_better else -1
    return max(own, key=lambda r: sign * r.summary.median)


def against_best_of_other(
    results: list[ModeResult],
    samples: dict[tuple[str, str], tuple[list[float], list[int]]],  # (framework, mode) -> samples, per round
    frameworks: tuple[str, str] = ("pytorch", "tensorflow"),
) -> list[ModeResult]:
    """Compare each mode with the fastest mode of the other framework."""
    compared = []
    for r in results:
        other_framework = frameworks[1] if r.framework == frameworks[0] else frameworks[0]
        other = best(results, other_framework)
        if other is None or r.framework not in frameworks:
            compared.append(r)
            continue
        (mine, mine_rounds), (theirs, their_rounds) = (
            samples[(r.framework, r.mode)],
            samples[(other.framework, other.mode)],
        )
        comparison = compare(mine, theirs, mine_rounds, their_rounds)
        compared.append(ModeResult(**{**r.__dict__, "versus": f"{other.framework}/{other.mode}",
                                      "versus_file": other.file, "comparison": comparison}))  # fmt: skip
    return compared


def mode_results(
    rows: pd.DataFrame,
) -> tuple[list[ModeResult], dict[tuple[str, str], tuple[list[float], list[int]]]]:
    """Each mode's figures, compared with the other framework's fastest; and the raw samples
    (with their count per round) by (framework, mode)."""
    results, samples = [], {}
    for row in rows.itertuples():
        metric = workloads.METRICS[row.metric]
        summary = summarise(row.samples, row.samples_per_round)
        if metric.timing == "latency":  # milliseconds per call
            gflops = row.flops_per_unit / (summary.median / 1000) / 1e9
        else:
            gflops = summary.median * row.flops_per_unit / 1e9
        p90, p99 = np.percentile(row.samples, [90, 99])
        samples[(row.framework, row.mode)] = (list(row.samples), list(row.samples_per_round))
        results.append(ModeResult(
            framework=row.framework, mode=row.mode, summary=summary, first_call_s=row.first_call_s,
            peak_rss_bytes=None if pd.isna(row.peak_rss_bytes) else int(row.peak_rss_bytes),
            after_import_rss_bytes=None if pd.isna(row.after_import_rss_bytes) else int(row.after_import_rss_bytes),
            parity_passed=bool(row.parity_passed),
            parity_max_abs_diff=None if pd.isna(row.parity_max_abs_diff) else float(row.parity_max_abs_diff),
            file=row.file, gflops=gflops, higher_is_better=metric.higher_is_better, p90=float(p90), p99=float(p99),
            device_peak_bytes=None if pd.isna(row.device_peak_bytes) else int(row.device_peak_bytes),
            round_spread=round_spread(row.samples, row.samples_per_round),
            prepare_s=None if pd.isna(row.prepare_s) else float(row.prepare_s),
        ))  # fmt: skip
    order = list(MODE_LABELS)
    results.sort(key=lambda r: order.index((r.framework, r.mode)) if (r.framework, r.mode) in order else len(order))
    return against_best_of_other(results, samples), samples
