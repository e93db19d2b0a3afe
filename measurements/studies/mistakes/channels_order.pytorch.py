# expects-shapes: 3 32
import numpy as np
import torch
from torch import nn

images = np.random.default_rng(0).random((8, 32, 32, 3), dtype=np.float32)  # NHWC, as image libraries load them
model = nn.Sequential(nn.Conv2d(3, 16, kernel_size=3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
features = model(torch.from_numpy(images))  # the mistake: PyTorch's convolutions want NCHW
print(f"OBSERVED: output shape {tuple(features.shape)}")
