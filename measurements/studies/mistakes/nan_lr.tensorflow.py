import math

import numpy as np
import tensorflow as tf

rng = np.random.default_rng(0)
features = rng.normal(size=(256, 10)).astype("float32")
x, y = tf.constant(features), tf.constant(features @ rng.normal(size=(10, 1)).astype("float32"))
model = tf.keras.Sequential([tf.keras.Input(shape=(10,)), tf.keras.layers.Dense(1)])
optimizer = tf.keras.optimizers.SGD(learning_rate=10.0)  # the mistake: far too large
losses = []
for _ in range(100):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    losses.append(float(loss))
infinite = next((i for i, v in enumerate(losses, 1) if not math.isfinite(v)), None)
nan = next((i for i, v in enumerate(losses, 1) if math.isnan(v)), None)
print(f"OBSERVED: loss first non-finite at step {infinite}, first nan at step {nan}, after 100 steps {losses[-1]}")
