# expects-dtypes: float64 float32
import numpy as np
import torch
from torch import nn

features = np.random.default_rng(0).normal(size=(32, 784))  # NumPy's default dtype: float64
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
x = torch.from_numpy(features)  # the mistake: the float64 dtype is kept
logits = model(x)
print(f"OBSERVED: input {x.dtype}, output {logits.dtype}")
