"""The Transformer classifier in JAX, training or predicting: under ``jax.jit``, or op by op.
Attention is ``jax.nn.dot_product_attention``; the weights are the spec's, in its order."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from measurements.workloads import Prepared
from measurements.workloads.shared.jax import steps
from measurements.workloads.transformer import spec


def layer_norm(x: jax.Array, gamma_beta: tuple[jax.Array, jax.Array]) -> jax.Array:
    gamma, beta = gamma_beta
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)  # biased, as the others
    return (x - mean) * jax.lax.rsqrt(variance + spec.LAYER_NORM_EPS) * gamma + beta


def linear(x: jax.Array, kernel_bias: tuple[jax.Array, jax.Array]) -> jax.Array:
    kernel, bias = kernel_bias
    return x @ kernel + bias


def attention(x: jax.Array, layer: spec.LayerWeights, heads: int) -> jax.Array:
    b, s, d = x.shape
    q, k, v = (linear(x, w).reshape(b, s, heads, d // heads) for w in (layer.query, layer.key, layer.value))
    return linear(jax.nn.dot_product_attention(q, k, v).reshape(b, s, d), layer.output)


def model(params: spec.TransformerSizes) -> Any:
    heads = params["heads"]

    def apply(weights: list[jax.Array], state: Any, tokens: jax.Array, training: bool) -> tuple[jax.Array, Any]:
        w = spec.unflatten(weights)
        x = w.token_embedding[tokens] + w.position_embedding[: tokens.shape[1]]
        for layer in w.layers:
            x = layer_norm(x + attention(x, layer, heads), layer.norm1)
            x = layer_norm(x + linear(jax.nn.relu(linear(x, layer.ff1)), layer.ff2), layer.norm2)
        return linear(x.mean(axis=1), w.classifier), state

    return apply


def prepare(params: spec.TransformerSizes, mode: str, device: str) -> Prepared:
    tokens, labels = spec.batch(params)  # int64 ids: JAX keeps 32-bit integers unless x64 is on
    batch = (tokens.astype(jnp.int32), labels.astype(jnp.int32))
    return steps(model(params), spec.flat_weights(params), params, mode, batch)
