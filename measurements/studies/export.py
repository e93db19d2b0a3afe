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
import inspect
import logging
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
from typing import Any

import numpy as np

from measurements import environment
from measurements.frameworks import DISTRIBUTIONS, Unavailable, label
from measurements.launch import child_env, report
from measurements.launch import launch as run_child
from measurements.profiles import PROFILES
from measurements.studies import Study
from measurements.workloads import Parity

STUDY = Study(
    name="export",
    group="ecosystem",
    title="Export and deployment",
    description=(
        "Each framework's ways out of Python, tried on this project's MLP and CNN (the standard sizes, batch 1): "
        "TensorFlow SavedModel, TensorFlow Lite (converted from the Keras model, run in LiteRT where it is "
        "installed) and ONNX via tf2onnx; "
        "PyTorch's ONNX export (its default exporter), torch.export and AOTInductor; "
        "JAX's jax.export (the jitted model serialized as StableHLO, deserialized and called from JAX in the "
        "serving process), and jax2tf (the JAX function wrapped as a TensorFlow function, saved as a SavedModel "
        "and loaded by TensorFlow without JAX), from which TensorFlow Lite and ONNX (tf2onnx) conversions are "
        "tried (JAX has no ONNX exporter of its own); ONNX models run in ONNX Runtime. Each artifact is made "
        "in one fresh process and loaded in another, its outputs compared with "
        "the workload's NumPy float64 reference at the workload's tolerances (row by row, at batch 1), then "
        "timed: the median of 100 single-sample calls after warm-up, with the same thread count everywhere. "
        "A path that fails says at which stage (install, convert, load, run, parity) and with which error."
    ),
    timeout_s=3600,
    quick=False,
)

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


PATHS = (
    ExportPath("savedmodel", "tensorflow", "SavedModel", ("keras",)),
    ExportPath("tflite", "tensorflow", "TensorFlow Lite (LiteRT)", ("keras", "ai-edge-litert")),
    ExportPath("onnx", "tensorflow", "ONNX (tf2onnx)", ("tf2onnx", "onnx", "onnxruntime"),
               (("tf2onnx", "tf2onnx"), ("onnxruntime", "onnxruntime"))),
    ExportPath("onnx", "pytorch", "ONNX (torch.onnx.export)", ("onnx", "onnxscript", "onnxruntime"),
               (("onnx", "onnx"), ("onnxscript", "onnxscript"), ("onnxruntime", "onnxruntime"))),
    ExportPath("torch-export", "pytorch", "torch.export (ExportedProgram)", ()),
    ExportPath("aoti", "pytorch", "AOTInductor", ()),
    ExportPath("jax-export", "jax", "jax.export (serialized StableHLO)", ()),
    ExportPath("savedmodel", "jax", "SavedModel (jax2tf)", ("tensorflow",), (("tensorflow", "tensorflow"),)),
    ExportPath("tflite", "jax", "TensorFlow Lite (jax2tf, LiteRT)", ("tensorflow", "ai-edge-litert"),
               (("tensorflow", "tensorflow"),)),
    ExportPath("onnx", "jax", "ONNX (jax2tf + tf2onnx)", ("tensorflow", "tf2onnx", "onnx", "onnxruntime"),
               (("tensorflow", "tensorflow"), ("tf2onnx", "tf2onnx"), ("onnxruntime", "onnxruntime"))),
)  # fmt: skip


def paths_of(framework: str) -> list[ExportPath]:
    return [p for p in PATHS if p.framework == framework]


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


def compare(got: np.ndarray, reference: Parity) -> dict[str, Any]:
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


def finding(path: ExportPath, model: str) -> dict[str, Any]:
    """A finding with nothing measured yet."""
    return {
        "id": f"{path.key}-{model}", "path": path.title, "model": model, "success": False, "stage": None,
        "error": None, "convert_s": None, "artifact_bytes": None, "max_abs_diff": None, "parity_passed": None,
        "latency_ms": None, "latency_samples": [], "runtime": None, "tool_versions": tool_versions(path),
        "notes": {}, "warnings": [],
    }  # fmt: skip


