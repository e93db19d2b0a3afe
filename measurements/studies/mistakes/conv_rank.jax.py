# expects-shapes: 32 28
import jax
from jax import lax


@jax.jit  # type: ignore[untyped-decorator]
def predict(params: dict[str, jax.Array], images: jax.Array) -> jax.Array:
    h = lax.conv_general_dilated(images, params["kernel"], (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    h = jax.nn.relu(h).reshape(h.shape[0], -1)
    return h @ params["w"] + params["b"]


keys = jax.random.split(jax.random.key(0), 3)
params = {"kernel": jax.random.normal(keys[0], (3, 3, 1, 8)) * 0.3,
          "w": jax.random.normal(keys[1], (8 * 26 * 26, 10)) * 0.01, "b": jax.numpy.zeros(10)}  # fmt: skip
images = jax.random.uniform(keys[2], (32, 28, 28))  # the mistake: no channel axis, the convolution wants (N, 28, 28, 1)
logits = predict(params, images)
print(f"OBSERVED: output shape {tuple(logits.shape)}")
