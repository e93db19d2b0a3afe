"""The workload registry: one module per workload, one registration line each.

A workload lives in ``measurements/workloads/<package>/``: ``spec.py`` (sizes, seeds, shared
weights, the NumPy reference for the parity check; ``cases(profile, task)``) and one module
per framework (``<framework id>.py``, as the registry in ``measurements.frameworks`` names it) with
``prepare(params, mode, device)``: a framework runs the workloads it has a module for, in the
modes its registry entry gives the workload's ``mode_choice``. Training and inference of one
model are two workloads on one package, so that each runs, and has its peak memory read, in
processes of its own.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, NotRequired, TypedDict, TypeVar

import numpy as np

from measurements import frameworks


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    higher_is_better: bool
    # "rate": each sample times many steps; "latency": each sample is one call, in ms;
    # "curve": one sample per round, the test accuracy after training on real data
    timing: str


METRICS = {
    m.name: m
    for m in (
        Metric("train_throughput", "samples/s", higher_is_better=True, timing="rate"),
        Metric("infer_throughput", "samples/s", higher_is_better=True, timing="rate"),
        Metric("infer_latency", "ms", higher_is_better=False, timing="latency"),
        Metric("matmul_rate", "GFLOP/s", higher_is_better=True, timing="rate"),
        Metric("op_rate", "GFLOP/s", higher_is_better=True, timing="rate"),
        Metric("test_accuracy", "%", higher_is_better=True, timing="curve"),
    )
}


@dataclass(frozen=True)
class Workload:
    name: str
    title: str
    description: str = ""
    package: str = ""  # the folder under workloads/ (default: the name)
    task: str = "train"  # "train", "infer", "op" (one operation) or "accuracy" (training on real data)
    headline: bool = True  # shown in the Home page's verdicts at a glance
    # "small" (models of up to a few million parameters, quick to measure) or "large" (the
    # sizes practitioners train and serve: ResNet-50, BERT-base); claims about large models
    # are judged on the large ones only
    scale: str = "small"
    # which modes of each framework: "every" one (on the large models, but its small-only ones),
    # its "default" fast path or its "plain" mode (see ``frameworks.modes_for``)
    mode_choice: str = "every"
    optional_modes: tuple[str, ...] = ()  # the kinds of optional modes it runs too ("layout", "plugin")

    @property
    def module(self) -> str:
        return f"measurements.workloads.{self.package or self.name}"

    @property
    def modes(self) -> dict[str, tuple[str, ...]]:
        """Framework -> the modes it runs this workload in, plain first: every registered
        framework with a module in this workload's package (found without importing it)."""
        return {
            f.id: frameworks.modes_for(f, self.mode_choice, self.scale, self.optional_modes)
            for f in frameworks.REGISTRY.values()
            if importlib.util.find_spec(f"{self.module}.{f.id}") is not None
        }


class Sizes(TypedDict):
    """A case's parameters (``Case.params``; ``params`` in a results file): the keys that code outside
    the workload's spec reads (the worker, the harness, the pages). Each workload's spec extends it
    with the sizes only it and its framework modules read (``MlpSizes``, ``CnnSizes``, ...)."""

    dtype: str  # of its data and initial weights
    seed: int  # from which its data and initial weights are drawn
    batch_size: NotRequired[int]  # every case's but one matrix multiply's
    # a profile's: the batch holds this many distinct examples, repeated to its size (``repeat``);
    # None or absent: every example is distinct
    distinct: NotRequired[int | None]
    task: NotRequired[str]  # a model's: "train" or "infer"
    epochs: NotRequired[int]  # the accuracy runs': the epochs trained,
    target: NotRequired[float]  # and the test accuracy (%) whose training time is measured


S = TypeVar("S", bound=Sizes)  # a workload's own sizes (``MlpSizes``, ``CnnSizes``, ...)


@dataclass(frozen=True)
class Case(Generic[S]):
    """One measured configuration of a workload (a size, a batch) and what it measures."""

    name: str
    metric: str  # a key of METRICS
    params: S
    work_per_step: float  # units of a rate's numerator done by one step (1 for latency)
    flops_per_step: float  # floating-point operations of one step, for the ceiling share


