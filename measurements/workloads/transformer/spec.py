"""Transformer encoder text classifier: sizes, data and initial weights shared by both frameworks.

Token and learned position embeddings, added; post-norm encoder layers (multi-head
self-attention, then a ReLU feed-forward block, each followed by a residual add and layer
normalisation, as PyTorch's ``norm_first=False`` default); the mean over the sequence; a
linear classifier. No dropout, no attention mask.

Weights are made once here with NumPy from a fixed seed and loaded into each framework, so
both start from the same model. Hyper-parameters whose defaults differ between the
frameworks are pinned: the layer normalisation epsilon (PyTorch defaults to 1e-5, Keras to
1e-3) here, Adam's settings in ``workloads.shared``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import numpy as np

from measurements.profiles import Profile
from measurements.workloads import Case, Parity, Sizes, distinct, repeat
from measurements.workloads.shared import cross_entropy, model_cases

SEED = 0
LAYER_NORM_EPS = 1e-5
CLASSES = 10
EMBEDDING_STD = 0.02


class Shape(TypedDict):
    """A Transformer encoder's dimensions."""

    vocab: int  # tokens in the vocabulary
    seq_len: int  # tokens in a sequence
    d_model: int
    heads: int  # of the self-attention
    layers: int
    d_ff: int  # the feed-forward block's hidden width


class TransformerSizes(Shape, Sizes):
    """A Transformer encoder classifier's sizes (this one's and the BERT-base-sized encoder's)."""

    classes: int


# profile size -> model sizes
SIZES: dict[str, Shape] = {
    "tiny": {"vocab": 100, "seq_len": 16, "d_model": 32, "heads": 2, "layers": 2, "d_ff": 64},
    "standard": {"vocab": 1000, "seq_len": 128, "d_model": 256, "heads": 4, "layers": 2, "d_ff": 1024},
    "full": {"vocab": 1000, "seq_len": 128, "d_model": 256, "heads": 4, "layers": 2, "d_ff": 1024},
}
# profile size -> batch sizes: training throughput; inference throughput (latency is at batch 1)
TRAIN_BATCHES = {"tiny": (8,), "standard": (16, 64), "full": (16, 64, 128), "gpu": (64, 256)}
INFER_BATCHES = {"tiny": (32,), "standard": (64,), "full": (64, 256), "gpu": (256,)}


def _forward_flops(params: TransformerSizes, batch: int) -> int:
    """Matrix-multiply FLOPs of one forward pass; embedding look-ups are free."""
    s, d, f = params["seq_len"], params["d_model"], params["d_ff"]
    per_layer = (
        2 * s * d * 3 * d  # query, key and value projections
        + 2 * s * d * d  # output projection
        + 2 * 2 * s * s * d  # scores (Q Kᵀ) and their weighted sum of values (A V), over all heads
        + 2 * 2 * s * d * f  # the two feed-forward layers
    )
    return int(batch * (params["layers"] * per_layer + 2 * d * params["classes"]))


def cases(profile: Profile, task: str) -> list[Case[TransformerSizes]]:
    return sized_cases(profile, task, SIZES, TRAIN_BATCHES, INFER_BATCHES, with_count=False)


def sized_cases(
    profile: Profile,
    task: str,
    sizes: dict[str, Shape],
    train_batches: dict[str, tuple[int, ...]],
    infer_batches: dict[str, tuple[int, ...]],
    with_count: bool,
) -> list[Case[TransformerSizes]]:
    """The cases at the profile's model sizes (shared with the BERT-base-sized encoder, which names
    its parameter count); softmax and normalisation are left out of the FLOPs as well."""
    size = sizes[profile.size]

    def params(batch: int) -> TransformerSizes:
        return {
            "vocab": size["vocab"], "seq_len": size["seq_len"], "d_model": size["d_model"], "heads": size["heads"],
            "layers": size["layers"], "d_ff": size["d_ff"], "classes": CLASSES, "batch_size": batch, "dtype": "float32",
            "seed": SEED, "task": task,
        }  # fmt: skip

    shape = f"{size['layers']} layers, d{size['d_model']}, seq {size['seq_len']}, "
    if with_count:
        shape += f"{parameter_count(params(1)) / 1e6:.0f}M parameters, "
    return model_cases(task, shape, params, _forward_flops, train_batches[profile.batch_key],
                       infer_batches[profile.batch_key], profile.distinct)  # fmt: skip


def parameter_count(params: TransformerSizes) -> int:
    d, f, layers = params["d_model"], params["d_ff"], params["layers"]
    per_layer = 4 * (d * d + d) + 2 * 2 * d + (d * f + f) + (f * d + d)
    return int((params["vocab"] + params["seq_len"]) * d + layers * per_layer + (d + 1) * params["classes"])


@dataclass(frozen=True)
class LayerWeights:
    """One encoder layer. Kernels are (inputs, outputs); attention heads are consecutive
    blocks of ``d_model // heads`` columns of the query, key and value kernels (rows of the
    output kernel)."""

    query: tuple[np.ndarray, np.ndarray]  # (kernel, bias)
    key: tuple[np.ndarray, np.ndarray]
    value: tuple[np.ndarray, np.ndarray]
    output: tuple[np.ndarray, np.ndarray]
    norm1: tuple[np.ndarray, np.ndarray]  # (gamma, beta)
    ff1: tuple[np.ndarray, np.ndarray]
    ff2: tuple[np.ndarray, np.ndarray]
    norm2: tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Weights:
    token_embedding: np.ndarray  # (vocab, d_model)
    position_embedding: np.ndarray  # (seq_len, d_model)
    layers: list[LayerWeights]
    classifier: tuple[np.ndarray, np.ndarray]  # (kernel (d_model, classes), bias)


