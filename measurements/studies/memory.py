"""Memory at scale: peak memory of training and inference as the model and the batch grow.

The project's MLP (784-w-w-10, Adam, cross-entropy) in each framework's default fast path
(PyTorch eager, TensorFlow ``tf.function``), at widths from 256 to 8,192 (0.5 to 295 MB of
float32 parameters) at batch 256, and at batches from 32 to 8,192 at width 2,048. Each size
runs in a fresh process: the framework is imported, the model built from the shared NumPy
weights, five steps run, then the process's high-water mark (``VmHWM``) is read. A size that
fails or runs past its time limit is recorded as such and the others go on.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from measurements.results import ROOT
from measurements.studies import Study

STUDY = Study(
    name="memory",
    group="performance",
    title="Memory at scale",
    description=(
        "The MLP (784-w-w-10, Adam) trained and run for inference in each framework's default fast path (PyTorch "
        "eager, TensorFlow tf.function) at widths from 256 to 8,192 (0.5 to 295 MB of float32 parameters) at batch "
        "256, and at batches from 32 to 8,192 at width 2,048. Each size runs in a fresh process: import, build the "
        "model from the shared NumPy weights, five steps, then the process's peak resident memory (VmHWM). The "
        "figure shown is that peak less the memory right after import, so the framework's own runtime is left out. "
        "It includes building the model: NumPy's copy of the initial weights (the same in both) and whatever each "
        "framework allocates while its layers are built and the weights loaded into them."
    ),
    timeout_s=1800,
    quick=False,
)
MODES = {"pytorch": "eager", "tensorflow": "function"}
WIDTHS = (256, 1024, 2048, 4096, 8192)
BATCHES = (32, 256, 2048, 8192)
FIXED_WIDTH, FIXED_BATCH = 2048, 256
STEPS = 5
SIZE_TIMEOUT_S = 300


def sizes() -> list[tuple[str, int, int]]:
    """(task, width, batch) for every size measured, widths first."""
    found = [(task, w, FIXED_BATCH) for task in ("train", "infer") for w in WIDTHS]
    found += [(task, FIXED_WIDTH, b) for task in ("train", "infer") for b in BATCHES if b != FIXED_BATCH]
    return found


def parameters(width: int) -> int:
    layers = (784, width, width, 10)
    return sum(a * b + b for a, b in itertools.pairwise(layers))


def measure_one(framework: str, task: str, width: int, batch: int) -> dict[str, Any]:
    """Inside the child: import, build, five steps, and the memory figures."""
    from measurements import environment

    fw = importlib.import_module(f"measurements.frameworks.{framework}")
    fw.setup(os.cpu_count() or 1, "cpu")
    after_import = environment.proc_status_bytes("VmRSS")
    module = importlib.import_module(f"measurements.workloads.mlp.{framework}")
    params = {"layers": [784, width, width, 10], "batch_size": batch, "dtype": "float32", "seed": 0, "task": task}
    prepared = module.prepare(params, MODES[framework], "cpu")
    for _ in range(STEPS):
        fw.to_numpy(prepared.step())
    return {"after_import_rss_bytes": after_import, "peak_rss_bytes": environment.proc_status_bytes("VmHWM")}


def run(framework: str) -> list[dict[str, Any]]:
    findings = []
    for task, width, batch in sizes():
        finding: dict[str, Any] = {
            "id": f"{task}-w{width}-b{batch}", "task": task, "width": width, "batch": batch,
            "mode": MODES[framework], "parameters": parameters(width), "parameter_bytes": 4 * parameters(width),
            "outcome": "ok", "error": None, "after_import_rss_bytes": None, "peak_rss_bytes": None,
        }  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="fg-memory-") as tmp:
            output = Path(tmp) / "out.json"
            command = [
                sys.executable, "-m", "measurements.studies.memory", "--framework", framework, "--task", task,
                "--width", str(width), "--batch", str(batch), "--output", str(output),
            ]  # fmt: skip
            env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
            try:
                done = subprocess.run(
                    command, check=False, capture_output=True, text=True, env=env, cwd=tmp, timeout=SIZE_TIMEOUT_S
                )
            except subprocess.TimeoutExpired:
                finding.update(outcome="timeout", error=f"no result after {SIZE_TIMEOUT_S} s; killed")
            else:
                if done.returncode == 0 and output.exists():
                    finding.update(json.loads(output.read_text()))
                else:
                    finding.update(
                        outcome="failed", error=(done.stderr or "")[-2000:] or f"exit code {done.returncode}"
                    )
        findings.append(finding)
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m measurements.studies.memory")
    parser.add_argument("--framework", required=True)
    parser.add_argument("--task", choices=("train", "infer"), required=True)
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    args.output.write_text(json.dumps(measure_one(args.framework, args.task, args.width, args.batch)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
