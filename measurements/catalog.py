"""The catalog: what the project measures, as data. The metrics, the workloads and the studies,
each with its title, its description and the facts the pages need about it (a workload's task,
scale and modes, a study's group, processes and the cores a verdict on it needs, the distributed
study's layouts of processes and threads).

It is the one place these are declared. The measurement code reads it to know what to run
(``measurements.workloads`` adds the cases, the parity check and the framework modules; each
study module in ``measurements.studies`` takes its ``STUDY`` from here and adds ``run``), and the
generator reads it to title and describe the pages, without importing a workload's spec or a
study's code. It imports nothing but the standard library and the framework registry, and
finds a framework's code by its file, never by importing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from measurements import frameworks
from measurements.frameworks import COMPARED

MEASUREMENTS = Path(__file__).resolve().parent

# ---- metrics and workloads ---------------------------------------------------------------------


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
        framework with a module in this workload's package (found by its file, without importing it)."""
        folder = MEASUREMENTS / "workloads" / (self.package or self.name)
        return {
            f.id: frameworks.modes_for(f, self.mode_choice, self.scale, self.optional_modes)
            for f in frameworks.REGISTRY.values()
            if (folder / f"{f.id}.py").is_file()
        }


WORKLOADS: dict[str, Workload] = {}


class UnknownName(KeyError):
    pass


def register(workload: Workload) -> Workload:
    if workload.name in WORKLOADS:
        raise ValueError(f"workload {workload.name!r} is registered twice")
    WORKLOADS[workload.name] = workload
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


def workload(name: str) -> Workload:
    try:
        return WORKLOADS[name]
    except KeyError:
        known = ", ".join(sorted(WORKLOADS))
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
            "The MLP and the CNN above, trained from the same initial weights with the same hyper-parameters (Adam, "
            "learning rate 0.001, batch 32) on scikit-learn's digits (1,797 8×8 images; 80% to train, 20% to test), "
            "batches in the same order in every framework. Test accuracy after each epoch, and the training time until "
            "it first reaches 95% (the first call's tracing included, testing excluded). PyTorch trains eagerly; "
            "TensorFlow under `tf.function`, as `model.fit` would; JAX under `jax.jit`, as JAX training loops do."
        ),
    )
)
register(
    Workload(
        name="gemm",
        title="Matrix multiply, one operation",
        task="op",
        description=(
            "One single-precision matrix multiply per step, in every mode. At n=64 the rate mostly measures each "
            "framework's per-call overhead, at n=512 mostly its kernel."
        ),
    )
)
register(
    Workload(
        name="conv2d",
        title="2-D convolution, one operation",
        task="op",
        description=(
            "One 3×3 convolution (stride 1, same padding) per step, in every mode, each framework in its default "
            "layout: PyTorch NCHW, TensorFlow and JAX NHWC. Cases read batch × height × width × input channels → "
            "output channels."
        ),
    )
)
register(
    Workload(
        name="matmul",
        title="Matrix-multiply ceiling",
        mode_choice="plain",
        description=(
            "Square single-precision matrix multiplications: the best rate any library reaches here is the machine's "
            "ceiling, against which workloads are shown. Each framework calls its own matrix-multiply library "
            "(PyTorch: MKL or OpenBLAS; TensorFlow: oneDNN or Eigen; JAX: YNNPACK, through XLA's CPU backend; NumPy: "
            "its BLAS), so a difference here is a difference between those libraries and the code paths they pick for "
            "this CPU."
        ),
        task="op",
        headline=False,
    )
)


# ---- studies -----------------------------------------------------------------------------------

GROUPS = ("performance", "usability", "ecosystem")


