"""Comparisons over fresh processes: speed ratios with intervals, three outcomes, best modes.

The fresh process is the unit of replication (fairness rule 8). Samples inside one process
are consecutive and share its state, so they are never treated as independent: each process
is summarised by its median, and every interval and test here is computed over those
process-level summaries only.

Direction. Everything is a *speed*: throughputs as measured, latencies turned into speed
(1/latency) sample by sample before the median. A ratio is the speed of A ÷ the speed of B,
so a ratio above 1 always means A is faster, whatever the unit.

The ratio and its interval. Between-process spread is multiplicative (a process lands a few
per cent fast or slow as a whole), so the model is lognormal: the log of each process median
is normal around its framework's true log speed. The ratio is exp(mean log A − mean log B),
the ratio of geometric means of the process medians, and its interval is the Welch
t-interval on that difference of means (unequal variances and counts, Welch–Satterthwaite
degrees of freedom), mapped back through exp. Fewer than 2 processes on either side give no
interval: such a comparison is "too few processes to call", never a verdict.

Three outcomes, with a band of ±5% that is symmetric in log terms, [1/1.05, 1.05]:

- *faster*: the interval lies wholly above 1.05; *slower*: wholly below 1/1.05 (= 0.952);
- *equivalent within 5%*: the interval lies wholly inside [1/1.05, 1.05];
- *too uncertain to call*: anything else.

The symmetric band makes the outcome independent of which side is called A: swapping A and
B swaps faster and slower and keeps equivalent and uncertain as they are. The issue's
equivalence band is [0.95, 1.05]; an interval inside [1/1.05, 1.05] lies inside it too, so
every "equivalent" here also holds in the issue's terms (slightly stricter on the low side).
Equivalence uses the same 95% interval as the other outcomes: it amounts to two one-sided
tests (TOST) at 2.5% each, stricter than the textbook TOST at 5% each (a 90% interval).

The maths (``compare``) and the words (``words``) are apart. The words never put a p-value
beside an equivalent or an uncertain call.

Best modes (``best_against_others``) are chosen on all processes, and the selection is paid
for with a stated correction: every interval that involves a chosen mode is a Bonferroni
simultaneous interval over every pair of modes the choice could have landed on. Whatever
pair is picked, its interval so keeps at least 95% coverage. See that function.

Multiplicity over claims that vote over several comparisons: ``holm`` (family-wise error) and
``benjamini_hochberg`` (false discovery rate) adjust p-values.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special, stats

CONFIDENCE = 0.95  # of every interval (family-wise where a selection is corrected for)
BAND = 1.05  # the ±5% band, symmetric in log terms: [1/BAND, BAND]
MIN_PROCESSES = 2  # per side, below which no interval is computed

# Units of time: a series in one of these (or per something, "s/epoch") is a latency.
TIME_UNITS = frozenset({"ns", "us", "µs", "μs", "ms", "s", "sec", "min", "h"})

Outcome = Literal["faster", "slower", "equivalent", "uncertain"]
Array = npt.NDArray[np.float64]


def is_latency(unit: str) -> bool:
    """Whether a series in ``unit`` is a time per thing (lower is better) rather than a rate.

    "ms", "s/epoch" are latencies; "samples/s", "GFLOP/s" are rates. A unit that is neither
    (an accuracy in "%") is not a speed, and raises ``ValueError``."""
    numerator, _, denominator = unit.strip().partition("/")
    if numerator.strip() in TIME_UNITS:
        return True
    if denominator.strip() in TIME_UNITS:
        return False
    raise ValueError(f"unit {unit!r} is neither a time nor a rate: not a speed")


def to_speed(samples: Sequence[float] | Array, unit: str) -> Array:
    """The samples as speeds: rates as they are, latencies as 1/latency, sample by sample."""
    values = np.asarray(samples, dtype=float)
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError("speeds and latencies must be finite and positive")
    return 1.0 / values if is_latency(unit) else values


def process_speeds(samples: Sequence[float] | Array, samples_per_round: Sequence[int] | None, unit: str) -> list[float]:
    """Each process's median speed, in round order: the process-level summaries.

    ``samples_per_round`` splits the pooled samples back into their processes; a round with no
    samples (a process that failed) is left out. Without it (older results) the samples form
    one process, which is enough for a point estimate and not for an interval."""
    speeds = to_speed(samples, unit)
    counts = [len(speeds)] if samples_per_round is None else list(samples_per_round)
    if any(c < 0 for c in counts) or sum(counts) != len(speeds):
        raise ValueError(f"samples_per_round {counts} does not add up to {len(speeds)} samples")
    rounds = np.split(speeds, np.cumsum(counts)[:-1])
    return [float(np.median(r)) for r in rounds if len(r)]


@dataclass(frozen=True)
class Ratio:
    """Speed of A ÷ speed of B over process medians, with its interval and outcome.

    ``low``, ``high`` and the p-values are ``None`` with fewer than ``MIN_PROCESSES`` processes
    on a side. Where ``family`` > 1 the interval is one of a family of that many simultaneous
    intervals (Bonferroni: each at level 1 − (1 − confidence)/family) and the p-values are
    Bonferroni-adjusted (multiplied by ``family``, capped at 1); with that, ``outcome`` agrees
    with them: faster/slower exactly when ``p_beyond`` < (1 − confidence)/2, equivalent
    exactly when ``p_equivalent`` < (1 − confidence)/2."""

    ratio: float  # geometric mean of A's process medians ÷ B's
    low: float | None  # the interval of the ratio
    high: float | None
    n_a: int  # processes on each side
    n_b: int
    p_value: float | None  # two-sided Welch t-test of equal speeds (ratio 1) on log process medians
    p_beyond: float | None  # one-sided: the ratio lies beyond the band, on the side of the estimate
    p_equivalent: float | None  # two one-sided tests: the ratio lies inside the band
    outcome: Outcome
    confidence: float = CONFIDENCE
    band: float = BAND
    family: int = 1  # how many simultaneous comparisons the interval is corrected for

    @property
    def enough_processes(self) -> bool:
        return self.low is not None


def _outcome(low: float, high: float, edge: float) -> Outcome:
    """The outcome of an interval [low, high] of the log ratio against the band ±edge (in log
    terms, so that swapping A and B swaps faster and slower exactly)."""
    if low > edge:
        return "faster"
    if high < -edge:
        return "slower"
    if low >= -edge and high <= edge:
        return "equivalent"
    return "uncertain"


def _log_speeds(values: Sequence[float] | Array, side: str) -> Array:
    logs = np.log(np.asarray(values, dtype=float)) if len(values) else np.empty(0)
    if len(logs) == 0 or not np.all(np.isfinite(logs)):
        raise ValueError(f"side {side} needs at least one finite positive process speed")
    return logs


def compare(
    a: Sequence[float] | Array,
    b: Sequence[float] | Array,
    *,
    confidence: float = CONFIDENCE,
    band: float = BAND,
    family: int = 1,
) -> Ratio:
    """Speed of A ÷ speed of B from the process-level speeds of each side (``process_speeds``).

    The interval is a Welch t-interval on mean log A − mean log B, at level
    1 − (1 − confidence)/family, mapped back through exp; the p-values use the same statistic
    and degrees of freedom, so they agree with the interval exactly (see ``Ratio``)."""
    if not 0 < confidence < 1 or band <= 1 or family < 1:
        raise ValueError("confidence must lie in (0, 1), band above 1, family at least 1")
    x, y = _log_speeds(a, "A"), _log_speeds(b, "B")
    diff = float(np.mean(x) - np.mean(y))
    ratio = math.exp(diff)
    if len(x) < MIN_PROCESSES or len(y) < MIN_PROCESSES:
        return Ratio(ratio, None, None, len(x), len(y), None, None, None, "uncertain", confidence, band, family)
    va, vb = float(np.var(x, ddof=1)) / len(x), float(np.var(y, ddof=1)) / len(y)
    se = math.sqrt(va + vb)
    edge = math.log(band)
    alpha = (1 - confidence) / family  # both tails together, per interval
    if se == 0:  # both sides constant: the interval is the point, the tests are certain
        low = high = diff
        p_value = float(diff == 0)
        p_beyond = float(abs(diff) <= edge)
        p_equivalent = float(abs(diff) >= edge)
    else:
        df = (va + vb) ** 2 / (va**2 / (len(x) - 1) + vb**2 / (len(y) - 1))  # Welch–Satterthwaite

        def upper_tail(t: float) -> float:  # P(T > t), Student's t with df degrees of freedom
            return float(special.stdtr(df, -t))

        half = float(special.stdtrit(df, 1 - alpha / 2)) * se
        low, high = diff - half, diff + half
        p_value = 2 * upper_tail(abs(diff) / se)
        p_beyond = upper_tail((abs(diff) - edge) / se)
        p_equivalent = max(upper_tail((diff + edge) / se), upper_tail((edge - diff) / se))

    def adjusted(p: float) -> float:
        return min(1.0, p * family)

    return Ratio(
        ratio, _exp(low), _exp(high), len(x), len(y), adjusted(p_value), adjusted(p_beyond),
        adjusted(p_equivalent), _outcome(low, high, edge), confidence, band, family,
    )  # fmt: skip


def _exp(v: float) -> float:
    """exp, that reads an interval too wide for a float as unbounded rather than failing."""
    return math.inf if v > math.log(sys.float_info.max) else math.exp(v)


def _inverse(v: float) -> float:
    return math.inf if v == 0 else 1 / v


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def words(r: Ratio, detail: bool = False, terms: tuple[str, str] = ("faster", "slower")) -> str:
    """The outcome in words, from A's side: "1.52× faster", "1.52× slower" (a ratio below 1
    reads as 1/ratio × slower), "equivalent within 5%", "too uncertain to call", or "too few
    processes to call (1 against 5)".

    With ``detail``, the figures follow in brackets: for faster/slower the factor's interval
    and the p-value of the difference; for equivalent and uncertain the ratio (A ÷ B) and its
    interval, never a p-value. ``terms`` name the two directions where the "speed" is something
    else turned over, as for memory: ("less memory", "more memory") reads "1.52× less memory"."""
    if not r.enough_processes:
        return f"too few processes to call ({r.n_a} against {r.n_b})"
    assert r.low is not None and r.high is not None and r.p_value is not None
    level = f"{r.confidence:.0%} interval"
    family = f"; Bonferroni-corrected for {r.family} comparisons" if r.family > 1 else ""
    if r.outcome in ("faster", "slower"):
        factor, low, high = (r.ratio, r.low, r.high)
        if r.outcome == "slower":  # read from the faster side: 1/ratio, and the interval turned over
            factor, low, high = 1 / r.ratio, _inverse(r.high), _inverse(r.low)
        text = f"{factor:.2f}× {terms[0] if r.outcome == 'faster' else terms[1]}"
        return f"{text} ({level} {low:.2f}–{high:.2f}×, {_p(r.p_value)}{family})" if detail else text
    text = f"equivalent within {(r.band - 1) * 100:.0f}%" if r.outcome == "equivalent" else "too uncertain to call"
    return f"{text} (ratio {r.ratio:.2f}, {level} {r.low:.2f}–{r.high:.2f}{family})" if detail else text


@dataclass(frozen=True)
class Headline:
    """One framework's best mode against the best mode of all the other frameworks."""

    framework: str
    mode: str  # the framework's fastest mode (by geometric mean of its process speeds)
    versus_framework: str
    versus_mode: str
    comparison: Ratio  # this framework's best ÷ the others' best, simultaneous over ``comparison.family`` pairs
    margins: Mapping[str, Ratio] = field(default_factory=dict)  # best mode ÷ each other mode of this framework


