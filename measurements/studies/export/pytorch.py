"""The export study's paths from PyTorch (see ``measurements.studies.export``): ONNX via
``torch.onnx.export``, ``torch.export`` and AOTInductor, converted from the workload's module. PyTorch
is imported inside the functions, in the study's convert and serve processes only."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from measurements.findings import ExportNotes
from measurements.studies import export as study

PATHS = (
    study.ExportPath("onnx", "pytorch", "ONNX (torch.onnx.export)", ("onnx", "onnxscript", "onnxruntime"),
               (("onnx", "onnx"), ("onnxscript", "onnxscript"), ("onnxruntime", "onnxruntime"))),
    study.ExportPath("torch-export", "pytorch", "torch.export (ExportedProgram)", ()),
    study.ExportPath("aoti", "pytorch", "AOTInductor", ()),
)  # fmt: skip
CHANNELS_FIRST = True  # images are NCHW


def build(model: str, params: study.ModelSizes) -> Any:
    """The workload's module in inference mode, as the converters take it (the framework's ``setup`` has run)."""
    built = study.workload_module("pytorch", model).build_model(params)
    built.eval()  # BatchNorm with its running statistics, as the inference workloads run
    return built


def convert_torch_onnx(model: Any, params: study.ModelSizes, artifact: Path) -> ExportNotes:
    import torch

    dynamo = inspect.signature(torch.onnx.export).parameters["dynamo"].default
    artifact.mkdir()
    example = torch.zeros(study.input_shape("pytorch", params))
    torch.onnx.export(model, (example,), str(artifact / "model.onnx"))  # this release's default exporter
    exporter = "dynamo=True: torch.export + onnxscript" if dynamo else "dynamo=False: TorchScript"
    return {"api": "torch.onnx.export", "exporter": exporter, "opset": study.onnx_opset(artifact / "model.onnx")}


def convert_torch_export(model: Any, params: study.ModelSizes, artifact: Path) -> ExportNotes:
    import torch

    program = torch.export.export(model, (torch.zeros(study.input_shape("pytorch", params)),))
    artifact.mkdir()
    torch.export.save(program, str(artifact / "model.pt2"))
    return {"api": "torch.export.export + torch.export.save"}


def convert_aoti(model: Any, params: study.ModelSizes, artifact: Path) -> ExportNotes:
    import torch

    program = torch.export.export(model, (torch.zeros(study.input_shape("pytorch", params)),))
    artifact.mkdir()
    torch._inductor.aoti_compile_and_package(program, package_path=str(artifact / "model.pt2"))
    return {"api": "torch.export.export + torch._inductor.aoti_compile_and_package"}


def _torch_loaded(runtime: str, module: Any) -> study.Loaded:
    import torch

    def call(x: Any) -> Any:
        with torch.inference_mode():
            out = module(x)
        return out[0] if isinstance(out, list | tuple) else out

    def bind(x: np.ndarray) -> Callable[[], object]:
        tensor = torch.from_numpy(x)
        return lambda: call(tensor)

    return study.Loaded(runtime, lambda x: np.asarray(call(torch.from_numpy(x)).numpy()), bind)


def load_torch_export(artifact: Path, threads: int) -> study.Loaded:
    import torch

    from measurements.frameworks import pytorch as fw

    fw.setup(threads, "cpu")
    program = torch.export.load(str(artifact / "model.pt2"))
    return _torch_loaded(f"torch {torch.__version__} (torch.export.load, .module())", program.module())


def load_aoti(artifact: Path, threads: int) -> study.Loaded:
    import torch

    from measurements.frameworks import pytorch as fw

    fw.setup(threads, "cpu")
    runner = torch._inductor.aoti_load_package(str(artifact / "model.pt2"))
    return _torch_loaded(f"torch {torch.__version__} (torch._inductor.aoti_load_package)", runner)


CONVERTERS: dict[str, study.Converter] = {"onnx": convert_torch_onnx, "torch-export": convert_torch_export,
                                          "aoti": convert_aoti}  # fmt: skip
LOADERS: dict[str, study.Loader] = {"onnx": study.load_onnxruntime, "torch-export": load_torch_export,
                                    "aoti": load_aoti}  # fmt: skip
