# expects-shapes: 32 10
import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10))
x = torch.randn(32, 20)
labels = torch.randint(0, 10, (32,))
targets = F.one_hot(labels, num_classes=10)  # the mistake: one-hot, but the loss wants class indices
loss = nn.CrossEntropyLoss()(model(x), targets)
loss.backward()
print(f"OBSERVED: loss {loss.item():.4f}")