def failed(found: dict[str, Any], stage: str, error: str) -> dict[str, Any]:
    """``found`` marked as failed at ``stage`` with the error text (trimmed)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    return {**found, "success": False, "stage": stage, "error": trim(error)}


def conclude(found: dict[str, Any], served: dict[str, Any], rtol: float, atol: float) -> dict[str, Any]:
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


def case_params(model: str) -> dict[str, Any]:
    """The parameters of the workload's standard-size inference latency case (batch 1)."""
    spec = importlib.import_module(f"measurements.workloads.{model}.spec")
    case = next(c for c in spec.cases(PROFILES["standard"], "infer") if c.metric == "infer_latency")
    params: dict[str, Any] = case.params
    return params


def launch(step: str, path: ExportPath, model: str, directory: Path, timeout_s: float) -> dict[str, Any]:
    """Run one step (convert or serve) in a fresh process; what it reported, or why it reported nothing
    (at the stage it last reported it was in)."""
    command = [
        sys.executable, "-m", __name__, step, "--framework", path.framework, "--path", path.key, "--model", model,
        "--dir", str(directory),
    ]  # fmt: skip
    # a cold compiler cache of its own, so that AOTInductor's time is a first compile's
    env = child_env({"TORCHINDUCTOR_CACHE_DIR": str(directory / "inductor-cache")})
    done = run_child(command, env=env, cwd=directory, timeout_s=timeout_s)
    reported = done.report or {}
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


def study_one(path: ExportPath, model: str, directory: Path) -> dict[str, Any]:
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
        return failed(found, converted["stage"], converted["error"])
    served = launch("serve", path, model, directory, SERVE_TIMEOUT_S)
    found["warnings"] += served.get("warnings", [])
    found["notes"].update(served.get("notes", {}))
    found["runtime"] = served.get("runtime")
    if not served["ok"]:
        return failed(found, served["stage"], served["error"])
    keys = ("max_abs_diff", "parity_passed", "parity_error", "latency_ms", "latency_samples", "load_s", "first_call_ms")
    return conclude(found, {k: served[k] for k in keys if k in served}, reference.rtol, reference.atol)


def run(framework: str) -> list[dict[str, Any]]:
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


def input_shape(framework: str, params: dict[str, Any]) -> tuple[int, ...]:
    """The input of a model at the params' batch (this study's: 1) in the framework's layout (PyTorch's CNN:
    NCHW; otherwise NHWC). The memory study saves models at other batches with the same helpers."""
    n = params.get("batch_size", 1)
    if "layers" in params:
        return (n, params["layers"][0])
    side, channels = params["side"], params["channels"]
    return (n, channels, side, side) if framework == "pytorch" else (n, side, side, channels)


def layout(framework: str, x: np.ndarray) -> np.ndarray:
    """NumPy inputs (NHWC images) in the framework's layout."""
    if framework == "pytorch" and x.ndim == 4:
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    return np.ascontiguousarray(x)


def _tf_serving(model: Any, framework: str, params: dict[str, Any]) -> tuple[Any, Any]:
    """A tf.Module holding the Keras model and its serving function (the params' batch, float32)."""
    import tensorflow as tf

    spec = tf.TensorSpec(input_shape(framework, params), tf.float32, name="x")
    module = tf.Module()
    module.model = model
    module.serve = tf.function(lambda x: model(x, training=False), input_signature=[spec])
    return module, spec


def convert_savedmodel(model: Any, params: dict[str, Any], artifact: Path) -> dict[str, Any]:
    import tensorflow as tf

    module, _ = _tf_serving(model, "tensorflow", params)
    tf.saved_model.save(module, str(artifact), signatures={"serving_default": module.serve.get_concrete_function()})
    return {"api": "tf.saved_model.save (tf.Module, serving_default signature)"}


