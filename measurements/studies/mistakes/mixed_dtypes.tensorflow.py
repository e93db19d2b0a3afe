# expects-dtypes: float32 float64
import numpy as np
import tensorflow as tf

weights = tf.ones(3)  # float32
scale = tf.constant(np.array([0.5, 0.5, 0.5]))  # float64, NumPy's default
out = weights + scale  # the mistake: float32 + float64
print(f"OBSERVED: {weights.dtype.name} + {scale.dtype.name} gave {out.dtype.name}")
