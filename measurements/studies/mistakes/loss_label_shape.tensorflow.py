# expects-shapes: 32 10
import numpy as np
import tensorflow as tf

rng = np.random.default_rng(0)
model = tf.keras.Sequential([
    tf.keras.Input(shape=(20,)),
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dense(10),
])  # fmt: skip
model.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
x = rng.normal(size=(32, 20)).astype("float32")
labels = rng.integers(0, 10, size=32)
targets = tf.keras.utils.to_categorical(labels, num_classes=10)  # the mistake: one-hot, the loss wants indices
history = model.fit(x, targets, epochs=1, verbose=0)
print(f"OBSERVED: loss {history.history['loss'][-1]:.4f}")
