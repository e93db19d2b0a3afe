import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(10, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.001)
x, y = torch.randn(64, 10), torch.randn(64, 1)
norms = []
for _ in range(3):
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()  # the mistake: optimizer.zero_grad() is never called
    optimizer.step()
    norms.append(model.weight.grad.norm().item())
ratios = ", ".join(f"{n / norms[0]:.2f}x" for n in norms)
print(f"OBSERVED: weight gradient norm at steps 1-3, relative to step 1: {ratios}")
