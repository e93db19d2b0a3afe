"""Measurement profiles: how big the workloads are and how long each is timed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    size: str  # which sizes a workload's spec uses: "tiny", "standard" or "full"
    rounds: int  # each run is repeated this often, interleaved with the others, samples pooled
    samples: int  # timed samples per measurement and round
    sample_s: float  # each sample of a rate repeats the step until it lasts at least this long
    latency_samples: int  # calls timed one by one per latency measurement and round
    warmup_s: float  # steady-state warm-up before timing, after the first call
    timeout_s: float  # a child that runs longer is killed and recorded as a timeout
    # workloads measured in every mode; the others only in each framework's plain (first) mode.
    # None: every workload in every mode.
    every_mode: tuple[str, ...] | None = None


PROFILES = {
    "quick": Profile(
        "quick",
        "tiny",
        rounds=1,
        samples=5,
        sample_s=0.02,
        latency_samples=20,
        warmup_s=0.1,
        timeout_s=300,
        every_mode=("mlp", "mlp_infer"),  # a cold torch.compile alone takes 10-30 s per run
    ),
    "standard": Profile(
        "standard", "standard", rounds=2, samples=10, sample_s=0.2, latency_samples=100, warmup_s=0.3, timeout_s=900
    ),
    "full": Profile(
        "full", "full", rounds=5, samples=40, sample_s=0.5, latency_samples=500, warmup_s=3.0, timeout_s=1800
    ),
}
