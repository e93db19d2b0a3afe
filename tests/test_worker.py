"""What a timing child reads about itself: its peak memory leaves the parity check out, and its
import time runs until the framework has computed its first operation."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from generator.pages import performance
from measurements import environment, worker
from measurements.profiles import PROFILES
from measurements.results import ReportedMemory
from tests.conftest import make_result

BRIEF = replace(PROFILES["quick"], samples=2, sample_s=0.01, warmup_s=0.0, warmup_cap_s=0.1)
HOARD = 2**30  # bytes of float64 copies the stand-in parity check holds, as the encoder's reference does


def _measure_with_a_hoarding_parity_check(monkeypatch: pytest.MonkeyPatch) -> tuple[int, ReportedMemory]:
    """NumPy's matmul measured in this process, its parity check holding ``HOARD`` bytes; the
    resident memory before, and what the run reports of its memory."""
    check = worker.check_parity

    def hoarding(*args: Any, **kwargs: Any) -> Any:
        copies = np.ones(HOARD // 8)  # touched, so resident
        assert copies.sum() > 0
        return check(*args, **kwargs)

    monkeypatch.setattr(worker, "check_parity", hoarding)
    before = environment.proc_status_bytes("VmRSS")
    assert before is not None
    return before, worker.measure("matmul", "numpy", "default", "cpu", BRIEF, 1)["memory"]


def test_a_runs_peak_memory_leaves_out_the_parity_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The float64 reference copies of the parity check are gone before timing: a run's peak
    resident memory is what its timed steps hold, not its parity check's copies."""
    before, memory = _measure_with_a_hoarding_parity_check(monkeypatch)
    peak = memory["peak_rss_bytes"]
    assert peak is not None and peak < before + HOARD / 2, (peak, before)
    assert memory["peak_rss_from"] == "after parity"


def test_where_the_peak_cannot_be_reset_the_run_says_its_peak_includes_parity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment, "reset_peak_rss", lambda: False)
    before, memory = _measure_with_a_hoarding_parity_check(monkeypatch)
    peak = memory["peak_rss_bytes"]
    assert peak is not None and peak >= HOARD, (peak, before)
    assert memory["peak_rss_from"] == "process start"


def test_import_time_runs_until_the_frameworks_first_operation_has_finished(monkeypatch: pytest.MonkeyPatch) -> None:
    """A framework that starts its backend in its set-up (JAX's ``jax.devices()``) or on its first
    operation (TensorFlow's Keras) pays for it before it can compute: import time includes both."""
    from measurements.frameworks import numpy as adapter

    def slow(seconds: float, then: Callable[..., Any]) -> Callable[..., Any]:
        def called(*args: Any) -> Any:
            time.sleep(seconds)
            return then(*args)

        return called

    monkeypatch.setattr(adapter, "setup", slow(0.3, adapter.setup))
    monkeypatch.setattr(adapter, "first_operation", slow(0.3, lambda device: np.ones(2) + 1), raising=False)
    found = worker.measure("matmul", "numpy", "default", "cpu", BRIEF, 1)
    assert found["import_s"] is not None and found["import_s"] >= 0.6, found["import_s"]


def _timed(framework: str, seconds: float, until: str | None) -> Any:
    doc = make_result("mlp", framework, samples=(100.0, 101.0, 99.0, 100.0, 98.0), processes=5)
    for i, r in enumerate(doc["rounds"]):
        r["import_s"] = seconds * (1 + i / 100)
        if until:
            r["import_until"] = until
    return doc


def test_the_page_compares_import_times_of_one_span_and_says_which() -> None:
    """Results that timed ``import`` alone are not compared with those that timed it to a first
    operation: the page compares the span every framework has and names it."""
    new = [_timed("pytorch", 3.0, "first operation"), _timed("tensorflow", 5.0, "first operation")]
    old = [_timed("pytorch", 1.0, None), _timed("tensorflow", 9.0, None)]
    both = performance.import_times([*new, *old])
    assert both.span == performance.IMPORT_SPANS["first operation"] and both.faster == "pytorch"
    assert both.summaries["pytorch"].median == pytest.approx(3.06, rel=0.01)
    half = performance.import_times([new[0], *old])  # TensorFlow timed to a first operation nowhere
    assert half.span == performance.IMPORT_SPANS[None]
    assert half.summaries["pytorch"].median == pytest.approx(1.02, rel=0.01)
