"""The distributed-training study in JAX: its launch (jax.distributed on loopback), CPU pinning,
and, slow, two real processes against one."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import psutil
import pytest

from measurements.catalog import CONFIGURATIONS, Settings
from measurements.studies import distributed, registry
from measurements.studies.distributed import worker as distributed_worker

SINGLE_1, TWO = CONFIGURATIONS[1], CONFIGURATIONS[2]
TINY = Settings(layers=(16, 8, 8, 4), global_batch=8, samples=3, sample_s=0.01, warmup_s=0.02, parity_steps=2,
                timeout_s=60)  # fmt: skip


def test_the_study_measures_jax_beside_the_others() -> None:
    assert registry()["distributed"].frameworks == ("pytorch", "tensorflow", "jax")
    assert "jax.distributed" in distributed.STUDY.description


def test_jax_runs_two_processes_with_one_coordinator_on_loopback(tmp_path: Path) -> None:
    planned = distributed.commands("jax", TWO, Settings(), tmp_path, 1.5)
    assert len(planned) == 2
    envs = [env for _, env in planned]
    assert [env[distributed_worker.JAX_PROCESS_ENV] for env in envs] == ["0", "1"]
    coordinator = envs[0][distributed_worker.JAX_COORDINATOR_ENV]
    assert envs[1][distributed_worker.JAX_COORDINATOR_ENV] == coordinator
    host, port = coordinator.rsplit(":", 1)
    assert host == "127.0.0.1" and 1024 <= int(port) < 65536
    for command, env in planned:
        assert command[1:3] == ["-m", distributed.WORKER]
        assert command[command.index("--framework") + 1] == "jax"
        assert command[command.index("--processes") + 1] == "2"
        assert command[command.index("--threads") + 1] == "1"
        assert "TF_CONFIG" not in env


def test_a_single_jax_process_gets_no_coordinator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(distributed_worker.JAX_COORDINATOR_ENV, "127.0.0.1:1")  # a stray one is not passed on
    monkeypatch.setenv("JAX_COORDINATOR_ADDRESS", "127.0.0.1:1")
    ((command, env),) = distributed.commands("jax", CONFIGURATIONS[0], Settings(), tmp_path, 1.5)
    assert command[command.index("--threads") + 1] == "2"
    assert distributed_worker.JAX_COORDINATOR_ENV not in env and "JAX_COORDINATOR_ADDRESS" not in env


def test_an_unknown_framework_has_no_launcher(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no launcher for 'mxnet'"):
        distributed.commands("mxnet", TWO, Settings(), tmp_path, 1.5)


def test_the_jax_worker_reads_its_process_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(distributed_worker.JAX_PROCESS_ENV, "1")
    assert distributed_worker.rank_from_env("jax", 2) == 1
    assert distributed_worker.rank_from_env("jax", 1) == 0


def test_each_jax_worker_is_pinned_to_cpus_of_its_own() -> None:
    assert [distributed_worker.steps("jax").cpus_for(rank, 1, [4, 7]) for rank in (0, 1)] == [[4], [7]]
    assert distributed_worker.steps("jax").cpus_for(0, 2, [4, 7]) == [4, 7]
    assert distributed_worker.steps("jax").cpus_for(1, 2, [0, 1, 2, 3]) == [2, 3]
    assert distributed_worker.steps("jax").cpus_for(1, 1, [3]) == [3]  # one CPU only: both workers share it


@pytest.mark.slow
def test_two_jax_processes_train_like_one(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    found = {f["id"]: f for f in distributed.findings("jax", TINY, (SINGLE_1, TWO))}
    single, two, scaling = found["single-1-thread"], found["two-processes"], found["scaling"]
    for item in (single, two):
        assert item["outcome"] == "ok", item["error"]
        assert len(item["samples"]) == 3 and all(s > 0 for s in item["samples"]) and (item["setup_s"] or 0) > 0
    one, both = single["details"], two["details"]
    assert one is not None and both is not None and one["threads"] == 1
    assert both["processes"] == 2 and both["collectives"] == "gloo"
    assert str(both["coordinator"]).startswith("127.0.0.1:")
    parity = two["parity"]
    assert parity is not None
    assert parity["reference"] == "single-1-thread" and parity["passed"] is True, parity
    assert parity["ranks_max_abs_diff"] == 0.0  # the weights are one replicated array
    assert scaling["efficiency"]["vs_linear"] is not None


@pytest.mark.slow
def test_a_jax_rank_that_never_joins_is_a_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("jax")
    monkeypatch.setenv(distributed_worker.HANG_ENV, "1")
    start = time.monotonic()
    (two, _) = distributed.findings("jax", dataclasses.replace(TINY, timeout_s=15), (TWO,))
    assert time.monotonic() - start < 40
    assert two["outcome"] == "timeout" and str(two["error"]).startswith("no result after 15 s; killed all 2 processes")
    parity = two["parity"]
    assert two["samples"] == [] and parity is not None and parity["passed"] is None
    assert [p.pid for p in psutil.Process().children(recursive=True)] == []