@dataclass(frozen=True)
class Parity:
    """Inputs to a forward pass and the NumPy float64 reference output they must match.

    For inference and operations, ``inputs`` are the timed step's own inputs and ``expected``
    is what the step returns (in the spec's layout), so that parity checks the timed mode on
    the timed shapes; the accuracy runs check the eager ``forward`` on these inputs."""

    inputs: tuple[np.ndarray, ...]
    expected: np.ndarray
    rtol: float
    atol: float


@dataclass
class Prepared:
    """What a framework module hands the worker for one case."""

    step: Callable[[], Any]  # one timed step; returns a small framework value to wait on
    forward: Callable[..., Any]  # forward pass on NumPy inputs (inference mode), for parity and accuracy
    fit: Callable[[np.ndarray, np.ndarray], Any] | None = None  # one training step on a NumPy batch
    # Parity of the timed path. Inference and operations: the step's output as NumPy -> the
    # spec's layout (default: as it is). Training: after the first step (from the shared
    # initial weights, on the timed batch), its (gradients, weights) as NumPy in the spec's
    # order and layout (``spec.flat_weights``), and the framework's Adam formula (a key of
    # ``workloads.shared.ADAM_FIRST_STEP``) that the weights must follow.
    to_reference: Callable[[np.ndarray], np.ndarray] | None = None
    train_state: Callable[[], tuple[list[np.ndarray], list[np.ndarray]]] | None = None
    optimizer: str = ""


def prepare_op(
    inputs: tuple[np.ndarray, ...],
    to_array: Callable[[np.ndarray], Any],
    op: Callable[..., Any],
    timed: Callable[..., Any] | None = None,
) -> Prepared:
    """An operation's step and forward pass: the step calls ``timed`` (``op`` as the mode runs it, or
    the part of its output that the step returns; ``op`` by default) on ``inputs`` converted once by
    ``to_array`` and passed as arguments, never captured as constants that a compiler could fold; the
    forward pass calls ``op`` on NumPy inputs converted the same way."""
    arrays = [to_array(a) for a in inputs]
    run = op if timed is None else timed
    return Prepared(step=lambda: run(*arrays), forward=lambda *given: op(*(to_array(a) for a in given)))


def distinct(params: Sizes) -> int:
    """How many distinct examples a case's batch holds (the rest repeat them)."""
    return int(params.get("distinct") or params["batch_size"])