def geometric_mean(values: Sequence[float]) -> float:
    return math.exp(float(np.mean(np.log(np.asarray(values, dtype=float)))))


def fastest(modes: Mapping[str, Sequence[float]]) -> str:
    return max(modes, key=lambda mode: geometric_mean(modes[mode]))  # the first of equals


def best_against_others(
    speeds: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    confidence: float = CONFIDENCE,
    band: float = BAND,
) -> dict[str, Headline]:
    """Each framework's fastest mode against the fastest mode of all the others.

    ``speeds`` maps framework → mode → process speeds (``process_speeds``); any number of
    frameworks, in any order; modes without processes are left out, and a framework needs a
    mode and at least one other framework with a mode to get a headline.

    Selection without bias in the interval: the best modes are picked on all processes (the
    highest geometric mean), and the selection is corrected for, not avoided. Framework F with
    k_F modes, against the others with K modes in all, could have landed on any of
    m = k_F × K pairs; the headline interval is one of m Bonferroni simultaneous intervals
    (each at level 1 − (1 − confidence)/m), so it covers the true ratio of the chosen pair with at least
    95% probability whichever pair the data picked, and a framework with more modes pays for
    its extra chances with a wider interval. The margins (how much the winning mode beat each
    of F's other modes) are corrected the same way over F's k_F (k_F − 1)/2 pairs of modes.
    The point estimate of a chosen pair still carries the winner's optimism (the maximum of
    noisy estimates); the interval, not the point, carries the verdict.

    (The alternative, picking on half of the processes and comparing on the other half, was
    not taken: with 5 processes it compares 2 against 2, whose interval is far wider than the
    corrected one, and rounds alternate their order, so halves by parity would confound the
    order of the frameworks with the half.)"""
    measured = {f: {m: list(v) for m, v in modes.items() if len(v)} for f, modes in speeds.items()}
    measured = {f: modes for f, modes in measured.items() if modes}
    headlines = {}
    for framework, modes in measured.items():
        others = {(f, m): v for f, ms in measured.items() if f != framework for m, v in ms.items()}
        if not others:
            continue
        mode = fastest(modes)
        versus_framework, versus_mode = max(others, key=lambda key: geometric_mean(others[key]))
        comparison = compare(
            modes[mode], others[(versus_framework, versus_mode)], confidence=confidence, band=band,
            family=len(modes) * len(others),
        )  # fmt: skip
        pairs = len(modes) * (len(modes) - 1) // 2
        margins = {
            other: compare(modes[mode], values, confidence=confidence, band=band, family=pairs)
            for other, values in modes.items()
            if other != mode
        }
        headlines[framework] = Headline(framework, mode, versus_framework, versus_mode, comparison, margins)
    return headlines


