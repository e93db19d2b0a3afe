"""The decision procedure's error rates, by simulation with its own code.

Three frameworks are measured in fresh processes whose log process medians are normal around
each framework's true log speed with the spread measured between processes here (σ, the median
SD of log process medians over the committed headline series). Each simulated case runs the
real chain: ``stats.pairwise`` (every pair, one Bonferroni correction), ``evidence`` items, and
``ruling``'s pair votes and outcome. The rates reported:

- how often the truly best framework is ruled out (the error the procedure controls);
- how often a truly equal pair reads "equivalent" within the margin δ;
- how often a framework truly 30% slower than the best is ruled out (what the procedure finds).

And the pairs' error rates when rounds are added until decided (``stopping``), as the harness adds
them: a look after 5 processes a side and, where some pair is still uncertain, another at the cap
of 10, every interval corrected for both looks (Bonferroni); beside it the same stopping without
the correction, each look at the full level, to show what the correction holds back. A false
difference is a case in which a truly equal pair is called faster or slower; a false equivalence
one in which a pair at or beyond the margin is called equivalent. Both stay at most 5% (the
family's level) whichever look a case stops at.

Seeded, so the Methodology page shows the same figures at every build.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np

from generator.analyse import stats
from generator.judge import evidence_kinds, ruling
from measurements.profiles import PROFILES

SIGMA = 0.078  # the median SD of log process medians over the committed headline series
PROCESSES = (3, 5)  # a side: the studies' and the standard profile's counts
CASES = 1000
SEED = 20261207
FRAMEWORKS = ("a", "b", "c")  # a is the truly fastest where any is


@dataclass(frozen=True)
class Scenario:
    name: str
    speeds: tuple[float, float, float]  # true speeds of a, b, c


SCENARIOS = (
    Scenario("all three equal", (1.0, 1.0, 1.0)),
    Scenario("the best 10% ahead of two equal others", (1.1, 1.0, 1.0)),
    Scenario("the best 30% ahead of two equal others", (1.3, 1.0, 1.0)),
    Scenario("two equal, the third 30% slower", (1.0, 1.0, 1 / 1.3)),
)


@dataclass(frozen=True)
class Rates:
    scenario: Scenario
    processes: int
    best_ruled_out: float  # some framework with the top true speed is ruled out
    equal_pair_equivalent: float  # a truly equal pair (b and c, or a and b) reads equivalent
    slower_ruled_out: float | None  # a framework 30% or more behind the best is ruled out
    decided: float  # the outcome rules a framework out or calls equivalence


def one_case(rng: np.random.Generator, speeds: tuple[float, ...], processes: int) -> ruling.Verdict:
    """One simulated case through the real chain: pairs, items, votes, outcome."""
    measured = {fw: {"m": list(np.exp(np.log(s) + rng.normal(0.0, SIGMA, processes)))}
                for fw, s in zip(FRAMEWORKS, speeds, strict=True)}  # fmt: skip
    found = stats.pairwise(measured, dict.fromkeys(FRAMEWORKS, "m"))
    assert found is not None
    votes: ruling.Votes = []
    for (a, b), r in found.pairs.items():
        item = evidence_kinds.tested_item("case", "", r, (a, b), ())
        votes.append((1.0, item.vote, [item]))
    return ruling.decision(votes, [], lambda band: votes)


def rates(scenario: Scenario, processes: int, cases: int = CASES) -> Rates:
    rng = np.random.default_rng(SEED)
    top = max(scenario.speeds)
    best = {fw for fw, s in zip(FRAMEWORKS, scenario.speeds, strict=True) if s == top}
    slow = {fw for fw, s in zip(FRAMEWORKS, scenario.speeds, strict=True) if s * 1.3 <= top * 1.0000001}
    equal = [frozenset(p) for p in itertools.combinations(FRAMEWORKS, 2)
             if len({scenario.speeds[FRAMEWORKS.index(x)] for x in p}) == 1]  # fmt: skip
    ruled_best = ruled_slow = equivalent = decided = 0
    for _ in range(cases):
        v = one_case(rng, scenario.speeds, processes)
        ruled_best += bool(best & set(v.ruled_out))
        ruled_slow += bool(slow) and slow <= set(v.ruled_out)
        pairs = {frozenset(p.pair): p for p in v.pairs}
        equivalent += sum(pairs[p].outcome == "equivalent" for p in equal)
        decided += v.decides
    return Rates(scenario, processes, ruled_best / cases, equivalent / (cases * len(equal)) if equal else 0.0,
                 ruled_slow / cases if slow else None, decided / cases)  # fmt: skip


@functools.cache  # seeded: the same figures every time in one process (the tests build many sites)
def table(cases: int = CASES) -> tuple[Rates, ...]:
    """Every scenario at every process count."""
    return tuple(rates(s, n, cases) for s in SCENARIOS for n in PROCESSES)


# ---- replicated until decided ------------------------------------------------------------------

LOOKS = PROFILES["standard"].looks  # the standard profile's: the first is its minimum, the last its cap
SEQUENTIAL_CASES = 500  # a case takes a few milliseconds here: the page's figures cost a few seconds a build
SEQUENTIAL_SCENARIOS = (
    Scenario("all three equal", (1.0, 1.0, 1.0)),
    Scenario("the best 10% ahead of two equal others", (1.1, 1.0, 1.0)),
    Scenario("the best at the margin's edge (20% ahead)", (1.2, 1.0, 1.0)),
    Scenario("the best 30% ahead of two equal others", (1.3, 1.0, 1.0)),
)


@dataclass(frozen=True)
class Stopping:
    """The pairs' error rates when rounds are added until every pair is decided, as the harness
    adds them: every framework in every round (the pairs share their rounds), a look at each of
    ``looks``, stopping at the first where no pair is uncertain."""

    scenario: Scenario
    looks: tuple[int, ...]
    corrected: bool  # each look's intervals at the spent level (Bonferroni over the looks), as measured
    false_difference: float | None  # cases where a truly equal pair is called faster or slower
    false_equivalence: float | None  # cases where a pair truly at or beyond the margin is called equivalent
    decided: float  # every pair decided when the case stopped
    processes: float  # processes a side, on average, when the case stopped


def stopped(rng: np.random.Generator, speeds: tuple[float, ...], looks: tuple[int, ...], corrected: bool) -> tuple[
        dict[tuple[str, str], stats.Ratio], int]:  # fmt: skip
    """One simulated case replicated until decided: its pairs at the look it stopped at."""
    drawn = {
        fw: np.exp(np.log(s) + rng.normal(0.0, SIGMA, looks[-1])) for fw, s in zip(FRAMEWORKS, speeds, strict=True)
    }
    ids = [f"m:{i + 1}" for i in range(looks[-1])]
    for n in looks:
        found = stats.pairwise({fw: {"m": list(v[:n])} for fw, v in drawn.items()}, dict.fromkeys(FRAMEWORKS, "m"),
                               rounds={fw: {"m": ids[:n]} for fw in FRAMEWORKS},
                               looks=len(looks) if corrected else 1)  # fmt: skip
        assert found is not None
        if n == looks[-1] or all(r.outcome != "uncertain" for r in found.pairs.values()):
            return dict(found.pairs), n
    raise AssertionError("unreachable: the last look always stops")


def stopping(scenario: Scenario, looks: tuple[int, ...] = LOOKS, corrected: bool = True,
             cases: int = SEQUENTIAL_CASES) -> Stopping:  # fmt: skip
    """The rates of ``Stopping`` over ``cases`` seeded cases."""
    rng = np.random.default_rng(SEED)
    truth = dict(zip(FRAMEWORKS, scenario.speeds, strict=True))
    edge = stats.decision_band() * (1 - 1e-9)
    ratios = {(a, b): max(truth[a], truth[b]) / min(truth[a], truth[b]) for a, b in itertools.combinations(truth, 2)}
    equal = {pair for pair, true in ratios.items() if true == 1}
    apart = {pair for pair, true in ratios.items() if true >= edge}
    false_difference = false_equivalence = decided = processes = 0
    for _ in range(cases):
        pairs, n = stopped(rng, scenario.speeds, looks, corrected)
        processes += n
        decided += all(r.outcome != "uncertain" for r in pairs.values())
        false_difference += any(pairs[pair].outcome in ("faster", "slower") for pair in equal)
        false_equivalence += any(pairs[pair].outcome == "equivalent" for pair in apart)
    return Stopping(scenario, looks, corrected, false_difference / cases if equal else None,
                    false_equivalence / cases if apart else None, decided / cases, processes / cases)  # fmt: skip


@functools.cache  # seeded: the same figures every time in one process
def stopping_table(cases: int = SEQUENTIAL_CASES) -> tuple[Stopping, ...]:
    """Every sequential scenario, corrected for the looks as measured, and uncorrected (each look at
    the full level) to show what the correction is for."""
    return tuple(stopping(s, LOOKS, corrected, cases) for s in SEQUENTIAL_SCENARIOS for corrected in (True, False))


# ---- paired or not -----------------------------------------------------------------------------

DRIFT = 0.047  # the SD of the rounds' shifts in the reference machine's last measurement (issue 27)


@dataclass(frozen=True)
class Pairing:
    """One pair of frameworks measured in the same rounds, whose rounds shift both alike by a drift
    of SD ``drift`` (the rest of σ within each process): how often each interval covers the true
    ratio, and its mean width (high ÷ low), Welch's over the shared rounds and the paired one."""

    drift: float
    rounds: int
    family: int  # the comparisons each interval is corrected for (pairs × looks)
    welch_covers: float
    paired_covers: float
    welch_width: float
    paired_width: float


def pairing(drift: float, rounds: int, family: int = 1, cases: int = SEQUENTIAL_CASES) -> Pairing:
    """``Pairing`` over ``cases`` seeded cases, with the total spread of a process kept at σ."""
    rng = np.random.default_rng(SEED)
    own = float(np.sqrt(SIGMA**2 - drift**2))
    ids = [f"m:{i + 1}" for i in range(rounds)]
    covers = {False: 0, True: 0}
    width = {False: 0.0, True: 0.0}
    for _ in range(cases):
        shift = rng.normal(0.0, drift, rounds)
        a, b = np.exp(shift + rng.normal(0.0, own, rounds)), np.exp(shift + rng.normal(0.0, own, rounds))
        for paired in (False, True):
            r = stats.compare(a, b, rounds=(ids, ids), paired=paired, family=family)
            assert r.low is not None and r.high is not None
            covers[paired] += r.low <= 1 <= r.high
            width[paired] += r.high / r.low / cases
    return Pairing(drift, rounds, family, covers[False] / cases, covers[True] / cases, width[False], width[True])
