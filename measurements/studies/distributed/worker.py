"""One process of the distributed-training study: trains the MLP, times it, writes JSON.

python -m measurements.studies.distributed.worker --framework pytorch --processes 1 --threads 2 --output-dir DIR

With ``--processes 2`` it is one of two data-parallel workers: PyTorch under ``torchrun``
(DDP, gloo; its rank from ``RANK``), TensorFlow with ``MultiWorkerMirroredStrategy`` (its
index from ``TF_CONFIG``), JAX with ``jax.distributed`` (gloo; its process id and the
coordinator's address from ``FG_JAX_PROCESS_ID`` and ``FG_JAX_COORDINATOR``). Every rank
reports the launcher's way (``measurements.launch.report``, one report per rank) and writes its
weights after the parity steps, ``rank<r>.npz``, into ``--output-dir``; rank 0's timings are the figures.
``FG_DISTRIBUTED_HANG=1`` makes rank 1 of a multi-process run never join (tests).
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import resource
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from measurements.findings import RankMeasured, RankReport
from measurements.frameworks import COMPARED, REGISTRY
from measurements.launch import die_with_parent
from measurements.launch import report as write_report

if TYPE_CHECKING:
    from measurements.workloads.mlp.spec import MlpSizes

HANG_ENV = "FG_DISTRIBUTED_HANG"
JAX_COORDINATOR_ENV = "FG_JAX_COORDINATOR"  # host:port of jax.distributed's coordinator (process 0 serves it)
JAX_PROCESS_ENV = "FG_JAX_PROCESS_ID"
BARRIER_CHUNK_STEPS = 5  # warm-up steps between two agreements on whether to go on


@dataclass
class Trainer:
    """A training step over this rank's share of the global batch, and what it needs around it."""

    step: Callable[[], Any]  # one training step; returns the loss
    wait: Callable[[Any], float]  # waits for a step's result (and so for the step)
    broadcast: Callable[[float], float]  # rank 0's value, on every rank (a barrier too)
    weights: Callable[[], list[np.ndarray]]  # (kernel (in, out), bias) per layer, flattened
    details: dict[str, object]  # what the set-up chose (backend, addresses, threads...)


def steps(framework: str) -> ModuleType:
    """A framework's part of the study (``distributed/<framework>.py``): ``trainer(params, rank, processes,
    threads)``, ``rank(processes)`` (this process's rank, from what its launch set) and, on the launching
    side, ``commands(worker, env, processes)`` (the processes that make up a multi-process run)."""
    name = f"measurements.studies.distributed.{framework}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise ValueError(f"the distributed study has no launcher for {framework!r} (no {name})") from None


def rank_from_env(framework: str, processes: int) -> int:
    """This process's rank (0 alone), as the framework's launch tells it."""
    return 0 if processes == 1 else int(steps(framework).rank(processes))


def shard(array: np.ndarray, rank: int, processes: int) -> np.ndarray:
    """This rank's contiguous share of the global batch."""
    per = len(array) // processes
    return array[rank * per : (rank + 1) * per]


def _params(layers: list[int], global_batch: int) -> MlpSizes:
    from measurements.workloads.mlp import spec

    return {"layers": layers, "batch_size": global_batch, "dtype": "float32", "seed": spec.SEED, "task": "train"}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def thread_count() -> int | None:
    try:
        return sum(1 for _ in Path("/proc/self/task").iterdir())
    except OSError:
        return None


def measure(trainer: Trainer, args: argparse.Namespace, rank: int, out: Path) -> RankMeasured:
    """Parity steps (the first one ends the set-up), then warm-up and timed samples, all ranks in step."""
    losses = [trainer.wait(trainer.step())]
    first_step_at = time.time()
    losses += [trainer.wait(trainer.step()) for _ in range(args.parity_steps - 1)]
    np.savez(out / f"rank{rank}.npz", *trainer.weights())

    # warm-up in chunks; rank 0 decides when it is done (and how long a sample is), the others follow
    steps, start = 0, time.perf_counter()
    while True:
        for _ in range(BARRIER_CHUNK_STEPS):
            loss = trainer.step()
        trainer.wait(loss)
        steps += BARRIER_CHUNK_STEPS
        if not trainer.broadcast(float(time.perf_counter() - start < args.warmup_s)):
            break
    step_s = (time.perf_counter() - start) / steps
    steps_per_sample = int(trainer.broadcast(float(max(1, math.ceil(args.sample_s / step_s)))))

    samples = []
    cpu_start, wall_start = cpu_seconds(), time.perf_counter()
    for _ in range(args.samples):
        trainer.broadcast(0.0)  # a barrier: both ranks start the sample together
        start = time.perf_counter()
        for _ in range(steps_per_sample):
            loss = trainer.step()
        trainer.wait(loss)
        samples.append(args.global_batch * steps_per_sample / (time.perf_counter() - start))
    busy = (cpu_seconds() - cpu_start) / (time.perf_counter() - wall_start)
    return {
        "first_step_at": first_step_at,
        "samples": samples,
        "steps_per_sample": steps_per_sample,
        "warmup_steps": steps,
        "parity_losses": losses,
        "cpu_busy": busy,  # CPU seconds per wall second while timing: ~threads if all are busy
        "process_threads": thread_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m measurements.studies.distributed.worker")
    parser.add_argument("--framework", choices=COMPARED, required=True)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--layers", type=lambda s: [int(n) for n in s.split(",")], default=[784, 512, 512, 10])
    parser.add_argument("--global-batch", type=int, default=256)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--sample-s", type=float, default=0.2)
    parser.add_argument("--warmup-s", type=float, default=0.3)
    parser.add_argument("--parity-steps", type=int, default=5, help="at least 1: the first step ends the set-up")
    parser.add_argument("--launched-at", type=float, default=None, help="the launcher's time.time() at launch")
    parser.add_argument("--output-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.parity_steps < 1:
        parser.error("--parity-steps must be at least 1: the first step ends the set-up")
    main_at = time.time()
    launched_at = args.launched_at or main_at
    die_with_parent()  # torchrun, not the launcher, starts the workers of a PyTorch run
    rank = rank_from_env(args.framework, args.processes)
    if os.environ.get(HANG_ENV) == "1" and rank == 1:
        threading.Event().wait()  # never joins: the launcher's time limit must end the run
    report: RankReport = {"rank": rank, "processes": args.processes, "status": "ok", "error": None}
    try:
        importlib.import_module(REGISTRY[args.framework].modules[0])
        imported_at = time.time()
        trainer = steps(args.framework).trainer(_params(args.layers, args.global_batch), rank, args.processes,
                                                args.threads)  # fmt: skip
        ready_at = time.time()
        report["details"] = trainer.details
        report = {**report, **measure(trainer, args, rank, args.output_dir)}
        report["setup_s"] = report["first_step_at"] - launched_at
        report["setup"] = {  # where the set-up time went
            "launch_s": main_at - launched_at,  # the launcher (torchrun's agent) and Python's start
            "import_s": imported_at - main_at,
            "init_s": ready_at - imported_at,  # threads, rendezvous or strategy, model, optimiser
            "first_step_s": report["first_step_at"] - ready_at,  # tracing included (tf.function)
        }
    except Exception:
        report.update({"status": "failed", "error": traceback.format_exc()[-4000:]})
    write_report(report, rank=rank)
    return 0 if report["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
