"""The ResNet-style CNN in JAX (NHWC, as the spec's weights), training or predicting: under
``jax.jit``, or op by op. BatchNorm's running statistics are the model's state: a training step
returns them updated (PyTorch's rule: the unbiased batch variance, weight ``BN_MOMENTUM``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

from measurements.workloads import Prepared
from measurements.workloads.cnn import spec
from measurements.workloads.shared.jax import steps

Stats = tuple[jax.Array, jax.Array]  # BatchNorm's running (mean, variance)


def conv_bn(layer: list[jax.Array], stats: Stats, x: jax.Array, stride: int, training: bool) -> tuple[jax.Array, Stats]:
    """Convolution (no bias; half the kernel padded on every side) and BatchNorm."""
    kernel, gamma, beta = layer
    pad = kernel.shape[0] // 2
    h = lax.conv_general_dilated(x, kernel, (stride, stride), [(pad, pad), (pad, pad)],
                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))  # fmt: skip
    if not training:
        mean, variance = stats
        return ((h - mean) * lax.rsqrt(variance + spec.BN_EPS) * gamma + beta).astype(h.dtype), stats
    # the batch's statistics in float32 also where the model computes in bfloat16 (bf16), as cuDNN's are
    wide = h.astype(jnp.float32)
    mean, variance = wide.mean(axis=(0, 1, 2)), wide.var(axis=(0, 1, 2))
    n = h.size // h.shape[-1]
    m = spec.BN_MOMENTUM
    updated = ((1 - m) * stats[0] + m * mean, (1 - m) * stats[1] + m * variance * n / (n - 1))
    return ((h - mean) * lax.rsqrt(variance + spec.BN_EPS) * gamma + beta).astype(h.dtype), updated


def initial_stats(convolutions: Iterator[tuple[str, int, int, int, int]]) -> tuple[Stats, ...]:
    """Running mean 0 and variance 1 for every convolution's BatchNorm, in order."""
    return tuple((jnp.zeros(c_out), jnp.ones(c_out)) for *_, c_out in convolutions)


ConvBN = Callable[[jax.Array, str], jax.Array]


def network(
    convolutions: list[tuple[str, int, int, int, int]], body: Callable[[ConvBN, jax.Array], jax.Array]
) -> Callable[[list[jax.Array], Any, jax.Array, bool], tuple[jax.Array, Any]]:
    """A model's ``apply`` from its convolutions (in the spec's order, three weights each, then the
    classifier's kernel and bias) and its ``body(conv_bn, x) -> features``."""
    names = [name for name, *_ in convolutions]
    strides = {name: stride for name, _, stride, *_ in convolutions}

    def apply(weights: list[jax.Array], state: Any, x: jax.Array, training: bool) -> tuple[jax.Array, Any]:
        layers = {name: weights[3 * i : 3 * i + 3] for i, name in enumerate(names)}
        stats = dict(zip(names, state, strict=True))
        updated: dict[str, Stats] = {}

        def run(h: jax.Array, name: str) -> jax.Array:
            out, updated[name] = conv_bn(layers[name], stats[name], h, strides[name], training)
            return out

        features = body(run, x)
        logits = features.mean(axis=(1, 2)) @ weights[-2] + weights[-1]
        return logits, tuple(updated[name] for name in names)

    return apply


def prepare(params: spec.CnnSizes, mode: str, device: str) -> Prepared:
    convolutions = list(spec.convolutions(params))
    names = {name for name, *_ in convolutions}

    def body(conv_bn: ConvBN, x: jax.Array) -> jax.Array:
        h = jax.nn.relu(conv_bn(x, "stem"))
        for stage in range(len(params["widths"])):
            out = conv_bn(jax.nn.relu(conv_bn(h, f"stage{stage}.conv1")), f"stage{stage}.conv2")
            shortcut = f"stage{stage}.shortcut"
            h = jax.nn.relu(out + (conv_bn(h, shortcut) if shortcut in names else h))
        return h

    return steps(network(convolutions, body), spec.flat_weights(params), params, mode, spec.batch(params),
                 state=initial_stats(iter(convolutions)))  # fmt: skip
