"""A BERT-base-sized Transformer encoder classifier: 12 layers, d_model 768, 12 heads,
feed-forward 3,072, a 30,522-token vocabulary and sequences of 128 tokens (109 million
parameters, as BERT-base's encoder).

The architecture, data, initial weights and NumPy reference are the small Transformer's
(``workloads.transformer.spec``): post-norm encoder layers with a ReLU feed-forward block
(BERT uses GELU, and adds token-type embeddings and a pooler; neither changes the size
class), mean pooling and a linear classifier. Only the sizes differ.
"""

from __future__ import annotations

from typing import Any

from measurements.profiles import Profile
from measurements.workloads import Case
from measurements.workloads.transformer.spec import (  # noqa: F401  (the spec's interface, shared)
    CLASSES,
    SEED,
    _forward_flops,
    batch,
    flat_weights,
    forward_reference,
    loss_reference,
    parity,
    weights,
)

SIZES: dict[str, dict[str, int]] = {
    "tiny": {"vocab": 300, "seq_len": 16, "d_model": 48, "heads": 4, "layers": 3, "d_ff": 96},
    "standard": {"vocab": 30522, "seq_len": 128, "d_model": 768, "heads": 12, "layers": 12, "d_ff": 3072},
    "full": {"vocab": 30522, "seq_len": 128, "d_model": 768, "heads": 12, "layers": 12, "d_ff": 3072},
}
# a few steps a process are enough at this size; the larger batches are in the full profile
TRAIN_BATCHES = {"tiny": (4,), "standard": (4,), "full": (4, 16)}
INFER_BATCHES = {"tiny": (8,), "standard": (16,), "full": (16, 64)}


def parameter_count(params: dict[str, Any]) -> int:
    d, f, layers = params["d_model"], params["d_ff"], params["layers"]
    per_layer = 4 * (d * d + d) + 2 * 2 * d + (d * f + f) + (f * d + d)
    return int((params["vocab"] + params["seq_len"]) * d + layers * per_layer + (d + 1) * params["classes"])


def cases(profile: Profile, task: str) -> list[Case]:
    sizes = SIZES[profile.size]

    def params(size: int) -> dict[str, Any]:
        return {**sizes, "classes": CLASSES, "batch_size": size, "dtype": "float32", "seed": SEED, "task": task}

    millions = parameter_count(params(1)) / 1e6
    shape = f"{sizes['layers']} layers, d{sizes['d_model']}, seq {sizes['seq_len']}, {millions:.0f}M parameters"
    if task == "train":
        # forward matmuls, then twice as many in the backward pass (a lower bound, as the small Transformer's)
        return [
            Case(f"{shape}, batch {b}", "train_throughput", params(b), work_per_step=b,
                 flops_per_step=3 * _forward_flops(params(b), b))
            for b in TRAIN_BATCHES[profile.size]
        ]  # fmt: skip
    return [
        Case(f"{shape}, batch 1", "infer_latency", params(1), work_per_step=1,
             flops_per_step=_forward_flops(params(1), 1)),
        *(
            Case(f"{shape}, batch {b}", "infer_throughput", params(b), work_per_step=b,
                 flops_per_step=_forward_flops(params(b), b))
            for b in INFER_BATCHES[profile.size]
        ),
    ]  # fmt: skip
