"""The distributed-training study: ports, TF_CONFIG, launching and killing, findings, scaling."""

from __future__ import annotations

import dataclasses
import json
import socket
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from measurements.catalog import CONFIGURATIONS, SIXTEEN_CORES, Settings
from measurements.findings import RankReport
from measurements.launch import child_env
from measurements.results import scaling_efficiency
from measurements.studies import distributed, registry
from measurements.studies.distributed import Launch
from measurements.studies.distributed import worker as distributed_worker

TWO = CONFIGURATIONS[2]
TINY = Settings(layers=(16, 8, 8, 4), global_batch=8, samples=3, sample_s=0.01, warmup_s=0.02, parity_steps=2,
                timeout_s=25)  # fmt: skip


def python(code: str) -> tuple[list[str], dict[str, str]]:
    return [sys.executable, "-c", code], child_env()


def below() -> list[int]:
    """This process's descendants still running."""
    return [p.pid for p in psutil.Process().children(recursive=True)]


def test_the_study_is_registered_as_a_performance_study_of_minutes() -> None:
    study = registry()["distributed"]
    assert (study.group, study.timeout_s, study.quick) == ("performance", 1500, False)
    assert [c.id for c in CONFIGURATIONS] == ["single-2-threads", "single-1-thread", "two-processes"]


def test_free_ports_are_distinct_and_free_on_loopback() -> None:
    ports = distributed.free_ports(2)
    assert len(set(ports)) == 2 and all(1024 <= p < 65536 for p in ports)
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))


def test_tf_config_names_every_worker_on_loopback_and_this_ones_index() -> None:
    config = distributed_worker.steps("tensorflow").tf_config([41001, 41002], 1)
    assert config == {"cluster": {"worker": ["127.0.0.1:41001", "127.0.0.1:41002"]},
                      "task": {"type": "worker", "index": 1}}  # fmt: skip
    with pytest.raises(ValueError, match="worker index 2 is outside a cluster of 2 workers"):
        distributed_worker.steps("tensorflow").tf_config([41001, 41002], 2)


def test_pytorch_runs_two_processes_under_torchrun_on_loopback(tmp_path: Path) -> None:
    ((command, env),) = distributed.commands("pytorch", TWO, Settings(), tmp_path, 1.5)
    assert command[1:6] == ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                            "--local-addr=127.0.0.1"]  # fmt: skip
    assert command[6:8] == ["-m", distributed.WORKER]
    assert (env["OMP_NUM_THREADS"], env["GLOO_SOCKET_IFNAME"]) == ("1", "lo")
    assert "TF_CONFIG" not in env


def test_tensorflow_runs_two_workers_with_their_own_tf_config(tmp_path: Path) -> None:
    planned = distributed.commands("tensorflow", TWO, Settings(), tmp_path, 1.5)
    configs = [json.loads(env["TF_CONFIG"]) for _, env in planned]
    assert [c["task"]["index"] for c in configs] == [0, 1]
    assert configs[0]["cluster"] == configs[1]["cluster"]
    hosts = [address.rsplit(":", 1)[0] for address in configs[0]["cluster"]["worker"]]
    assert hosts == ["127.0.0.1", "127.0.0.1"]
    assert all(cmd[1:3] == ["-m", distributed.WORKER] and "--threads" in cmd for cmd, _ in planned)


def test_a_single_process_gets_its_threads(tmp_path: Path) -> None:
    ((command, env),) = distributed.commands("tensorflow", CONFIGURATIONS[0], Settings(), tmp_path, 1.5)
    assert command[command.index("--threads") + 1] == env["OMP_NUM_THREADS"] == "2"
    assert command[command.index("--global-batch") + 1] == "256"


