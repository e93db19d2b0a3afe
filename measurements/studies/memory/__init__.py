"""Memory at scale: peak memory of training and inference as the model and the batch grow.

The project's MLP (784-w-w-10, Adam, cross-entropy) in each framework's default fast path
(PyTorch eager, TensorFlow ``tf.function``, JAX ``jax.jit``), at widths from 256 to 8,192 (0.5 to 295 MB of
float32 parameters) at batch 256, and at batches from 32 to 8,192 at width 2,048. Each size
runs in a fresh process: the framework is imported, the model built from the shared NumPy
weights, five steps run, then the process's high-water mark (``VmHWM``) is read. A size that
fails or runs past its time limit is recorded as such and the others go on.

Inference is also run from a saved model (task ``saved``), at the widths of the width sweep,
at batch 256 and at batch 1: one child builds the model as ``infer`` does, records its outputs
and saves it (TensorFlow: SavedModel with a ``tf.function`` signature; PyTorch:
``torch.export`` to a ``.pt2``, both with the export study's converters; JAX: ``jax.export`` of
the jitted inference, its weights closed over as constants, serialized to bytes); a second, fresh child
imports the framework, loads the artifact with the same calls as the export study's loaders,
runs the same steps and reads the peak. Both inference tasks then time calls one by one (latency), and the
saved model's outputs are compared with the in-process model's.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import numpy as np

from measurements import environment
from measurements.catalog import STUDIES
from measurements.findings import MemoryFinding, MemoryReport
from measurements.frameworks import REGISTRY
from measurements.launch import child_env, launch, report
from measurements.studies import export
from measurements.workloads.mlp import spec

STUDY = STUDIES["memory"]
MODES = {fw: REGISTRY[fw].default_mode for fw in STUDY.frameworks}  # each one's default fast path
TASKS = ("train", "infer", "saved")  # saved: inference from a saved model, loaded in a fresh process
# the export study's paths; JAX's, jax.export, is saved and loaded here (save_jax, load_saved)
WIDTHS = (256, 1024, 2048, 4096, 8192)
BATCHES = (32, 256, 2048, 8192)
FIXED_WIDTH, FIXED_BATCH = 2048, 256
SERVING_BATCH = 1  # inference in-process and from a saved model, one sample at a time
STEPS = 5
LATENCY_CALLS = 30  # timed one by one after the steps
SIZE_TIMEOUT_S = 300


def sizes() -> list[tuple[str, int, int]]:
    """(task, width, batch) for every size measured, widths first."""
    found = [(task, w, FIXED_BATCH) for task in TASKS for w in WIDTHS]
    found += [(task, w, SERVING_BATCH) for task in ("infer", "saved") for w in WIDTHS]
    found += [(task, FIXED_WIDTH, b) for task in ("train", "infer") for b in BATCHES if b != FIXED_BATCH]
    return found


def parameters(width: int) -> int:
    layers = (784, width, width, 10)
    return sum(a * b + b for a, b in itertools.pairwise(layers))


def model_params(width: int, batch: int, task: str) -> spec.MlpSizes:
    """The MLP workload's parameters for one size (``saved`` is an inference task for the workload)."""
    return {"layers": [784, width, width, 10], "batch_size": batch, "dtype": "float32", "seed": 0,
            "task": "train" if task == "train" else "infer"}  # fmt: skip


def latency(samples: list[float]) -> MemoryReport:
    return {"latency_ms": statistics.median(samples), "latency_samples": samples}


def measure_one(framework: str, task: str, width: int, batch: int) -> MemoryReport:
    """Inside the child: import, build, five steps, the memory figures, then (inference) the latency."""
    fw = importlib.import_module(f"measurements.frameworks.{framework}")
    fw.setup(os.cpu_count() or 1, "cpu")
    after_import = environment.proc_status_bytes("VmRSS")
    module = importlib.import_module(f"measurements.workloads.mlp.{framework}")
    prepared = module.prepare(model_params(width, batch, task), MODES[framework], "cpu")
    for _ in range(STEPS):
        fw.to_numpy(prepared.step())
    found: MemoryReport = {
        "after_import_rss_bytes": after_import,
        "peak_rss_bytes": environment.proc_status_bytes("VmHWM"),
    }
    if task == "infer":
        found |= latency(export.time_calls(lambda: fw.to_numpy(prepared.step()), warmup=0, calls=LATENCY_CALLS))
    return found


def save_one(framework: str, width: int, batch: int, directory: Path) -> MemoryReport:
    """Inside the first child of a ``saved`` size: the in-process model's outputs, and the model saved.

    The outputs come from the ``infer`` task's own steps; the model saved is built again by the workload's
    ``build_model`` from the same shared weights (nothing here is measured)."""
    fw = importlib.import_module(f"measurements.frameworks.{framework}")
    fw.setup(os.cpu_count() or 1, "cpu")
    params = model_params(width, batch, "saved")
    module = importlib.import_module(f"measurements.workloads.mlp.{framework}")
    np.save(directory / "expected.npy", fw.to_numpy(module.prepare(params, MODES[framework], "cpu").step()))
    saved: MemoryReport = steps(framework).save(module, params, directory / "artifact")
    return saved


