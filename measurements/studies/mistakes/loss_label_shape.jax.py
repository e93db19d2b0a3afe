# expects-shapes: 32 10
import jax
import jax.numpy as jnp
import optax


def init(key: jax.Array, sizes: list[int]) -> list[tuple[jax.Array, jax.Array]]:
    keys = jax.random.split(key, len(sizes) - 1)
    return [(jax.random.normal(k, (m, n)) * jnp.sqrt(2 / m), jnp.zeros(n))
            for k, m, n in zip(keys, sizes[:-1], sizes[1:], strict=True)]  # fmt: skip


def predict(params: list[tuple[jax.Array, jax.Array]], x: jax.Array) -> jax.Array:
    for w, b in params[:-1]:
        x = jax.nn.relu(x @ w + b)
    w, b = params[-1]
    return x @ w + b


def loss_fn(params: list[tuple[jax.Array, jax.Array]], x: jax.Array, targets: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(predict(params, x), targets).mean()


params = init(jax.random.key(0), [20, 64, 10])
x = jax.random.normal(jax.random.key(1), (32, 20))
labels = jax.random.randint(jax.random.key(2), (32,), 0, 10)
targets = jax.nn.one_hot(labels, 10)  # the mistake: one-hot, but the loss wants class indices
loss, grads = jax.jit(jax.value_and_grad(loss_fn))(params, x, targets)
print(f"OBSERVED: loss {float(loss):.4f}")
