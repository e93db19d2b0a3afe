# expects-dtypes: int64
import jax
import jax.numpy as jnp
import numpy as np


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


pixels = np.random.default_rng(0).integers(0, 256, size=(32, 784))  # int64 pixel values
params = init(jax.random.key(0), [784, 128, 10])
logits = predict(params, pixels)  # the mistake: the NumPy int array is passed as it is
print(f"OBSERVED: input {pixels.dtype}, output {logits.dtype}")