def convert_tflite(model: Any, params: dict[str, Any], artifact: Path) -> dict[str, Any]:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)  # the converter's entry point for a Keras model
    artifact.mkdir()
    (artifact / "model.tflite").write_bytes(converter.convert())
    return {"api": "tf.lite.TFLiteConverter.from_keras_model", "optimizations": "none (float32)"}


def tflite_from_concrete_function(model: Any, params: dict[str, Any], reference: Parity) -> dict[str, Any]:
    """The lower-level route: the serving function of a tf.Module that holds the Keras model, converted with
    ``from_concrete_functions`` and run in TensorFlow's own interpreter (what that interpreter warns of itself)."""
    import tensorflow as tf

    module, _ = _tf_serving(model, "tensorflow", params)
    content = tf.lite.TFLiteConverter.from_concrete_functions([module.serve.get_concrete_function()], module).convert()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        interpreter = tf.lite.Interpreter(model_content=content)
    interpreter.allocate_tensors()
    (x,) = reference.inputs
    rows = []
    for i in range(len(x)):
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x[i : i + 1])
        interpreter.invoke()
        rows.append(np.array(interpreter.get_tensor(interpreter.get_output_details()[0]["index"])))
    said = " ".join(" ".join(str(w.message).split()) for w in caught) or "no warning"
    return {"from_concrete_functions": {"bytes": len(content), **compare(np.concatenate(rows), reference)},
            "tf.lite.Interpreter": trim(said, 400)}  # fmt: skip


def _onnx_opset(path: Path) -> int | None:
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return next((int(o.version) for o in proto.opset_import if o.domain in {"", "ai.onnx"}), None)


def convert_tf2onnx(model: Any, params: dict[str, Any], artifact: Path) -> dict[str, Any]:
    import tf2onnx

    module, spec = _tf_serving(model, "tensorflow", params)
    artifact.mkdir()
    tf2onnx.convert.from_function(module.serve, input_signature=[spec], output_path=str(artifact / "model.onnx"))
    return {"api": "tf2onnx.convert.from_function (default opset)", "opset": _onnx_opset(artifact / "model.onnx")}


def convert_torch_onnx(model: Any, params: dict[str, Any], artifact: Path) -> dict[str, Any]:
    import torch

    dynamo = inspect.signature(torch.onnx.export).parameters["dynamo"].default
    artifact.mkdir()
    example = torch.zeros(input_shape("pytorch", params))
    torch.onnx.export(model, (example,), str(artifact / "model.onnx"))  # this release's default exporter
    exporter = "dynamo=True: torch.export + onnxscript" if dynamo else "dynamo=False: TorchScript"
    return {"api": "torch.onnx.export", "exporter": exporter, "opset": _onnx_opset(artifact / "model.onnx")}


def convert_torch_export(model: Any, params: dict[str, Any], artifact: Path) -> dict[str, Any]:
    import torch

    program = torch.export.export(model, (torch.zeros(input_shape("pytorch", params)),))
    artifact.mkdir()
    torch.export.save(program, str(artifact / "model.pt2"))
    return {"api": "torch.export.export + torch.export.save"}


def convert_aoti(model: Any, params: dict[str, Any], artifact: Path) -> dict[str, Any]:
    import torch

    program = torch.export.export(model, (torch.zeros(input_shape("pytorch", params)),))
    artifact.mkdir()
    torch._inductor.aoti_compile_and_package(program, package_path=str(artifact / "model.pt2"))
    return {"api": "torch.export.export + torch._inductor.aoti_compile_and_package"}


def jax_model(model: str, params: dict[str, Any]) -> Callable[[Any], Any]:
    """The JAX workload's model in inference mode as a function of its input alone: the inference function
    of the workload's own ``prepare``, its weights (and the CNN's BatchNorm running statistics) held as
    constants, as an exported model holds them."""
    forward: Callable[[Any], Any] = workload_module("jax", model).prepare(params, "jit", "cpu").forward
    return forward