def leader(headlines: Mapping[str, Headline]) -> Headline | None:
    """The fastest framework's headline (the highest ratio against the best of the others), if any."""
    return max(headlines.values(), key=lambda h: h.comparison.ratio, default=None)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the given order: reject where adjusted ≤ alpha,
    and the chance of any false rejection in the family stays at most alpha."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    steps = (len(p) - np.arange(len(p))) * p[order]  # the i-th smallest times (m - i)
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(steps))
    return [float(v) for v in adjusted]


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (SciPy's ``false_discovery_control``), in the
    given order: reject where adjusted ≤ q, and the expected share of false discoveries among
    the rejections stays at most q (for independent or positively dependent tests)."""
    if len(p_values) == 0:
        return []
    return [float(v) for v in stats.false_discovery_control(np.asarray(p_values, dtype=float), method="bh")]


def between_process_sigma(series: Iterable[Sequence[float]]) -> float:
    """A robust estimate of the between-process spread σ (standard deviation of the log of a
    process median), from several series' process medians.

    For two processes of one series, log(m1/m2) ~ N(0, 2σ²) and the median of |N(0, s²)| is
    0.6745 s; so σ = median |log(mi/mj)| / (0.6745 √2) over every pair of processes within a
    series, pooled over series. The median keeps a few wild series from dominating."""
    diffs = [abs(math.log(s[i] / s[j])) for s in series for i in range(len(s)) for j in range(i + 1, len(s))]
    if not diffs:
        raise ValueError("needs a series with at least two processes")
    return float(np.median(diffs)) / (float(stats.norm.ppf(0.75)) * math.sqrt(2))
