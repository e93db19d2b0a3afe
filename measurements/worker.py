"""Inside one child process: set up one framework, then measure each case of one workload.

For each case: build the model from the shared NumPy weights, check forward parity against
the NumPy float64 reference, time the first call (tracing or compiling included), warm up,
then collect raw timing samples. Peak memory (``VmHWM``) is reset once each case's parity check has
let go of its float64 copies and read after the case's timing, so that it is what timing holds. This process
reports its findings the launcher's way (``measurements.launch.report``), including the
traceback when it fails; run by hand, it prints them.

    python -m measurements.worker --workload mlp --framework pytorch --mode eager \
        --device cpu --profile quick --threads 2
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import hashlib
import importlib
import json
import math
import os
import pickle
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from measurements import catalog, environment, workloads
from measurements.canary import Watch
from measurements.frameworks import REGISTRY, Unavailable, with_why
from measurements.launch import report
from measurements.profiles import PROFILES, STEADY_BLOCKS, STEADY_TOLERANCE, Profile
from measurements.results import CurvePoint, Measured, Measurement, Parity, ParityCheck, Reading, ReportedCase
from measurements.workloads import Case, Sizes, shared

MIN_WARMUP_STEPS = 3
REFERENCES_ENV = "FG_REFERENCES"  # the harness's folder for the NumPy references its children computed

Memo = Callable[[str, Callable[[], Any]], Any]


def references(spec: ModuleType, params: Sizes) -> Memo:
    """``memo(key, compute)``: the NumPy float64 reference's value ``key`` of this case, computed once
    and kept as a file in the folder ``FG_REFERENCES`` names (the harness shares one among its
    children), so that every process of every run of the case reuses it: it depends on the case alone
    (its spec and parameters), never on the framework measured. Without the folder, computed each time."""
    folder = os.environ.get(REFERENCES_ENV)
    case = hashlib.sha256(json.dumps([spec.__name__, params], sort_keys=True).encode()).hexdigest()[:32]

    def memo(key: str, compute: Callable[[], Any]) -> Any:
        if not folder:
            return compute()
        path = Path(folder) / case / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.pickle"
        if path.exists():  # written by an earlier child of this harness, in its own folder
            return pickle.loads(path.read_bytes())
        value = compute()
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as file:
            pickle.dump(value, file)
        Path(file.name).replace(path)
        return value

    return memo


class ParityFailed(RuntimeError):
    """The timed path does not match the NumPy float64 reference: the case is not timed."""


def _compare(what: str, got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> ParityCheck:
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        raise ParityFailed(f"parity: {what} has shape {got.shape}, the reference {expected.shape}")
    diff = np.abs(got - expected)
    largest = float(np.max(diff)) if diff.size else 0.0
    # relative to the reference's largest magnitude (elementwise ratios explode on near-zero elements)
    relative = largest / max(float(np.max(np.abs(expected))) if diff.size else 0.0, np.finfo(np.float64).tiny)
    return {
        "what": what,
        "max_abs_diff": largest if math.isfinite(largest) else None,  # NaN or inf output: no parity
        "max_rel_diff": relative if math.isfinite(relative) else None,
        "rtol": rtol,
        "atol": atol,
        "passed": bool(np.allclose(got, expected, rtol=rtol, atol=atol)),
    }


def _concatenate(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays])


def check_training_parity(
    fw: ModuleType,
    spec: ModuleType,
    prepared: workloads.Prepared,
    case: Case[Sizes],
    first_loss: Any,
    precision: str | None = None,
) -> list[ParityCheck]:
    """One training step of the timed mode (its first call: from the shared initial weights, on
    the timed batch) against NumPy float64: the loss; the gradients (exactly where the spec has
    a backward pass, and by central differences of the float64 loss along random directions);
    the weights after one Adam step, by the framework's own documented formula applied to its
    (checked) gradients. A last, informational, check gives the largest difference between the
    frameworks' Adam formulas on these gradients."""
    assert prepared.train_state is not None
    params = case.params
    tolerances = shared.TOLERANCES[precision or params["dtype"]]
    few = workloads.distinct(params)  # a repeated batch's loss and gradients are those of its distinct examples
    x, y = (a[:few] for a in spec.batch(params))
    w0 = [np.asarray(a, dtype=np.float64) for a in spec.flat_weights(params)]
    gradients, weights = prepared.train_state()
    memo = references(spec, params)

    def loss(flat: list[np.ndarray]) -> float:
        return float(spec.loss_reference(params, flat, x, y))

    def kept(key: str, compute: Callable[[], float]) -> float:
        return float(memo(key, compute))

    checks = [_compare("loss", fw.to_numpy(first_loss), np.asarray(kept("loss", lambda: loss(w0))), *tolerances.loss)]
    if hasattr(spec, "gradient_reference"):
        exact = _concatenate(spec.gradient_reference(params, w0, x, y))
        checks.append(_compare("gradients (exact backward)", _concatenate(gradients), exact, *tolerances.gradients))
    # a spec may widen it, saying why
    directional_rtol = max(getattr(spec, "DIRECTIONAL_RTOL", 0.0), tolerances.directional_rtol)
    directional = shared.directional_check(loss, w0, gradients, directional_rtol, memo=kept)
    checks.append({
        "what": f"gradients (along {len(directional.projected)} random directions, central differences)",
        "max_abs_diff": directional.max_abs_diff if math.isfinite(directional.max_abs_diff) else None,
        "max_rel_diff": directional.max_rel_diff if math.isfinite(directional.max_rel_diff) else None,
        "rtol": directional_rtol,
        "atol": directional_rtol * directional.scale,
        "passed": directional.passed,
    })  # fmt: skip
    g, w0_flat = _concatenate(gradients), _concatenate(w0)
    own = shared.OPTIMIZERS[prepared.optimizer]
    checks.append(_compare(f"weights after one Adam step ({prepared.optimizer}'s formula)", _concatenate(weights),
                           own(w0_flat, g), *tolerances.weights))  # fmt: skip
    updates = [formula(w0_flat, g) for formula in shared.ADAM_FIRST_STEP.values()]
    between = float(max(np.max(np.abs(a - b)) for a in updates for b in updates))
    checks.append({
        "what": f"Adam formula difference ({' vs '.join(shared.ADAM_FIRST_STEP)}), informational",
        "max_abs_diff": between if math.isfinite(between) else None,
        "rtol": tolerances.weights[0],
        "atol": tolerances.weights[1],
        "passed": bool(between <= tolerances.weights[1]),
        "informational": True,
    })  # fmt: skip
    return checks


