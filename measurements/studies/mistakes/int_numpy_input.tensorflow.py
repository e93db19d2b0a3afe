# expects-dtypes: int64
import numpy as np
import tensorflow as tf

pixels = np.random.default_rng(0).integers(0, 256, size=(32, 784))  # int64 pixel values
model = tf.keras.Sequential([
    tf.keras.Input(shape=(784,)),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dense(10),
])  # fmt: skip
logits = model(pixels)  # the mistake: the NumPy int array is passed as it is
print(f"OBSERVED: input {pixels.dtype}, output {logits.dtype.name}")
