# expects-dtypes: float64 float32
import numpy as np
import tensorflow as tf

features = np.random.default_rng(0).normal(size=(32, 784))  # NumPy's default dtype: float64
model = tf.keras.Sequential([
    tf.keras.Input(shape=(784,)),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dense(10),
])  # fmt: skip
x = tf.convert_to_tensor(features)  # the mistake: the float64 dtype is kept
logits = model(x)
print(f"OBSERVED: input {x.dtype.name}, output {logits.dtype.name}")
