"""Measurement profiles: how big the workloads are, how many processes measure each run and
how long each is timed."""

from __future__ import annotations

from dataclasses import dataclass

STEADY_BLOCKS = 4
STEADY_TOLERANCE = 0.05
ACCURACY_ROUNDS = 3  # training on real data takes tens of seconds a process: at most this many
# ResNet-50 and the BERT-base-sized encoder take one to three minutes a process on two cores (most of it
# torch.compile's and XLA's compile): the standard profile measures them in this many processes
LARGE_ROUNDS = 3


@dataclass(frozen=True)
class Profile:
    name: str
    size: str  # which sizes a workload's spec uses: "tiny", "standard" or "full"
    rounds: int  # fresh processes per run (the unit of replication), interleaved with the other runs
    samples: int  # timed samples per measurement and round
    sample_s: float  # each sample of a rate repeats the step until it lasts at least this long
    latency_samples: int  # calls timed one by one per latency measurement and round
    warmup_s: float  # the least warm-up before timing, after the first call
    timeout_s: float  # a child that runs longer is killed and recorded as a timeout
    # Warm-up goes on until the step time is steady: the last STEADY_BLOCKS blocks of steps
    # (each lasting at least a quarter of a sample) within STEADY_TOLERANCE of each other,
    # or until warmup_cap_s has passed (the run then records that it never became steady).
    warmup_cap_s: float = 5.0
    # workloads measured in every mode; the others only in each framework's plain (first) mode.
    # None: every workload in every mode.
    every_mode: tuple[str, ...] | None = None


# listed from the smallest to the largest: the harness and the generator rank profiles by this order
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
        warmup_cap_s=1.0,
        every_mode=("mlp", "mlp_infer"),  # a cold torch.compile alone takes 10-30 s per run
    ),
    # five processes per run: the fewest the comparisons rest on (fewer samples per process;
    # the timing runs took 45 minutes on 2 cores, most of it each process's start, compile and parity)
    "standard": Profile(
        "standard",
        "standard",
        rounds=5,
        samples=5,
        sample_s=0.1,
        latency_samples=40,
        warmup_s=0.2,
        timeout_s=900,
        warmup_cap_s=3.0,
    ),
    "full": Profile(
        "full",
        "full",
        rounds=10,
        samples=20,
        sample_s=0.5,
        latency_samples=300,
        warmup_s=1.0,
        timeout_s=1800,
        warmup_cap_s=20.0,
    ),
}


def rounds_for(profile: Profile, task: str, scale: str = "small") -> int:
    """How many processes measure a run of this task (training on real data is capped, and so are
    the large models in the standard profile: the full profile measures them in all its rounds)."""
    if task == "accuracy":
        return min(profile.rounds, ACCURACY_ROUNDS)
    if scale == "large" and profile.size == "standard":
        return min(profile.rounds, LARGE_ROUNDS)
    return profile.rounds
