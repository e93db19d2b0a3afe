import sys

import jax
import jax.numpy as jnp

try:
    gpu = jax.devices("gpu")[0]
except RuntimeError:  # JAX has no GPU backend here
    print("NOT-APPLICABLE: this machine has no GPU, so the two arrays cannot be on different devices")
    sys.exit(0)
on_gpu = jax.device_put(jnp.ones(3), gpu)
on_cpu = jax.device_put(jnp.ones(3), jax.devices("cpu")[0])
out = on_gpu + on_cpu  # the mistake: the operands live on different devices
print(f"OBSERVED: {on_gpu.devices()} + {on_cpu.devices()} gave an array on {out.devices()}")
