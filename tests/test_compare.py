"""The guides' figures and comparisons over processes: summaries, speed ratios, the words, and
every framework against the fastest of the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from generator.analyse.compare import compare, describe, figures, mode_results, process_medians, round_spread, summarise

STEADY = [-2.0, -1.0, 1.0, 2.0]  # each process's samples around its median


def runs(*medians: float, step: float = 1.0) -> list[list[float]]:
    """The samples of one process per median."""
    return [[m + d * step for d in STEADY] for m in medians]


def scaled(processes: list[list[float]], by: Callable[[float], float]) -> list[list[float]]:
    """Each sample of each process changed by ``by``."""
    return [[by(v) for v in own] for own in processes]


def test_a_summary_is_the_geometric_mean_of_the_process_medians_with_an_interval_over_processes() -> None:
    samples = runs(100.0, 102.0, 98.0, 101.0, 99.0)
    s = summarise(samples)
    logs = np.log([100.0, 102.0, 98.0, 101.0, 99.0])
    assert (s.n, s.processes) == (20, 5)
    assert s.median == pytest.approx(np.exp(logs.mean()))  # the mean the ratios compare, so both agree
    # the t-interval of the mean log process median, 4 degrees of freedom
    half = 2.776445 * logs.std(ddof=1) / np.sqrt(5)
    assert s.low == pytest.approx(np.exp(logs.mean() - half)) and s.high == pytest.approx(np.exp(logs.mean() + half))
    assert s.low is not None and s.high is not None and 97.5 < s.low < 100.0 < s.high < 102.5
    assert not s.noisy


def test_many_samples_in_one_process_give_no_interval() -> None:
    one = summarise([[9.0, 10.0, 11.0, 10.0, 10.0] * 40])
    assert (one.processes, one.median, one.low, one.high) == (1, 10.0, None, None)
    assert not one.enough_processes
    assert summarise([[9.0, 10.0, 11.0] * 4]).processes == 1  # one round is one process


def test_processes_that_disagree_widen_the_interval_however_many_samples_each_holds() -> None:
    steady = runs(100.0, 100.5, 99.5)
    apart = runs(100.0, 100.5, 150.0)
    narrow, wide = summarise(steady), summarise(apart)
    assert narrow.high - narrow.low < 3.0  # type: ignore[operator]
    assert wide.high - wide.low > 50.0  # type: ignore[operator]
    # a thousand samples a process do not narrow it: the process is the unit
    many = summarise([[m] * 1000 for m in (100.0, 100.5, 150.0)])
    assert many.low == pytest.approx(wide.low) and many.high == pytest.approx(wide.high)


def test_noisy_series_is_flagged() -> None:
    assert summarise([[1.0, 2.0, 1.0, 2.0, 1.0, 2.0]]).noisy


def test_process_medians_and_their_spread() -> None:
    assert process_medians([[10.0, 11.0, 9.0], [20.0, 21.0, 19.0]]) == [10.0, 20.0]
    assert process_medians([[10.0, 11.0, 9.0], [], [20.0]]) == [10.0, 20.0]  # a failed process adds nothing
    assert round_spread([[10.0, 11.0, 9.0], [20.0, 21.0, 19.0]]) == 2.0
    assert round_spread([[10.0, 11.0, 9.0]]) == 1.0


def test_a_ratio_above_one_means_a_is_faster_for_rates_and_latencies_alike() -> None:
    fast = runs(200.0, 202.0, 198.0, 201.0, 199.0)
    slow = runs(100.0, 101.0, 99.0, 100.5, 99.5)
    by_rate = compare(fast, slow, unit="samples/s")
    # the same speeds as latencies in ms: the faster side takes less time per sample
    by_latency = compare(scaled(fast, lambda v: 1000 / v), scaled(slow, lambda v: 1000 / v), unit="ms")
    assert by_rate.outcome == by_latency.outcome == "faster"
    assert by_rate.ratio == pytest.approx(by_latency.ratio, rel=1e-3) == pytest.approx(2.0, rel=0.01)
    assert by_rate.ratio > 1 and by_latency.ratio > 1
    assert describe(by_rate) == describe(by_latency) == f"{by_rate.ratio:.2f}× faster"
    reverse = compare(scaled(slow, lambda v: 1000 / v), scaled(fast, lambda v: 1000 / v), unit="ms")
    assert reverse.outcome == "slower" and reverse.ratio < 1 and describe(reverse).endswith("× slower")


def test_three_outcomes_and_a_single_reading_in_words_with_p_values_only_beside_a_difference() -> None:
    base = runs(100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8, 100.1, 99.9, 100.3)
    same = runs(100.1, 100.9, 99.1, 100.4, 99.6, 100.3, 99.7, 100.0, 100.0, 100.2)
    equivalent = compare(same, base, unit="samples/s")
    assert equivalent.outcome == "equivalent" and describe(equivalent) == "equivalent within ±20%"
    wide_a = runs(70.0, 140.0)
    wide_b = runs(95.0, 112.0)
    uncertain = compare(wide_a, wide_b, unit="samples/s")
    assert uncertain.outcome == "uncertain" and describe(uncertain) == "too uncertain to call"
    single = compare([[100.0] * 8], [[50.0] * 8], unit="samples/s")  # one process a side, however far apart
    assert single.low is None and describe(single) == "too few processes to call (1 against 1)"
    faster = compare(scaled(base, lambda v: 2 * v), base, unit="samples/s")
    for r in (equivalent, uncertain, single):
        assert "p <" not in figures(r) and "p =" not in figures(r)
        assert "p <" not in describe(r, detail=True) and "p =" not in describe(r, detail=True)
    assert figures(faster).endswith(", p < 0.001")
    assert figures(single) == "ratio 2.00, 1 against 1 processes: no interval"


def frame(rows: list[tuple[str, str, float]], unit: str = "samples/s") -> pd.DataFrame:
    """One case's rows: (framework, mode, median speed) each, 5 processes around that median."""
    metric = "train_throughput" if unit == "samples/s" else "infer_latency"
    found: list[dict[str, Any]] = []
    for framework, mode, median in rows:
        samples = runs(*(median * m for m in (0.99, 1.0, 1.01, 0.995, 1.005)), step=median / 1000)
        found.append({
            "framework": framework, "mode": mode, "metric": metric, "unit": unit, "samples": samples,
            "flops_per_unit": 1e6, "first_call_s": 0.1, "peak_rss_bytes": 1,
            "after_import_rss_bytes": 1, "parity_passed": True, "parity_max_abs_diff": 0.0,
            "file": f"{framework}-{mode}", "device_peak_bytes": None, "prepare_s": None,
        })  # fmt: skip
    return pd.DataFrame(found)


