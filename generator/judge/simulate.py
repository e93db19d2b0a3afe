"""The decision procedure's error rates, by simulation with its own code.

Three frameworks are measured in fresh processes whose log process medians are normal around
each framework's true log speed with the spread measured between processes here (σ, the median
SD of log process medians over the committed headline series). Each simulated case runs the
real chain: ``stats.pairwise`` (every pair, one Bonferroni correction), ``evidence`` items, and
``ruling``'s pair votes and outcome. The rates reported:

- how often the truly best framework is ruled out (the error the procedure controls);
- how often a truly equal pair reads "equivalent" within the margin δ;
- how often a framework truly 30% slower than the best is ruled out (what the procedure finds).

Seeded, so the Methodology page shows the same figures at every build.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np

from generator.analyse import stats
from generator.judge import evidence_kinds, ruling

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
