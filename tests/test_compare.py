"""Statistics: medians and intervals, ratios, significance, and the words for them."""

from __future__ import annotations

import numpy as np

from generator.compare import compare, describe, round_spread, summarise


def test_summary_of_a_known_series() -> None:
    s = summarise([9.0, 10.0, 11.0, 10.0, 10.0] * 4)
    assert s.median == 10.0
    assert s.low <= 10.0 <= s.high
    assert not s.noisy


def test_noisy_series_is_flagged() -> None:
    assert summarise([1.0, 2.0, 1.0, 2.0, 1.0, 2.0]).noisy


def test_constant_series_has_a_zero_width_interval() -> None:
    s = summarise([5.0] * 10)
    assert (s.low, s.median, s.high) == (5.0, 5.0, 5.0)


def test_clear_difference_is_meaningful_both_ways() -> None:
    rng = np.random.default_rng(0)
    fast, slow = rng.normal(200, 2, 30), rng.normal(100, 2, 30)
    c = compare(fast, slow)
    assert c.significant and c.meaningful
    assert c.low < c.ratio < c.high
    assert 1.9 < c.ratio < 2.1
    assert describe(c) == f"{c.ratio:.2f}× faster"
    assert describe(compare(slow, fast)).endswith("× slower")


def test_small_but_significant_difference_is_not_meaningful() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(102, 0.1, 30), rng.normal(100, 0.1, 30)
    c = compare(a, b)
    assert c.significant
    assert not c.meaningful
    assert describe(c) == "no meaningful difference"


def test_large_but_not_significant_difference_is_not_called() -> None:
    c = compare([100.0, 300.0, 120.0], [110.0, 90.0, 290.0])
    assert not c.significant
    assert describe(c) == "no meaningful difference"


def test_lower_is_better_flips_the_words() -> None:
    rng = np.random.default_rng(2)
    c = compare(rng.normal(2, 0.01, 20), rng.normal(1, 0.01, 20))
    assert describe(c, higher_is_better=False).endswith("× slower")


def test_statistics_are_deterministic() -> None:
    data = np.random.default_rng(3).normal(50, 5, 40)
    assert summarise(data) == summarise(data)
    assert compare(data, data * 1.1) == compare(data, data * 1.1)


def test_round_spread_compares_the_rounds_medians() -> None:
    assert round_spread([10.0, 11.0, 9.0, 20.0, 21.0, 19.0], [3, 3]) == 2.0
    assert round_spread([10.0, 11.0, 9.0], [3]) == 1.0
    assert round_spread([10.0, 10.5, 10.0, 10.5], [2, 2]) == 1.0


def test_rounds_that_disagree_widen_the_interval() -> None:
    steady = [100.0, 101.0, 99.0, 100.5, 99.5] * 4
    samples = steady + steady + [x * 1.5 for x in steady]  # the third process ran 1.5× faster
    pooled = summarise(samples)
    by_round = summarise(samples, per_round=[20, 20, 20])
    # pooled, 60 samples pin the median near 100; by round, there are three processes and one
    # of them disagrees, so the median's interval reaches the fast one
    assert pooled.high - pooled.low < 2.0
    assert by_round.low < 101.0 and by_round.high > 140.0
    agreeing = summarise(steady * 3, per_round=[20, 20, 20])
    assert agreeing.high - agreeing.low < 2.0
    assert summarise(steady, per_round=[20]) == summarise(steady)  # one round: the ordinary bootstrap


def test_ratio_interval_resamples_rounds_too() -> None:
    steady = [100.0, 101.0, 99.0, 100.5, 99.5] * 4
    split = steady + [x * 1.5 for x in steady]
    plain = compare(split, steady * 2)
    by_round = compare(split, steady * 2, [20, 20], [20, 20])
    assert by_round.high - by_round.low > plain.high - plain.low
    assert by_round.low < 1.02 and by_round.high > 1.48


def test_a_difference_needs_the_interval_to_agree_with_the_test() -> None:
    steady = [100.0, 101.0, 99.0, 100.5, 99.5] * 4
    # the pooled samples differ clearly (p tiny), but one of the two processes of `a` ran like `b`
    a = steady + [x * 1.3 for x in steady]
    b = steady * 2
    assert compare(a, b).meaningful
    by_round = compare(a, b, [20, 20], [20, 20])
    assert by_round.p_value < 0.05 and by_round.low <= 1.0
    assert not by_round.meaningful
    assert describe(by_round) == "no meaningful difference"