def forward_reference(spec: ModuleType, params: Sizes) -> workloads.Parity:
    """The spec's inference reference for a case; for a repeated batch, computed on its distinct
    examples (kept for the case's other processes) and repeated as the batch is."""
    distinct = params.get("distinct")
    if not distinct:
        return spec.parity(params)  # type: ignore[no-any-return]
    few: Sizes = {**params, "batch_size": distinct, "distinct": None}
    reference: workloads.Parity = references(spec, params)("forward", lambda: spec.parity(few))
    return replace(reference, inputs=workloads.repeat(params, *reference.inputs),
                   expected=workloads.repeat(params, reference.expected)[0])  # fmt: skip


def check_parity(
    fw: ModuleType,
    spec: ModuleType,
    prepared: workloads.Prepared,
    case: Case[Sizes],
    first: Any = None,
    precision: str | None = None,
) -> Parity:
    """Parity of the timed path, before any timing. ``first`` is what the timed step's first
    call returned: a training step's loss, or an inference's or operation's output on the timed
    inputs. Without it (the accuracy runs), the eager forward pass on the spec's inputs.
    ``precision``: the one a mode computes in, where lower than the case's dtype (its tolerances)."""
    if prepared.train_state is not None and first is not None:
        checks = check_training_parity(fw, spec, prepared, case, first, precision)
    else:
        reference = forward_reference(spec, case.params)
        lower = shared.TOLERANCES[precision].forward if precision else None
        if lower is not None:  # relative to the largest reference value, as each spec's float32 atol is
            largest = float(np.max(np.abs(reference.expected))) if reference.expected.size else 0.0
            reference = replace(reference, rtol=lower[0], atol=lower[1] * largest)
        if first is None:
            got = fw.to_numpy(prepared.forward(*reference.inputs))
        else:
            got = fw.to_numpy(first)
            got = prepared.to_reference(got) if prepared.to_reference is not None else got
        checks = [_compare("forward", got, reference.expected, reference.rtol, reference.atol)]
    counted = [c for c in checks if not c.get("informational")]
    diffs = [c["max_abs_diff"] for c in counted]
    return {
        "reference": "NumPy float64",
        "max_abs_diff": None if None in diffs else max(d for d in diffs if d is not None),
        "rtol": counted[0]["rtol"],
        "atol": counted[0]["atol"],
        "passed": all(c["passed"] for c in counted),
        "checks": checks,
    }


