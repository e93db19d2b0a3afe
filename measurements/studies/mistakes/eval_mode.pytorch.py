import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10))
x = torch.randn(4, 20)
with torch.no_grad():
    first, second = model(x), model(x)  # the mistake: model.eval() was never called
print(f"OBSERVED: two predictions on the same input differ by up to {float((first - second).abs().max()):.3f}")
