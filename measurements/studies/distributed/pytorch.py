"""The distributed-training study in PyTorch (see ``measurements.studies.distributed``): DDP over gloo,
the workers started by ``torchrun`` on loopback. PyTorch is imported inside ``trainer``, in the
workers only."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import numpy as np

from measurements.studies.distributed import worker

if TYPE_CHECKING:
    from measurements.workloads.mlp.spec import MlpSizes


def commands(run: list[str], env: dict[str, str], processes: int) -> list[tuple[list[str], dict[str, str]]]:
    """One ``torchrun`` that starts the ``processes`` workers (``run``: the worker's ``-m`` and arguments)."""
    launcher = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
        "--local-addr=127.0.0.1",  # the workers' MASTER_ADDR: loopback, not the host name
    ]  # fmt: skip
    return [([*launcher, *run], env)]


def rank(processes: int) -> int:
    """torchrun's ``RANK``."""
    return int(os.environ["RANK"])


def trainer(params: MlpSizes, rank: int, processes: int, threads: int) -> worker.Trainer:
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
    local = (worker.shard(x, rank, processes), worker.shard(y, rank, processes))
    details: dict[str, object] = {
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
    }
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

    shard: MlpSizes = {**params, "batch_size": len(local[0])}
    prepared = steps(trained, shard, "eager", "cpu", local)

    def weights() -> list[np.ndarray]:
        found = []
        for layer in model:
            if isinstance(layer, torch.nn.Linear):
                found += [layer.weight.detach().numpy().T.copy(), layer.bias.detach().numpy().copy()]
        return found

    return worker.Trainer(prepared.step, lambda loss: float(loss.item()), broadcast, weights, details)