def parity_failure(parity: Parity) -> str:
    """One line naming each failed check and its largest difference."""
    failed = [c for c in parity["checks"] if not c["passed"] and not c.get("informational")]
    return "parity failed: " + "; ".join(
        f"{c['what']}: largest difference {c['max_abs_diff']} (rtol {c['rtol']}, atol {c['atol']:.3g})" for c in failed
    )


def measure_accuracy(fw: ModuleType, spec: ModuleType, prepared: workloads.Prepared, case: Case[Sizes]) -> Reading:
    """Train on real data for the case's epochs, in the spec's batch order; test after each epoch."""
    params = case.params
    assert prepared.fit is not None, "an accuracy case needs a workload that trains"
    x_train, y_train, x_test, y_test = spec.data(params)
    curve: list[CurvePoint] = []
    train_s, first_call_s, reached, steps = 0.0, 0.0, None, 0
    for epoch in range(1, params["epochs"] + 1):
        start = time.perf_counter()
        for index in spec.batches(params, len(y_train), epoch):
            out = prepared.fit(x_train[index], y_train[index])
            if epoch == 1 and steps == 0:
                fw.to_numpy(out)
                first_call_s = time.perf_counter() - start
            steps += 1
        fw.to_numpy(out)
        train_s += time.perf_counter() - start
        predicted = fw.to_numpy(prepared.forward(x_test)).argmax(axis=1)
        accuracy = 100 * float(np.mean(predicted == y_test))
        curve.append({"epoch": epoch, "accuracy": accuracy, "train_s": train_s})
        if reached is None and accuracy >= params["target"]:
            reached = train_s
    return {
        "samples": [curve[-1]["accuracy"]],
        "steps_per_sample": steps,
        "warmup_steps": 0,
        "first_call_s": first_call_s,
        "curve": curve,
        "time_to_target_s": reached,
    }