def convert_jax_export(forward: Any, params: dict[str, Any], artifact: Path) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp

    example = jax.ShapeDtypeStruct(input_shape("jax", params), jnp.float32)
    exported = jax.export.export(jax.jit(forward), platforms=("cpu",))(example)
    artifact.mkdir()
    (artifact / "model.jax-exported").write_bytes(exported.serialize())
    return {
        "api": "jax.export.export(jax.jit(f), platforms=('cpu',)) + Exported.serialize",
        "platforms": list(exported.platforms), "calling_convention_version": exported.calling_convention_version,
        "stablehlo_text_chars": len(exported.mlir_module()),
        "stablehlo_bytecode_bytes": len(exported.mlir_module_serialized),
    }  # fmt: skip


def _jax2tf_serving(forward: Any, params: dict[str, Any]) -> tuple[Any, Any, Any, dict[str, Any]]:
    """The JAX function converted by jax2tf as a tf.function (the params' batch, float32), traced once: the
    function, its input spec, its concrete function, and what the converted graph holds."""
    import tensorflow as tf
    from jax.experimental import jax2tf

    spec = tf.TensorSpec(input_shape("jax", params), tf.float32, name="x")
    converted = jax2tf.convert(forward, with_gradient=False, native_serialization_platforms=("cpu",))
    function = tf.function(converted, input_signature=[spec], autograph=False)
    concrete = function.get_concrete_function()
    ops = sorted({op.type for op in concrete.graph.get_operations()} - {"Placeholder", "Identity", "NoOp"})
    notes = {"converter": "jax2tf.convert (native serialization, platform cpu; the weights are constants of "
             "the serialized StableHLO)", "tf_ops": ops}  # fmt: skip
    return function, spec, concrete, notes


def _save_jax2tf(forward: Any, params: dict[str, Any], target: Path) -> dict[str, Any]:
    """The jax2tf function saved as a SavedModel's serving_default signature, in a tf.Module that holds nothing
    else. Saved so, the SavedModel holds the serialized module once; with the tf.function also kept as an
    attribute of the module (traced once more for that), it held two copies, weights and all (MLP: 5.4 MB)."""
    import tensorflow as tf

    _, _, concrete, notes = _jax2tf_serving(forward, params)
    tf.saved_model.save(tf.Module(), str(target), signatures={"serving_default": concrete})
    return notes


def convert_jax_savedmodel(forward: Any, params: dict[str, Any], artifact: Path) -> dict[str, Any]:
    notes = _save_jax2tf(forward, params, artifact)
    return {"api": "jax2tf.convert + tf.saved_model.save (serving_default signature)", **notes}


def convert_jax_tflite(forward: Any, params: dict[str, Any], artifact: Path) -> dict[str, Any]:
    import tensorflow as tf

    saved = artifact.parent / "jax2tf-savedmodel"
    notes = _save_jax2tf(forward, params, saved)
    content = tf.lite.TFLiteConverter.from_saved_model(str(saved)).convert()
    artifact.mkdir()
    (artifact / "model.tflite").write_bytes(content)
    return {"api": "jax2tf SavedModel, then tf.lite.TFLiteConverter.from_saved_model (conversion time includes "
            "saving it)", "optimizations": "none (float32)", **notes}  # fmt: skip


