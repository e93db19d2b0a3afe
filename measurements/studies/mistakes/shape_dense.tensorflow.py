# expects-shapes: 784 100
import tensorflow as tf

model = tf.keras.Sequential([
    tf.keras.Input(shape=(784,)),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dense(10),
])  # fmt: skip
x = tf.random.normal((32, 100))  # the mistake: 100 features, the model was built for 784
logits = model(x)
print(f"OBSERVED: output shape {tuple(logits.shape)}")
