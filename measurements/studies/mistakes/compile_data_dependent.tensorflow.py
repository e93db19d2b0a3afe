import tensorflow as tf


@tf.function  # type: ignore[untyped-decorator]
def amplify(x: tf.Tensor) -> tf.Tensor:
    if tf.reduce_sum(x) > 0:  # the mistake: a Python branch on a tensor's value
        return x * 2
    return -x


positive, negative = tf.ones(4), -tf.ones(4)
same = bool(tf.reduce_all(amplify(positive) == positive * 2) and tf.reduce_all(amplify(negative) == -negative))
print(f"OBSERVED: both branches give the eager result: {same}")
