import tensorflow as tf

tf.random.set_seed(0)
model = tf.keras.Sequential([
    tf.keras.Input(shape=(20,)),
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dropout(0.5),
    tf.keras.layers.Dense(10),
])  # fmt: skip
x = tf.random.normal((4, 20))
first, second = model(x), model(x)  # the mistake: training=False is not passed
print(f"OBSERVED: two predictions on the same input differ by up to {float(tf.reduce_max(tf.abs(first - second))):.3f}")
