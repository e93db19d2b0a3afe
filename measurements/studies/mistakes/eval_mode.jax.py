import jax
import jax.numpy as jnp


def dropout(key: jax.Array, x: jax.Array, rate: float, training: bool) -> jax.Array:
    if not training:
        return x
    keep = jax.random.bernoulli(key, 1 - rate, x.shape)
    return jnp.where(keep, x / (1 - rate), 0.0)


def predict(params: dict[str, jax.Array], x: jax.Array, key: jax.Array, training: bool = True) -> jax.Array:
    h = jax.nn.relu(x @ params["w1"] + params["b1"])
    h = dropout(key, h, 0.5, training)
    return h @ params["w2"] + params["b2"]


keys = jax.random.split(jax.random.key(0), 5)
params = {"w1": jax.random.normal(keys[0], (20, 64)) * 0.2, "b1": jnp.zeros(64),
          "w2": jax.random.normal(keys[1], (64, 10)) * 0.1, "b2": jnp.zeros(10)}  # fmt: skip
x = jax.random.normal(keys[2], (4, 20))
first, second = predict(params, x, keys[3]), predict(params, x, keys[4])  # the mistake: training=False is not passed
print(f"OBSERVED: two predictions on the same input differ by up to {float(jnp.abs(first - second).max()):.3f}")