def measure_case(
    fw: ModuleType,
    spec: ModuleType,
    module: ModuleType,
    case: Case[Sizes],
    mode: str,
    device: str,
    profile: Profile,
    precision: str | None = None,
    watch: Watch | None = None,
    reset_peak: Callable[[], object] = lambda: None,
) -> ReportedCase:
    """One case in this process: build, first call, parity, warm-up, then the samples, each block of
    them after a reading of ``watch``'s canary (taken outside the sample's timing)."""
    watch = watch or Watch()
    canary = watch.canary or watch.start_canary()
    fw.reset_device_peak(device)
    getattr(fw, "fresh_case", lambda: None)()  # each case compiles for its own shapes
    start = time.perf_counter()
    prepared = module.prepare(case.params, mode, device)  # torch.compile imports its compiler here
    prepare_s = time.perf_counter() - start
    timed = catalog.METRICS[case.metric].timing != "curve"
    first: Any = None
    if timed:  # the first call, timed apart; it is also the parity step (from the shared initial weights)
        start = time.perf_counter()
        first = prepared.step()
        fw.to_numpy(first)
        first_call_s = time.perf_counter() - start
    parity = check_parity(fw, spec, prepared, case, first, precision)
    if not parity["passed"]:
        raise ParityFailed(parity_failure(parity))
    reset_peak()  # the parity check's float64 copies are gone: the peak memory counts from here
    common: Measurement = {
        "metric": case.metric,
        "unit": catalog.METRICS[case.metric].unit,
        "case": case.name,
        "params": case.params,
        "flops_per_unit": case.flops_per_step / case.work_per_step,
        "parity": parity,
    }
    if catalog.METRICS[case.metric].timing == "curve":
        found = measure_accuracy(fw, spec, prepared, case)
        found["prepare_s"], found["device_peak_bytes"] = prepare_s, fw.device_peak_bytes(device)
        return {**common, **found}

    # Warm-up until steady, excluded from the samples; it also sizes each sample to last >= sample_s.
    warm = warm_up(fw, prepared.step, profile)
    steps_per_sample = max(1, math.ceil(profile.sample_s / warm.step_s))

    samples, canaries, per_canary = [], [], 1
    if catalog.METRICS[case.metric].timing == "latency":  # each call on its own, in milliseconds
        steps_per_sample = 1
        per_canary = max(1, math.ceil(profile.sample_s / warm.step_s))  # a canary per sample's worth of calls
        for i in range(profile.latency_samples):
            if i % per_canary == 0:
                canaries.append(canary())
                watch.sample()
            start = time.perf_counter()
            fw.to_numpy(prepared.step())
            samples.append((time.perf_counter() - start) * 1000)
    else:
        for _ in range(profile.samples):
            canaries.append(canary())  # beside the sample, never inside its timing
            watch.sample()
            start = time.perf_counter()
            for _ in range(steps_per_sample):
                out = prepared.step()
            fw.to_numpy(out)  # wait for the last step (and so all before it) to finish
            samples.append(case.work_per_step * steps_per_sample / (time.perf_counter() - start))

    reading: Reading = {
        "prepare_s": prepare_s,
        "samples": samples,
        "steps_per_sample": steps_per_sample,
        "warmup_steps": warm.steps,
        "warmup_s": warm.seconds,
        "warmup_steady": warm.steady,
        "first_call_s": first_call_s,
        "device_peak_bytes": fw.device_peak_bytes(device),
        "canary": canaries,
        "samples_per_canary": per_canary,
    }
    return {**common, **reading}


@dataclass(frozen=True)
class WarmUp:
    steps: int
    seconds: float
    steady: bool  # False: the cap was reached first
    step_s: float  # the steady time of one step (the median of the last blocks)


def warm_up(fw: ModuleType, step: Callable[[], Any], profile: Profile) -> WarmUp:
    """Run blocks of steps until the time per step is steady: the last ``STEADY_BLOCKS``
    blocks (each lasting at least a quarter of a sample) within ``STEADY_TOLERANCE`` of each
    other, after at least ``profile.warmup_s``; or until ``profile.warmup_cap_s`` has passed.
    A compiler's or autotuner's slow early steps so stay out of the samples."""
    block_s = max(profile.sample_s / 4, 0.005)
    per_step: list[float] = []
    steps, per_block, start = 0, 1, time.perf_counter()
    while True:
        began = time.perf_counter()
        for _ in range(per_block):
            out = step()
        fw.to_numpy(out)
        took = time.perf_counter() - began
        steps += per_block
        per_step.append(took / per_block)
        last = per_step[-STEADY_BLOCKS:]
        elapsed = time.perf_counter() - start
        steady = len(last) == STEADY_BLOCKS and max(last) <= min(last) * (1 + STEADY_TOLERANCE)
        if steps >= MIN_WARMUP_STEPS and elapsed >= profile.warmup_s and (steady or elapsed >= profile.warmup_cap_s):
            return WarmUp(steps, elapsed, steady, float(np.median(last)))
        per_block = max(1, math.ceil(block_s / per_step[-1]))


