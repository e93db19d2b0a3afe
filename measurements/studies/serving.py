"""Serving from a saved model: each framework's deploy paths for a server, best against best.

The project's CNN (the standard size, 32×32 images) is saved through each path a server can load
(PyTorch: an AOTInductor package, ONNX Runtime, ``torch.export``; TensorFlow: SavedModel, SavedModel
with its serving function compiled by XLA, ONNX Runtime through tf2onnx; JAX: ``jax.export`` called from
JAX, jax2tf's SavedModel served by TensorFlow), with the export study's
converters and loaders (``measurements.studies.export``), at batch 1 and at a server batch of 64.
A fresh process loads both artifacts, checks the batch-1 outputs against the NumPy float64
reference, then measures: the latency of one request at a time (200 calls: median and 99th
percentile), the throughput at the server batch, and the throughput and latency under concurrent
requests (1, 4 and 16 clients sending batch-1 requests to the one loaded model for 2 s each: one
client from the serving thread, as the latency is timed, more from threads of their own). The
study runs in three fresh processes per framework. LiteRT, the edge runtime, is the export study's.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypedDict, cast

import numpy as np

from measurements import environment
from measurements.catalog import STUDIES
from measurements.findings import ServingFinding
from measurements.launch import child_env, launch, report
from measurements.profiles import PROFILE_ENV, PROFILES, Profile
from measurements.studies import export

if TYPE_CHECKING:
    from measurements.workloads.cnn.spec import CnnSizes

MODEL: Final = "cnn"
SERVER_BATCH = 64
LATENCY_CALLS, WARMUP_CALLS = 200, 20
THROUGHPUT_SAMPLES, SAMPLE_S = 10, 0.2
CLIENTS = (1, 4, 16)
CLIENT_S = 2.0
CLIENT_KEYS = ("requests_per_s", "p50_ms", "p99_ms")  # per client count, as clients<n>_<key>
# where one client sends its requests from (``concurrent``); findings without it: from a client thread
ONE_CLIENT_FROM = "the serving thread"
CONVERT_TIMEOUT_S, SERVE_TIMEOUT_S = 900, 600

STUDY = STUDIES["serving"]


@dataclass(frozen=True)
class ServingPath:
    key: str
    framework: str
    title: str
    export_key: str  # the export study's converter and loader
    # served by a runtime other than its framework's own (ONNX Runtime, TensorFlow for JAX): shown on
    # the page, compared by no verdict, so measured only by the profiles that measure everything
    shared: bool = False


PATHS = (
    ServingPath("aoti", "pytorch", "AOTInductor package", "aoti"),
    ServingPath("onnx", "pytorch", "ONNX Runtime (torch.onnx.export)", "onnx", shared=True),
    ServingPath("torch-export", "pytorch", "torch.export (ExportedProgram)", "torch-export"),
    ServingPath("savedmodel", "tensorflow", "SavedModel", "savedmodel"),
    ServingPath("savedmodel-xla", "tensorflow", "SavedModel, XLA-compiled", "savedmodel-xla"),
    ServingPath("onnx", "tensorflow", "ONNX Runtime (tf2onnx)", "onnx", shared=True),
    ServingPath("jax-export", "jax", "jax.export (StableHLO, called from JAX)", "jax-export"),
    ServingPath("savedmodel", "jax", "SavedModel (jax2tf), served by TensorFlow", "savedmodel", shared=True),
)


def paths_of(framework: str, profile: Profile | None = None) -> list[ServingPath]:
    """A framework's deploy paths, less the shared runtimes' where ``profile`` leaves them out."""
    native_only = profile is not None and not profile.serving_shared
    return [p for p in PATHS if p.framework == framework and not (native_only and p.shared)]


def params(batch: int) -> CnnSizes:
    return {**export.case_params(MODEL), "batch_size": batch}


# ---- the study: per path, one convert process per batch and one serve process --------------------


def child(step: str, path: ServingPath, directory: Path, timeout_s: float, *extra: str) -> dict[str, object]:
    """One step in a fresh process: what it reported (``main``: ``ok``, ``error`` and what ``serve`` measured),
    or why it reported nothing."""
    command = [sys.executable, "-m", __name__, step, "--framework", path.framework, "--path", path.key,
               "--dir", str(directory), *extra]  # fmt: skip
    env = child_env({"TORCHINDUCTOR_CACHE_DIR": str(directory / "inductor-cache"), "TF_CPP_MIN_LOG_LEVEL": "2"})
    done = launch(command, env=env, cwd=directory, timeout_s=timeout_s)
    if done.report is not None:
        return done.report
    why = f"no result after {timeout_s:.0f} s" if done.killed_for == "timeout" else f"exit code {done.returncode}"
    return {"ok": False, "error": f"the {step} process ended without a result ({why}).\n{done.tail}"}


def finding(path: ServingPath) -> ServingFinding:
    """A finding with nothing measured yet: each figure of each client count (``CLIENTS``, ``CLIENT_KEYS``) None."""
    return {
        "id": f"{path.key}-{MODEL}", "path": path.title, "model": MODEL, "server_batch": SERVER_BATCH,
        "outcome": "ok", "error": None, "runtime": None, "max_abs_diff": None, "parity_passed": None,
        "latency_samples": [], "latency_p50_ms": None, "latency_p99_ms": None, "samples": [],
        "clients1_requests_per_s": None, "clients1_p50_ms": None, "clients1_p99_ms": None,
        "clients4_requests_per_s": None, "clients4_p50_ms": None, "clients4_p99_ms": None,
        "clients16_requests_per_s": None, "clients16_p50_ms": None, "clients16_p99_ms": None,
        "one_client_from": ONE_CLIENT_FROM,
    }  # fmt: skip


def study_one(path: ServingPath, directory: Path) -> ServingFinding:
    found = finding(path)
    for batch in (1, SERVER_BATCH):
        converted = child("convert", path, directory, CONVERT_TIMEOUT_S, "--batch", str(batch))
        if not converted["ok"]:
            return {**found, "outcome": "failed", "error": f"saving at batch {batch}: {converted['error']}"}
    served = child("serve", path, directory, SERVE_TIMEOUT_S)
    if not served["ok"]:
        return {**found, "outcome": "failed", "error": str(served["error"])}
    found.update(cast(ServingFinding, {k: v for k, v in served.items() if k in found}))  # what ``serve`` measured
    if not found["parity_passed"]:
        error = f"parity: largest difference {found['max_abs_diff']} from the reference"
        found.update({"outcome": "failed", "error": error})
    return found


def run(framework: str) -> list[ServingFinding]:
    findings = []
    for path in paths_of(framework, PROFILES.get(os.environ.get(PROFILE_ENV, ""))):
        with tempfile.TemporaryDirectory(prefix=f"fg-serving-{path.key}-") as tmp:
            found = study_one(path, Path(tmp))
        print(f"{found['id']}: {found['outcome']}", flush=True)
        findings.append(found)
    return findings


# ---- inside the convert and serve processes --------------------------------------------------------


def convert(path: ServingPath, directory: Path, batch: int) -> dict[str, object]:
    import importlib

    fw = importlib.import_module(f"measurements.frameworks.{path.framework}")
    fw.setup(environment.available_cpus(), "cpu")
    here = params(batch)
    steps = export.steps(path.framework)
    built = steps.build(MODEL, here)
    steps.CONVERTERS[path.export_key](built, here, directory / f"artifact-{batch}")
    return {}


def percentile(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q))


class Concurrent(TypedDict):
    requests_per_s: float
    requests: int
    p50_ms: float
    p99_ms: float


def concurrent(call: Callable[[], object], clients: int, seconds: float) -> Concurrent:
    """``clients`` clients calling ``call`` in a loop for ``seconds``: requests/s and their latencies.
    One client calls from this thread, the one that loaded the model, set its thread count and timed its
    latency, so that the two agree (PyTorch called from another thread pays for an OpenMP team of its
    own); more clients call from threads of their own, as a thread-pool server's workers do."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    start_gate = threading.Barrier(clients + 1 if clients > 1 else 1)
    stop_at = [0.0]

    def client(mine: list[float]) -> None:
        start_gate.wait()
        while (now := time.perf_counter()) < stop_at[0]:
            call()
            mine.append((time.perf_counter() - now) * 1e3)

    threads = [threading.Thread(target=client, args=(mine,)) for mine in latencies] if clients > 1 else []
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    if threads:
        start_gate.wait()
        for t in threads:
            t.join()
    else:
        client(latencies[0])
    wall = time.perf_counter() - began
    every = [x for mine in latencies for x in mine]
    return {"requests_per_s": len(every) / wall, "requests": len(every), "p50_ms": percentile(every, 50),
            "p99_ms": percentile(every, 99)}  # fmt: skip