def test_efficiency_against_the_best_single_process_and_linear_scaling() -> None:
    medians: dict[str, float | None] = {"two-processes": 1500.0, "single-2-threads": 1200.0, "single-1-thread": 1000.0}
    found = scaling_efficiency(medians)
    assert (found["vs_single"], found["vs_linear"], found["workers"]) == (1.25, 0.75, 2)
    assert (found["parallel"], found["single"]) == (
        "two data-parallel processes, 1 thread each",
        "one process, 2 threads",
    )
    nothing = scaling_efficiency({**medians, "two-processes": None})
    assert nothing["vs_single"] is None and nothing["vs_linear"] is None
    assert scaling_efficiency({**medians, "single-1-thread": None})["vs_linear"] is None
    # sixteen cores: four workers of 4 threads against one process of 16, no one-worker run
    sixteen = scaling_efficiency({"four-processes": 3000.0, "single-16-threads": 2000.0})
    assert (sixteen["vs_single"], sixteen["vs_linear"], sixteen["one"], sixteen["workers"]) == (1.5, None, None, 4)


def test_the_layout_is_chosen_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert distributed.layout().configurations == CONFIGURATIONS
    monkeypatch.setenv(distributed.LAYOUT_ENV, "16-cores")
    chosen = distributed.layout()
    assert [(c.processes, c.threads_per_process) for c in chosen.configurations] == [(1, 16), (4, 4)]
    assert chosen.settings.global_batch % 4 == 0


@pytest.mark.slow  # starts PyTorch and JAX data-parallel processes (28 s on 2 cores)
def test_the_sixteen_core_layout_runs_here_in_small(tmp_path: Path) -> None:
    """The GPU machine's 4 workers of 4 threads against 1 process of 16, at a toy size on this
    machine's cores (a dry run of what it launches there): both frameworks, parity passed."""
    for framework in ("pytorch", "jax"):
        settings = dataclasses.replace(TINY, timeout_s=240)  # 16 threads and 4 processes on this machine's cores
        found = {f["id"]: f for f in distributed.findings(framework, settings, SIXTEEN_CORES)}
        four = found["four-processes"]
        assert found["single-16-threads"]["outcome"] == "ok" and four["outcome"] == "ok", (framework, four["error"])
        parity = four["parity"]
        assert parity is not None and parity["passed"] is True, (framework, parity)
        assert found["scaling"]["efficiency"]["vs_single"] is not None


def test_a_finding_has_the_figures_of_a_completed_run_and_none_of_a_failed_one() -> None:
    report: RankReport = {"rank": 0, "processes": 2, "status": "ok", "error": None, "setup_s": 4.0,
                          "samples": [3.0, 1.0, 2.0], "steps_per_sample": 7, "warmup_steps": 10, "cpu_busy": 0.98,
                          "process_threads": 5, "details": {"backend": "gloo"}}  # fmt: skip
    ok = distributed.finding(TWO, Settings(), Launch("ok", None, {0: report, 1: {**report, "rank": 1}}, 9.0), 0.5)
    assert {"id", "title", "processes", "threads_per_process", "global_batch", "outcome", "error", "setup_s",
            "samples", "parity"} <= set(ok)  # fmt: skip
    assert (ok["id"], ok["processes"], ok["threads_per_process"], ok["global_batch"]) == ("two-processes", 2, 1, 256)
    assert (ok["outcome"], ok["setup_s"], ok["median"], ok["cpu_busy"]) == ("ok", 4.0, 2.0, [0.98, 0.98])
    timeout = distributed.finding(TWO, Settings(), Launch("timeout", "no result after 9 s", {}, 9.0), 0.5)
    assert (timeout["outcome"], timeout["samples"], timeout["median"], timeout["setup_s"]) == ("timeout", [], None,
                                                                                              None)  # fmt: skip
    json.dumps([ok, timeout], allow_nan=False)


