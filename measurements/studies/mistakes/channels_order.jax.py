# expects-shapes: 3 32
import jax
import numpy as np
from jax import lax


@jax.jit  # type: ignore[untyped-decorator]
def features(kernel: jax.Array, images: jax.Array) -> jax.Array:
    h = lax.conv_general_dilated(images, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return jax.nn.relu(h).mean(axis=(1, 2))


images = np.random.default_rng(0).random((8, 3, 32, 32), dtype=np.float32)  # NCHW, as a PyTorch loader gives them
kernel = jax.random.normal(jax.random.key(0), (3, 3, 3, 16)) * 0.3  # HWIO: 3 input channels, 16 output
out = features(kernel, images)  # the mistake: the convolution was written for NHWC
print(f"OBSERVED: output shape {tuple(out.shape)}")
