"""ResNet-50 in JAX (NHWC, as the spec's weights), training or predicting under ``jax.jit``:
the small CNN's convolution, BatchNorm and classifier, with ResNet-50's bottleneck blocks."""

from __future__ import annotations

import jax
from jax import lax

from measurements.workloads import Prepared
from measurements.workloads.cnn.jax import ConvBN, initial_stats, network
from measurements.workloads.resnet import spec
from measurements.workloads.shared.jax import steps


def max_pool(x: jax.Array) -> jax.Array:
    """3×3, stride 2, one pixel of padding on every side (as PyTorch's: the padding never wins)."""
    return lax.reduce_window(x, -jax.numpy.inf, lax.max, (1, 3, 3, 1), (1, 2, 2, 1), ((0, 0), (1, 1), (1, 1), (0, 0)))


def prepare(params: spec.ResnetSizes, mode: str, device: str) -> Prepared:
    convolutions = list(spec.convolutions(params))

    def body(conv_bn: ConvBN, x: jax.Array) -> jax.Array:
        h = max_pool(jax.nn.relu(conv_bn(x, "stem")))
        for name, _, projected in spec.blocks(params):
            out = jax.nn.relu(conv_bn(h, f"{name}.conv1"))
            out = conv_bn(jax.nn.relu(conv_bn(out, f"{name}.conv2")), f"{name}.conv3")
            h = jax.nn.relu(out + (conv_bn(h, f"{name}.shortcut") if projected else h))
        return h

    return steps(network(convolutions, body), spec.flat_weights(params), params, mode, spec.batch(params),
                 state=initial_stats(iter(convolutions)))  # fmt: skip