def test_parity_compares_rank_0_with_the_first_single_process_that_has_weights(tmp_path: Path) -> None:
    weights = [np.ones((3, 2), np.float32), np.zeros(2, np.float32)]
    for config, shift in (("single-1-thread", 0.0), ("two-processes", 5e-5)):
        (tmp_path / config).mkdir()
        np.savez(tmp_path / config / "rank0.npz", *[w + shift for w in weights])
    np.savez(tmp_path / "two-processes" / "rank1.npz", *[w + 5e-5 for w in weights])
    found = distributed.parity(tmp_path, "two-processes", ["single-2-threads", "single-1-thread"], 5)
    assert found["reference"] == "single-1-thread" and found["passed"] is True
    assert found["max_abs_diff"] == pytest.approx(5e-5) and found["ranks_max_abs_diff"] == 0.0
    assert distributed.parity(tmp_path, "two-processes", ["single-2-threads"], 5)["passed"] is None


def test_the_worker_splits_the_global_batch_by_rank(monkeypatch: pytest.MonkeyPatch) -> None:
    batch = np.arange(8)
    assert [distributed_worker.shard(batch, r, 2).tolist() for r in (0, 1)] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    monkeypatch.setenv("TF_CONFIG", json.dumps(distributed_worker.steps("tensorflow").tf_config([1, 2], 1)))
    monkeypatch.setenv("RANK", "0")
    assert distributed_worker.rank_from_env("tensorflow", 2) == 1
    assert distributed_worker.rank_from_env("pytorch", 2) == 0
    assert distributed_worker.rank_from_env("tensorflow", 1) == 0


def test_a_hang_is_killed_with_every_process_below_it(tmp_path: Path) -> None:
    # like torchrun: the launcher's child runs in a session of its own, out of the group's reach
    grandchild = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True); time.sleep(60)"  # noqa: E501
    start = time.monotonic()
    result = distributed.launch([python(grandchild)], tmp_path, timeout_s=1.5)
    assert result.status == "timeout" and time.monotonic() - start < 10
    assert result.error is not None and result.error.startswith("no result after 2 s; killed the process and their")
    time.sleep(0.2)
    assert below() == []


def test_one_failed_process_of_two_takes_the_other_down_as_crashed(tmp_path: Path) -> None:
    start = time.monotonic()
    result = distributed.launch([python("import time; time.sleep(60)"), python("print('boom'); raise SystemExit(3)")],
                                tmp_path, timeout_s=30)  # fmt: skip
    assert result.status == "crashed" and time.monotonic() - start < 10
    assert result.error is not None and result.error.startswith("exited with codes [-9, 3] without a result.")
    assert "[process 1] boom" in result.error


def test_a_worker_that_raises_is_recorded_as_failed_with_its_error(tmp_path: Path) -> None:
    report = {"rank": 0, "status": "failed", "error": "Traceback ...\nValueError: no"}
    write = f"from measurements.launch import report; report({report!r}, rank=0); exit(1)"
    result = distributed.launch([python(write)], tmp_path, timeout_s=30)
    assert (result.status, result.error) == ("failed", "rank 0 raised: Traceback ...\nValueError: no")


@pytest.mark.slow
def test_a_rank_that_never_joins_is_a_timeout_and_the_baseline_still_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(distributed_worker.HANG_ENV, "1")
    start = time.monotonic()
    found = {f["id"]: f for f in distributed.findings("pytorch", TINY, (CONFIGURATIONS[1], TWO))}
    assert time.monotonic() - start < 60
    single, two, scaling = found["single-1-thread"], found["two-processes"], found["scaling"]
    assert single["outcome"] == "ok", single["error"]
    assert len(single["samples"]) == 3 and all(s > 0 for s in single["samples"]) and (single["setup_s"] or 0) > 0
    assert two["outcome"] == "timeout" and str(two["error"]).startswith("no result after 25 s; killed the process")
    parity = two["parity"]
    assert two["samples"] == [] and parity is not None and parity["passed"] is None
    assert scaling["efficiency"]["vs_single"] is None and scaling["efficiency"]["vs_linear"] is None
    assert below() == []  # torchrun's workers, in their own sessions, are gone too