def steps(framework: str) -> ModuleType:
    """A framework's part of the study (``memory/<framework>.py``): ``SAVED_PATH`` (the export path its saved
    model takes), ``save(module, params, artifact)`` (the workload module's model saved) and ``load(artifact,
    x)`` (the saved model loaded as a server would, and one call of it on ``x``, made a tensor once, as the
    in-process step holds its batch; the export study's loaders set the thread counts themselves, which
    PyTorch allows once per process, so the same calls are made there after this process's own set-up)."""
    return importlib.import_module(f"{__name__}.{framework}")


def saved_by_export(framework: str, model: Any, params: spec.MlpSizes, artifact: Path) -> MemoryReport:
    """``model`` saved by the export study's converter of the framework's ``SAVED_PATH``."""
    notes = export.steps(framework).CONVERTERS[steps(framework).SAVED_PATH](model, params, artifact)
    return {"artifact_bytes": export.tree_bytes(artifact), "saved_with": notes.get("api")}


def load_one(framework: str, width: int, batch: int, directory: Path) -> MemoryReport:
    """Inside the second, fresh child of a ``saved`` size: import, load, five steps, the memory figures, the
    latency, and the largest difference from the in-process model's outputs."""
    fw = importlib.import_module(f"measurements.frameworks.{framework}")
    fw.setup(os.cpu_count() or 1, "cpu")
    after_import = environment.proc_status_bytes("VmRSS")
    x, _ = spec.batch(model_params(width, batch, "saved"))
    start = time.perf_counter()
    runtime, call = steps(framework).load(directory / "artifact", x)
    load_s = time.perf_counter() - start

    def step() -> np.ndarray:
        out = call()
        if isinstance(out, dict):  # a SavedModel signature's outputs, by name: the MLP has one
            (out,) = out.values()
        return np.asarray(fw.to_numpy(out))

    for _ in range(STEPS):
        got = step()
    found: MemoryReport = {
        "after_import_rss_bytes": after_import,
        "peak_rss_bytes": environment.proc_status_bytes("VmHWM"),
    }
    found |= latency(export.time_calls(step, warmup=0, calls=LATENCY_CALLS))
    expected = np.load(directory / "expected.npy")
    diff = float(np.max(np.abs(got.astype(np.float64) - expected))) if got.shape == expected.shape else None
    return {**found, "load_s": load_s, "runtime": runtime, "max_abs_diff": diff}


def child(arguments: list[str], directory: Path) -> tuple[MemoryReport | None, str, str | None]:
    """One fresh child of this module: (what it reported, outcome, error)."""
    command = [sys.executable, "-m", "measurements.studies.memory", *arguments, "--dir", str(directory)]
    done = launch(command, env=child_env({"TF_CPP_MIN_LOG_LEVEL": "2"}), cwd=directory, timeout_s=SIZE_TIMEOUT_S,
                  capture="separate")  # fmt: skip
    if done.killed_for == "timeout":
        return None, "timeout", f"no result after {SIZE_TIMEOUT_S} s; killed"
    if done.returncode == 0 and done.report is not None:
        return cast(MemoryReport, done.report), "ok", None  # what ``main`` reported
    return None, "failed", done.stderr[-2000:] or f"exit code {done.returncode}"


def run(framework: str) -> list[MemoryFinding]:
    findings = []
    for task, width, batch in sizes():
        finding: MemoryFinding = {
            "id": f"{task}-w{width}-b{batch}", "task": task, "width": width, "batch": batch,
            "mode": MODES[framework], "parameters": parameters(width), "parameter_bytes": 4 * parameters(width),
            "outcome": "ok", "error": None, "after_import_rss_bytes": None, "peak_rss_bytes": None,
        }  # fmt: skip
        if task != "train":
            finding.update({"latency_ms": None, "latency_samples": []})
        if task == "saved":
            finding.update({"path": steps(framework).SAVED_PATH, "saved_with": None, "artifact_bytes": None,
                            "load_s": None, "runtime": None, "max_abs_diff": None})  # fmt: skip
        size = ["--framework", framework, "--width", str(width), "--batch", str(batch)]
        with tempfile.TemporaryDirectory(prefix="fg-memory-") as tmp:
            if task == "saved":
                reported, outcome, error = child([*size, "--task", "saved", "--step", "save"], Path(tmp))
                if reported is not None:
                    finding = {**finding, **reported}
                    reported, outcome, error = child([*size, "--task", "saved", "--step", "load"], Path(tmp))
                    error = error and f"loading the saved model: {error}"
                else:
                    error = error and f"saving the model: {error}"
            else:
                reported, outcome, error = child([*size, "--task", task], Path(tmp))
        if reported:
            finding = {**finding, **reported}
        finding.update({"outcome": outcome, "error": error})
        findings.append(finding)
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m measurements.studies.memory")
    parser.add_argument("--framework", required=True)
    parser.add_argument("--task", choices=TASKS, required=True)
    parser.add_argument("--step", choices=("save", "load"), help="for --task saved: which of its two processes")
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True, help="where the saved model and the expected outputs lie")
    args = parser.parse_args(argv)
    if (args.task == "saved") != (args.step is not None):
        parser.error("--step (save or load) goes with --task saved, and only with it")
    directory = args.dir
    if args.step == "save":
        found = save_one(args.framework, args.width, args.batch, directory)
    elif args.step == "load":
        found = load_one(args.framework, args.width, args.batch, directory)
    else:
        found = measure_one(args.framework, args.task, args.width, args.batch)
    report(found)
    return 0
