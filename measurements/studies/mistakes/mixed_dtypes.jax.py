# expects-dtypes: float32 float64
import jax.numpy as jnp
import numpy as np

weights = jnp.ones(3)  # float32
scale = np.array([0.5, 0.5, 0.5])  # float64, NumPy's default
out = weights + scale  # the mistake: float32 + float64
print(f"OBSERVED: {weights.dtype} + {scale.dtype} gave {out.dtype}")
