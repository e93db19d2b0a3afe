import torch


@torch.compile  # type: ignore[untyped-decorator]
def amplify(x: torch.Tensor) -> torch.Tensor:
    if x.sum() > 0:  # the mistake: a Python branch on a tensor's value
        return x * 2
    return -x


positive, negative = torch.ones(4), -torch.ones(4)
same = torch.equal(amplify(positive), positive * 2) and torch.equal(amplify(negative), -negative)
print(f"OBSERVED: both branches give the eager result: {same}")
