"""What a timing child reads about itself: its peak memory leaves the parity check out."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from measurements import environment, worker
from measurements.profiles import PROFILES
from measurements.results import ReportedMemory

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
    brief = replace(PROFILES["quick"], samples=2, sample_s=0.01, warmup_s=0.0, warmup_cap_s=0.1)
    return before, worker.measure("matmul", "numpy", "default", "cpu", brief, 1)["memory"]


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
