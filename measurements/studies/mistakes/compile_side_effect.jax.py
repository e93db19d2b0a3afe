import jax

seen: list[jax.Array] = []
calls = 0


@jax.jit  # type: ignore[untyped-decorator]
def double(x: jax.Array) -> jax.Array:
    global calls  # noqa: PLW0603
    seen.append(x)  # the mistake: Python state changed inside a compiled function
    calls += 1
    return x * 2


for i in range(3):
    double(jax.random.normal(jax.random.key(i), (4,)))
print(f"OBSERVED: after 3 calls, the list holds {len(seen)} items ({type(seen[0]).__name__}), the counter is {calls}")
