"""The harness's rounds, without real children: every run of a workload in every round, rotated;
rounds named for the measurement; resumed by whole rounds; replicated until decided."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest

from generator.analyse import compare
from generator.read import load
from measurements import environment, harness, results
from measurements.profiles import PROFILES, looks_for
from measurements.results import Reported

RUNS = [harness.Run("mlp", "pytorch", "eager", "cpu"), harness.Run("mlp", "tensorflow", "function", "cpu"),
        harness.Run("mlp", "jax", "jit", "cpu")]  # fmt: skip
QUICK = PROFILES["quick"]


def reported(speed: float) -> Reported:
    parity = {"reference": "r", "max_abs_diff": 0.0, "rtol": 0.0, "atol": 0.0, "passed": True}
    case = {"metric": "train_throughput", "unit": "samples/s", "case": "batch 32", "params": {"batch_size": 32},
            "flops_per_unit": 1.0, "parity": parity, "samples": [speed, speed * 1.01, speed * 0.99],
            "steps_per_sample": 1, "warmup_steps": 1, "first_call_s": 0.1}  # fmt: skip
    memory = {"peak_rss_bytes": 1, "after_import_rss_bytes": 1}
    framework = {"name": "x", "version": "1", "build": {}}
    return cast(Reported, {"status": "ok", "framework": framework, "import_s": 0.1, "memory": memory,
                           "measurements": [case]})  # fmt: skip


Speeds = Callable[[harness.Run, int], float]


def fake_children(monkeypatch: pytest.MonkeyPatch, speeds: Speeds, stop_after: int | None = None) -> list[str]:
    """Children that report ``speeds(run, how many processes of it came before)``; the order they
    ran in is returned. After ``stop_after`` children the harness is interrupted."""
    ran: list[str] = []

    def child(run: harness.Run, *_: object, **__: object) -> tuple[Reported, int]:
        if stop_after is not None and len(ran) == stop_after:
            raise KeyboardInterrupt
        ran.append(run.key)
        return reported(speeds(run, ran.count(run.key) - 1)), 0

    monkeypatch.setattr(harness, "run_child", child)
    monkeypatch.setattr(environment, "installed_version", lambda framework: "1")
    return ran


def noisy(run: harness.Run, i: int) -> float:
    """Speeds far apart from process to process, the same on average for every run: never decided."""
    return 100.0 * (1.0 + 0.5 * ((i + hash(run.framework) % 3) % 2))


def test_every_run_of_a_workload_runs_in_every_round_rotated_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = fake_children(monkeypatch, lambda run, i: 100.0)
    profile = dataclasses.replace(QUICK, rounds=3)
    done = harness.run_all(RUNS, profile, tmp_path)
    keys = [r.key for r in RUNS]
    assert ran == keys + keys[1:] + keys[:1] + keys[2:] + keys[:2]  # each round all three, each in turn first
    ids = [[one["id"] for one in doc["rounds"]] for doc in done]
    assert ids[0] == ids[1] == ids[2] and len(set(ids[0])) == 3  # every run's round i shares its id
    assert [i.rsplit(":", 1)[1] for i in ids[0]] == ["1", "2", "3"]
    assert len({i.rsplit(":", 1)[0] for i in ids[0]}) == 1  # one measurement
    assert all("started_at" in one and one["wall_s"] >= 0 for doc in done for one in doc["rounds"])
    loaded = load.load_results(load.result_files(tmp_path))
    assert loaded.problems == []


def test_a_round_interrupted_half_way_is_measured_again_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = dataclasses.replace(QUICK, rounds=2)
    fake_children(monkeypatch, lambda run, i: 100.0, stop_after=4)  # round 2 stops after its first run
    with pytest.raises(KeyboardInterrupt):
        harness.run_all(RUNS, profile, tmp_path)
    ran = fake_children(monkeypatch, lambda run, i: 100.0)
    done = harness.run_all(RUNS, profile, tmp_path)
    assert sorted(ran) == sorted(r.key for r in RUNS)  # round 2 again, for every run; round 1 kept
    first, second = {doc["rounds"][0]["id"] for doc in done}, {doc["rounds"][1]["id"] for doc in done}
    assert len(first) == len(second) == 1 and first != second
    assert first.pop().split(":")[0] != second.pop().split(":")[0]  # another measurement resumed


def test_a_run_added_later_remeasures_its_workload_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = dataclasses.replace(QUICK, rounds=2)
    fake_children(monkeypatch, lambda run, i: 100.0)
    harness.run_all(RUNS[:2], profile, tmp_path)
    ran = fake_children(monkeypatch, lambda run, i: 100.0)
    done = harness.run_all(RUNS, profile, tmp_path)
    assert len(ran) == 6  # nothing the third run could be paired with: every run measured again
    assert len({tuple(one["id"] for one in doc["rounds"]) for doc in done}) == 1


def test_a_finished_workload_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = dataclasses.replace(QUICK, rounds=2)
    fake_children(monkeypatch, lambda run, i: 100.0)
    first = harness.run_all(RUNS, profile, tmp_path)
    ran = fake_children(monkeypatch, lambda run, i: 100.0)
    assert harness.run_all(RUNS, profile, tmp_path) == first and ran == []


def test_rounds_are_added_until_decided_up_to_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = dataclasses.replace(QUICK, rounds=3, looks=(3, 5, 8))
    assert looks_for(profile, "train") == (3, 5, 8)
    ran = fake_children(monkeypatch, noisy)
    done = harness.run_all(RUNS, profile, tmp_path / "noisy")
    assert len(ran) == 3 * 8 and all(doc["run"]["looks"] == [3, 5, 8] for doc in done)  # never decided: to the cap
    frame = load.to_frame(load.load_results(load.result_files(tmp_path / "noisy")).results, tmp_path / "noisy")
    assert compare.undecided(frame) == ["batch 32"]
    pair = compare.mode_results(frame).pairwise
    assert pair is not None and all(r.looks == 3 and r.interleaved for r in pair.pairs.values())

    ran = fake_children(monkeypatch, lambda run, i: {"pytorch": 100.0, "tensorflow": 200.0, "jax": 400.0}[
        run.framework] * (1 + 0.01 * (i % 2)))  # fmt: skip
    harness.run_all(RUNS, profile, tmp_path / "clear")
    assert len(ran) == 3 * 3  # decided at the first look


def test_training_on_real_data_and_the_gpu_runs_are_not_replicated() -> None:
    standard = PROFILES["standard"]
    assert looks_for(standard, "train") == (5, 7)
    assert looks_for(standard, "train", "large") == (5,)  # the large models: no looks past the first (its budget)
    assert looks_for(standard, "accuracy") == (3,)  # fewer processes than the profile's: one look, no more
    assert looks_for(PROFILES["gpu"], "train", "large") == (3,)
    assert looks_for(PROFILES["quick"], "train") == (1,)
    assert looks_for(dataclasses.replace(standard, looks=()), "train") == (5,)


def test_time_left_counts_the_processes_planned_from_their_wall_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = dataclasses.replace(QUICK, rounds=2)
    fake_children(monkeypatch, lambda run, i: 100.0)
    (group,) = harness.groups_of(RUNS, profile)
    state: dict[harness.Run, results.Result | None] = dict.fromkeys(RUNS)
    assert harness.time_left([group], state, {}) == "time left: estimating"
    assert harness.time_left([group], state, dict.fromkeys(RUNS, 10.0)) == "about 0:01:00 left to the next look"
    assert harness.time_left([group], state, {RUNS[0]: 30.0}) == "about 0:03:00 left to the next look"
