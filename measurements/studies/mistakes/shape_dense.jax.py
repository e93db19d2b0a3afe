# expects-shapes: 784 100
import jax
import jax.numpy as jnp


def init(key: jax.Array, sizes: list[int]) -> list[tuple[jax.Array, jax.Array]]:
    keys = jax.random.split(key, len(sizes) - 1)
    return [(jax.random.normal(k, (m, n)) * jnp.sqrt(2 / m), jnp.zeros(n))
            for k, m, n in zip(keys, sizes[:-1], sizes[1:], strict=True)]  # fmt: skip


@jax.jit  # type: ignore[untyped-decorator]
def predict(params: list[tuple[jax.Array, jax.Array]], x: jax.Array) -> jax.Array:
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return x @ w + b


params = init(jax.random.key(0), [784, 128, 10])
x = jax.random.normal(jax.random.key(1), (32, 100))  # the mistake: 100 features, the model was built for 784
logits = predict(params, x)
print(f"OBSERVED: output shape {tuple(logits.shape)}")