@dataclass(frozen=True)
class Study:
    """A study: what the Usability and Ecosystem guides (and some of the Performance guide) show
    beyond speed. Its code is the module ``measurements.studies.<name>``."""

    name: str
    group: str  # which guide shows it: "performance", "usability" or "ecosystem"
    title: str
    description: str  # one paragraph for the page: what is tried and how it is judged
    timeout_s: float = 600
    quick: bool = True  # also measured by the quick profile (False for studies of minutes)
    # the files a framework needs for this study: glob patterns under measurements/ with
    # {framework} in them (e.g. "studies/export/{framework}.py"), each matching at least one file
    code: tuple[str, ...] = ()
    # default: the registry's compared frameworks that have the study's ``code``, in the registry's order
    frameworks: tuple[str, ...] = ()
    # fresh processes per framework: a study whose readings are compared across frameworks runs in
    # several, interleaved across frameworks, so each comparison has an interval over processes
    processes: int = 1
    # the cores a machine needs for a verdict on the study (None: any machine); the pages read it here
    cores_needed: int | None = None

    def __post_init__(self) -> None:
        if not self.frameworks:
            having = [fw for fw in COMPARED if all(any(MEASUREMENTS.glob(p.format(framework=fw))) for p in self.code)]
            object.__setattr__(self, "frameworks", tuple(having))


def workload_code(*packages: str) -> tuple[str, ...]:
    """``Study.code`` for a study that runs or reads a framework's module in each of these workload packages."""
    return tuple(f"workloads/{package}/{{framework}}.py" for package in packages)