def repeat(params: Sizes, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Arrays of ``distinct(params)`` examples, repeated to the batch size. The loss (a mean), its
    gradients and BatchNorm's batch statistics over the repeated batch are those of the distinct
    examples, and so is each example's output: the NumPy float64 reference that checks parity is
    computed on them alone, which at a GPU's batch sizes takes seconds instead of minutes. A GPU's
    time for a step does not depend on the values it computes with."""
    copies = params["batch_size"] // distinct(params)
    return tuple(np.concatenate([a] * copies) for a in arrays)


REGISTRY: dict[str, Workload] = {}


class UnknownName(KeyError):
    pass


def register(workload: Workload) -> Workload:
    if workload.name in REGISTRY:
        raise ValueError(f"workload {workload.name!r} is registered twice")
    REGISTRY[workload.name] = workload
    return workload


def register_model(
    name: str,
    title: str,
    train: str,
    infer: str,
    package: str = "",
    scale: str = "small",
    optional_modes: tuple[str, ...] = (),
    infer_modes: tuple[str, ...] = (),
) -> None:
    """A model's two workloads on one package, each run (and its peak memory read) in processes of
    its own: ``name``, its training step, and ``<name>_infer``, its inference (with the optional
    modes of the kinds in ``infer_modes`` too), described by ``train`` and ``infer``. Both run in a
    lower precision too (bf16, a labelled mode on a GPU only: the registry's ``mode_devices``)."""
    optional_modes = (*optional_modes, "precision")
    register(Workload(name, f"{title}, training step", train, package, scale=scale, optional_modes=optional_modes))
    register(Workload(f"{name}_infer", f"{title}, inference", infer, package or name, task="infer", scale=scale,
                      optional_modes=(*optional_modes, *infer_modes)))  # fmt: skip


def get(name: str) -> Workload:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise UnknownName(f"unknown workload {name!r}; known workloads: {known}") from None


register_model(
    "mlp",
    "MLP classifier (small)",
    train=(
        "A multi-layer perceptron classifier (ReLU hidden layers, softmax cross-entropy, "
        "Adam) trained on one fixed batch of synthetic data: forward, loss, backward and "
        "optimiser update per step, at two batch sizes."
    ),
    infer=(
        "The same MLP predicting: the latency of one sample at a time (each call timed on "
        "its own; median, 90th and 99th percentiles) and the throughput at a large batch. "
        "PyTorch runs under `torch.inference_mode()`, TensorFlow calls the model with "
        "`training=False`, JAX calls its inference function; each calls the model directly."
    ),
)
CNN_TEXT = (
    "a small ResNet-style image classifier: a 3×3 stem convolution, one basic residual block per "
    "stage (the second and third stages halve the image), BatchNorm after every convolution "
    "(epsilon and momentum pinned to the same values), global average pooling and a dense layer"
)
register_model(
    "cnn",
    "ResNet-style CNN (small)",
    optional_modes=("layout",),
    train=(
        f"{CNN_TEXT[0].upper()}{CNN_TEXT[1:]}, trained with Adam on one fixed batch of synthetic "
        "images: forward, loss, backward and optimiser update per step, at two batch sizes. "
        "Each framework uses its default layout (PyTorch NCHW, TensorFlow and JAX NHWC); PyTorch is "
        "also measured in the `channels_last` memory format. The XLA modes (TensorFlow's `jit_compile=True` "
        "and `jax.jit`) do not hand the convolutions to oneDNN, as PyTorch and `tf.function` do: TensorFlow's "
        "XLA runs its own kernels and JAX's hands them to YNNPACK (see ResNet-50's page and the single "
        "convolution's)."
    ),
    infer=(
        "The same CNN predicting (BatchNorm with its running statistics): the latency of one "
        "image at a time and the throughput at a large batch."
    ),
)
register_model(
    "transformer",
    "Transformer text classifier (small)",
    train=(
        "A small Transformer encoder classifier (token and learned position embeddings, post-norm "
        "encoder layers of multi-head self-attention and a ReLU feed-forward block, mean pooling, "
        "softmax cross-entropy, Adam) trained on one fixed batch of synthetic token ids: forward, "
        "loss, backward and optimiser update per step, at two batch sizes. PyTorch uses "
        "`nn.TransformerEncoder`, TensorFlow an encoder block built from Keras layers, JAX plain "
        "functions with `jax.nn.dot_product_attention`."
    ),
    infer=(
        "The same Transformer predicting: the latency of one sequence at a time and the "
        "throughput at a large batch. PyTorch runs under `torch.inference_mode()`, where "
        "`nn.TransformerEncoder` takes its fused fast path; TensorFlow calls the model with "
        "`training=False`; JAX calls its inference function."
    ),
)
# the large models: each framework's usual training path and its compiler (a step takes about
# a second on two cores, so the op-by-op modes, the registry's small_only, and the layout modes are
# left to the small models); their inference also under plug-in backends where they install
RESNET_TEXT = (
    "ResNet-50 (v1.5, 25.6 million parameters, 224×224 RGB images, 1,000 classes): a 7×7 stem "
    "convolution and max pool, 16 bottleneck blocks in four stages, BatchNorm after every convolution "
    "(epsilon and momentum pinned to the same values), global average pooling and a dense layer, built "
    "from each framework's layers"
)
register_model(
    "resnet50",
    "ResNet-50 (large)",
    package="resnet",
    scale="large",
    infer_modes=("plugin",),
    train=(
        f"{RESNET_TEXT}, trained with Adam on one fixed batch of synthetic images: forward, loss, backward "
        "and optimiser update per step. Each framework uses its default layout (PyTorch NCHW, TensorFlow "
        "and JAX NHWC). Modes: PyTorch eager and `torch.compile`; TensorFlow `tf.function` and XLA; JAX "
        "`jax.jit`. Under XLA, "
        "TensorFlow's convolutions do not run in oneDNN: oneDNN's verbose log shows its `brg_conv_fwd` kernel "
        "under `tf.function` and no oneDNN convolution under XLA, which runs its own. JAX's XLA hands its "
        "convolutions to YNNPACK instead (its compiled program, `jax.jit(...).lower(...).compile()`, shows "
        "`__ynn_fusion`, and oneDNN's log stays empty)."
    ),
    infer=(
        "The same ResNet-50 predicting (BatchNorm with its running statistics): the latency of one "
        "image at a time and the throughput at a batch of images. PyTorch is also measured under "
        '`torch.compile(backend="zentorch")`, AMD\'s ZenDNN plugin, where it installs.'
    ),
)
ENCODER_TEXT = (
    "a Transformer encoder of BERT-base's size (12 layers, d_model 768, 12 heads, feed-forward 3,072, "
    "a 30,522-token vocabulary, sequences of 128 tokens; 109 million parameters), built as the small "
    "Transformer is (post-norm layers with a ReLU feed-forward block, mean pooling, a linear classifier)"
)
register_model(
    "encoder",
    "BERT-base-sized encoder (large)",
    scale="large",
    infer_modes=("plugin",),
    train=(
        f"{ENCODER_TEXT[0].upper()}{ENCODER_TEXT[1:]}, trained with Adam on one fixed batch of synthetic "
        "token ids: forward, loss, backward and optimiser update per step. PyTorch uses "
        "`nn.TransformerEncoder`, TensorFlow an encoder block built from Keras layers, JAX plain "
        "functions with `jax.nn.dot_product_attention`. Modes: PyTorch eager and `torch.compile`; "
        "TensorFlow `tf.function` and XLA; JAX `jax.jit`."
    ),
    infer=(
        "The same encoder predicting: the latency of one sequence at a time and the throughput at a "
        "batch of sequences. PyTorch runs under `torch.inference_mode()`, where `nn.TransformerEncoder` "
        "takes its fused fast path; TensorFlow calls the model with `training=False`; JAX calls its "
        "inference function under `jax.jit`. PyTorch is also "
        'measured under `torch.compile(backend="zentorch")`, AMD\'s ZenDNN plugin, where it installs.'
    ),
)
register(
    Workload(
        name="digits",
        title="Accuracy parity on digits",
        mode_choice="default",
        task="accuracy",
        headline=False,
        description=(
            "The MLP and the CNN above, trained from the same initial weights with the same "
            "hyper-parameters (Adam, learning rate 0.001, batch 32) on scikit-learn's digits "
            "(1,797 8×8 images; 80% to train, 20% to test), batches in the same order in every "
            "framework. Test accuracy after each epoch, and the training time until it first "
            "reaches 95% (the first call's tracing included, testing excluded). PyTorch trains "
            "eagerly; TensorFlow under `tf.function`, as `model.fit` would; JAX under `jax.jit`, as "
            "JAX training loops do."
        ),
    )
)
register(
    Workload(
        name="gemm",
        title="Matrix multiply, one operation",
        task="op",
        description=(
            "One single-precision matrix multiply per step, in every mode. At n=64 the rate "
            "mostly measures each framework's per-call overhead, at n=512 mostly its kernel."
        ),
    )
)
register(
    Workload(
        name="conv2d",
        title="2-D convolution, one operation",
        task="op",
        description=(
            "One 3×3 convolution (stride 1, same padding) per step, in every mode, each framework "
            "in its default layout: PyTorch NCHW, TensorFlow and JAX NHWC. Cases read batch × height × "
            "width × input channels → output channels."
        ),
    )
)
register(
    Workload(
        name="matmul",
        title="Matrix-multiply ceiling",
        mode_choice="plain",
        description=(
            "Square single-precision matrix multiplications: the best rate any library "
            "reaches here is the machine's ceiling, against which workloads are shown. Each "
            "framework calls its own matrix-multiply library (PyTorch: MKL or OpenBLAS; "
            "TensorFlow: oneDNN or Eigen; JAX: YNNPACK, through XLA's CPU backend; NumPy: its BLAS), so a "
            "difference here is a difference between those libraries and the code paths they pick for this CPU."
        ),
        task="op",
        headline=False,
    )
)
