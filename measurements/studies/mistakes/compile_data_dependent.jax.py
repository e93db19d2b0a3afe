import jax
import jax.numpy as jnp


@jax.jit  # type: ignore[untyped-decorator]
def amplify(x: jax.Array) -> jax.Array:
    if x.sum() > 0:  # the mistake: a Python branch on an array's value
        return x * 2
    return -x


positive, negative = jnp.ones(4), -jnp.ones(4)
same = bool(jnp.array_equal(amplify(positive), positive * 2) and jnp.array_equal(amplify(negative), -negative))
print(f"OBSERVED: both branches give the eager result: {same}")
