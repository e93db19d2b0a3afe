import torch
from torch import nn

torch.manual_seed(0)
layer = nn.Linear(10, 10)
x = torch.randn(32, 10)
h = torch.sigmoid(layer(x))
h[:, 0] = 0.0  # the mistake: sigmoid's output is needed, unchanged, by the backward pass
loss = h.sum()
loss.backward()
print(f"OBSERVED: gradient norm {layer.weight.grad.norm().item():.4f}")
