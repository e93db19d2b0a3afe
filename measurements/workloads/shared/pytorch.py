"""The steps of a PyTorch classifier: eager, or under ``torch.compile`` (the whole training
step, optimiser included; for inference, the model), or eager under bf16 autocast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from measurements.workloads import Prepared, Sizes
from measurements.workloads.shared import ADAM_BETAS, ADAM_EPS, LEARNING_RATE


def zentorch_compiled(model: nn.Module) -> Any:
    """The model under ``torch.compile`` with AMD's ZenDNN backend (the ``zentorch`` plugin, an extra
    mode where it installs beside the pinned torch; ``nox -s measure`` installs it on x86-64 Linux)."""
    try:
        import zentorch  # noqa: F401  (registers the "zentorch" backend)
    except ImportError as exc:
        from measurements.frameworks import Unavailable

        raise Unavailable(f"zentorch is not installed ({exc}); pip install 'zentorch==2.13.0.2'") from None
    return torch.compile(model, backend="zentorch")


def steps(
    model: nn.Module,
    params: Sizes,
    mode: str,
    device: str,
    batch: tuple[np.ndarray, np.ndarray],
    inputs: Callable[[np.ndarray], torch.Tensor] | None = None,
    layout: Callable[[list[np.ndarray]], list[np.ndarray]] | None = None,
) -> Prepared:
    """Training (Adam, cross-entropy) or inference on ``batch``, as ``params["task"]`` says.

    ``inputs`` turns NumPy inputs into the model's tensor (default: as they are, on ``device``).
    ``layout`` turns arrays of ``model.parameters()`` (in that order) into the spec's
    ``flat_weights`` order and layout, for the training parity check.
    """
    to_inputs = inputs or (lambda x: torch.from_numpy(x).to(device))
    # bf16: eager under autocast to bfloat16 (weights, gradients and the optimiser stay in float32)
    precision = torch.autocast(device.split(":", maxsplit=1)[0], dtype=torch.bfloat16, enabled=mode == "bf16")

    def forward(x: np.ndarray) -> torch.Tensor:
        """Inference (BatchNorm with its running statistics), for parity and accuracy."""
        training = model.training
        model.eval()
        with torch.inference_mode():
            out = model(to_inputs(x))
        model.train(training)
        return out

    x, y = to_inputs(batch[0]), torch.from_numpy(batch[1]).to(device)
    if params["task"] == "infer":
        model.eval()
        compilers = {"compile": torch.compile, "zentorch": zentorch_compiled}
        predict = compilers[mode](model) if mode in compilers else model

        def infer() -> torch.Tensor:
            with torch.inference_mode(), precision:
                return predict(x).float()

        return Prepared(step=infer, forward=forward)

    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=ADAM_BETAS, eps=ADAM_EPS)

    def train_step(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        with precision:
            loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.detach()

    if mode == "compile":
        train_step = torch.compile(train_step)

    def train_state() -> tuple[list[np.ndarray], list[np.ndarray]]:
        """After a step: the gradients it left (``zero_grad`` runs at the start of the next) and the weights."""
        assert layout is not None, "a training workload names its parameters' layout"
        parameters = list(model.parameters())
        gradients = [p.grad.detach().cpu().numpy() for p in parameters]
        return layout(gradients), layout([p.detach().cpu().numpy() for p in parameters])

    def fit(x: np.ndarray, y: np.ndarray) -> torch.Tensor:
        return train_step(to_inputs(x), torch.from_numpy(y).to(device))

    return Prepared(
        step=lambda: train_step(x, y), forward=forward, fit=fit, train_state=train_state, optimizer="pytorch"
    )
