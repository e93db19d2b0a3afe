"""One process of the distributed-training study: trains the MLP, times it, writes JSON.

python -m measurements.studies.distributed_worker --framework pytorch --processes 1 --threads 2 --output-dir DIR

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
import json
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
from typing import Any

import numpy as np

from measurements.launch import die_with_parent
from measurements.launch import report as write_report

HANG_ENV = "FG_DISTRIBUTED_HANG"
JAX_COORDINATOR_ENV = "FG_JAX_COORDINATOR"  # host:port of jax.distributed's coordinator (process 0 serves it)
JAX_PROCESS_ENV = "FG_JAX_PROCESS_ID"
IMPORTS = {"pytorch": "torch", "tensorflow": "tensorflow", "jax": "jax"}
BARRIER_CHUNK_STEPS = 5  # warm-up steps between two agreements on whether to go on


@dataclass
class Trainer:
    """A training step over this rank's share of the global batch, and what it needs around it."""

    step: Callable[[], Any]  # one training step; returns the loss
    wait: Callable[[Any], float]  # waits for a step's result (and so for the step)
    broadcast: Callable[[float], float]  # rank 0's value, on every rank (a barrier too)
    weights: Callable[[], list[np.ndarray]]  # (kernel (in, out), bias) per layer, flattened
    details: dict[str, Any]  # what the set-up chose (backend, addresses, threads...)


def rank_from_env(framework: str, processes: int) -> int:
    """This process's rank: torchrun's ``RANK``, JAX's process id, or the task index in ``TF_CONFIG``."""
    if processes == 1:
        return 0
    if framework == "pytorch":
        return int(os.environ["RANK"])
    if framework == "jax":
        return int(os.environ[JAX_PROCESS_ENV])
    return int(json.loads(os.environ["TF_CONFIG"])["task"]["index"])


def shard(array: np.ndarray, rank: int, processes: int) -> np.ndarray:
    """This rank's contiguous share of the global batch."""
    per = len(array) // processes
    return array[rank * per : (rank + 1) * per]


def _params(layers: list[int], global_batch: int) -> dict[str, Any]:
    from measurements.workloads.mlp import spec

    return {"layers": layers, "batch_size": global_batch, "dtype": "float32", "seed": spec.SEED, "task": "train"}


def pytorch_trainer(params: dict[str, Any], rank: int, processes: int, threads: int) -> Trainer:
    """The MLP with the project's training step; under DDP (gloo) when ``processes`` > 1."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from measurements.workloads.mlp import pytorch, spec
    from measurements.workloads.shared.pytorch import steps

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)
    model = pytorch.build_model(params)
    x, y = spec.batch(params)
    local = (shard(x, rank, processes), shard(y, rank, processes))
    details: dict[str, Any] = {"threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads()}
    if processes == 1:
        trained: torch.nn.Module = model

        def broadcast(value: float) -> float:
            return value

    else:
        dist.init_process_group("gloo")
        trained = DistributedDataParallel(model)
        details.update(backend=dist.get_backend(), master_addr=os.environ.get("MASTER_ADDR"),
                       world_size=dist.get_world_size())  # fmt: skip

        def broadcast(value: float) -> float:
            tensor = torch.tensor([value], dtype=torch.float64)
            dist.broadcast(tensor, src=0)
            return float(tensor.item())

    prepared = steps(trained, {**params, "batch_size": len(local[0])}, "eager", "cpu", local)

    def weights() -> list[np.ndarray]:
        found = []
        for layer in model:
            if isinstance(layer, torch.nn.Linear):
                found += [layer.weight.detach().numpy().T.copy(), layer.bias.detach().numpy().copy()]
        return found

    return Trainer(prepared.step, lambda loss: float(loss.item()), broadcast, weights, details)


def tensorflow_trainer(params: dict[str, Any], rank: int, processes: int, threads: int) -> Trainer:
    """The MLP with the project's ``tf.function`` step; with ``MultiWorkerMirroredStrategy``
    (the step in ``strategy.run`` inside a ``tf.function``) when ``processes`` > 1."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    from measurements.workloads.mlp import spec
    from measurements.workloads.mlp import tensorflow as mlp
    from measurements.workloads.shared import ADAM_BETAS, ADAM_EPS, LEARNING_RATE
    from measurements.workloads.shared.tensorflow import steps

    tf.config.threading.set_intra_op_parallelism_threads(threads)  # before anything starts TF's runtime
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    x, y = spec.batch(params)
    details: dict[str, Any] = {"threads": threads, "interop_threads": threads}
    if processes == 1:
        model = mlp.build_model(params)
        prepared = steps(model, params, "function", (x, y))
        return Trainer(prepared.step, lambda loss: float(loss.numpy()), lambda value: value,
                       lambda: [np.asarray(w) for w in model.get_weights()], details)  # fmt: skip

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    details.update(cluster=json.loads(os.environ["TF_CONFIG"])["cluster"], replicas=strategy.num_replicas_in_sync)
    global_batch = params["batch_size"]
    with strategy.scope():
        model = mlp.build_model(params)
        optimizer = tf.keras.optimizers.Adam(
            learning_rate=LEARNING_RATE, beta_1=ADAM_BETAS[0], beta_2=ADAM_BETAS[1], epsilon=ADAM_EPS
        )
        optimizer.build(model.trainable_variables)  # its slots mirrored too, made here rather than mid-step
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")

    def replica_step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            per_example = loss_fn(y, model(x, training=True))
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))  # sums across replicas
        return loss

    @tf.function  # type: ignore[untyped-decorator]
    def train_step(x: Any, y: Any) -> tf.Tensor:
        per_replica = strategy.run(replica_step, args=(x, y))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    def local_share(array: np.ndarray) -> Any:
        def value(context: tf.distribute.experimental.ValueContext) -> tf.Tensor:
            return tf.constant(shard(array, context.replica_id_in_sync_group, context.num_replicas_in_sync))

        return strategy.experimental_distribute_values_from_function(value)

    dist_x, dist_y = local_share(x), local_share(y)

    def broadcast(value: float) -> float:
        mine = value if rank == 0 else 0.0
        per_replica = strategy.run(lambda: tf.constant(mine, dtype=tf.float32))
        return float(strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None).numpy())

    return Trainer(lambda: train_step(dist_x, dist_y), lambda loss: float(loss.numpy()), broadcast,
                   lambda: [np.asarray(w) for w in model.get_weights()], details)  # fmt: skip


