# expects-shapes: 32 28
import torch
from torch import nn

model = nn.Sequential(nn.Conv2d(1, 8, kernel_size=3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 26 * 26, 10))
images = torch.rand(32, 28, 28)  # the mistake: no channel axis, the convolution wants (N, 1, 28, 28)
logits = model(images)
print(f"OBSERVED: output shape {tuple(logits.shape)}")