def inject(fault: str) -> None:
    """Misbehave on purpose, so that tests can check how the harness records each fault."""
    if fault == "raise":
        raise RuntimeError("injected fault: an exception in the measurement")
    if fault == "crash":
        ctypes.string_at(0)  # reads address 0: a real segmentation fault
    if fault == "hang":
        threading.Event().wait()
    if fault == "oom":
        hoard = []
        while True:
            hoard.append(np.ones(2**24))  # 128 MiB at a time, touched so it is resident
    raise ValueError(f"unknown fault {fault!r}; known: raise, crash, hang, oom")


def measure(
    workload_name: str,
    framework: str,
    mode: str,
    device: str,
    profile: Profile,
    threads: int,
    faults: tuple[str, ...] = (),
    watch: Watch | None = None,
) -> Measured:
    """Every case of one workload in one framework and mode, in this process; ``watch`` (started
    when the process started) records what the machine did meanwhile (``measurements.canary``)."""
    watch = watch or Watch()
    workload = catalog.workload(workload_name)
    if mode not in workload.modes.get(framework, ()):
        raise ValueError(f"{workload_name} has no mode {mode!r} for {framework}")
    start = time.perf_counter()
    try:
        fw = importlib.import_module(f"measurements.frameworks.{framework}")
    except Unavailable:
        raise
    except Exception as exc:  # a broken install fails in many ways; all mean "cannot run here"
        raise Unavailable(f"{framework} fails to import: {type(exc).__name__}: {exc}") from exc
    software = fw.setup(threads, device)
    fw.to_numpy(fw.first_operation(device))  # a backend or library started on first use counts too
    import_s = time.perf_counter() - start  # from `import` until the framework has computed
    watch.start_canary()
    for fault in faults:
        inject(fault)
    import_rss = environment.proc_status_bytes("VmRSS")
    spec = importlib.import_module(f"{workload.module}.spec")
    module = importlib.import_module(f"{workload.module}.{framework}")
    precision = REGISTRY[framework].precision.get(mode) if framework in REGISTRY else None
    resets: list[bool] = []

    def reset_peak() -> None:
        gc.collect()
        resets.append(environment.reset_peak_rss())

    found, peaks = [], []
    for case in spec.cases(profile, workload.task):
        found.append(measure_case(fw, spec, module, case, mode, device, profile, precision, watch, reset_peak))
        peaks.append(environment.proc_status_bytes("VmHWM"))
    after_parity = bool(resets) and all(resets) and None not in peaks
    # where the high-water mark cannot be reset, the process's own, parity check included
    peak = max(p for p in peaks if p is not None) if after_parity else environment.proc_status_bytes("VmHWM")
    return {
        "framework": software,
        "import_s": import_s,
        "import_until": "first operation",
        "measurements": found,
        "memory": {
            "peak_rss_bytes": peak,
            "after_import_rss_bytes": import_rss,
            "peak_rss_from": "after parity" if after_parity else "process start",
        },
        "noise": watch.record(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m measurements.worker")
    parser.add_argument("--workload", required=True)
    parser.add_argument("--framework", required=True)
    parser.add_argument("--mode", required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--inject", action="append", default=[], help="a fault to inject, for tests")
    args = parser.parse_args(argv)
    watch = Watch()  # from the process's start: its steal, its CPUs, its clock

    status, error = "ok", None
    found: Measured | dict[str, object] = {}
    try:
        found = measure(
            args.workload, args.framework, args.mode, args.device, PROFILES[args.profile], args.threads,
            tuple(args.inject), watch,
        )  # fmt: skip
    except Unavailable as exc:
        status, error = "unavailable", with_why(args.framework, str(exc))
    except MemoryError:
        status, error = "oom", traceback.format_exc()
    except Exception:  # the launcher records the traceback as a failed outcome
        status, error = "failed", traceback.format_exc()
    report({"status": status, "error": error, **found})
    return 1 if status == "failed" else 0


if __name__ == "__main__":
    sys.exit(main())
