import sys

import torch

if not torch.cuda.is_available():
    print("NOT-APPLICABLE: this machine has no GPU, so the two tensors cannot be on different devices")
    sys.exit(0)
on_gpu = torch.ones(3, device="cuda")
on_cpu = torch.ones(3)
out = on_gpu + on_cpu  # the mistake: the operands live on different devices
print(f"OBSERVED: {on_gpu.device} + {on_cpu.device} gave a tensor on {out.device}")
