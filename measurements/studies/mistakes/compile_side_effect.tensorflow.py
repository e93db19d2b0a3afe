import tensorflow as tf

seen: list[tf.Tensor] = []
calls = 0


@tf.function  # type: ignore[untyped-decorator]
def double(x: tf.Tensor) -> tf.Tensor:
    global calls  # noqa: PLW0603
    seen.append(x)  # the mistake: Python state changed inside a compiled function
    calls += 1
    return x * 2


for _ in range(3):
    double(tf.random.normal((4,)))
print(f"OBSERVED: after 3 calls, the list holds {len(seen)} items ({type(seen[0]).__name__}), the counter is {calls}")
