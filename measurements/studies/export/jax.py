"""The export study's paths from JAX (see ``measurements.studies.export``): ``jax.export``, and jax2tf's
SavedModel with TensorFlow Lite and ONNX from it, converted from the workload's inference function.
JAX (and TensorFlow, for jax2tf) is imported inside the functions, in the study's convert and serve
processes only."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from measurements.findings import ExportNotes
from measurements.studies import export as study

PATHS = (
    study.ExportPath("jax-export", "jax", "jax.export (serialized StableHLO)", ()),
    study.ExportPath("savedmodel", "jax", "SavedModel (jax2tf)", ("tensorflow",), (("tensorflow", "tensorflow"),)),
    study.ExportPath("tflite", "jax", "TensorFlow Lite (jax2tf, LiteRT)", ("tensorflow", "ai-edge-litert"),
               (("tensorflow", "tensorflow"),)),
    study.ExportPath("onnx", "jax", "ONNX (jax2tf + tf2onnx)", ("tensorflow", "tf2onnx", "onnx", "onnxruntime"),
               (("tensorflow", "tensorflow"), ("tf2onnx", "tf2onnx"), ("onnxruntime", "onnxruntime"))),
)  # fmt: skip
CHANNELS_FIRST = False  # images are NHWC


def before_timing(key: str) -> None:
    """jax2tf's paths: TensorFlow's import is not conversion time."""
    if key != "jax-export":
        importlib.import_module("tensorflow")
        importlib.import_module("jax.experimental.jax2tf")


def build(model: str, params: study.ModelSizes) -> Callable[[Any], Any]:
    """The model, as the converters take it (the framework's ``setup`` has run): see ``jax_model``."""
    return jax_model(model, params)


def jax_model(model: str, params: study.ModelSizes) -> Callable[[Any], Any]:
    """The JAX workload's model in inference mode as a function of its input alone: the inference function
    of the workload's own ``prepare``, its weights (and the CNN's BatchNorm running statistics) held as
    constants, as an exported model holds them."""
    forward: Callable[[Any], Any] = study.workload_module("jax", model).prepare(params, "jit", "cpu").forward
    return forward


def convert_jax_export(forward: Any, params: study.ModelSizes, artifact: Path) -> ExportNotes:
    import jax
    import jax.numpy as jnp

    example = jax.ShapeDtypeStruct(study.input_shape("jax", params), jnp.float32)
    exported = jax.export.export(jax.jit(forward), platforms=("cpu",))(example)
    artifact.mkdir()
    (artifact / "model.jax-exported").write_bytes(exported.serialize())
    return {
        "api": "jax.export.export(jax.jit(f), platforms=('cpu',)) + Exported.serialize",
        "platforms": list(exported.platforms), "calling_convention_version": exported.calling_convention_version,
        "stablehlo_text_chars": len(exported.mlir_module()),
        "stablehlo_bytecode_bytes": len(exported.mlir_module_serialized),
    }  # fmt: skip


def _jax2tf_serving(forward: Any, params: study.ModelSizes) -> tuple[Any, Any, Any, ExportNotes]:
    """The JAX function converted by jax2tf as a tf.function (the params' batch, float32), traced once: the
    function, its input spec, its concrete function, and what the converted graph holds."""
    import tensorflow as tf
    from jax.experimental import jax2tf

    spec = tf.TensorSpec(study.input_shape("jax", params), tf.float32, name="x")
    converted = jax2tf.convert(forward, with_gradient=False, native_serialization_platforms=("cpu",))
    function = tf.function(converted, input_signature=[spec], autograph=False)
    concrete = function.get_concrete_function()
    ops = sorted({op.type for op in concrete.graph.get_operations()} - {"Placeholder", "Identity", "NoOp"})
    notes: ExportNotes = {
        "converter": "jax2tf.convert (native serialization, platform cpu; the weights are constants of the "
        "serialized StableHLO)",
        "tf_ops": ops,
    }
    return function, spec, concrete, notes


def _save_jax2tf(forward: Any, params: study.ModelSizes, target: Path) -> ExportNotes:
    """The jax2tf function saved as a SavedModel's serving_default signature, in a tf.Module that holds nothing
    else. Saved so, the SavedModel holds the serialized module once; with the tf.function also kept as an
    attribute of the module (traced once more for that), it held two copies, weights and all (MLP: 5.4 MB)."""
    import tensorflow as tf

    _, _, concrete, notes = _jax2tf_serving(forward, params)
    tf.saved_model.save(tf.Module(), str(target), signatures={"serving_default": concrete})
    return notes


def convert_jax_savedmodel(forward: Any, params: study.ModelSizes, artifact: Path) -> ExportNotes:
    notes = _save_jax2tf(forward, params, artifact)
    return {"api": "jax2tf.convert + tf.saved_model.save (serving_default signature)", **notes}


def convert_jax_tflite(forward: Any, params: study.ModelSizes, artifact: Path) -> ExportNotes:
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


def convert_jax_tf2onnx(forward: Any, params: study.ModelSizes, artifact: Path) -> ExportNotes:
    import tf2onnx

    function, spec, _, notes = _jax2tf_serving(forward, params)
    artifact.mkdir()
    said, logger = _Said(), logging.getLogger("tf2onnx")
    logger.addHandler(said)
    try:
        tf2onnx.convert.from_function(function, input_signature=[spec], output_path=str(artifact / "model.onnx"))
    except Exception as exc:
        if said.lines:
            exc.add_note("tf2onnx logged: " + "; ".join(study.trim(line, 300) for line in said.lines[:5]))
        raise
    finally:
        logger.removeHandler(said)
    return {"api": "tf2onnx.convert.from_function on the jax2tf function the SavedModel path saves (default "
            "opset)", "opset": study.onnx_opset(artifact / "model.onnx"), **notes}  # fmt: skip


def load_jax_export(artifact: Path, threads: int) -> study.Loaded:
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
    return study.Loaded(runtime, lambda x: np.asarray(call(x)), bind, keep=exported)


CONVERTERS: dict[str, study.Converter] = {
    "jax-export": convert_jax_export,
    "savedmodel": convert_jax_savedmodel,
    "tflite": convert_jax_tflite,
    "onnx": convert_jax_tf2onnx,
}
LOADERS: dict[str, study.Loader] = {
    "jax-export": load_jax_export,
    "savedmodel": study.load_savedmodel,  # TensorFlow alone: the serving process does not import JAX
    "tflite": study.load_tflite,
    "onnx": study.load_onnxruntime,
}
