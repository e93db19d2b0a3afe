import math

import numpy as np
import torch
from torch import nn

rng = np.random.default_rng(0)
features = rng.normal(size=(256, 10)).astype("float32")
x, y = torch.from_numpy(features), torch.from_numpy(features @ rng.normal(size=(10, 1)).astype("float32"))
model = nn.Linear(10, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=10.0)  # the mistake: far too large
losses = []
for _ in range(100):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
infinite = next((i for i, v in enumerate(losses, 1) if not math.isfinite(v)), None)
nan = next((i for i, v in enumerate(losses, 1) if math.isnan(v)), None)
print(f"OBSERVED: loss first non-finite at step {infinite}, first nan at step {nan}, after 100 steps {losses[-1]}")