STUDIES: dict[str, Study] = {
    study.name: study
    for study in (
        Study(
            name="codesize",
            group="usability",
            title="Code size",
            description=(
                "The lines of code and tokens of each workload's implementation in this project, the same job written "
                "idiomatically in each framework, counted with Python's tokenizer (comments, docstrings and blank "
                "lines left out). The shared training step counts for every workload that uses it. JAX's workloads are "
                "plain JAX with Optax's Adam (no neural-network library), the same models as the others' built-in "
                "layers give."
            ),
            timeout_s=120,
            # every workload, to compare (the inference workloads reuse these modules)
            code=workload_code("mlp", "cnn", "transformer", "gemm", "conv2d", "matmul"),
        ),
        Study(
            name="debugging",
            group="usability",
            title="Debugging",
            description=(
                "Each debugging aid tried in a fresh process in every framework: print() inside a compiled function, a "
                "pdb breakpoint inside the model's forward pass (eager and compiled), anomaly detection on an op that "
                "makes a NaN, and the switch that runs compiled code eagerly. Each finding says whether it worked and "
                "what happened."
            ),
            timeout_s=900,
            quick=False,
            code=("studies/debugging/{framework}.py",),
        ),
        Study(
            name="distributed",
            group="performance",
            title="Data-parallel training on one machine",
            description=(
                "The MLP (784-512-512-10, Adam, cross-entropy, synthetic data, the same initial weights in every "
                "framework) trained with a global batch of 256 in three configurations, each launched fresh: one "
                "process with 2 threads, one process with 1 thread, and two data-parallel processes with 1 thread and "
                "128 examples each (PyTorch: DistributedDataParallel over gloo, started by torchrun --standalone; "
                "TensorFlow: MultiWorkerMirroredStrategy, two workers on 127.0.0.1, the step in strategy.run inside a "
                "tf.function; JAX: jax.distributed with its coordinator on 127.0.0.1 and gloo collectives, the MLP's "
                "jitted Optax step run over a global batch sharded across one CPU device per process, weights "
                "replicated, so XLA all-reduces the gradients). JAX has no thread-count setting, so each JAX process "
                "is pinned to as many CPUs as it has threads, the two workers to different CPUs. Each process trains "
                "on its half of one fixed synthetic batch, with no input pipeline in any framework. Set-up is the time "
                "from launch to the first finished step (start-up, rendezvous, first step). Each sample times enough "
                "steps to last 0.2 s, after a warm-up of 0.3 s, on rank 0 with both ranks in step. Parity: after 5 "
                "steps from the same weights on the same data, rank 0's weights must match the single process's within "
                "1e-4. Scaling efficiency is the median two-process throughput over the median of one process with 2 "
                "threads (above 1: two processes beat the best single process on the same cores), and over twice the "
                "median of one process with 1 thread (1: perfect linear scaling from one core to two). A run that "
                "hangs is killed and recorded as a timeout. The study is launched five times per framework, each a "
                "fresh set of processes, to count failures and see each launch's throughput. A comparison of "
                "distributed training needs a machine where each worker has cores of its own beside the best single "
                "process's: at least 4 cores (two workers of 2 threads, the single process's count); on fewer, two "
                "workers only split the single process's cores, and the claim reads not testable. On a machine of 16 "
                "cores or more (FG_DISTRIBUTED_LAYOUT=16-cores, as on the GPU machine), four data-parallel processes "
                "of 4 threads are measured against one process of 16 threads instead, with a global batch of 1,024 "
                "(256 examples a worker) and five samples a launch."
            ),
            timeout_s=1500,
            quick=False,
            processes=5,
            # the cores a verdict on distributed training needs: two workers, each with as many cores as the
            # best single process uses (2 threads); below it, the workers share the single process's cores
            cores_needed=4,
            code=("studies/distributed/{framework}.py",),
        ),
        Study(
            name="errors",
            group="usability",
            title="Error messages",
            description=(
                "Common mistakes, each written idiomatically in every framework and run in its own process: the "
                "exception raised (or none: a silent mistake, with what the script observed instead), its message, "
                "whether the traceback ends in the user's own file, and whether the message names the offending shapes "
                "or dtypes."
            ),
            timeout_s=900,
            quick=False,
            code=("studies/mistakes/*.{framework}.py",),
        ),
        Study(
            name="export",
            group="ecosystem",
            title="Export and deployment",
            description=(
                "Each framework's ways out of Python, tried on this project's MLP and CNN (the standard sizes, batch "
                "1): TensorFlow SavedModel, TensorFlow Lite (converted from the Keras model, run in LiteRT where it is "
                "installed) and ONNX via tf2onnx; PyTorch's ONNX export (its default exporter), torch.export and "
                "AOTInductor; JAX's jax.export (the jitted model serialized as StableHLO, deserialized and called from "
                "JAX in the serving process), and jax2tf (the JAX function wrapped as a TensorFlow function, saved as "
                "a SavedModel and loaded by TensorFlow without JAX), from which TensorFlow Lite and ONNX (tf2onnx) "
                "conversions are tried (JAX has no ONNX exporter of its own); ONNX models run in ONNX Runtime. Each "
                "artifact is made in one fresh process and loaded in another, its outputs compared with the workload's "
                "NumPy float64 reference at the workload's tolerances (row by row, at batch 1), then timed: the median "
                "of 100 single-sample calls after warm-up, with the same thread count everywhere. A path that fails "
                "says at which stage (install, convert, load, run, parity) and with which error."
            ),
            timeout_s=3600,
            quick=False,
            code=("studies/export/{framework}.py",),
        ),
        Study(
            name="install",
            group="ecosystem",
            title="Install footprint",
            description=(
                "Each framework's pinned release installed with `pip install --no-compile` into a fresh virtual "
                "environment (pip's cache and this machine's local wheels allowed, so the time is mostly unpacking, "
                "not downloading): the install time, the bytes it adds to site-packages beyond an empty environment, "
                "the distributions it pulls in, and the time of `import` in a new process, first right after the "
                "install (cold: no bytecode yet, because of --no-compile, so this import compiles and writes it) and "
                "then the median of five later imports (warm). What is installed is what a user installs to train as "
                "this project does: PyTorch and TensorFlow bring their optimizers; JAX has none of its own, so JAX's "
                "install is jax and jaxlib with Optax (the Adam its workloads train with), each at the release pinned "
                "here; its import is `import jax`, as the others' is of the framework alone."
            ),
            timeout_s=2400,
            quick=False,
        ),
        Study(
            name="libraries",
            group="performance",
            title="Math libraries and the CPU's peak",
            description=(
                "Which library and kernel each framework's matrix multiply and convolution ran on this CPU: a fresh "
                "process per framework runs one 1024×1024 float32 matrix multiply and one 3×3 convolution with "
                "oneDNN's verbose log on, which names the implementation each oneDNN primitive ran; the build's own "
                "report says which BLAS it links (PyTorch: torch.__config__.show()); threadpoolctl lists the BLAS and "
                "OpenMP libraries loaded in the process. The CPU's peak single-precision rate is its cores × FMA units "
                "× vector lanes × 2 × the clock the kernel reports (/proc/cpuinfo), which can be below the boost clock "
                "the cores reach under load. JAX: the same two operations under jax.jit; XLA compiles them itself, and "
                "what it compiled them into (its optimized HLO: library calls, custom fusions and operations) is "
                "recorded beside oneDNN's log; the library named is the one a custom call or fusion there hands the "
                "work to (XLA:CPU's own Eigen where none)."
            ),
            timeout_s=300,
            code=("studies/libraries/{framework}.py",),
        ),
        Study(
            name="memory",
            group="performance",
            title="Memory at scale",
            description=(
                "The MLP (784-w-w-10, Adam) trained and run for inference in each framework's default fast path "
                "(PyTorch eager, TensorFlow tf.function, JAX jax.jit with Optax's Adam) at widths from 256 to 8,192 "
                "(0.5 to 295 MB of float32 parameters) at batch 256, and at batches from 32 to 8,192 at width 2,048. "
                "Each size runs in a fresh process: import, build the model from the shared NumPy weights, five steps, "
                "then the process's peak resident memory (VmHWM). The figure compared is that whole peak, the "
                "framework's own runtime included, because a user's machine pays for the whole process; beside it are "
                "the memory right after import and the rest (the model, its data and the framework's working memory). "
                "The peak includes building the model: NumPy's copy of the initial weights (the same in all) and "
                "whatever each framework allocates while its layers are built and the weights loaded into them. "
                "Inference is also run from a saved model, at the same widths, at batch 256 and at batch 1: one "
                "process builds the model the same way and saves it (TensorFlow: tf.saved_model.save of a tf.Module "
                "with a tf.function signature, loaded with tf.saved_model.load and called through its serving_default "
                "signature; PyTorch: torch.export.export and torch.export.save to a .pt2, loaded with "
                "torch.export.load(...).module(); JAX: jax.export.export of the jitted inference with the weights "
                "closed over as constants, serialized to bytes, loaded with jax.export.deserialize and called with "
                ".call), and a second, fresh process imports the framework, loads the model, runs the same five steps "
                "and reads the same peak: there, the figure includes loading the artifact instead of building the "
                "model, and no NumPy copy of the weights. Saving is not measured. After the five steps, both kinds of "
                "inference time 30 calls one by one on the same batch (each output copied to a NumPy array): the "
                "latency is their median, with a 95% interval; the saved model's outputs are compared with the "
                "in-process model's."
            ),
            timeout_s=1800,
            quick=False,
            processes=3,
            code=("studies/memory/{framework}.py", "studies/export/{framework}.py"),
        ),
        Study(
            name="noise",
            group="usability",
            title="Warnings and log noise",
            description=(
                "Every workload of the Performance guide (training and inference, every mode) run once more at tiny "
                "sizes in a fresh process, with Python's warnings shown once per place (deprecations included) and "
                "each framework's logging at its defaults. What reaches stderr is sorted into Python warnings and "
                "framework log lines; a line repeated in one workflow counts once. JAX runs its two modes, op by op "
                "and jax.jit; its Python warnings and absl log lines are sorted as the others' are."
            ),
            timeout_s=1800,
            quick=False,
            code=workload_code("mlp", "cnn", "transformer"),  # the packages of the workloads it runs
        ),
        Study(
            name="pipeline",
            group="performance",
            title="Data pipelines",
            description=(
                "A seeded synthetic image data set (RGB 64×64 JPEG images at quality 90, smooth low-frequency colour "
                "fields with a few shapes and a little noise, about 2 KB each, 10 classes) written with NumPy and "
                "Pillow as one file per image in a folder per class; a SHA-256 over every label and image's bytes "
                "shows every framework reads the same content. Each pipeline reads, decodes, crops a random 56×56 "
                "window, flips at random, normalises per channel to float32, shuffles every epoch and batches by 128; "
                "the consumer does nothing with the batches. PyTorch: a Dataset over the file list (Pillow decodes, "
                "torch ops augment) in a DataLoader with 0, 1 or 2 worker processes (persistent, no pinned memory). "
                "TensorFlow: the same JPEG bytes are first converted into TFRecord shards of about 1,000 images (timed "
                "apart, as preparation), then list_files (shuffled) → interleave(TFRecordDataset) → parse and "
                "decode_jpeg → cache in memory or not → shuffle (a buffer of up to 10,000 images) → augment → batch → "
                "prefetch, every parallel step AUTOTUNE. JAX: Grain (grain's Dataset API), MapDataset.source over the "
                "same file list → shuffle → random_map (Pillow decodes, NumPy crops, flips and normalises, channels "
                "last as JAX models take them) → batch → repeat over the epochs (each epoch shuffled and augmented "
                "afresh, and no batch spans two epochs) → to_iter_dataset, with 0, 1 or 2 worker processes "
                "(mp_prefetch, one pipeline for all the epochs, so the workers start once); its reading threads "
                "(ReadOptions.num_threads) are set to the machine's CPUs, in the process and in each worker, and the "
                "batches stay NumPy arrays. Each configuration and size runs in a fresh process, the framework set to "
                "as many threads as the machine has CPUs, as everywhere on this site (DataLoader workers run 1 thread "
                "each, PyTorch's default). A first epoch (it starts the workers and fills TensorFlow's cache) is "
                "followed by 10 steady epochs up to 2,000 images and 5 above, each one reading of samples/s (the "
                "standard profile measures the largest size alone, with one steady epoch, and TensorFlow without its "
                "cache, what the verdicts compare; the full profile every size and configuration); each "
                "process's steady figure is their median, and the page's interval is over the study's processes. The "
                "readings are whole epochs because TensorFlow's shuffle buffer fills again at the start of every "
                "epoch: with a buffer as large as the data set, all of an epoch's decoding happens before its first "
                "batch, which chunks of batches inside the epoch would miss. CPU time is that of the process and its "
                "worker processes over the steady epochs; memory is the peak proportional set size (PSS, so pages the "
                "workers share with their parent count once) of the process and everything it started, polled from "
                "outside every 0.2 s. The files sit in the operating system's file cache (they were just written), so "
                "this measures the pipelines, not the disk. The first images decoded by each pipeline are compared "
                "with Pillow's decoding of the same bytes."
            ),
            timeout_s=1500,
            quick=False,
            processes=3,
            code=("studies/pipeline/{framework}.py",),
        ),
        Study(
            name="pipeline_limit",
            group="performance",
            title="Data pipelines under a memory limit",
            description=(
                "The data-pipeline study's images and configurations at one size whose decoded images are larger than "
                "the memory the pipeline may use: 100,000 JPEG images (1.23 GB decoded) under a limit of 1 GiB on the "
                "whole process tree, set by the kernel (a memory cgroup of its own, holding the process, its "
                "DataLoader workers and the page cache they fill; the kernel reclaims that cache before it kills, and "
                "its out-of-memory killer ends a tree that needs more). Each configuration is launched three times, "
                "each a fresh process, the configurations interleaved; each launch runs two epochs, the first (it "
                "starts the workers and fills tf.data's cache) and a steady one, or ends out of memory. TensorFlow's "
                "conversion to TFRecord runs under the same limit. Recorded per launch: completed or out of memory, "
                "the time of each epoch, and the peak memory the kernel charged to the tree. The kernel charges a tree "
                "for the memory it allocates and the file pages it reads first; shared libraries already in the file "
                "cache stay charged to whoever read them first, so a framework's import counts for less than its "
                "resident size."
            ),
            timeout_s=5400,
            quick=False,
            # JAX's Grain pipelines are not measured under the limit (yet): the study has run these two since before JAX
            frameworks=("pytorch", "tensorflow"),
        ),
        Study(
            name="serving",
            group="performance",
            title="Serving from a saved model",
            description=(
                "The project's CNN (standard size, 32×32 images) saved through each deploy path a server can load, "
                "with the export study's converters and loaders: PyTorch as an AOTInductor package, as ONNX run by "
                "ONNX Runtime, and through torch.export (ExportedProgram.module()); TensorFlow as a SavedModel, as a "
                "SavedModel whose serving function is compiled by XLA (jit_compile=True), and as ONNX (tf2onnx) run by "
                "ONNX Runtime; JAX through jax.export (the jitted model serialized as StableHLO, deserialized in the "
                "serving process and called under jax.jit) and through jax2tf as a SavedModel that TensorFlow serves "
                "without JAX (JAX has no ONNX exporter of its own; the export study tries jax2tf's SavedModel through "
                "tf2onnx). Each path is saved at batch 1 and at a server batch of 64, then a fresh process loads both, "
                "checks the batch-1 outputs against the NumPy float64 reference and measures: the latency of one "
                "request at a time (200 calls after 20 of warm-up: median and 99th percentile), the throughput at "
                "batch 64, and the throughput and latency with 1, 4 and 16 clients sending batch-1 requests to the "
                "one loaded model for 2 s each. One client sends from the serving process's own thread, the one that "
                "loaded the model and timed its latency, so that its requests/s agrees with that latency (a figure "
                "measured before, from a client thread, says so beside it); 4 and 16 clients each send from a thread "
                "of their own, as a thread-pool server's workers do. Every runtime uses as many threads as the machine "
                "has CPUs, as it does by default, also in the client threads: PyTorch called from a thread other than "
                "the main one pays for its 2-thread OpenMP team on every call, on both its paths that it runs itself "
                "(AOTInductor and torch.export; measured here on torch.export: 1.0 ms a call on the main thread, "
                "3.0 ms from a client thread, 1.06 ms from a client thread set to 1 intra-op thread), so its 4- and "
                "16-client figures are what a thread-pool server gets without that setting. Each framework's fastest "
                "path is compared with the fastest of the others. The standard profile measures the paths on each "
                "framework's own runtime alone, the ones compared; the full profile the shared runtimes too (ONNX "
                "Runtime, and TensorFlow serving JAX's jax2tf model)."
            ),
            timeout_s=3600,
            quick=False,
            processes=3,
            code=("studies/export/{framework}.py",),  # its converters and loaders are the export study's
        ),
    )
}


