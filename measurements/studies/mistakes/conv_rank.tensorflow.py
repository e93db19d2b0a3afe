# expects-shapes: 32 28
import tensorflow as tf

model = tf.keras.Sequential([
    tf.keras.Input(shape=(28, 28, 1)),
    tf.keras.layers.Conv2D(8, 3, activation="relu"),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(10),
])  # fmt: skip
images = tf.random.uniform((32, 28, 28))  # the mistake: no channel axis, the convolution wants (N, 28, 28, 1)
logits = model(images)
print(f"OBSERVED: output shape {tuple(logits.shape)}")
