"""The distributed-training study in TensorFlow (see ``measurements.studies.distributed``):
``MultiWorkerMirroredStrategy``, one worker per port on loopback (``TF_CONFIG``). TensorFlow is
imported inside ``trainer``, in the workers only."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from measurements.studies.distributed import free_ports, worker

if TYPE_CHECKING:
    from measurements.workloads.mlp.spec import MlpSizes


class Cluster(TypedDict):
    worker: list[str]  # host:port of each worker


class Task(TypedDict):
    type: str
    index: int


class TfConfig(TypedDict):
    """``TF_CONFIG``: the cluster and this process's task in it."""

    cluster: Cluster
    task: Task


def tf_config(ports: list[int], index: int) -> TfConfig:
    """``TF_CONFIG`` of worker ``index`` in a cluster of one worker per port on 127.0.0.1."""
    if not 0 <= index < len(ports):
        raise ValueError(f"worker index {index} is outside a cluster of {len(ports)} workers")
    return {"cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]}, "task": {"type": "worker", "index": index}}


def commands(run: list[str], env: dict[str, str], processes: int) -> list[tuple[list[str], dict[str, str]]]:
    """One process per worker, each told the cluster and its index (``TF_CONFIG``)."""
    ports = free_ports(processes)
    return [
        ([sys.executable, *run], {**env, "TF_CONFIG": json.dumps(tf_config(ports, index))})
        for index in range(processes)
    ]


def rank(processes: int) -> int:
    """The task index in ``TF_CONFIG``."""
    return int(json.loads(os.environ["TF_CONFIG"])["task"]["index"])


def trainer(params: MlpSizes, rank: int, processes: int, threads: int) -> worker.Trainer:
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
    details: dict[str, object] = {"threads": threads, "interop_threads": threads}
    if processes == 1:
        model = mlp.build_model(params)
        prepared = steps(model, params, "function", (x, y))
        return worker.Trainer(prepared.step, lambda loss: float(loss.numpy()), lambda value: value,
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
            return tf.constant(worker.shard(array, context.replica_id_in_sync_group, context.num_replicas_in_sync))

        return strategy.experimental_distribute_values_from_function(value)

    dist_x, dist_y = local_share(x), local_share(y)

    def broadcast(value: float) -> float:
        mine = value if rank == 0 else 0.0
        per_replica = strategy.run(lambda: tf.constant(mine, dtype=tf.float32))
        return float(strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None).numpy())

    return worker.Trainer(lambda: train_step(dist_x, dist_y), lambda loss: float(loss.numpy()), broadcast,
                   lambda: [np.asarray(w) for w in model.get_weights()], details)  # fmt: skip
