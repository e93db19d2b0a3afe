"""The sources of spread a timing child records (``measurements.canary``) and where they land."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from measurements import canary, results, worker, workloads
from measurements.frameworks import numpy as numpy_fw
from measurements.profiles import PROFILES
from measurements.workloads.mlp import spec as mlp
from tests.conftest import make_result


def test_steal_is_the_share_of_the_processes_cpus_ticks_stolen(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text(
        "cpu  900 0 100 900 0 0 0 100 0 0\ncpu0 100 0 0 800 0 0 0 100 50 0\ncpu1 800 0 100 100 0 0 0 0 0 0\n"
    )
    before = canary.cpu_ticks([0], stat)
    assert before == (100, 1000)  # cpu0 alone; guest time (in user already) is not counted twice
    stat.write_text("cpu0 150 0 0 1750 0 0 0 100 0 0\ncpu1 800 0 100 100 0 0 0 0 0 0\n")
    assert canary.steal_between(before, canary.cpu_ticks([0], stat)) == pytest.approx(0.0)
    stat.write_text("cpu0 150 0 0 1650 0 0 0 200 0 0\ncpu1 800 0 100 100 0 0 0 0 0 0\n")
    assert canary.steal_between(before, canary.cpu_ticks([0], stat)) == pytest.approx(0.1)
    assert canary.cpu_ticks([0], tmp_path / "missing") is None
    assert canary.steal_between(None, before) is None


def test_the_cpus_a_thread_ran_on_are_read_past_a_name_with_spaces(tmp_path: Path) -> None:
    task = tmp_path / "101"
    task.mkdir()
    fields = ["S"] + ["0"] * 35 + ["3", "0"]  # fields 3 to 40: field 39 is the CPU
    (task / "stat").write_text(f"101 (pt main) thread) {' '.join(fields)}\n")
    assert canary.cpus_seen(tmp_path) == {3}
    assert canary.cpus_seen() <= set(range(4096))  # this process's own threads: on some CPU


def test_the_clock_is_cpufreq_where_shown_else_cpuinfo_else_none(tmp_path: Path) -> None:
    sysfs, cpuinfo = tmp_path / "cpu", tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\ncpu MHz\t\t: 2000.0\n\nprocessor\t: 1\ncpu MHz\t\t: 3000.0\n")
    assert canary.clock_mhz([1], sysfs, cpuinfo) == 3000.0
    for c, khz in ((0, 1_000_000), (1, 2_000_000)):
        (sysfs / f"cpu{c}" / "cpufreq").mkdir(parents=True)
        (sysfs / f"cpu{c}" / "cpufreq" / "scaling_cur_freq").write_text(f"{khz}\n")
    assert canary.clock_mhz([0, 1], sysfs, cpuinfo) == 1500.0
    assert canary.clock_mhz([0], tmp_path / "none", tmp_path / "none") is None


def test_the_canary_reads_a_speed_and_keeps_the_blas_threads_as_they_were() -> None:
    from threadpoolctl import threadpool_info

    before = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    bird = canary.Canary()
    speeds = [bird() for _ in range(3)]
    assert all(s > 0 for s in speeds)
    assert bird.spent_s > 0
    assert [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"] == before


def test_every_sample_has_a_canary_reading_and_the_round_keeps_the_noise_record() -> None:
    watch = canary.Watch()
    profile = PROFILES["quick"]
    case = next(c for c in mlp.cases(profile, "infer") if c.metric == "infer_throughput")
    x, _ = mlp.batch(case.params)
    module = SimpleNamespace(prepare=lambda params, mode, device: workloads.Prepared(
        step=lambda: mlp.forward_reference(case.params, x), forward=lambda x: x))  # fmt: skip
    found = worker.measure_case(numpy_fw, mlp, module, case, "default", "cpu", profile, watch=watch)  # type: ignore[arg-type]
    assert len(found["canary"]) == len(found["samples"]) == profile.samples
    assert found["samples_per_canary"] == 1
    noise = watch.record()
    assert 0 < noise["canary_share"] < 1
    assert set(noise["cpus_seen"]) <= set(noise["affinity"]) or not noise["affinity"]
    reported: dict[str, Any] = {"status": "ok", "import_s": 0.1, "noise": noise, "measurements": [found],
                                "memory": {"peak_rss_bytes": 10, "after_import_rss_bytes": 5},
                                "framework": {"name": "numpy", "version": "2", "build": {}}}  # fmt: skip
    doc = make_result()
    written = results.record(doc["run"], doc["machine"], doc["software"], doc["settings"], reported, 0)  # type: ignore[arg-type]
    assert written["rounds"][0]["noise"] == noise
    assert written["rounds"][0]["measurements"][0]["canary"] == found["canary"]
    checked, problems = results.check_document(json.loads(json.dumps(written)))
    assert problems == [] and checked is not None


def test_a_noise_record_out_of_range_is_refused_and_an_older_round_without_one_reads() -> None:
    doc = make_result()
    assert results.check_document(json.loads(json.dumps(doc)))[1] == []  # no noise record: still valid
    doc["rounds"][0]["noise"] = {"steal": 1.5, "affinity": [0], "cpus_seen": [0], "clock_mhz": None,
                                 "canary_s": 0.1, "canary_share": 0.01}  # fmt: skip
    _, problems = results.check_document(doc)
    assert problems and problems[0].startswith("rounds[0].noise.steal:")
