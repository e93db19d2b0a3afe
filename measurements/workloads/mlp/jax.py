"""The MLP in JAX, training or predicting: under ``jax.jit``, or op by op."""

from __future__ import annotations

from typing import Any

import jax

from measurements.workloads import Prepared
from measurements.workloads.mlp import spec
from measurements.workloads.shared.jax import steps


def apply(weights: list[jax.Array], state: Any, x: jax.Array, training: bool) -> tuple[jax.Array, Any]:
    """Kernels (inputs, outputs) and biases as the spec lists them; ReLU between layers."""
    h = x
    layers = len(weights) // 2
    for i in range(layers):
        h = h @ weights[2 * i] + weights[2 * i + 1]
        if i < layers - 1:
            h = jax.nn.relu(h)
    return h, state


def prepare(params: spec.MlpSizes, mode: str, device: str) -> Prepared:
    return steps(apply, spec.flat_weights(params), params, mode, spec.batch(params))
