"""Export and deployment: can each framework's MLP and CNN leave Python, and do they still compute the same?

For each export path (TensorFlow: SavedModel, TensorFlow Lite, ONNX via tf2onnx; PyTorch: ONNX via
``torch.onnx.export``, ``torch.export``, AOTInductor; JAX: ``jax.export``, and jax2tf's SavedModel
with TensorFlow Lite and ONNX from it) and each model, the model is built from the workloads' shared
NumPy weights by the workload's own code (``build_model``; for JAX, the inference function of the
workload's ``prepare``), converted in one fresh process, then loaded and run in another that imports
only what serving needs (ONNX Runtime or LiteRT alone where the path allows). Parity is checked
against the workload's NumPy float64 reference with its tolerances; latency is the median of timed
batch-1 calls after warm-up.

A path that fails is a finding with the stage where it failed and the real error text. This module
is also the entry point of those processes: ``python -m measurements.studies.export convert|serve``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import os
import signal
import statistics
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, cast, overload

import numpy as np

from measurements import environment
from measurements.catalog import STUDIES
from measurements.findings import ExportFinding, ExportNotes, OutputParity, Served, StepReport
from measurements.frameworks import DISTRIBUTIONS, Unavailable, label
from measurements.launch import child_env, report
from measurements.launch import launch as run_child
from measurements.profiles import PROFILES
from measurements.workloads import Parity

if TYPE_CHECKING:
    from measurements.workloads.cnn.spec import CnnSizes
    from measurements.workloads.mlp.spec import MlpSizes

    ModelSizes = MlpSizes | CnnSizes  # the sizes of a model the study exports (``MODELS``)

STUDY = STUDIES["export"]

MODELS = ("mlp", "cnn")
STAGES = ("install", "convert", "load", "run", "parity")
ERROR_CHARS = 2000
WARMUP_CALLS = 10
LATENCY_CALLS = 100
CONVERT_TIMEOUT_S = 900  # AOTInductor compiles C++ with the system compiler: minutes on 2 cores
SERVE_TIMEOUT_S = 300

# Tools that could not be installed beside the pinned frameworks: distribution -> what pip said
# (the date and the command it was tried with, then the resolver's message). None so far: every
# tool of the `export` dependency group installs beside torch==2.13.0 and tensorflow-cpu==2.21.0.
INSTALL_FAILURES: dict[str, str] = {}


@dataclass(frozen=True)
class ExportPath:
    key: str  # the finding id's prefix, shared by the frameworks' ONNX paths so the guide can line them up
    framework: str
    title: str
    tools: tuple[str, ...]  # distributions whose versions are recorded
    required: tuple[tuple[str, str], ...] = ()  # (module, distribution) that must be importable


def steps(framework: str) -> ModuleType:
    """A framework's part of the study (``export/<framework>.py``): its ``PATHS``, ``build(model, params)``,
    ``CONVERTERS`` and ``LOADERS`` by path key, whether its images are ``CHANNELS_FIRST``, and optionally
    ``before_timing(key)`` (imports that are not conversion time) and ``untimed_notes(key, built, params,
    model)`` (what is tried beside a path once its conversion is timed)."""
    return importlib.import_module(f"{__name__}.{framework}")


def paths_of(framework: str) -> list[ExportPath]:
    return list(steps(framework).PATHS)


def get_path(framework: str, key: str) -> ExportPath:
    for path in paths_of(framework):
        if path.key == key:
            return path
    known = ", ".join(p.key for p in paths_of(framework))
    raise ValueError(f"no export path {key!r} for {framework}; known: {known}")


# ---- small helpers, free of any framework --------------------------------------------------------


def trim(text: str, limit: int = ERROR_CHARS) -> str:
    """``text`` cut to ``limit`` characters, keeping its start and its end (where a traceback's message is)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    marker = "\n[...]\n"
    head = (limit - len(marker)) // 2
    return text[:head] + marker + text[len(text) - (limit - len(marker) - head) :]


def tree_bytes(path: Path) -> int:
    """Bytes of the regular files at ``path`` (one file, or a folder and everything under it); links not followed."""
    if path.is_symlink() or not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            item = Path(folder) / name
            if not item.is_symlink() and item.is_file():
                total += item.stat().st_size
    return total


def compare(got: np.ndarray, reference: Parity) -> OutputParity:
    """Parity of an artifact's outputs with the NumPy float64 reference, as the timing runs check it."""
    got = np.asarray(got, dtype=np.float64)
    if got.shape != reference.expected.shape:
        return {"max_abs_diff": None, "parity_passed": False,
                "parity_error": f"output shape {got.shape}, expected {reference.expected.shape}"}  # fmt: skip
    diff = float(np.max(np.abs(got - reference.expected)))
    passed = bool(np.allclose(got, reference.expected, rtol=reference.rtol, atol=reference.atol))
    return {"max_abs_diff": diff if math.isfinite(diff) else None, "parity_passed": passed}


def time_calls(call: Callable[[], object], warmup: int = WARMUP_CALLS, calls: int = LATENCY_CALLS) -> list[float]:
    """Milliseconds of each of ``calls`` calls, timed one by one after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1e3)
    return samples


def distribution_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def framework_distribution(framework: str) -> str:
    """The installed distribution of a framework (``tensorflow`` or ``tensorflow-cpu``), else the first listed."""
    names = DISTRIBUTIONS[framework]
    return next((n for n in names if distribution_version(n) is not None), names[0])


def tool_versions(path: ExportPath) -> dict[str, str | None]:
    """Versions of the path's framework and tools; a tool that is a framework (TensorFlow beside JAX) is
    recorded under its installed distribution."""
    tools = (framework_distribution(t) if t in DISTRIBUTIONS else t for t in path.tools)
    names = (framework_distribution(path.framework), *tools)
    return {name: distribution_version(name) for name in names}


def missing_tool(path: ExportPath) -> str | None:
    """Why a tool the path needs cannot be used here (not installed, or not installable), or None."""
    for module, distribution in path.required:
        if importlib.util.find_spec(module) is None:
            if distribution in DISTRIBUTIONS:  # another framework the path goes through (jax2tf: TensorFlow)
                return f"{label(distribution)} is not installed in this environment (the path needs it beside " \
                       f"{label(path.framework)})"  # fmt: skip
            return INSTALL_FAILURES.get(distribution) or (
                f"{distribution} is not installed in this environment (the `export` dependency group installs it)"
            )
    return None


def finding(path: ExportPath, model: str) -> ExportFinding:
    """A finding with nothing measured yet."""
    return {
        "id": f"{path.key}-{model}", "path": path.title, "model": model, "success": False, "stage": None,
        "error": None, "convert_s": None, "artifact_bytes": None, "max_abs_diff": None, "parity_passed": None,
        "latency_ms": None, "latency_samples": [], "runtime": None, "tool_versions": tool_versions(path),
        "notes": {}, "warnings": [],
    }  # fmt: skip


def failed(found: ExportFinding, stage: str, error: str) -> ExportFinding:
    """``found`` marked as failed at ``stage`` with the error text (trimmed)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    return {**found, "success": False, "stage": stage, "error": trim(error)}


def conclude(found: ExportFinding, served: Served, rtol: float, atol: float) -> ExportFinding:
    """The finding once its artifact ran: a success only with parity."""
    found = {**found, **served}
    if found["parity_passed"]:
        return {**found, "success": True, "stage": None, "error": None}
    error = found.pop("parity_error", None) or (
        f"max |difference| {found['max_abs_diff']} from the NumPy float64 reference exceeds the tolerance "
        f"(rtol {rtol}, atol {atol})"
    )
    return failed(found, "parity", error)


# ---- the study: one convert and one serve process per (path, model) -------------------------------


@overload
def case_params(model: Literal["mlp"]) -> MlpSizes: ...
@overload
def case_params(model: Literal["cnn"]) -> CnnSizes: ...
@overload
def case_params(model: str) -> ModelSizes: ...
def case_params(model: str) -> ModelSizes:
    """The parameters of the workload's standard-size inference latency case (batch 1)."""
    spec = importlib.import_module(f"measurements.workloads.{model}.spec")
    case = next(c for c in spec.cases(PROFILES["standard"], "infer") if c.metric == "infer_latency")
    params: ModelSizes = case.params
    return params


def launch(step: str, path: ExportPath, model: str, directory: Path, timeout_s: float) -> StepReport:
    """Run one step (convert or serve) in a fresh process; what it reported, or why it reported nothing
    (at the stage it last reported it was in)."""
    command = [
        sys.executable, "-m", __name__, step, "--framework", path.framework, "--path", path.key, "--model", model,
        "--dir", str(directory),
    ]  # fmt: skip
    # a cold compiler cache of its own, so that AOTInductor's time is a first compile's
    env = child_env({"TORCHINDUCTOR_CACHE_DIR": str(directory / "inductor-cache")})
    done = run_child(command, env=env, cwd=directory, timeout_s=timeout_s)
    reported = cast(StepReport, done.report or {})  # what ``main`` reported, as JSON
    if reported and not reported.get("in_progress"):
        return reported
    stage = reported.get("stage") or ("convert" if step == "convert" else "load")
    if done.killed_for == "timeout":
        why = f"no result after {timeout_s:.0f} s; killed"
    elif done.returncode is not None and done.returncode < 0:
        why = f"killed by {signal.Signals(-done.returncode).name}"
    else:
        why = f"exited with code {done.returncode} without a result"
    return {"ok": False, "stage": stage, "error": f"the {step} process {why} during {stage}.\n{done.tail}"}


def study_one(path: ExportPath, model: str, directory: Path) -> ExportFinding:
    found = finding(path, model)
    problem = missing_tool(path)
    if problem:
        return failed(found, "install", problem)
    reference = importlib.import_module(f"measurements.workloads.{model}.spec").parity(case_params(model))
    converted = launch("convert", path, model, directory, CONVERT_TIMEOUT_S)
    found["warnings"] = converted.get("warnings", [])
    found["notes"] = converted.get("notes", {})
    found["convert_s"] = converted.get("convert_s")
    found["artifact_bytes"] = converted.get("artifact_bytes")
    if not converted["ok"]:
        return failed(found, str(converted["stage"]), str(converted["error"]))
    served = launch("serve", path, model, directory, SERVE_TIMEOUT_S)
    found["warnings"] += served.get("warnings", [])
    found["notes"].update(served.get("notes", {}))
    found["runtime"] = served.get("runtime")
    if not served["ok"]:
        return failed(found, str(served["stage"]), str(served["error"]))
    keys = ("max_abs_diff", "parity_passed", "parity_error", "latency_ms", "latency_samples", "load_s", "first_call_ms")
    measured = cast(Served, {k: served.get(k) for k in keys if k in served})  # in this order, as the file has them
    return conclude(found, measured, reference.rtol, reference.atol)


def run(framework: str) -> list[ExportFinding]:
    if environment.installed_version(framework) is None:
        raise Unavailable(f"{framework} is not installed")
    findings = []
    for path in paths_of(framework):
        for model in MODELS:
            with tempfile.TemporaryDirectory(prefix=f"fg-export-{path.key}-{model}-") as tmp:
                found = study_one(path, model, Path(tmp))
            print(f"{found['id']}: {'ok' if found['success'] else 'failed at ' + str(found['stage'])}", flush=True)
            findings.append(found)
    return findings


# ---- inside the convert and serve processes -------------------------------------------------------

_stage = {"now": "convert"}


def enter(stage: str) -> None:
    """Note the stage this process is in, so that a crash or a hang is reported at the right one: a
    report marked ``in_progress``, which the last one replaces."""
    _stage["now"] = stage
    report({"ok": False, "stage": stage, "error": None, "in_progress": True})


def workload_module(framework: str, model: str) -> ModuleType:
    return importlib.import_module(f"measurements.workloads.{model}.{framework}")


def input_shape(framework: str, params: ModelSizes) -> tuple[int, ...]:
    """The input of a model at the params' batch (this study's: 1) in the framework's layout (PyTorch's CNN:
    NCHW; otherwise NHWC). The memory study saves models at other batches with the same helpers."""
    n = params.get("batch_size", 1)
    if "layers" in params:  # an MLP's (a CNN's sizes could hold the key too, as far as a type checker knows)
        return (n, cast("MlpSizes", params)["layers"][0])
    side, channels = params["side"], params["channels"]
    return (n, channels, side, side) if steps(framework).CHANNELS_FIRST else (n, side, side, channels)


def layout(framework: str, x: np.ndarray) -> np.ndarray:
    """NumPy inputs (NHWC images) in the framework's layout."""
    if steps(framework).CHANNELS_FIRST and x.ndim == 4:
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    return np.ascontiguousarray(x)


def onnx_opset(path: Path) -> int | None:
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return next((int(o.version) for o in proto.opset_import if o.domain in {"", "ai.onnx"}), None)


def convert(framework: str, key: str, model: str, directory: Path) -> StepReport:
    """Build the workload's model in inference mode and write the artifact to ``directory/artifact``."""
    fw = importlib.import_module(f"measurements.frameworks.{framework}")
    fw.setup(environment.available_cpus(), "cpu")
    params = case_params(model)
    own = steps(framework)
    built = own.build(model, params)
    if hasattr(own, "before_timing"):
        own.before_timing(key)
    artifact = directory / "artifact"
    start = time.perf_counter()
    notes: ExportNotes = own.CONVERTERS[key](built, params, artifact)
    convert_s = time.perf_counter() - start
    if hasattr(own, "untimed_notes"):
        notes |= own.untimed_notes(key, built, params, model)
    return {"convert_s": convert_s, "artifact_bytes": tree_bytes(artifact), "notes": notes}


@dataclass
class Loaded:
    runtime: str
    predict: Callable[[np.ndarray], np.ndarray]  # one batch-1 input (the framework's layout) -> its output
    bind: Callable[[np.ndarray], Callable[[], object]]  # an input made ready once -> a call to time
    keep: object = None  # what must stay alive while the calls run (a loaded SavedModel)


Converter = Callable[[Any, "ModelSizes", Path], ExportNotes]  # (model, params, artifact) -> notes
Loader = Callable[[Path, int], Loaded]  # (artifact, threads) -> the loaded artifact


def load_onnxruntime(artifact: Path, threads: int) -> Loaded:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(artifact / "model.onnx"), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return Loaded(
        f"onnxruntime {ort.__version__}",
        lambda x: np.asarray(session.run(None, {name: x})[0]),
        lambda x: lambda: session.run(None, {name: x}),
    )


def load_savedmodel(artifact: Path, threads: int) -> Loaded:
    import tensorflow as tf

    from measurements.frameworks import tensorflow as fw

    fw.setup(threads, "cpu")
    loaded = tf.saved_model.load(str(artifact))
    signature = loaded.signatures["serving_default"]

    def predict(x: np.ndarray) -> np.ndarray:
        (out,) = signature(x=tf.constant(x)).values()
        return np.asarray(out.numpy())

    def bind(x: np.ndarray) -> Callable[[], object]:
        tensor = tf.constant(x)
        return lambda: signature(x=tensor)

    runtime = f"tensorflow {tf.__version__} (tf.saved_model.load, serving_default)"
    return Loaded(runtime, predict, bind, keep=loaded)


def load_tflite(artifact: Path, threads: int) -> Loaded:
    """LiteRT's interpreter where ai-edge-litert is installed, else TensorFlow's own (deprecated) one."""
    interpreter_class: Any
    try:
        from ai_edge_litert import interpreter as litert

        interpreter_class = litert.Interpreter
        runtime = f"ai_edge_litert {distribution_version('ai-edge-litert')}"
    except ImportError:
        import tensorflow as tf

        interpreter_class = tf.lite.Interpreter
        runtime = f"tf.lite.Interpreter, tensorflow {tf.__version__}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        interpreter = interpreter_class(model_path=str(artifact / "model.tflite"), num_threads=threads)
    for warning in caught:  # passed on to the report's warnings
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if any("deprecat" in str(w.message).lower() for w in caught):
        runtime += " (deprecated)"
    interpreter.allocate_tensors()
    source = interpreter.get_input_details()[0]["index"]
    target = interpreter.get_output_details()[0]["index"]

    def predict(x: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(source, x)
        interpreter.invoke()
        return np.array(interpreter.get_tensor(target))

    return Loaded(runtime, predict, lambda x: lambda: predict(x))


def serve(framework: str, key: str, model: str, directory: Path) -> StepReport:
    """Load the artifact in this fresh process, check parity row by row at batch 1, then time batch-1 calls."""
    spec = importlib.import_module(f"measurements.workloads.{model}.spec")
    params = case_params(model)
    reference = spec.parity(params)
    enter("load")
    start = time.perf_counter()
    loaded = steps(framework).LOADERS[key](directory / "artifact", environment.available_cpus())
    load_s = time.perf_counter() - start
    enter("run")
    (x,) = reference.inputs
    start = time.perf_counter()
    rows = [loaded.predict(layout(framework, x[i : i + 1])) for i in range(len(x))]
    first_call_ms = (time.perf_counter() - start) * 1e3 / len(x)
    checked = compare(np.concatenate(rows), reference)
    samples = time_calls(loaded.bind(layout(framework, spec.batch(params)[0])))
    found: StepReport = {"runtime": loaded.runtime, "load_s": load_s, "first_call_ms": first_call_ms}
    with_parity(found, checked)
    found["latency_ms"] = statistics.median(samples)
    found["latency_samples"] = samples
    return found


def with_parity(found: Served, checked: OutputParity) -> None:
    """Add ``checked`` (``compare``) to what a serve step found, in its order."""
    found["max_abs_diff"] = checked["max_abs_diff"]
    found["parity_passed"] = checked["parity_passed"]
    if "parity_error" in checked:
        found["parity_error"] = checked["parity_error"]


def step_parser(prog: str, frameworks: tuple[str, ...]) -> argparse.ArgumentParser:
    """The arguments of a study's convert and serve processes (this study's and serving's): the step,
    the framework, the path's key and the working folder; the study adds its own."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}")
    parser.add_argument("step", choices=("convert", "serve"))
    parser.add_argument("--framework", required=True, choices=frameworks)
    parser.add_argument("--path", required=True)
    parser.add_argument("--dir", type=Path, required=True)
    return parser


def error_of(exc: BaseException) -> str:
    """What a step process reports of the exception that ended its step (its traceback is printed)."""
    traceback.print_exc()
    return trim("".join(traceback.format_exception_only(exc)))


def main(argv: list[str] | None = None) -> int:
    parser = step_parser(__name__, STUDY.frameworks)
    parser.add_argument("--model", required=True, choices=MODELS)
    args = parser.parse_args(argv)
    get_path(args.framework, args.path)
    enter("convert" if args.step == "convert" else "load")
    step = convert if args.step == "convert" else serve
    found: StepReport
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            found = {"ok": True, "stage": None, "error": None}
            found.update(step(args.framework, args.path, args.model, args.dir))
        except Exception as exc:
            found = {"ok": False, "stage": _stage["now"], "error": error_of(exc)}
    seen = dict.fromkeys(trim(f"{w.category.__name__}: {w.message}", 400) for w in caught)
    found["warnings"] = list(seen)[:20]
    report(found)
    return 0
