import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

rng = np.random.default_rng(0)
features = rng.normal(size=(256, 10)).astype("float32")
x, y = jnp.asarray(features), jnp.asarray(features @ rng.normal(size=(10, 1)).astype("float32"))
params = {"w": jax.random.normal(jax.random.key(0), (10, 1)) * 0.3, "b": jnp.zeros(1)}
optimizer = optax.sgd(10.0)  # the mistake: far too large
opt_state = optimizer.init(params)


def loss_fn(params: dict[str, jax.Array]) -> jax.Array:
    return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)


@jax.jit  # type: ignore[untyped-decorator]
def train_step(
    params: dict[str, jax.Array], opt_state: optax.OptState
) -> tuple[dict[str, jax.Array], optax.OptState, jax.Array]:
    loss, grads = jax.value_and_grad(loss_fn)(params)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss


losses = []
for _ in range(100):
    params, opt_state, loss = train_step(params, opt_state)
    losses.append(float(loss))
infinite = next((i for i, v in enumerate(losses, 1) if not math.isfinite(v)), None)
nan = next((i for i, v in enumerate(losses, 1) if math.isnan(v)), None)
print(f"OBSERVED: loss first non-finite at step {infinite}, first nan at step {nan}, after 100 steps {losses[-1]}")