def weights(params: TransformerSizes) -> Weights:
    """Embeddings normal(0, 0.02); kernels Glorot-uniform; biases zero; norms gamma 1, beta 0."""
    rng = np.random.default_rng(params["seed"])
    d, f = params["d_model"], params["d_ff"]

    def dense(fan_in: int, fan_out: int) -> tuple[np.ndarray, np.ndarray]:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        kernel = rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)
        return kernel, np.zeros(fan_out, dtype=np.float32)

    def norm() -> tuple[np.ndarray, np.ndarray]:
        return np.ones(d, dtype=np.float32), np.zeros(d, dtype=np.float32)

    def embedding(rows: int) -> np.ndarray:
        return rng.normal(0.0, EMBEDDING_STD, size=(rows, d)).astype(np.float32)

    token_embedding = embedding(params["vocab"])
    position_embedding = embedding(params["seq_len"])
    layers = [
        LayerWeights(
            query=dense(d, d), key=dense(d, d), value=dense(d, d), output=dense(d, d), norm1=norm(),
            ff1=dense(d, f), ff2=dense(f, d), norm2=norm(),
        )
        for _ in range(params["layers"])
    ]  # fmt: skip
    return Weights(token_embedding, position_embedding, layers, dense(d, params["classes"]))


def batch(params: TransformerSizes) -> tuple[np.ndarray, np.ndarray]:
    """One batch of synthetic token ids (uniform over the vocabulary) and integer class labels."""
    rng = np.random.default_rng(params["seed"] + 1)
    b = distinct(params)
    tokens = rng.integers(0, params["vocab"], size=(b, params["seq_len"])).astype(np.int64)
    labels = rng.integers(0, params["classes"], size=b).astype(np.int64)
    tokens, labels = repeat(params, tokens, labels)
    return tokens, labels


LAYER_FIELDS = ("query", "key", "value", "output", "norm1", "ff1", "ff2", "norm2")  # the parity check's order


def flatten(w: Weights) -> list[np.ndarray]:
    """The trainable tensors in the parity check's order: token and position embeddings; per
    layer query, key, value and output (kernel, bias), norm1 (gamma, beta), ff1, ff2, norm2;
    the classifier (kernel, bias)."""
    found = [w.token_embedding, w.position_embedding]
    for layer in w.layers:
        for field in LAYER_FIELDS:
            found += list(getattr(layer, field))
    return [*found, *w.classifier]


def unflatten(flat: list[np.ndarray]) -> Weights:
    tensors = iter(flat)
    token_embedding, position_embedding = next(tensors), next(tensors)
    per_layer = 2 * len(LAYER_FIELDS)
    layers = [
        LayerWeights(**{field: (next(tensors), next(tensors)) for field in LAYER_FIELDS})
        for _ in range((len(flat) - 4) // per_layer)
    ]
    return Weights(token_embedding, position_embedding, layers, (next(tensors), next(tensors)))


def flat_weights(params: TransformerSizes) -> list[np.ndarray]:
    return flatten(weights(params))


def _layer_norm(x: np.ndarray, gamma_beta: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    gamma, beta = gamma_beta
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)  # biased, as both frameworks
    return np.asarray((x - mean) / np.sqrt(variance + LAYER_NORM_EPS) * gamma + beta)


def _linear(x: np.ndarray, kernel_bias: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    kernel, bias = kernel_bias
    return np.asarray(x @ kernel + bias)


def _attention(x: np.ndarray, layer: LayerWeights, heads: int) -> np.ndarray:
    b, s, d = x.shape
    head_dim = d // heads

    def split(h: np.ndarray) -> np.ndarray:  # (b, s, d) -> (b, heads, s, head_dim)
        return h.reshape(b, s, heads, head_dim).transpose(0, 2, 1, 3)

    q, k, v = (split(_linear(x, w)) for w in (layer.query, layer.key, layer.value))
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head_dim)
    scores -= scores.max(axis=-1, keepdims=True)
    probabilities = np.exp(scores)
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    attended = (probabilities @ v).transpose(0, 2, 1, 3).reshape(b, s, d)
    return _linear(attended, layer.output)


def _forward(params: TransformerSizes, tokens: np.ndarray, flat: list[np.ndarray]) -> np.ndarray:
    """The logits in NumPy float64 (no dropout: training and inference compute the same)."""
    w = unflatten([np.asarray(a, dtype=np.float64) for a in flat])
    x = w.token_embedding[tokens] + w.position_embedding[: tokens.shape[1]]
    for layer in w.layers:
        x = _layer_norm(x + _attention(x, layer, params["heads"]), layer.norm1)
        x = _layer_norm(x + _linear(np.maximum(_linear(x, layer.ff1), 0.0), layer.ff2), layer.norm2)
    return _linear(x.mean(axis=1), w.classifier)


def forward_reference(params: TransformerSizes, tokens: np.ndarray) -> np.ndarray:
    return _forward(params, tokens, flat_weights(params))


def loss_reference(params: TransformerSizes, flat: list[np.ndarray], tokens: np.ndarray, labels: np.ndarray) -> float:
    """The training loss (mean softmax cross-entropy) in float64 at the weights ``flat``."""
    return cross_entropy(_forward(params, tokens, flat), labels)


def parity(params: TransformerSizes) -> Parity:
    """The timed batch's logits (inference)."""
    tokens, _ = batch(params)
    return Parity(inputs=(tokens,), expected=forward_reference(params, tokens), rtol=1e-4, atol=1e-4)
