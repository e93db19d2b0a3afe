# expects-shapes: 3 32
import numpy as np
import tensorflow as tf

images = np.random.default_rng(0).random((8, 3, 32, 32), dtype=np.float32)  # NCHW, as a PyTorch loader gives them
model = tf.keras.Sequential([
    tf.keras.Input(shape=(32, 32, 3)),
    tf.keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
    tf.keras.layers.GlobalAveragePooling2D(),
])  # fmt: skip
features = model(images)  # the mistake: Keras's convolutions want NHWC
print(f"OBSERVED: output shape {tuple(features.shape)}")
