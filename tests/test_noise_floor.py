"""The A/A control and the noise floor: planned by every timing profile, kept out of the guides, read
per machine, and no verdict called inside it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, cast

import pytest

from generator.analyse import noise, stats
from generator.pages import render
from generator.read import corpus
from measurements import harness
from measurements.profiles import PROFILES
from measurements.results import Result, expected_path
from tests.conftest import MACHINE, make_result, measured, write_results

CONTROL_SPEEDS = (2000.0, 2010.0, 1990.0, 2005.0, 1995.0)


def control_of(doc: dict[str, Any], speeds: tuple[float, ...] = CONTROL_SPEEDS) -> dict[str, Any]:
    """An A/A control of ``doc``'s run: the same run, measured again with ``speeds`` as its process medians."""
    twin = make_result(doc["run"]["workload"], doc["run"]["framework"], doc["run"]["mode"], speeds,
                       processes=len(speeds))  # fmt: skip
    twin["run"]["control"] = "aa"
    return twin


def write_control(folder: Path, doc: dict[str, Any]) -> None:
    path = expected_path(doc, folder)  # type: ignore[arg-type]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize("name", [name for name, p in PROFILES.items() if not p.on_cpu])
def test_every_timing_profile_plans_its_a_a_control_right_after_its_run(name: str) -> None:
    profile = PROFILES[name]
    assert profile.control
    runs = harness.plan(profile.devices or ["cpu"], profile=profile)
    twins = [i for i, r in enumerate(runs) if r.control == "aa"]
    assert twins, f"{name} plans no A/A control"
    for i in twins:
        run = runs[i - 1]
        assert (run.workload, run.framework, run.mode, run.device, run.control) == (
            runs[i].workload, runs[i].framework, runs[i].mode, runs[i].device, "")  # fmt: skip
        assert runs[i].key == f"{run.key}#aa"
    assert harness.plan(["cpu"], ["mlp/*"], PROFILES["quick"])[1].key == "mlp/pytorch/eager/cpu#aa"


def test_an_a_a_control_is_its_own_file_and_never_a_framework_in_the_guides(tmp_path: Path) -> None:
    base = measured("mlp", "pytorch", "eager", 2000)
    folder = write_results(tmp_path / "results", [base, measured("mlp", "tensorflow", "function", 1000)])
    write_control(folder, control_of(base, (1000.0, 1001.0, 999.0, 1000.5, 999.5)))  # twice as slow: a lie
    found = corpus.load_corpus(folder)
    assert found.loaded.problems == []  # no clash with its run
    assert list(found.controls["file"]) == [f"{MACHINE}/mlp.pytorch-1.0.eager.cpu.aa.json"]
    assert "" == "".join(found.frame["control"]) == "".join(found.everything["control"])
    (case,) = found.machines[MACHINE].cases
    assert len(case.modes.results) == 2  # the control stands for no framework and no mode
    assert case.modes.get("pytorch", "eager").summary.median == pytest.approx(2000, rel=0.02)  # type: ignore[union-attr]
    floor = found.noise[MACHINE]
    assert floor.control == "mlp/pytorch/eager/cpu"
    assert (floor.called, floor.compared, floor.observed_rate) == (1, 1, 1.0)  # a false difference, counted


def test_the_floor_is_the_far_end_of_the_a_a_intervals_and_a_call_inside_it_is_not_made() -> None:
    aa = stats.compare([100, 102, 98, 101, 99], [100, 104, 96, 103, 97])
    assert aa.outcome == "equivalent"
    assert noise.floor_of([("c", aa)]) == pytest.approx(max(aa.high or 0, 1 / (aa.low or 1)))
    a, b = [110, 110.5, 109.5, 110.2, 109.8], [100, 100.5, 99.5, 100.2, 99.8]
    called = stats.compare(a, b, band=1.05)
    assert called.outcome == "faster" and not called.within_floor
    floored = stats.compare(a, b, band=1.05, floor=1.15)
    assert (floored.outcome, floored.within_floor, floored.low, floored.p_value) == (
        "uncertain", True, called.low, called.p_value)  # fmt: skip
    assert stats.words(floored) == "within the noise floor (±15%), not called"
    assert stats.p_words(floored) == "–"
    assert floored.processes_to_settle() is None  # more processes would not lift it above the floor
    assert floored.flipped().within_floor and floored.at(1.04).within_floor
    assert stats.compare(a, b, band=1.05, floor=1.05).outcome == "faster"  # outside the floor: called
    assert stats.pairwise({"x": {"m": a}, "y": {"m": b}}, band=1.05, floor=1.15).ratio("x", "y").within_floor  # type: ignore[union-attr]


def test_a_machine_without_an_a_a_control_says_so_and_has_no_floor(tmp_path: Path) -> None:
    folder = write_results(tmp_path / "results", [measured("mlp", "pytorch", "eager", 2000),
                                                  measured("mlp", "tensorflow", "function", 1000)])  # fmt: skip
    found = corpus.load_corpus(folder)
    floor = found.noise[MACHINE]
    assert (floor.control, floor.floor, floor.observed_rate, floor.simulated_rate) == (None, None, None, None)
    assert len(floor.spreads) == 2 and floor.steal == []
    table = render.environment().get_template("noise-floor.md.j2").render(noise=[floor])
    assert "no A/A control measured on this machine" in table
    assert "not recorded" in table  # no steal: these rounds predate the record


