"""benchmarks/noise.py's figures, from readings made up so that each answer is known."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from benchmarks import noise as pilot


def process(speed: float, canary: float, wall_s: float = 30.0) -> dict[str, Any]:
    return {"case": "784-512-512-10 batch 256", "metric": "train_throughput", "samples": [speed * 0.99, speed,
            speed * 1.01], "canary": [canary] * 3, "samples_per_canary": 1, "wall_s": wall_s,
            "noise": {"steal": 0.002, "canary_share": 0.03}}  # fmt: skip


def test_a_drift_the_canary_shares_is_removed_and_a_slow_one_pairs_away() -> None:
    drift = [1.0, 1.05, 1.1, 1.15, 1.2, 1.25]  # a machine that speeds up steadily, process after process
    wobble = [1.0, 1.02, 0.98, 1.01, 0.99, 1.0]  # and what the canary does not share
    found = pilot.report([process(1000 * d * w, 50 * d) for d, w in zip(drift, wobble, strict=True)])
    raw, adjusted, paired = found["sd"].values()
    assert raw == pytest.approx(float(np.std(np.log([d * w for d, w in zip(drift, wobble, strict=True)]), ddof=1)))
    assert adjusted < raw / 2  # the drift the canary shares is gone; the wobble is left
    assert paired < raw  # neighbours share the slow drift
    assert (
        found["processes_a_side_for_10_percent"]["raw"] >= found["processes_a_side_for_10_percent"]["canary-adjusted"]
    )
    assert found["minutes_per_process"] == 0.5 and found["steal_median"] == 0.002
    assert found["within_process_correlation"] is None  # a constant canary inside each process: no correlation


def test_processes_a_side_follow_the_normal_approximation() -> None:
    assert pilot.processes_for(0.078) == math.ceil(2 * (2.8016 * 0.078 / math.log(1.1)) ** 2) == 11
    assert pilot.processes_for(0.001) == 2