def serve(path: ServingPath, directory: Path) -> dict[str, object]:
    """What the serve process measured: the fields of a finding (``ServingFinding``), by name."""
    import importlib

    threads = environment.available_cpus()
    loader = export.steps(path.framework).LOADERS[path.export_key]
    single, batched = loader(directory / "artifact-1", threads), loader(directory / f"artifact-{SERVER_BATCH}", threads)
    spec = importlib.import_module(f"measurements.workloads.{MODEL}.spec")
    reference = spec.parity(params(1))
    (x,) = reference.inputs
    rows = [single.predict(export.layout(path.framework, x[i : i + 1])) for i in range(len(x))]
    checked = export.compare(np.concatenate(rows), reference)
    one = single.bind(export.layout(path.framework, spec.batch(params(1))[0]))
    latency = export.time_calls(one, WARMUP_CALLS, LATENCY_CALLS)
    many = batched.bind(export.layout(path.framework, spec.batch(params(SERVER_BATCH))[0]))
    for _ in range(3):
        many()
    samples = []
    for _ in range(THROUGHPUT_SAMPLES):
        calls, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < SAMPLE_S or calls == 0:
            many()
            calls += 1
        samples.append(calls * SERVER_BATCH / elapsed)
    clients = {f"clients{n}_{key}": value for n in CLIENTS for key, value in concurrent(one, n, CLIENT_S).items()
               if key in CLIENT_KEYS}  # fmt: skip
    return {
        "runtime": single.runtime, **checked, "latency_samples": latency,
        "latency_p50_ms": statistics.median(latency), "latency_p99_ms": percentile(latency, 99),
        "samples": samples, **clients,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = export.step_parser(__name__, STUDY.frameworks)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args(argv)
    path = next(p for p in paths_of(args.framework) if p.key == args.path)
    try:
        measured = convert(path, args.dir, args.batch) if args.step == "convert" else serve(path, args.dir)
        found: dict[str, object] = {"ok": True, "error": None, **measured}
    except Exception as exc:
        found = {"ok": False, "error": export.error_of(exc)}
    report(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
