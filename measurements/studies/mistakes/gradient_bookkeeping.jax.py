import jax
import jax.numpy as jnp
import optax

params = {"w": jax.random.normal(jax.random.key(0), (10, 1)) * 0.3, "b": jnp.zeros(1)}
x, y = jax.random.normal(jax.random.key(1), (64, 10)), jax.random.normal(jax.random.key(2), (64, 1))
optimizer = optax.sgd(0.001)
opt_state = optimizer.init(params)


def loss_fn(params: dict[str, jax.Array]) -> jax.Array:
    return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)


norms = []
for _ in range(3):
    grads = jax.grad(loss_fn)(params)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    optax.apply_updates(params, updates)  # the mistake: the updated parameters are not assigned back
    norms.append(float(jnp.linalg.norm(grads["w"])))
ratios = ", ".join(f"{n / norms[0]:.2f}x" for n in norms)
print(f"OBSERVED: weight gradient norm at steps 1-3, relative to step 1: {ratios}")
