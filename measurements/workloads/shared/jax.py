"""The steps of a JAX classifier, written as JAX programs are: a pure function of the weights
(the spec's own flat list, in its order and layout), Optax's Adam, ``jax.value_and_grad``, and
``jax.jit`` around the whole training step or the model's call (in bf16: the model computing in
bfloat16); or the same functions called op by op, without ``jit``.

A model is ``apply(weights, state, x, training) -> (logits, state)``: ``state`` holds what is
not trained (BatchNorm's running statistics; an empty tuple where there is none).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from measurements.workloads import Prepared, Sizes
from measurements.workloads.shared import ADAM_BETAS, ADAM_EPS, LEARNING_RATE

Apply = Callable[[list[jax.Array], Any, jax.Array, bool], tuple[jax.Array, Any]]


def compiled(function: Callable[..., Any], mode: str) -> Callable[..., Any]:
    """``function`` as the mode runs it: under ``jax.jit`` (also in bf16), or op by op."""
    return jax.jit(function) if mode in ("jit", "bf16") else function


def in_bfloat16(apply: Apply) -> Apply:
    """The model computing in bfloat16, as JAX's mixed precision does (the weights, their gradients and
    the optimiser stay in float32; floating inputs and the weights are cast on the way in, the logits
    back to float32 on the way out; BatchNorm's statistics stay in float32), the counterpart of
    PyTorch's bf16 autocast."""

    def cast(tree: Any, dtype: Any) -> Any:
        return jax.tree.map(lambda a: a.astype(dtype) if jnp.issubdtype(a.dtype, jnp.floating) else a, tree)

    def apply_bf16(weights: Any, state: Any, x: jax.Array, training: bool) -> tuple[jax.Array, Any]:
        logits, new_state = apply(cast(weights, jnp.bfloat16), state, cast(x, jnp.bfloat16), training)
        return logits.astype(jnp.float32), new_state

    return apply_bf16


def steps(
    apply: Apply,
    flat: list[np.ndarray],
    params: Sizes,
    mode: str,
    batch: tuple[np.ndarray, np.ndarray],
    state: Any = (),
) -> Prepared:
    """Training (Optax's Adam, cross-entropy) or inference on ``batch``, as ``params["task"]`` says.

    The training step returns its gradients beside the loss (it computes them anyway), so that
    the parity check reads the first step's gradients from the very function that is timed."""
    model = {"weights": [jnp.asarray(a) for a in flat], "state": state}
    apply = in_bfloat16(apply) if mode == "bf16" else apply
    x, y = jnp.asarray(batch[0]), jnp.asarray(batch[1])

    def forward(inputs: np.ndarray) -> jax.Array:
        return apply(model["weights"], model["state"], jnp.asarray(inputs), False)[0]

    if params["task"] == "infer":
        predict = compiled(lambda w, s, x: apply(w, s, x, False)[0], mode)
        return Prepared(step=lambda: predict(model["weights"], model["state"], x), forward=forward)

    optimizer = optax.adam(LEARNING_RATE, b1=ADAM_BETAS[0], b2=ADAM_BETAS[1], eps=ADAM_EPS)
    model["optimizer"] = optimizer.init(model["weights"])

    def train_step(weights: Any, opt_state: Any, state: Any, x: jax.Array, y: jax.Array) -> Any:
        def loss_fn(w: Any) -> tuple[jax.Array, Any]:
            logits, new_state = apply(w, state, x, True)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean(), new_state

        (loss, new_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(weights)
        updates, opt_state = optimizer.update(grads, opt_state, weights)
        return optax.apply_updates(weights, updates), opt_state, new_state, loss, grads

    train_step = compiled(train_step, mode)
    first: list[Any] = []  # the first step's gradients, for the parity check

    def fit(x: Any, y: Any) -> jax.Array:
        found = train_step(model["weights"], model["optimizer"], model["state"], jnp.asarray(x), jnp.asarray(y))
        model["weights"], model["optimizer"], model["state"], loss, grads = found
        if not first:
            first.append(grads)
        return loss

    def train_state() -> tuple[list[np.ndarray], list[np.ndarray]]:
        assert first, "the first step has run"
        return [np.asarray(g) for g in first[0]], [np.asarray(w) for w in model["weights"]]

    return Prepared(step=lambda: fit(x, y), forward=forward, fit=fit, train_state=train_state, optimizer="optax")