def test_the_false_difference_rate_is_about_the_intervals_five_percent() -> None:
    rate = noise.false_difference_rate(5, 5, 0.08, reps=2000)
    assert 0.02 < rate < 0.08
    assert noise.false_difference_rate(5, 5, 0.08, reps=200) == noise.false_difference_rate(5, 5, 0.08, reps=200)


def test_the_canary_adjustment_removes_the_drift_it_shares_and_no_more() -> None:
    drift = [1.0, 0.8, 1.2, 0.9, 1.1]
    shared = noise.Series("f", "c", [1000 * d for d in drift], [50 * d for d in drift])
    assert noise.log_sd(shared.speeds) > 0.1
    assert noise.canary_adjusted([shared]) == [pytest.approx(0, abs=1e-12)]
    apart = noise.Series("f", "c", [1000 * d for d in drift], [50.4, 49.9, 49.9, 49.9, 49.9])  # uncorrelated
    (left,) = noise.canary_adjusted([apart])
    assert left > 0.5 * noise.log_sd(apart.speeds)  # a canary that moved apart explains little
    assert noise.canary_adjusted([noise.Series("f", "c", [1.0, 2.0, 3.0], [None, 1.0, 1.0])]) == []


def test_steal_and_canary_records_are_read_per_machine(tmp_path: Path) -> None:
    base = measured("mlp", "pytorch", "eager", 2000)
    for i, r in enumerate(base["rounds"]):
        r["noise"] = {"steal": 0.01 * i, "affinity": [0, 1], "cpus_seen": [0, 1], "clock_mhz": None,
                      "canary_s": 0.1, "canary_share": 0.02}  # fmt: skip
        r["measurements"][0]["canary"] = [50.0 * (1 + 0.01 * i)] * 4
    folder = write_results(tmp_path / "results", [base])
    found = corpus.load_corpus(folder).noise[MACHINE]
    assert found.steal == pytest.approx([0, 0.01, 0.02, 0.03, 0.04])
    assert len(found.adjusted) == 1 and found.canary_share == [0.02] * 5
    assert all(math.isfinite(v) for v in found.adjusted)


def test_a_guides_call_inside_the_machines_noise_floor_is_not_made(tmp_path: Path) -> None:
    base = measured("mlp", "pytorch", "eager", 2000)
    other = measured("mlp", "tensorflow", "function", 1500)  # 1.33× slower, a narrow interval: a call
    folder = write_results(tmp_path / "results", [base, other])
    assert corpus.load_corpus(folder).machines[MACHINE].cases[0].modes.pairwise.ratio(  # type: ignore[union-attr]
        "pytorch", "tensorflow").outcome == "faster"  # fmt: skip
    write_control(folder, control_of(base, (1000.0, 3000.0, 1500.0, 2500.0, 2000.0)))  # a machine this noisy
    found = corpus.load_corpus(folder)
    floor = found.floor(MACHINE)
    assert floor is not None and floor > 1.34
    pair = found.machines[MACHINE].cases[0].modes.pairwise.ratio("pytorch", "tensorflow")  # type: ignore[union-attr]
    assert (pair.outcome, pair.within_floor, pair.floor) == ("uncertain", True, floor)
    assert stats.words(pair).startswith("within the noise floor")


def test_counts_of_comparisons_name_the_calls_inside_the_noise_floor_apart() -> None:
    from generator.judge import evidence, ruling

    a, b = [110, 110.5, 109.5, 110.2, 109.8], [100, 100.5, 99.5, 100.2, 99.8]
    floored = stats.compare(a, b, band=1.05, floor=1.15)
    wide = stats.compare([100, 150, 70], [100, 140, 80], band=1.05)
    items = [evidence.Item("x", None, "", call=evidence.call_of(floored), ratio=floored),
             evidence.Item("y", None, "", call=evidence.call_of(wide), ratio=wide)]  # fmt: skip
    assert ruling.count_words(items) == "2 comparisons: 1 too uncertain to call, 1 within the noise floor"


def test_the_a_a_control_is_compared_on_the_rounds_it_shares_with_its_run() -> None:
    run = measured("mlp", "pytorch", "eager", 1000)
    twin = control_of(run)
    for doc in (run, twin):  # measured together: round i of both has the same id
        for i, one in enumerate(doc["rounds"]):
            one["id"] = f"m:{i + 1}"
    twin["rounds"][-1]["id"] = "n:1"  # its last process ran in a round of its own
    found = noise.machine_noise(MACHINE, cast(dict[str, Result], {"run.json": run, "control.json": twin}))
    assert found.pairs and all(r.interleaved and r.n_a == r.n_b == 4 for _, r in found.pairs)
    apart = {"run.json": measured("mlp", "pytorch", "eager", 1000), "control.json": control_of(run)}
    legacy = noise.machine_noise(MACHINE, cast(dict[str, Result], apart))
    assert legacy.pairs and all(r.interleaved is False and r.n_b == 5 for _, r in legacy.pairs)  # marked apart
