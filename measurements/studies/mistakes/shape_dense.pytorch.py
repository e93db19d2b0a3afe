# expects-shapes: 784 100
import torch
from torch import nn

model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
x = torch.randn(32, 100)  # the mistake: 100 features, the model was built for 784
logits = model(x)
print(f"OBSERVED: output shape {tuple(logits.shape)}")
