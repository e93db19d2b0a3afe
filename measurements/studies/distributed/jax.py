"""The distributed-training study in JAX (see ``measurements.studies.distributed``): ``jax.distributed``
over gloo, process 0 serving the coordinator on loopback. JAX is imported inside ``trainer``, in the
workers only."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from measurements.studies.distributed import free_ports, worker

if TYPE_CHECKING:
    from measurements.workloads.mlp.spec import MlpSizes


def commands(run: list[str], env: dict[str, str], processes: int) -> list[tuple[list[str], dict[str, str]]]:
    """One process per worker: process 0 serves the coordinator; every process is told its id."""
    (port,) = free_ports(1)
    coordinator = {worker.JAX_COORDINATOR_ENV: f"127.0.0.1:{port}"}
    return [([sys.executable, *run], {**env, **coordinator, worker.JAX_PROCESS_ENV: str(index)})
            for index in range(processes)]  # fmt: skip


def rank(processes: int) -> int:
    """The process id the launcher gave it."""
    return int(os.environ[worker.JAX_PROCESS_ENV])


def cpus_for(rank: int, threads: int, allowed: list[int]) -> list[int]:
    """The CPUs a JAX process runs on: ``threads`` of ``allowed``, rank ``r`` on the ``r``-th such
    share (two 1-thread workers on two different cores), the first share where too few are left."""
    start = rank * threads if (rank + 1) * threads <= len(allowed) else 0
    return allowed[start : start + threads]


def trainer(params: MlpSizes, rank: int, processes: int, threads: int) -> worker.Trainer:
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
    details: dict[str, object] = {"threads": len(cpus), "cpus": cpus}
    if processes == 1:
        prepared = mlp.prepare(params, "jit", "cpu")
        broadcast: Callable[[float], float] = lambda value: value  # noqa: E731
    else:
        from jax.experimental import multihost_utils
        from jax.sharding import Mesh, NamedSharding, PartitionSpec

        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        coordinator = os.environ[worker.JAX_COORDINATOR_ENV]
        jax.distributed.initialize(coordinator_address=coordinator, num_processes=processes, process_id=rank)
        mesh = Mesh(np.array(jax.devices()), ("data",))
        by_rows, replicated = NamedSharding(mesh, PartitionSpec("data")), NamedSharding(mesh, PartitionSpec())

        def rows(array: np.ndarray) -> jax.Array:  # the global batch, from this process's share
            return jax.make_array_from_process_local_data(by_rows, worker.shard(array, rank, processes), array.shape)

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

    return worker.Trainer(prepared.step, float, broadcast, weights, details)  # float(loss) waits for the step
