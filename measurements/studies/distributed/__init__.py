"""Data-parallel training on one machine: two processes against one, for each framework.

The project's MLP (784-512-512-10, Adam, cross-entropy, synthetic data, the weights of
``mlp.spec``) is trained with a global batch of 256 in three configurations, each launched
fresh by ``measurements.studies.distributed.worker`` under its own time limit: one process
with 2 threads (the best single process, the project's fairness rule), one process with 1
thread, and two data-parallel processes with 1 thread each (PyTorch: DDP over gloo, started
by ``torchrun --standalone``; TensorFlow: ``MultiWorkerMirroredStrategy`` with two workers on
127.0.0.1; JAX: ``jax.distributed`` with its coordinator on 127.0.0.1 and gloo collectives, the
jitted step over a batch sharded across both processes). A configuration that hangs is killed
with its whole process tree and recorded as a timeout, one that dies as crashed, one that
raises as failed; the next one still runs.
"""

from __future__ import annotations

import os
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from measurements.catalog import CONFIGURATIONS, LAYOUTS, STUDIES, Configuration, Layout, Settings
from measurements.findings import DistributedFinding, DistributedParity, RankMeasured, RankReport
from measurements.launch import child_env, launch_group
from measurements.results import scaling_efficiency
from measurements.studies.distributed.worker import JAX_COORDINATOR_ENV, JAX_PROCESS_ENV, steps

STUDY = STUDIES["distributed"]
WORKER = "measurements.studies.distributed.worker"
PARITY_TOLERANCE = 1e-4
LOG_TAIL_CHARS = 2000
POLL_S = 0.1
GRACE_S = 2.0  # after one process of a run fails, how long the others get to write their report
LAYOUT_ENV = "FG_DISTRIBUTED_LAYOUT"


def layout() -> Layout:
    """The layout ``FG_DISTRIBUTED_LAYOUT`` names (checked before anything runs), else the first."""
    return LAYOUTS[os.environ.get(LAYOUT_ENV) or next(iter(LAYOUTS))]


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 right now (each bound to port 0, then released)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def worker_args(framework: str, config: Configuration, settings: Settings, out: Path, launched_at: float) -> list[str]:
    return [
        "--framework", framework, "--processes", str(config.processes), "--threads", str(config.threads_per_process),
        "--layers", ",".join(map(str, settings.layers)), "--global-batch", str(settings.global_batch),
        "--samples", str(settings.samples), "--sample-s", str(settings.sample_s), "--warmup-s", str(settings.warmup_s),
        "--parity-steps", str(settings.parity_steps), "--launched-at", repr(launched_at), "--output-dir", str(out),
    ]  # fmt: skip


def base_env(threads: int) -> dict[str, str]:
    """The workers' environment: this project importable, threads pinned, loopback only, no stray cluster."""
    stray = ("TF_CONFIG", "RANK", "WORLD_SIZE", "MASTER_ADDR", "JAX_COORDINATOR_ADDRESS", "JAX_PLATFORMS",
             JAX_COORDINATOR_ENV, JAX_PROCESS_ENV)  # fmt: skip
    return child_env(
        {
            "OMP_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads),
            "GLOO_SOCKET_IFNAME": "lo",  # gloo's traffic stays on the loopback interface
            "TF_CPP_MIN_LOG_LEVEL": "2",
        },
        drop=stray,
    )


def commands(framework: str, config: Configuration, settings: Settings, out: Path,
             launched_at: float) -> list[tuple[list[str], dict[str, str]]]:  # fmt: skip
    """The processes that make up one configuration: (command, environment) each."""
    args = worker_args(framework, config, settings, out, launched_at)
    env = base_env(config.threads_per_process)
    if config.processes == 1:
        return [([sys.executable, "-m", WORKER, *args], env)]
    planned: list[tuple[list[str], dict[str, str]]] = steps(framework).commands(["-m", WORKER, *args], env,
                                                                              config.processes)  # fmt: skip
    return planned


@dataclass
class Launch:
    status: str  # "ok", "timeout", "crashed" or "failed"
    error: str | None
    reports: dict[int, RankReport]  # by rank
    wall_s: float


REPORT_SCHEMA = {
    "type": "object",
    "required": ["rank", "status", "error"],
    "properties": {"rank": {"type": "integer", "minimum": 0}, "status": {"enum": ["ok", "failed"]}},
}