class _Said(logging.Handler):
    """The first line of each error a library logged (tf2onnx names the node it could not convert only there)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage().strip().splitlines()[:1]
        if line and line[0] not in self.lines:
            self.lines.append(line[0])


def convert_jax_tf2onnx(forward: Any, params: dict[str, Any], artifact: Path) -> dict[str, Any]:
    import tf2onnx

    function, spec, _, notes = _jax2tf_serving(forward, params)
    artifact.mkdir()
    said, logger = _Said(), logging.getLogger("tf2onnx")
    logger.addHandler(said)
    try:
        tf2onnx.convert.from_function(function, input_signature=[spec], output_path=str(artifact / "model.onnx"))
    except Exception as exc:
        if said.lines:
            exc.add_note("tf2onnx logged: " + "; ".join(trim(line, 300) for line in said.lines[:5]))
        raise
    finally:
        logger.removeHandler(said)
    return {"api": "tf2onnx.convert.from_function on the jax2tf function the SavedModel path saves (default "
            "opset)", "opset": _onnx_opset(artifact / "model.onnx"), **notes}  # fmt: skip


def build(framework: str, model: str, params: dict[str, Any]) -> Any:
    """The workload's model in inference mode, as the converters take it (the framework's ``setup`` has run)."""
    if framework == "jax":
        return jax_model(model, params)
    built = workload_module(framework, model).build_model(params)
    if framework == "pytorch":
        built.eval()  # BatchNorm with its running statistics, as the inference workloads run
    return built


CONVERTERS: dict[tuple[str, str], Callable[[Any, dict[str, Any], Path], dict[str, Any]]] = {
    ("tensorflow", "savedmodel"): convert_savedmodel,
    ("tensorflow", "tflite"): convert_tflite,
    ("tensorflow", "onnx"): convert_tf2onnx,
    ("pytorch", "onnx"): convert_torch_onnx,
    ("pytorch", "torch-export"): convert_torch_export,
    ("pytorch", "aoti"): convert_aoti,
    ("jax", "jax-export"): convert_jax_export,
    ("jax", "savedmodel"): convert_jax_savedmodel,
    ("jax", "tflite"): convert_jax_tflite,
    ("jax", "onnx"): convert_jax_tf2onnx,
}


def convert(framework: str, key: str, model: str, directory: Path) -> dict[str, Any]:
    """Build the workload's model in inference mode and write the artifact to ``directory/artifact``."""
    fw = importlib.import_module(f"measurements.frameworks.{framework}")
    fw.setup(environment.available_cpus(), "cpu")
    params = case_params(model)
    built = build(framework, model, params)
    if framework == "jax" and key != "jax-export":  # jax2tf's paths: TensorFlow's import is not conversion time
        importlib.import_module("tensorflow")
        importlib.import_module("jax.experimental.jax2tf")
    artifact = directory / "artifact"
    start = time.perf_counter()
    notes = CONVERTERS[framework, key](built, params, artifact)
    convert_s = time.perf_counter() - start
    if (framework, key) == ("tensorflow", "tflite"):  # a pitfall beside the path, not timed
        reference = importlib.import_module(f"measurements.workloads.{model}.spec").parity(params)
        notes |= tflite_from_concrete_function(built, params, reference)
    return {"convert_s": convert_s, "artifact_bytes": tree_bytes(artifact), "notes": notes}


@dataclass
class Loaded:
    runtime: str
    predict: Callable[[np.ndarray], np.ndarray]  # one batch-1 input (the framework's layout) -> its output
    bind: Callable[[np.ndarray], Callable[[], object]]  # an input made ready once -> a call to time
    keep: object = None  # what must stay alive while the calls run (a loaded SavedModel)


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


def _torch_loaded(runtime: str, module: Any) -> Loaded:
    import torch

    def call(x: Any) -> Any:
        with torch.inference_mode():
            out = module(x)
        return out[0] if isinstance(out, list | tuple) else out

    def bind(x: np.ndarray) -> Callable[[], object]:
        tensor = torch.from_numpy(x)
        return lambda: call(tensor)

    return Loaded(runtime, lambda x: np.asarray(call(torch.from_numpy(x)).numpy()), bind)


def load_torch_export(artifact: Path, threads: int) -> Loaded:
    import torch

    from measurements.frameworks import pytorch as fw

    fw.setup(threads, "cpu")
    program = torch.export.load(str(artifact / "model.pt2"))
    return _torch_loaded(f"torch {torch.__version__} (torch.export.load, .module())", program.module())


