"""Per-framework set-up inside the child: import, thread count, device, version and build.

Each module here exposes ``setup(threads, device) -> dict`` (the software record),
``first_operation(device)`` (a tiny operation, as the workloads compute: import time runs until
its result is read back, so that a backend or library the framework starts on first use counts),
``to_numpy(value) -> numpy.ndarray`` (which also waits for the value to be computed), and
``reset_device_peak(device)`` / ``device_peak_bytes(device)`` (the GPU allocator's peak; None
on the CPU, where the process's peak RSS is read instead).
Only the child process imports these modules, one framework per process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


class Unavailable(Exception):
    """The framework or device cannot run on this machine: the run is recorded as unavailable."""


@dataclass(frozen=True)
class Framework:
    """One registered framework: everything the measurements, the guides and the data files know
    about it by name. Adding a framework is an entry here, an adapter module beside this one
    (``<id>.py``) and its workload files; nothing in the generator or the templates names one."""

    id: str  # the name in results files, run keys and data files: lower case
    label: str  # how pages write it
    distributions: tuple[str, ...]  # the packages that install it (the first one installed gives its version)
    # mode id -> how pages write it, the plain mode first. A workload runs every mode but the
    # optional ones (on the large models, every mode but the small-only ones), or only the
    # default or the plain mode where it says so (``catalog.Workload.mode_choice``)
    modes: dict[str, str]
    colour: str  # its colour in every chart
    default_mode: str  # its default fast path, the one the memory study runs
    devices: tuple[str, ...] = ("cpu", "cuda")
    compared: bool = True  # False: a reference (NumPy), shown beside the others and never in a verdict
    compiled: tuple[str, ...] = ()  # modes that compile before their first step (the page shows what that costs)
    variants: dict[str, str] = field(default_factory=dict)  # a mode that is another with one change -> that mode
    # a mode that only the workloads asking for its kind run -> that kind (a memory layout, a plug-in)
    optional: dict[str, str] = field(default_factory=dict)
    # op-by-op modes too slow for the large models (a step of seconds): measured on the small models only
    small_only: tuple[str, ...] = ()
    # modules it imports unasked where they are installed, kept out of its processes (one framework a process)
    keeps_out: tuple[str, ...] = ()
    # the top-level modules its measurements import: a run of it cannot keep them out
    modules: tuple[str, ...] = ()
    # modes measured on some of its devices only (bf16: on a GPU, where mixed precision is the usual
    # choice; float32 stays the fair default everywhere)
    mode_devices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # modes that compute in a lower precision than the workload's dtype, and the one they compute in
    # (parity allows that precision's tolerances)
    precision: dict[str, str] = field(default_factory=dict)

    def devices_of(self, mode: str) -> tuple[str, ...]:
        """The devices a mode is measured on."""
        return self.mode_devices.get(mode, self.devices)


REGISTRY = {
    f.id: f
    for f in (
        Framework(
            "pytorch", "PyTorch", ("torch",),
            {"eager": "PyTorch eager", "compile": "torch.compile", "channels_last": "PyTorch eager, channels_last",
             "zentorch": "torch.compile (zentorch)", "bf16": "PyTorch eager, bf16 autocast"},
            "#d9480f", "eager", compiled=("compile", "zentorch"), variants={"channels_last": "eager", "bf16": "eager"},
            # channels_last: the CNN's memory layout; zentorch: AMD's ZenDNN plug-in, on the large models' inference;
            # bf16: a lower precision, on the models
            optional={"channels_last": "layout", "zentorch": "plugin", "bf16": "precision"}, modules=("torch",),
            mode_devices={"bf16": ("cuda",)}, precision={"bf16": "bfloat16"},
        ),
        Framework(
            "tensorflow", "TensorFlow", ("tensorflow", "tensorflow-cpu"),
            {"eager": "TF eager", "function": "tf.function", "xla": "tf.function + XLA"},
            "#1971c2", "function", compiled=("xla",), small_only=("eager",),
            # tf.lite's util module runs `from jax import jit` where JAX is installed (+110 MB resident, measured)
            keeps_out=("jax",), modules=("tensorflow", "keras"),
        ),
        Framework(
            "jax", "JAX", ("jax",), {"eager": "JAX op by op (no jit)", "jit": "jax.jit", "bf16": "jax.jit, bf16"},
            "#2f9e44", "jit", compiled=("jit", "bf16"), small_only=("eager",), variants={"bf16": "jit"},
            optional={"bf16": "precision"}, modules=("jax", "jaxlib", "optax"),
            mode_devices={"bf16": ("cuda",)}, precision={"bf16": "bfloat16"},
        ),
        Framework("numpy", "NumPy", ("numpy",), {"default": "NumPy"}, "#868e96", "default", ("cpu",), False,
                  modules=("numpy",)),
    )
}  # fmt: skip

# Why a framework cannot be measured on a machine, where the one who measures there knows:
# "FRAMEWORK=why;FRAMEWORK=why" (the GPU machine's script says its TensorFlow CUDA build cannot be
# installed there). An unavailable run records it after its own error, behind WHY_HERE, and the
# pages and answers quote it from the results.
WHY_ENV = "FG_UNAVAILABLE_WHY"
WHY_HERE = "Why here: "


def notes(value: str) -> dict[str, str]:
    """``FG_UNAVAILABLE_WHY``'s notes by framework id (checked by ``inputs``)."""
    found = {}
    for item in filter(None, (part.strip() for part in value.split(";"))):
        framework, _, why = item.partition("=")
        found[framework.strip()] = why.strip()
    return found


def with_why(framework: str, error: str) -> str:
    """An unavailable run's error, with what ``FG_UNAVAILABLE_WHY`` says of ``framework`` here."""
    why = notes(os.environ.get(WHY_ENV, "")).get(framework)
    return f"{error}\n{WHY_HERE}{why}" if why else error


def why_here(error: str | None) -> str | None:
    """The note an unavailable run recorded about this machine (``with_why``), if any."""
    lines = [line for line in (error or "").splitlines() if line.startswith(WHY_HERE)]
    return lines[-1].removeprefix(WHY_HERE).strip() or None if lines else None


COMPARED = tuple(f.id for f in REGISTRY.values() if f.compared)  # the frameworks verdicts are about
DISTRIBUTIONS = {f.id: f.distributions for f in REGISTRY.values()}
FRAMEWORK_LABELS = {f.id: f.label for f in REGISTRY.values()}
MODE_CHOICES = ("every", "default", "plain")


def modes_for(framework: Framework, choice: str, scale: str, optional: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The modes of ``framework`` a workload runs, plain first: its ``choice`` ("every" mode but the
    optional ones and, on the ``scale`` "large", the small-only ones; the "default" fast path; or
    the "plain" mode), with the optional modes of the kinds in ``optional``."""
    if choice == "default":
        return (framework.default_mode,)
    if choice == "plain":
        return (next(iter(framework.modes)),)
    if choice != "every":
        raise ValueError(f"unknown mode choice {choice!r}; known: {', '.join(MODE_CHOICES)}")
    return tuple(
        mode
        for mode in framework.modes
        if framework.optional.get(mode) in (None, *optional) and not (scale == "large" and mode in framework.small_only)
    )


MODE_LABELS = {(f.id, mode): text for f in REGISTRY.values() for mode, text in f.modes.items()}


def label(framework: str) -> str:
    """How pages write a framework: its registered label, or its id where it is not registered."""
    return FRAMEWORK_LABELS.get(framework, framework)
