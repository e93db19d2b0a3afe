import jax
import jax.numpy as jnp

params = {"w": jax.random.normal(jax.random.key(0), (10, 10)) * 0.3, "b": jnp.zeros(10)}
x = jax.random.normal(jax.random.key(1), (32, 10))


def loss_fn(params: dict[str, jax.Array]) -> jax.Array:
    h = jax.nn.sigmoid(x @ params["w"] + params["b"])
    h[:, 0] = 0.0  # the mistake: sigmoid's output is needed, unchanged, by the backward pass
    return h.sum()


grads = jax.grad(loss_fn)(params)
print(f"OBSERVED: gradient norm {float(jnp.linalg.norm(grads['w'])):.4f}")