def load_aoti(artifact: Path, threads: int) -> Loaded:
    import torch

    from measurements.frameworks import pytorch as fw

    fw.setup(threads, "cpu")
    runner = torch._inductor.aoti_load_package(str(artifact / "model.pt2"))
    return _torch_loaded(f"torch {torch.__version__} (torch._inductor.aoti_load_package)", runner)


def load_jax_export(artifact: Path, threads: int) -> Loaded:
    """The serialized function, deserialized and called from JAX (under ``jax.jit``, as JAX's guide calls it)."""
    import jax

    from measurements.frameworks import jax as fw

    fw.setup(threads, "cpu")
    exported = jax.export.deserialize(bytearray((artifact / "model.jax-exported").read_bytes()))
    call = jax.jit(exported.call)

    def bind(x: np.ndarray) -> Callable[[], object]:
        on_device = jax.device_put(x)
        return lambda: jax.block_until_ready(call(on_device))

    runtime = f"jax {jax.__version__} (jax.export.deserialize, jax.jit(Exported.call))"
    return Loaded(runtime, lambda x: np.asarray(call(x)), bind, keep=exported)


LOADERS: dict[tuple[str, str], Callable[[Path, int], Loaded]] = {
    ("tensorflow", "savedmodel"): load_savedmodel,
    ("tensorflow", "tflite"): load_tflite,
    ("tensorflow", "onnx"): load_onnxruntime,
    ("pytorch", "onnx"): load_onnxruntime,
    ("pytorch", "torch-export"): load_torch_export,
    ("pytorch", "aoti"): load_aoti,
    ("jax", "jax-export"): load_jax_export,
    ("jax", "savedmodel"): load_savedmodel,  # TensorFlow alone: the serving process does not import JAX
    ("jax", "tflite"): load_tflite,
    ("jax", "onnx"): load_onnxruntime,
}


def serve(framework: str, key: str, model: str, directory: Path) -> dict[str, Any]:
    """Load the artifact in this fresh process, check parity row by row at batch 1, then time batch-1 calls."""
    spec = importlib.import_module(f"measurements.workloads.{model}.spec")
    params = case_params(model)
    reference = spec.parity(params)
    enter("load")
    start = time.perf_counter()
    loaded = LOADERS[framework, key](directory / "artifact", environment.available_cpus())
    load_s = time.perf_counter() - start
    enter("run")
    (x,) = reference.inputs
    start = time.perf_counter()
    rows = [loaded.predict(layout(framework, x[i : i + 1])) for i in range(len(x))]
    first_call_ms = (time.perf_counter() - start) * 1e3 / len(x)
    checked = compare(np.concatenate(rows), reference)
    samples = time_calls(loaded.bind(layout(framework, spec.batch(params)[0])))
    return {
        "runtime": loaded.runtime, "load_s": load_s, "first_call_ms": first_call_ms, **checked,
        "latency_ms": statistics.median(samples), "latency_samples": samples,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}")
    parser.add_argument("step", choices=("convert", "serve"))
    parser.add_argument("--framework", required=True, choices=sorted({p.framework for p in PATHS}))
    parser.add_argument("--path", required=True)
    parser.add_argument("--model", required=True, choices=MODELS)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    get_path(args.framework, args.path)
    enter("convert" if args.step == "convert" else "load")
    step = convert if args.step == "convert" else serve
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            found = {"ok": True, "stage": None, "error": None, **step(args.framework, args.path, args.model, args.dir)}
        except Exception as exc:
            traceback.print_exc()
            text = "".join(traceback.format_exception_only(exc))
            found = {"ok": False, "stage": _stage["now"], "error": trim(text)}
    seen = dict.fromkeys(trim(f"{w.category.__name__}: {w.message}", 400) for w in caught)
    found["warnings"] = list(seen)[:20]
    report(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