def cpus_for(rank: int, threads: int, allowed: list[int]) -> list[int]:
    """The CPUs a JAX process runs on: ``threads`` of ``allowed``, rank ``r`` on the ``r``-th such
    share (two 1-thread workers on two different cores), the first share where too few are left."""
    start = rank * threads if (rank + 1) * threads <= len(allowed) else 0
    return allowed[start : start + threads]


def jax_trainer(params: dict[str, Any], rank: int, processes: int, threads: int) -> Trainer:
    """The MLP workload's jitted JAX step (Optax's Adam); with ``processes`` > 1, the same step over
    arrays that span both processes (``jax.distributed``, gloo): the batch sharded over a one-axis
    mesh of one CPU device per process, the weights and Adam's state replicated, so the loss is the
    mean over the global batch and XLA all-reduces the gradients.

    JAX has no thread-count setting (XLA sizes its CPU pool to the CPUs the process may use), so,
    as the JAX adapter does, the process is pinned to ``threads`` CPUs before JAX starts."""
    os.sched_setaffinity(0, cpus_for(rank, threads, sorted(os.sched_getaffinity(0))))
    import jax

    from measurements.workloads.mlp import jax as mlp
    from measurements.workloads.mlp import spec
    from measurements.workloads.shared.jax import steps

    jax.config.update("jax_platforms", "cpu")
    cpus = sorted(os.sched_getaffinity(0))
    details: dict[str, Any] = {"threads": len(cpus), "cpus": cpus}
    if processes == 1:
        prepared = mlp.prepare(params, "jit", "cpu")
        broadcast: Callable[[float], float] = lambda value: value  # noqa: E731
    else:
        from jax.experimental import multihost_utils
        from jax.sharding import Mesh, NamedSharding, PartitionSpec

        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        coordinator = os.environ[JAX_COORDINATOR_ENV]
        jax.distributed.initialize(coordinator_address=coordinator, num_processes=processes, process_id=rank)
        mesh = Mesh(np.array(jax.devices()), ("data",))
        by_rows, replicated = NamedSharding(mesh, PartitionSpec("data")), NamedSharding(mesh, PartitionSpec())

        def rows(array: np.ndarray) -> jax.Array:  # the global batch, from this process's share
            return jax.make_array_from_process_local_data(by_rows, shard(array, rank, processes), array.shape)

        def everywhere(array: np.ndarray) -> jax.Array:  # the same value on every process's device
            return jax.make_array_from_callback(array.shape, replicated, lambda index: array[index])

        x, y = spec.batch(params)
        flat = [everywhere(w) for w in spec.flat_weights(params)]
        prepared = steps(mlp.apply, flat, params, "jit", (rows(x), rows(y)))  # global arrays, not NumPy
        details.update(coordinator=coordinator, collectives=jax.config.jax_cpu_collectives_implementation,
                       processes=jax.process_count(), devices=[str(d) for d in jax.devices()])  # fmt: skip

        def broadcast(value: float) -> float:
            return float(multihost_utils.broadcast_one_to_all(np.float32(value)))

    details["backend"] = jax.default_backend()
    assert prepared.train_state is not None
    train_state = prepared.train_state

    def weights() -> list[np.ndarray]:  # read after the first step: the weights now, replicated on each process
        return [np.array(w) for w in train_state()[1]]

    return Trainer(prepared.step, float, broadcast, weights, details)  # float(loss) waits for the step


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def thread_count() -> int | None:
    try:
        return sum(1 for _ in Path("/proc/self/task").iterdir())
    except OSError:
        return None


def measure(trainer: Trainer, args: argparse.Namespace, rank: int, out: Path) -> dict[str, Any]:
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
    parser = argparse.ArgumentParser(prog="python -m measurements.studies.distributed_worker")
    parser.add_argument("--framework", choices=tuple(IMPORTS), required=True)
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
    report: dict[str, Any] = {"rank": rank, "processes": args.processes, "status": "ok", "error": None}
    try:
        importlib.import_module(IMPORTS[args.framework])
        imported_at = time.time()
        make = {"pytorch": pytorch_trainer, "tensorflow": tensorflow_trainer, "jax": jax_trainer}[args.framework]
        trainer = make(_params(args.layers, args.global_batch), rank, args.processes, args.threads)
        ready_at = time.time()
        report["details"] = trainer.details
        report.update(measure(trainer, args, rank, args.output_dir))
        report["setup_s"] = report["first_step_at"] - launched_at
        report["setup"] = {  # where the set-up time went
            "launch_s": main_at - launched_at,  # the launcher (torchrun's agent) and Python's start
            "import_s": imported_at - main_at,
            "init_s": ready_at - imported_at,  # threads, rendezvous or strategy, model, optimiser
            "first_step_s": report["first_step_at"] - ready_at,  # tracing included (tf.function)
        }
    except Exception:
        report.update(status="failed", error=traceback.format_exc()[-4000:])
    write_report(report, rank=rank)
    return 0 if report["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
