import sys

import tensorflow as tf

if not tf.config.list_physical_devices("GPU"):
    print("NOT-APPLICABLE: this machine has no GPU, so the two tensors cannot be on different devices")
    sys.exit(0)
with tf.device("/GPU:0"):
    on_gpu = tf.ones(3)
with tf.device("/CPU:0"):
    on_cpu = tf.ones(3)
out = on_gpu + on_cpu  # the mistake: the operands live on different devices
print(f"OBSERVED: {on_gpu.device} + {on_cpu.device} gave a tensor on {out.device}")
