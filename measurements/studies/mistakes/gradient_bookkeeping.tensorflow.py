import tensorflow as tf

tf.random.set_seed(0)
model = tf.keras.Sequential([tf.keras.Input(shape=(10,)), tf.keras.layers.Dense(1)])
optimizer = tf.keras.optimizers.SGD(learning_rate=0.001)
x, y = tf.random.normal((64, 10)), tf.random.normal((64, 1))
norms = []
for _ in range(3):
    predictions = model(x)  # the mistake: the forward pass runs outside the tape
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(predictions - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    norms.append(float(tf.norm(grads[0])))
ratios = ", ".join(f"{n / norms[0]:.2f}x" for n in norms)
print(f"OBSERVED: weight gradient norm at steps 1-3, relative to step 1: {ratios}")
