"""Comparisons over rounds: only the rounds both sides ran in, marked where none is shared; the
paired analysis; intervals corrected for the looks of a result replicated until decided; the
minimum detectable effect."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special
from scipy import stats as scipy_stats

from generator.analyse.compare import figures
from generator.analyse.stats import compare, pairwise

A = [100.0, 104.0, 97.0, 101.0, 99.0]
B = [90.0, 95.0, 88.0, 93.0, 91.0]
IDS = ["m:1", "m:2", "m:3", "m:4", "m:5"]


def test_only_the_rounds_both_sides_ran_in_are_compared() -> None:
    extra = [*A, 1000.0]  # a sixth round that B did not run in
    together = compare(extra, B, rounds=([*IDS, "m:6"], IDS))
    assert together.interleaved is True and together.n_a == together.n_b == 5
    assert together == compare(A, B, rounds=(IDS, IDS))
    assert math.isclose(together.ratio, compare(A, B).ratio)
    apart = compare(extra, B, rounds=([f"n:{i}" for i in range(6)], IDS))
    assert apart.interleaved is False and apart.n_a == 6  # no round shared: both whole, marked apart
    legacy = compare(A, B, rounds=([None] * 5, [None] * 5))
    assert legacy.interleaved is False and compare(A, B).interleaved is None
    with pytest.raises(ValueError, match="round id"):
        compare(A, B, rounds=(IDS[:4], IDS))


def test_pairs_are_matched_by_round_id_not_by_position() -> None:
    shuffled = compare(A[::-1], B, rounds=(IDS[::-1], IDS), paired=True)
    straight = compare(A, B, rounds=(IDS, IDS), paired=True)
    assert shuffled.low == pytest.approx(straight.low) and shuffled.high == pytest.approx(straight.high)
    wrong = compare(A[::-1], B, rounds=(IDS, IDS), paired=True)  # the same speeds paired with other rounds
    assert wrong.low != pytest.approx(straight.low)


def test_the_paired_interval_is_the_t_interval_of_the_log_differences_within_rounds() -> None:
    drift = [1.0, 1.3, 0.8, 1.1, 0.9]  # the machine's speed in each round, shared by both sides
    a = [x * d for x, d in zip(A, drift, strict=True)]
    b = [x * d for x, d in zip(B, drift, strict=True)]
    paired = compare(a, b, rounds=(IDS, IDS), paired=True)
    welch = compare(a, b, rounds=(IDS, IDS))
    d = np.log(a) - np.log(b)
    half = float(special.stdtrit(4, 0.975)) * float(np.std(d, ddof=1)) / math.sqrt(5)
    assert paired.paired and not welch.paired
    assert math.isclose(paired.low or 0, math.exp(d.mean() - half)) and math.isclose(
        paired.high or 0, math.exp(d.mean() + half))  # fmt: skip
    assert math.isclose(paired.p_value or 0, float(scipy_stats.ttest_rel(np.log(a), np.log(b)).pvalue))
    assert (paired.high or 0) - (paired.low or 0) < ((welch.high or 0) - (welch.low or 0)) / 3  # the drift cancels
    assert (paired.low or 0) > 1 > (welch.low or 0)  # paired, the difference shows; apart, it is lost in the drift
    assert not compare(a, b, paired=True).paired  # without rounds there is nothing to pair


def test_each_look_is_paid_for_like_a_comparison_of_the_family() -> None:
    one, two = compare(A, B), compare(A, B, looks=2)
    assert two.looks == 2 and (two.low or 0) < (one.low or 0) and (two.high or 0) > (one.high or 0)
    assert (two.low, two.high) == (compare(A, B, family=2).low, compare(A, B, family=2).high)
    assert two.p_value == min(1.0, 2 * (one.p_value or 0))
    found = pairwise({"x": {"m": A}, "y": {"m": B}, "z": {"m": A}}, looks=2,
                     rounds={f: {"m": IDS} for f in "xyz"})  # fmt: skip
    assert found is not None and all(r.looks == 2 and r.family == 3 and r.interleaved for r in found.pairs.values())


def test_the_minimum_detectable_effect_is_called_four_times_in_five() -> None:
    """At a true ratio equal to a comparison's detectable effect (its spread known), the interval
    excludes 1 with about 80% power."""
    rng = np.random.default_rng(1)
    sigma, n = 0.078, 10
    expected = compare(np.exp(rng.normal(0, sigma, n)), np.exp(rng.normal(0, sigma, n)))
    assert expected.detectable is not None and expected.detectable > 1
    se = sigma * math.sqrt(2 / n)  # the effect for the true spread, with Welch's degrees of freedom at equal sides
    effect = (float(special.stdtrit(2 * n - 2, 0.975)) + float(special.stdtrit(2 * n - 2, 0.8))) * se
    called = sum(
        (compare(np.exp(effect + rng.normal(0, sigma, n)), np.exp(rng.normal(0, sigma, n))).low or 0) > 1
        for _ in range(1000)
    )
    assert 0.74 <= called / 1000 <= 0.86
    more = compare(np.exp(rng.normal(0, sigma, 40)), np.exp(rng.normal(0, sigma, 40)))
    assert more.detectable is not None and more.detectable < expected.detectable  # more processes detect less


def test_the_page_marks_results_measured_apart_and_states_the_detectable_effect() -> None:
    together = compare(A, B, rounds=(IDS, IDS), looks=2)
    apart = compare(A, B, rounds=([None] * 5, [None] * 5))
    assert figures(together).endswith(", Bonferroni over 2 looks; 5 rounds together")
    family = pairwise({"x": {"m": A}, "y": {"m": B}, "z": {"m": B}}, rounds={f: {"m": IDS} for f in "xyz"}, looks=2)
    assert family is not None and ", Bonferroni over 3 comparisons and 2 looks;" in figures(family.pairs[("x", "y")])
    assert figures(apart).endswith("; measured apart, not interleaved")
    assert f"detects {together.detectable:.2f}×" in figures(together) and "detects" in figures(compare(A, B))
    assert "measured apart" not in figures(compare(A, B))  # where rounds are not recorded at all, nothing is said
