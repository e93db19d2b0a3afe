"""Measurement profiles: how big the workloads are and how long each is timed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    size: str  # which sizes a workload's spec uses: "tiny", "standard" or "full"
    samples: int  # timed samples per measurement
    sample_s: float  # each sample repeats the step until it lasts at least this long
    warmup_s: float  # steady-state warm-up before timing, after the first call
    timeout_s: float  # a child that runs longer is killed and recorded as a timeout


PROFILES = {
    "quick": Profile("quick", size="tiny", samples=5, sample_s=0.02, warmup_s=0.1, timeout_s=300),
    "standard": Profile("standard", size="standard", samples=40, sample_s=0.25, warmup_s=2.0, timeout_s=900),
    "full": Profile("full", size="full", samples=100, sample_s=0.5, warmup_s=5.0, timeout_s=1800),
}