def test_every_pair_is_compared_and_each_framework_meets_the_fastest_of_the_others() -> None:
    modes = mode_results(frame([("alpha", "a1", 100.0), ("alpha", "a2", 300.0), ("beta", "b1", 200.0),
                                ("gamma", "c1", 150.0), ("gamma", "c2", 290.0)]))  # fmt: skip
    by = {(r.framework, r.mode): r for r in modes.results}
    assert by[("alpha", "a2")].best and by[("alpha", "a2")].versus == "gamma/c2"
    assert by[("beta", "b1")].versus == "alpha/a2" and by[("gamma", "c2")].versus == "alpha/a2"
    assert by[("alpha", "a1")].versus == "gamma/c2" and not by[("alpha", "a1")].best
    # the headline: the fastest framework's fastest mode, read from its side
    headline = modes.headline
    assert headline is not None and (headline.framework, headline.mode) == ("alpha", "a2")
    assert headline.comparison is not None and headline.comparison.ratio == pytest.approx(300 / 290, rel=1e-3)
    # none of these frameworks is registered, so none has a primary mode: each stands by its fastest, and the
    # one correction over the pairs pays for those choices: alpha-beta 2×1, alpha-gamma 2×2, beta-gamma 1×2
    assert headline.comparison.family == 8
    assert modes.pairwise is not None and modes.pairwise.family == 8 and len(modes.pairwise.pairs) == 3
    assert headline.comparison == modes.pairwise.ratio("alpha", "gamma")  # the pair itself
    assert by[("alpha", "a1")].comparison.family == 1  # type: ignore[union-attr]  # secondary, never in a verdict
    # the margin of the winning mode over the framework's other mode
    assert headline.margins["a1"].outcome == "faster" and headline.margins["a1"].ratio == pytest.approx(3.0, rel=1e-3)
    assert modes.best_of("beta") is by[("beta", "b1")] and not by[("beta", "b1")].margins


def test_a_latency_case_names_the_same_winner_as_the_throughput_case_of_the_same_speeds() -> None:
    speeds = [("alpha", "a", 400.0), ("beta", "b", 200.0)]
    rates = mode_results(frame(speeds)).headline
    latencies = mode_results(frame([(f, m, 1000 / v) for f, m, v in speeds], unit="ms")).headline
    assert rates is not None and latencies is not None
    assert (rates.framework, rates.verdict) == (latencies.framework, latencies.verdict) == ("alpha", "2.00× faster")


def test_one_framework_alone_is_compared_with_nothing() -> None:
    modes = mode_results(frame([("alpha", "a1", 100.0), ("alpha", "a2", 120.0)]))
    assert modes.headline is None and all(r.comparison is None for r in modes.results)
    assert modes.results[0].verdict == "no other framework measured"


def test_statistics_are_deterministic() -> None:
    data = runs(50.0, 51.0, 49.0, 50.5)
    assert summarise(data) == summarise(data)
    faster = scaled(data, lambda x: x * 1.1)
    assert compare(data, faster, unit="samples/s") == compare(data, faster, unit="samples/s")
