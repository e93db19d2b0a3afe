"""Comparisons over fresh processes: speed ratios with intervals, their outcomes, pairs of frameworks.

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

Outcomes, judged at the decision margin δ (``margin``, the setting ``margin`` of
``data/decide.toml``: the difference a team would switch frameworks for), as a band symmetric in
log terms, [1/(1+δ), 1+δ]:

- *equivalent within δ*: the interval lies wholly inside the band (the difference, whatever its
  sign, is too small to choose by);
- *faster*: otherwise, the interval lies wholly above 1; *slower*: wholly below 1. An interval
  that excludes 1 always reads as the direction it shows ("faster, by 7–30%"), never as
  uncertain;
- *too uncertain to call*: the interval holds 1 and reaches beyond the band.

The symmetric band makes the outcome independent of which side is called A: swapping A and
B swaps faster and slower and keeps equivalent and uncertain as they are. Equivalence uses
the same interval as the other outcomes: two one-sided tests (TOST) at its level.

The maths (``compare``) and the words (``words``) are apart. The words never put a p-value
beside an equivalent or an uncertain call.

Measured together. Where each process carries the id of the round it ran in (the harness measures
every framework and mode of a case back to back in each round), a comparison uses only the rounds
both sides ran in (``rounds``), so that a drift of the machine between rounds falls on both sides
alike; results that share no round (measured apart, such as results written before rounds had
ids) are compared whole and marked so (``Ratio.interleaved`` False), never silently paired. The
interval stays Welch's over the shared rounds' processes; ``paired`` offers the paired analysis
instead, a t-interval on the log speed differences within each shared round (valid whatever the
rounds' drift, on n − 1 degrees of freedom: at 5 rounds it is wider than Welch's unless the drift
between rounds is larger than the spread between processes).

Replicated until decided. The harness adds rounds to a case whose pairs are not decided after its
first look, up to a cap, looking at the planned process counts (``Profile.looks``). Every
interval of a result measured so is at level 1 − (1 − confidence)/(family × looks): Bonferroni
over the planned looks as well as over the pairs, which keeps the chance that any interval of any
look misses its true ratio at most 1 − confidence, whichever look the harness stopped at.
``Ratio.detectable`` is the minimum detectable effect: the smallest true ratio (read from the
faster side) that its interval would call a difference with 80% power at the measured spread.

Pairwise comparisons (``pairwise``): every pair of frameworks is compared, each framework by
its primary mode, fixed before the data are seen (the registry's ``default_mode``); where a
framework's primary was not measured, its fastest mode is taken and the choice paid for. One
Bonferroni correction covers the whole family of pairs (and any such choices), applied once:
the chance that any interval of the family misses its true ratio stays at most 5%.

"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from generator.read import rules
from measurements import UserError

CONFIDENCE = 0.95  # of every interval (family-wise where a family is corrected for)
MARGIN_PATH = Path(__file__).resolve().parents[2] / "data" / "decide.toml"
MARGIN_SCHEMA = {"type": "number", "minimum": 0.01, "maximum": 1.0}  # from ±1% to a factor of 2
MIN_PROCESSES = 2  # per side, below which no interval is computed
SETTLE_CAP = 1000  # processes a side: "would settle it" stops counting here
POWER = 0.8  # of the minimum detectable effect

# Units of time: a series in one of these (or per something, "s/epoch") is a latency.
TIME_UNITS = frozenset({"ns", "us", "µs", "μs", "ms", "s", "sec", "min", "h"})

Outcome = Literal["faster", "slower", "equivalent", "uncertain"]
Array = npt.NDArray[np.float64]
RoundIds = Mapping[str, Mapping[str, Sequence[str | None]]]  # framework -> mode -> each process's round id


@functools.cache
def margin() -> float:
    """δ, the decision margin: ``[settings] margin`` of ``data/decide.toml``, read and checked as
    ``generator.judge.usecases.load_rules`` checks it (``MARGIN_SCHEMA``); the band of every outcome is
    [1/(1+δ), 1+δ]."""
    settings = rules.read_toml(MARGIN_PATH).get("settings")
    if not isinstance(settings, dict) or "margin" not in settings:
        raise UserError(f"{rules.display(MARGIN_PATH)}: no [settings] margin; restore the file from the repository")
    rules.check(MARGIN_SCHEMA, settings["margin"], f"{rules.display(MARGIN_PATH)}: [settings] margin",
                "set it to 0.2 for ±20%")  # fmt: skip
    return float(settings["margin"])


def decision_band() -> float:
    """The upper edge of the equivalence band, 1 + δ."""
    return 1 + margin()


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


def process_speeds(processes: Sequence[Sequence[float] | Array], unit: str) -> list[float]:
    """Each process's median speed, in round order: the process-level summaries, from each
    process's own samples; a round with no samples (a process that failed) is left out. One
    process is enough for a point estimate and not for an interval."""
    return [float(np.median(to_speed(own, unit))) for own in processes if len(own)]


@dataclass(frozen=True)
class Ratio:
    """Speed of A ÷ speed of B over process medians, with its interval and outcome.

    ``low``, ``high`` and the p-values are ``None`` with fewer than ``MIN_PROCESSES`` processes
    on a side. Where ``family`` > 1 the interval is one of a family of that many simultaneous
    intervals (Bonferroni: each at level 1 − (1 − confidence)/family) and the p-values are
    Bonferroni-adjusted (multiplied by ``family``, capped at 1); with that, ``outcome`` agrees
    with them: equivalent exactly when ``p_equivalent`` < (1 − confidence)/2, and otherwise
    faster or slower exactly when ``p_value`` < 1 − confidence."""

    ratio: float  # geometric mean of A's process medians ÷ B's
    low: float | None  # the interval of the ratio
    high: float | None
    n_a: int  # processes on each side
    n_b: int
    p_value: float | None  # two-sided Welch t-test of equal speeds (ratio 1) on log process medians
    p_equivalent: float | None  # two one-sided tests: the ratio lies inside the band
    outcome: Outcome
    confidence: float = CONFIDENCE
    band: float = 0.0  # the upper edge of the band the outcome was judged at (1 + δ)
    family: int = 1  # how many simultaneous comparisons the interval is corrected for
    spread: float | None = None  # the pooled SD of the log process medians of both sides
    floor: float | None = None  # the machine's noise floor (``generator.analyse.noise``), where it has one
    # a faster or slower call whose ratio lies inside the noise floor, [1/floor, floor]: not called
    # (the outcome reads "uncertain", and the words "within the noise floor")
    within_floor: bool = False
    looks: int = 1  # the planned looks the interval is corrected for (replicated until decided)
    interleaved: bool | None = None  # paired by round: True on shared rounds, False measured apart; None unknown
    paired: bool = False  # a paired interval over the log differences within rounds, rather than Welch's
    detectable: float | None = None  # the minimum detectable effect, as a ratio above 1 (see the module)

    @property
    def enough_processes(self) -> bool:
        return self.low is not None

    def at(self, band: float) -> Ratio:
        """The same interval judged at another band (a margin halved or doubled)."""
        if self.low is None or self.high is None:
            return replace(self, band=band)
        outcome = _outcome(math.log(self.low), math.log(self.high), math.log(band))
        outcome, within = _inside_floor(outcome, self.ratio, self.floor)
        return replace(self, band=band, outcome=outcome, within_floor=within)

    def flipped(self) -> Ratio:
        """Speed of B ÷ speed of A: the same comparison read from the other side."""
        turned: dict[str, Outcome] = {"faster": "slower", "slower": "faster"}
        return replace(
            self, ratio=_inverse(self.ratio), low=None if self.high is None else _inverse(self.high),
            high=None if self.low is None else _inverse(self.low), n_a=self.n_b, n_b=self.n_a,
            outcome=turned.get(self.outcome, self.outcome),
        )  # fmt: skip

    def processes_to_settle(self) -> int | None:
        """About how many processes a side would settle an uncertain comparison at its measured
        spread and ratio: the fewest for which the t-interval's half-width (equal sides, pooled
        spread) lets the interval exclude 1 or fit inside the band, whichever needs fewer; at most
        ``SETTLE_CAP``."""
        if self.outcome != "uncertain" or self.within_floor or not self.spread or self.ratio <= 0:
            return None
        distance = abs(math.log(self.ratio))
        target = max(distance, math.log(self.band) - distance)
        level = 1 - (1 - self.confidence) / (2 * self.family * self.looks)
        for n in range(MIN_PROCESSES, SETTLE_CAP + 1):  # the t-interval's half-width with n a side
            df = n - 1 if self.paired else 2 * n - 2
            if float(special.stdtrit(df, level)) * self.spread * math.sqrt(2 / n) < target:
                return n
        return SETTLE_CAP


def _outcome(low: float, high: float, edge: float) -> Outcome:
    """The outcome of an interval [low, high] of the log ratio against the band ±edge (in log
    terms, so that swapping A and B swaps faster and slower exactly): inside the band first,
    then any interval that excludes 0 by its direction."""
    if low >= -edge and high <= edge:
        return "equivalent"
    if low > 0:
        return "faster"
    if high < 0:
        return "slower"
    return "uncertain"


def _inside_floor(outcome: Outcome, ratio: float, floor: float | None) -> tuple[Outcome, bool]:
    """A faster or slower call whose ratio lies inside the noise floor [1/floor, floor] is not called:
    ("uncertain", True); any other outcome as it is."""
    if floor is not None and outcome in ("faster", "slower") and 1 / floor <= ratio <= floor:
        return "uncertain", True
    return outcome, False


def _log_speeds(values: Sequence[float] | Array, side: str) -> Array:
    logs = np.log(np.asarray(values, dtype=float)) if len(values) else np.empty(0)
    if len(logs) == 0 or not np.all(np.isfinite(logs)):
        raise ValueError(f"side {side} needs at least one finite positive process speed")
    return logs


def shared_rounds(
    a: Sequence[float] | Array, b: Sequence[float] | Array, rounds: tuple[Sequence[str | None], Sequence[str | None]]
) -> tuple[list[float], list[float]] | None:
    """Each side's speeds in the rounds both ran in, in A's round order (``rounds`` gives each
    process's round id, parallel to ``a`` and ``b``; None where a process has none); None where
    they share no round."""
    ids_a, ids_b = rounds
    if len(ids_a) != len(a) or len(ids_b) != len(b):
        raise ValueError("each process needs its round id (None where it has none)")
    of_b = {rid: float(speed) for rid, speed in zip(ids_b, b, strict=True) if rid is not None}
    shared = [(float(speed), of_b[rid]) for rid, speed in zip(ids_a, a, strict=True) if rid in of_b]
    return ([x for x, _ in shared], [y for _, y in shared]) if shared else None


def compare(
    a: Sequence[float] | Array,
    b: Sequence[float] | Array,
    *,
    confidence: float = CONFIDENCE,
    band: float | None = None,
    family: int = 1,
    floor: float | None = None,
    looks: int = 1,
    rounds: tuple[Sequence[str | None], Sequence[str | None]] | None = None,
    paired: bool = False,
) -> Ratio:
    """Speed of A ÷ speed of B from the process-level speeds of each side (``process_speeds``).

    With ``rounds`` (each process's round id), only the rounds both sides ran in are compared
    (``shared_rounds``); where they share none, both sides whole, marked as measured apart. The
    interval is a Welch t-interval on mean log A − mean log B (with ``paired``, on rounds shared,
    the one-sample t-interval of the log differences within rounds), at level
    1 − (1 − confidence)/(family × looks), mapped back through exp; the p-values use the same
    statistic and degrees of freedom, so they agree with the interval exactly (see ``Ratio``).
    The band is 1 + δ (``decision_band()``) unless given. ``floor``: the machine's noise floor (a ratio
    above 1, from its A/A control); a faster or slower call whose ratio lies inside it is not called."""
    band = band if band is not None else decision_band()
    if not 0 < confidence < 1 or band <= 1 or family < 1 or looks < 1:
        raise ValueError("confidence must lie in (0, 1), band above 1, family and looks at least 1")
    interleaved = None
    if rounds is not None:
        shared = shared_rounds(a, b, rounds)
        interleaved = shared is not None
        a, b = shared or (a, b)
    x, y = _log_speeds(a, "A"), _log_speeds(b, "B")
    paired = paired and bool(interleaved)
    diff = float(np.mean(x) - np.mean(y))
    ratio = math.exp(diff)
    if len(x) < MIN_PROCESSES or len(y) < MIN_PROCESSES:
        return Ratio(ratio, None, None, len(x), len(y), None, None, "uncertain", confidence, band, family,
                     floor=floor, looks=looks, interleaved=interleaved, paired=paired)  # fmt: skip
    if paired:  # the log differences within rounds: one sample of n
        sd = float(np.std(x - y, ddof=1))
        se, df, spread = sd / math.sqrt(len(x)), float(len(x) - 1), sd / math.sqrt(2)
    else:
        sx, sy = float(np.var(x, ddof=1)), float(np.var(y, ddof=1))  # each side's variance of log process medians
        va, vb = sx / len(x), sy / len(y)
        spread = math.sqrt(((len(x) - 1) * sx + (len(y) - 1) * sy) / (len(x) + len(y) - 2))  # pooled SD
        se = math.sqrt(va + vb)
        df = (va + vb) ** 2 / (va**2 / (len(x) - 1) + vb**2 / (len(y) - 1)) if se else 1.0  # Welch–Satterthwaite
    edge = math.log(band)
    alpha = (1 - confidence) / (family * looks)  # both tails together, per interval
    if se == 0:  # both sides constant: the interval is the point, the tests are certain
        low = high = diff
        p_value = float(diff == 0)
        p_equivalent = float(abs(diff) >= edge)
    else:

        def upper_tail(t: float) -> float:  # P(T > t), Student's t with df degrees of freedom
            return float(special.stdtr(df, -t))

        half = float(special.stdtrit(df, 1 - alpha / 2)) * se
        low, high = diff - half, diff + half
        p_value = 2 * upper_tail(abs(diff) / se)
        p_equivalent = max(upper_tail((diff + edge) / se), upper_tail((edge - diff) / se))
    detectable = _exp((float(special.stdtrit(df, 1 - alpha / 2)) + float(special.stdtrit(df, POWER))) * se)

    def adjusted(p: float) -> float:
        return min(1.0, p * family * looks)

    outcome, within = _inside_floor(_outcome(low, high, edge), ratio, floor)
    return Ratio(
        ratio, _exp(low), _exp(high), len(x), len(y), adjusted(p_value), adjusted(p_equivalent),
        outcome, confidence, band, family, spread, floor, within, looks, interleaved, paired, detectable,
    )  # fmt: skip


def _exp(v: float) -> float:
    """exp, that reads an interval too wide for a float as unbounded rather than failing."""
    return math.inf if v > math.log(sys.float_info.max) else math.exp(v)


def _inverse(v: float) -> float:
    return math.inf if v == 0 else 0.0 if v == math.inf else 1 / v


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def p_words(r: Ratio) -> str:
    """The p-value of a faster or slower call, "p = 0.022"; "–" beside any other outcome, which a
    p-value never stands beside."""
    called = r.enough_processes and r.p_value is not None and r.outcome in ("faster", "slower")
    return _p(r.p_value) if called and r.p_value is not None else "–"


def by_how_much(low: float, high: float) -> str:
    """How much faster an interval wholly above 1 says, in per cent: ", by 7–30%"; nothing from a
    doubling on, where the interval itself (1.92–3.75×) says it plainly."""
    if low >= 2:
        return ""
    top = f"{(high - 1) * 100:.0f}%" if high < 100 else "far more"
    return f", by {max(0.0, (low - 1) * 100):.0f}–{top}"


def margin_words(band: float) -> str:
    return f"±{(band - 1) * 100:.0f}%"


def words(r: Ratio, detail: bool = False, terms: tuple[str, str] = ("faster", "slower")) -> str:
    """The outcome in words, from A's side: "1.52× faster", "1.52× slower" (a ratio below 1
    reads as 1/ratio × slower), "equivalent within ±20%", "too uncertain to call", "within the noise
    floor (±12%), not called", or "too few processes to call (1 against 5)".

    With ``detail``, the figures follow in brackets: for faster/slower how much (the interval
    read from the faster side) and the p-value of the difference; for equivalent and uncertain
    the ratio (A ÷ B) and its interval, never a p-value. ``terms`` name the two directions where
    the "speed" is something else turned over, as for memory: ("less memory", "more memory")."""
    if not r.enough_processes:
        return f"too few processes to call ({r.n_a} against {r.n_b})"
    assert r.low is not None and r.high is not None and r.p_value is not None
    level = f"{r.confidence:.0%} interval"
    family = f"; Bonferroni over {r.family} comparisons" if r.family > 1 else ""
    if r.outcome in ("faster", "slower"):
        factor, low, high = (r.ratio, r.low, r.high)
        if r.outcome == "slower":  # read from the faster side: 1/ratio, and the interval turned over
            factor, low, high = 1 / r.ratio, _inverse(r.high), _inverse(r.low)
        text = f"{factor:.2f}× {terms[0] if r.outcome == 'faster' else terms[1]}"
        if not detail:
            return text
        return f"{text}{by_how_much(low, high)} ({level} {low:.2f}–{high:.2f}×, {_p(r.p_value)}{family})"
    text = f"equivalent within {margin_words(r.band)}" if r.outcome == "equivalent" else "too uncertain to call"
    if r.within_floor and r.floor is not None:
        text = f"within the noise floor ({margin_words(r.floor)}), not called"
    return f"{text} (ratio {r.ratio:.2f}, {level} {r.low:.2f}–{r.high:.2f}{family})" if detail else text


def brief(r: Ratio, terms: tuple[str, str] = ("faster", "slower")) -> tuple[str, str]:
    """A comparison at a glance, from A's side, as (outcome, interval): ("1.52× slower", "95% interval
    1.30–1.78×"), the interval read in the outcome's direction; ("too uncertain to call", "ratio 1.17,
    95% interval 0.89–1.53"). The same outcome as ``words``; the correction and the p-value are left
    to the details."""
    said = words(r, terms=terms)
    if not r.enough_processes:
        return said, ""
    assert r.low is not None and r.high is not None
    level = f"{r.confidence:.0%} interval"
    if r.outcome in ("faster", "slower"):
        low, high = (r.low, r.high) if r.outcome == "faster" else (_inverse(r.high), _inverse(r.low))
        return said, f"{level} {low:.2f}–{high:.2f}×"
    return said, f"ratio {r.ratio:.2f}, {level} {r.low:.2f}–{r.high:.2f}"


@dataclass(frozen=True)
class Pairwise:
    """Every pair of frameworks of one comparison, each by its chosen mode, under one correction."""

    chosen: Mapping[str, str]  # framework -> the mode that stands for it (its primary, where measured)
    selected: frozenset[str]  # frameworks whose primary was not measured: their fastest mode was taken
    pairs: Mapping[tuple[str, str], Ratio]  # (a, b), a before b in the input's order: speed of a ÷ b
    family: int  # the Bonferroni family every interval here is corrected for

    def ratio(self, a: str, b: str) -> Ratio:
        """Speed of ``a`` ÷ speed of ``b``."""
        return self.pairs[(a, b)] if (a, b) in self.pairs else self.pairs[(b, a)].flipped()

    @property
    def frameworks(self) -> list[str]:
        return list(self.chosen)

    def read_from_faster(self, calls_only: bool = False) -> list[tuple[str, str, Ratio]]:
        """Every pair as (a, b, speed of a ÷ b), turned so that a is the faster: by the point
        estimate, or with ``calls_only`` only where the interval calls b faster (the others keep
        the input's order)."""
        found = []
        for (a, b), r in self.pairs.items():
            turn = r.outcome == "slower" and r.enough_processes if calls_only else r.ratio < 1
            found.append((b, a, r.flipped()) if turn else (a, b, r))
        return found


def pairwise(
    speeds: Mapping[str, Mapping[str, Sequence[float]]],
    primary: Mapping[str, str] | None = None,
    *,
    confidence: float = CONFIDENCE,
    band: float | None = None,
    floor: float | None = None,
    rounds: RoundIds | None = None,
    looks: int = 1,
) -> Pairwise | None:
    """Every pair of frameworks, each by one mode: its ``primary`` where that was measured (fixed
    before the data are seen), else its fastest, the choice paid for.

    ``speeds`` maps framework → mode → process speeds; modes without processes are left out.
    ``rounds``, where given, holds each process's round id the same way: each pair then compares
    the rounds both sides ran in (``compare``); ``looks`` the planned looks of a result replicated
    until decided.
    The family is every comparison the procedure could have made: for each pair, the product
    of the two sides' choices (1 for a primary, the number of modes for a framework whose
    fastest was taken). One Bonferroni correction over that family, applied once, keeps the
    chance that any interval of it misses at most 1 − confidence. None with fewer than two
    frameworks. ``floor``: the machine's noise floor (``compare``)."""
    measured = {f: {m: list(v) for m, v in modes.items() if len(v)} for f, modes in speeds.items()}
    measured = {f: modes for f, modes in measured.items() if modes}
    if len(measured) < 2:
        return None
    primary = primary or {}
    chosen = {f: primary[f] if primary.get(f) in modes else fastest(modes) for f, modes in measured.items()}
    selected = frozenset(f for f in measured if primary.get(f) not in measured[f])
    choices = {f: len(modes) if f in selected else 1 for f, modes in measured.items()}
    order = list(measured)
    keys = [(a, b) for i, a in enumerate(order) for b in order[i + 1 :]]
    family = sum(choices[a] * choices[b] for a, b in keys)
    pairs = {
        (a, b): compare(measured[a][chosen[a]], measured[b][chosen[b]], confidence=confidence, band=band,
                        family=family, floor=floor, looks=looks,
                        rounds=round_ids(rounds, (a, chosen[a]), (b, chosen[b])))
        for a, b in keys
    }  # fmt: skip
    return Pairwise(chosen, selected, pairs, family)


def round_ids(
    rounds: RoundIds | None, a: tuple[str, str], b: tuple[str, str]
) -> tuple[Sequence[str | None], Sequence[str | None]] | None:
    """The round ids of two (framework, mode) sides, for ``compare``; None where not given."""
    return None if rounds is None else (rounds[a[0]][a[1]], rounds[b[0]][b[1]])


@dataclass(frozen=True)
class Headline:
    """One framework's chosen mode against the fastest of the other frameworks' chosen modes: one
    pair of ``Pairwise``, read from this framework's side."""

    framework: str
    mode: str
    versus_framework: str
    versus_mode: str
    comparison: Ratio  # this framework ÷ the other: the pair's own interval, corrected once for the family
    margins: Mapping[str, Ratio] = field(default_factory=dict)  # secondary: chosen mode ÷ each other mode


def geometric_mean(values: Sequence[float]) -> float:
    return math.exp(float(np.mean(np.log(np.asarray(values, dtype=float)))))


def fastest(modes: Mapping[str, Sequence[float]]) -> str:
    return max(modes, key=lambda mode: geometric_mean(modes[mode]))  # the first of equals


def best_against_others(
    speeds: Mapping[str, Mapping[str, Sequence[float]]],
    primary: Mapping[str, str] | None = None,
    *,
    confidence: float = CONFIDENCE,
    band: float | None = None,
) -> dict[str, Headline]:
    """Each framework's chosen mode (``pairwise``) against the fastest chosen mode of the others
    (``headlines``)."""
    found = pairwise(speeds, primary, confidence=confidence, band=band)
    return {} if found is None else headlines(found, speeds, confidence=confidence, band=band)


def headlines(
    found: Pairwise,
    speeds: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    confidence: float = CONFIDENCE,
    band: float | None = None,
    floor: float | None = None,
    rounds: RoundIds | None = None,
    looks: int = 1,
) -> dict[str, Headline]:
    """Each framework's chosen mode against the fastest chosen mode of the others, from the pairs
    ``found`` among ``speeds``.

    The comparison is the pair's own: the same interval and outcome wherever the pair is shown.
    Which opponent is named is a choice of what to show, not of what to test. The margins, the
    chosen mode against each of the framework's other modes, are secondary results,
    Bonferroni-corrected among themselves."""
    shown = {}
    for framework, mode in found.chosen.items():
        modes = {m: list(v) for m, v in speeds[framework].items() if len(v)}
        others = [f for f in found.chosen if f != framework]
        versus = max(others, key=lambda f: geometric_mean(speeds[f][found.chosen[f]]))
        rest = [m for m in modes if m != mode]
        margins = {
            other: compare(modes[mode], modes[other], confidence=confidence, band=band, family=max(1, len(rest)),
                           floor=floor, looks=looks, rounds=round_ids(rounds, (framework, mode), (framework, other)))
            for other in rest
        }  # fmt: skip
        shown[framework] = Headline(framework, mode, versus, found.chosen[versus],
                                    found.ratio(framework, versus), margins)  # fmt: skip
    return shown


def leader(headlines: Mapping[str, Headline]) -> Headline | None:
    """The fastest framework's headline (the highest ratio against the best of the others), if any."""
    return max(headlines.values(), key=lambda h: h.comparison.ratio, default=None)


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
