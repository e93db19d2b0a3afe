# expects-dtypes: int64
import numpy as np
from torch import nn

pixels = np.random.default_rng(0).integers(0, 256, size=(32, 784))  # int64 pixel values
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
logits = model(pixels)  # the mistake: the NumPy int array is passed as it is
print(f"OBSERVED: input {pixels.dtype}, output {logits.dtype}")
