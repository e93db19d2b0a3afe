import tensorflow as tf

tf.random.set_seed(0)
layer = tf.keras.layers.Dense(10)
x = tf.random.normal((32, 10))
with tf.GradientTape() as tape:
    h = tf.sigmoid(layer(x))
    h[:, 0] = 0.0  # the mistake: sigmoid's output is needed, unchanged, by the backward pass
    loss = tf.reduce_sum(h)
grads = tape.gradient(loss, layer.trainable_variables)
print(f"OBSERVED: gradient norm {float(tf.norm(grads[0])):.4f}")
