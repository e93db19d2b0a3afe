"""A BERT-base-sized Transformer encoder classifier: 12 layers, d_model 768, 12 heads,
feed-forward 3,072, a 30,522-token vocabulary and sequences of 128 tokens (109 million
parameters, as BERT-base's encoder).

The architecture, data, initial weights and NumPy reference are the small Transformer's
(``workloads.transformer.spec``): post-norm encoder layers with a ReLU feed-forward block
(BERT uses GELU, and adds token-type embeddings and a pooler; neither changes the size
class), mean pooling and a linear classifier. Only the sizes differ.
"""

from __future__ import annotations

from measurements.profiles import Profile
from measurements.workloads import Case
from measurements.workloads.transformer.spec import (  # noqa: F401  (the spec's interface, shared)
    CLASSES,
    SEED,
    Shape,
    TransformerSizes,
    batch,
    flat_weights,
    forward_reference,
    loss_reference,
    parameter_count,
    parity,
    sized_cases,
    weights,
)

SIZES: dict[str, Shape] = {
    "tiny": {"vocab": 300, "seq_len": 16, "d_model": 48, "heads": 4, "layers": 3, "d_ff": 96},
    "standard": {"vocab": 30522, "seq_len": 128, "d_model": 768, "heads": 12, "layers": 12, "d_ff": 3072},
    "full": {"vocab": 30522, "seq_len": 128, "d_model": 768, "heads": 12, "layers": 12, "d_ff": 3072},
}
# a few steps a process are enough at this size; the larger batches are in the full profile
# gpu: batches that keep an H100 busy in float32 (4,096 tokens a training step)
TRAIN_BATCHES = {"tiny": (4,), "standard": (4,), "full": (4, 16), "gpu": (32,)}
INFER_BATCHES = {"tiny": (8,), "standard": (16,), "full": (16, 64), "gpu": (128,)}


def cases(profile: Profile, task: str) -> list[Case[TransformerSizes]]:
    return sized_cases(profile, task, SIZES, TRAIN_BATCHES, INFER_BATCHES, with_count=True)