def launch(planned: list[tuple[list[str], dict[str, str]]], out: Path, timeout_s: float) -> Launch:
    """Start the processes, each in a new session, wait for them under ``timeout_s`` (killing them all
    ``GRACE_S`` after one of them failed, as the others would wait for it forever), and judge the
    outcome from what each rank reported (one report per rank) and how each process ended."""
    done = launch_group(planned, cwd=out, timeout_s=timeout_s, grace_s=GRACE_S, schema=REPORT_SCHEMA, poll_s=POLL_S,
                        tail_chars=LOG_TAIL_CHARS)  # fmt: skip
    reports, wall_s = cast(dict[int, RankReport], done.reports), done.elapsed_s  # checked against REPORT_SCHEMA
    if done.killed_for == "timeout":
        what = f"all {len(planned)} processes" if len(planned) > 1 else "the process"
        return Launch("timeout", f"no result after {timeout_s:.0f} s; killed {what} and their children.\n{done.tail}",
                      reports, wall_s)  # fmt: skip
    failed = [r for _, r in sorted(reports.items()) if r["status"] != "ok"]
    if failed:
        return Launch("failed", f"rank {failed[0]['rank']} raised: {failed[0]['error']}", reports, wall_s)
    codes = list(done.returncodes)
    if any(codes) or 0 not in reports:
        return Launch("crashed", f"exited with codes {codes} without a result.\n{done.tail}", reports, wall_s)
    return Launch("ok", None, reports, wall_s)


def max_abs_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """The largest difference between two models' weights (same layers, same order)."""
    if [x.shape for x in a] != [y.shape for y in b]:
        raise ValueError("the two models' weights have different shapes")
    return max(float(np.max(np.abs(x.astype(np.float64) - y))) for x, y in zip(a, b, strict=True))


def load_weights(path: Path) -> list[np.ndarray] | None:
    if not path.exists():
        return None
    with np.load(path) as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def parity(out: Path, config_id: str, references: list[str], steps: int) -> DistributedParity:
    """Rank 0's weights after ``steps`` steps against the first single-process run that has them."""
    mine = load_weights(out / config_id / "rank0.npz")
    found: DistributedParity = {"reference": None, "steps": steps, "tolerance": PARITY_TOLERANCE,
                                "max_abs_diff": None, "ranks_max_abs_diff": None, "passed": None}  # fmt: skip
    if mine is None:
        return found
    other_rank = load_weights(out / config_id / "rank1.npz")
    if other_rank is not None:
        found["ranks_max_abs_diff"] = max_abs_diff(mine, other_rank)
    for reference in references:
        theirs = load_weights(out / reference / "rank0.npz")
        if theirs is not None:
            diff = max_abs_diff(mine, theirs)
            found.update({"reference": reference, "max_abs_diff": diff, "passed": diff <= PARITY_TOLERANCE})
            break
    return found


def finding(config: Configuration, settings: Settings, result: Launch, load_before: float) -> DistributedFinding:
    """One configuration's finding: its outcome, set-up time, throughput samples and what each process did."""
    rank0: RankMeasured = result.reports.get(0, {}) if result.status == "ok" else {}
    samples = [float(s) for s in rank0.get("samples", [])]
    ranks = [result.reports[r] for r in sorted(result.reports) if result.reports[r]["status"] == "ok"]
    return {
        "id": config.id,
        "title": config.title,
        "processes": config.processes,
        "threads_per_process": config.threads_per_process,
        "global_batch": settings.global_batch,
        "outcome": result.status,
        "error": result.error,
        "setup_s": rank0.get("setup_s"),
        "setup": rank0.get("setup"),
        "samples": samples,
        "median": statistics.median(samples) if samples else None,
        "steps_per_sample": rank0.get("steps_per_sample"),
        "warmup_steps": rank0.get("warmup_steps"),
        "cpu_busy": [r.get("cpu_busy") for r in ranks],  # per process: CPU seconds per second while timing
        "process_threads": [r.get("process_threads") for r in ranks],  # OS threads per process
        "details": rank0.get("details"),
        "wall_s": result.wall_s,
        "load_1m_before": load_before,
        "parity": None,
    }


def findings(framework: str, settings: Settings | None = None,
             configurations: tuple[Configuration, ...] = CONFIGURATIONS) -> list[DistributedFinding]:  # fmt: skip
    """Every configuration in turn (a failed one does not stop the next), then the scaling finding."""
    settings = settings or Settings()
    found = []
    with tempfile.TemporaryDirectory(prefix="fg-distributed-") as tmp:
        for config in configurations:
            out = Path(tmp) / config.id
            out.mkdir()
            load_before = os.getloadavg()[0]
            planned = commands(framework, config, settings, out, time.time())
            result = launch(planned, out, settings.timeout_s)
            item = finding(config, settings, result, load_before)
            if config.processes > 1:
                singles = [c.id for c in sorted(configurations, key=lambda c: -c.threads_per_process)
                           if c.processes == 1]  # fmt: skip
                item["parity"] = parity(Path(tmp), config.id, singles, settings.parity_steps)
            found.append(item)
    medians = {item["id"]: item["median"] for item in found}
    found.append({
        "id": "scaling", "title": "Scaling from one process to several", "global_batch": settings.global_batch,
        "medians": medians, "efficiency": scaling_efficiency(medians),
    })  # fmt: skip
    return found


def run(framework: str) -> list[DistributedFinding]:
    chosen = layout()
    return findings(framework, chosen.settings, chosen.configurations)