# ---- the distributed study's layouts -----------------------------------------------------------
# which configurations a run of the distributed study launches, at which sizes: the study runs them
# (``FG_DISTRIBUTED_LAYOUT`` picks one), and the pages name them (``results.scaling_efficiency``)


@dataclass(frozen=True)
class Configuration:
    id: str
    title: str
    processes: int
    threads_per_process: int


CONFIGURATIONS = (
    Configuration("single-2-threads", "One process, 2 threads", 1, 2),
    Configuration("single-1-thread", "One process, 1 thread", 1, 1),
    Configuration("two-processes", "Two data-parallel processes, 1 thread each", 2, 1),
)


@dataclass(frozen=True)
class Settings:
    """Sizes and times of one study run (the tests shrink them)."""

    layers: tuple[int, ...] = (784, 512, 512, 10)
    global_batch: int = 256
    samples: int = 10
    sample_s: float = 0.2
    warmup_s: float = 0.3
    parity_steps: int = 5
    timeout_s: float = 240  # per configuration: past it, the whole process tree is killed


@dataclass(frozen=True)
class Layout:
    """Which configurations a run of the study launches, at which sizes. ``FG_DISTRIBUTED_LAYOUT``
    picks one by name; the default is the first."""

    configurations: tuple[Configuration, ...]
    settings: Settings
    # how the scaling sentence names them: (the data-parallel run, the best single process, one worker)
    efficiency: tuple[str, str, str | None]


SIXTEEN_CORES = (
    Configuration("single-16-threads", "One process, 16 threads", 1, 16),
    Configuration("four-processes", "Four data-parallel processes, 4 threads each", 4, 4),
)
LAYOUTS = {
    # two cores: two workers of 1 thread against the best single process (2 threads) and one of 1 thread
    "2-cores": Layout(CONFIGURATIONS, Settings(), ("two-processes", "single-2-threads", "single-1-thread")),
    # sixteen cores (the GPU machine's CPUs): four workers of 4 threads against one process of 16, each
    # worker with as many examples (256) as the 2-core layout's single process; five samples a launch
    "16-cores": Layout(
        SIXTEEN_CORES, Settings(global_batch=1024, samples=5), ("four-processes", "single-16-threads", None)
    ),
}
