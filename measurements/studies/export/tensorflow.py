"""The export study's paths from TensorFlow (see ``measurements.studies.export``): SavedModel, TensorFlow
Lite and ONNX via tf2onnx, converted from the workload's Keras model. TensorFlow is imported inside
the functions, in the study's convert and serve processes only."""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from measurements.findings import ExportNotes
from measurements.studies import export as study
from measurements.workloads import Parity

PATHS = (
    study.ExportPath("savedmodel", "tensorflow", "SavedModel", ("keras",)),
    study.ExportPath("tflite", "tensorflow", "TensorFlow Lite (LiteRT)", ("keras", "ai-edge-litert")),
    study.ExportPath("onnx", "tensorflow", "ONNX (tf2onnx)", ("tf2onnx", "onnx", "onnxruntime"),
               (("tf2onnx", "tf2onnx"), ("onnxruntime", "onnxruntime"))),
)  # fmt: skip
CHANNELS_FIRST = False  # images are NHWC


def build(model: str, params: study.ModelSizes) -> Any:
    """The workload's Keras model, as the converters take it (the framework's ``setup`` has run)."""
    return study.workload_module("tensorflow", model).build_model(params)


def serving_module(model: Any, params: study.ModelSizes) -> tuple[Any, Any]:
    """A tf.Module holding the Keras model and its serving function (the params' batch, float32)."""
    import tensorflow as tf

    spec = tf.TensorSpec(study.input_shape("tensorflow", params), tf.float32, name="x")
    module = tf.Module()
    module.model = model
    module.serve = tf.function(lambda x: model(x, training=False), input_signature=[spec])
    return module, spec


def convert_savedmodel(model: Any, params: study.ModelSizes, artifact: Path) -> ExportNotes:
    import tensorflow as tf

    module, _ = serving_module(model, params)
    tf.saved_model.save(module, str(artifact), signatures={"serving_default": module.serve.get_concrete_function()})
    return {"api": "tf.saved_model.save (tf.Module, serving_default signature)"}


def convert_savedmodel_xla(model: Any, params: study.ModelSizes, artifact: Path) -> ExportNotes:
    """A SavedModel whose serving function XLA compiles (a path of the serving study, not of this one)."""
    import tensorflow as tf

    module, spec = serving_module(model, params)
    module.serve = tf.function(lambda x: model(x, training=False), input_signature=[spec], jit_compile=True)
    tf.saved_model.save(module, str(artifact), signatures={"serving_default": module.serve.get_concrete_function()})
    return {"api": "tf.saved_model.save (tf.function(jit_compile=True), serving_default signature)"}


def convert_tflite(model: Any, params: study.ModelSizes, artifact: Path) -> ExportNotes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)  # the converter's entry point for a Keras model
    artifact.mkdir()
    (artifact / "model.tflite").write_bytes(converter.convert())
    return {"api": "tf.lite.TFLiteConverter.from_keras_model", "optimizations": "none (float32)"}


def tflite_from_concrete_function(model: Any, params: study.ModelSizes, reference: Parity) -> ExportNotes:
    """The lower-level route: the serving function of a tf.Module that holds the Keras model, converted with
    ``from_concrete_functions`` and run in TensorFlow's own interpreter (what that interpreter warns of itself)."""
    import tensorflow as tf

    module, _ = serving_module(model, params)
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
    return {"from_concrete_functions": {"bytes": len(content), **study.compare(np.concatenate(rows), reference)},
            "tf.lite.Interpreter": study.trim(said, 400)}  # fmt: skip


def convert_tf2onnx(model: Any, params: study.ModelSizes, artifact: Path) -> ExportNotes:
    import tf2onnx

    module, spec = serving_module(model, params)
    artifact.mkdir()
    tf2onnx.convert.from_function(module.serve, input_signature=[spec], output_path=str(artifact / "model.onnx"))
    return {"api": "tf2onnx.convert.from_function (default opset)", "opset": study.onnx_opset(artifact / "model.onnx")}


def untimed_notes(key: str, built: Any, params: study.ModelSizes, model: str) -> ExportNotes:
    """A pitfall beside the TensorFlow Lite path, tried after its conversion is timed."""
    if key != "tflite":
        return {}
    reference = importlib.import_module(f"measurements.workloads.{model}.spec").parity(params)
    return tflite_from_concrete_function(built, params, reference)


CONVERTERS: dict[str, study.Converter] = {"savedmodel": convert_savedmodel, "tflite": convert_tflite,
                                          "onnx": convert_tf2onnx,
                                          "savedmodel-xla": convert_savedmodel_xla}  # fmt: skip
LOADERS: dict[str, study.Loader] = {"savedmodel": study.load_savedmodel, "tflite": study.load_tflite,
                                    "onnx": study.load_onnxruntime,
                                    "savedmodel-xla": study.load_savedmodel}  # fmt: skip
