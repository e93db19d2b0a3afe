"""What the machine was doing while a child measured: the sources of spread between processes.

A timing child keeps a ``Watch`` over its whole life and records, for its round (``results.Noise``):

- **steal**: the share of its CPUs' time the hypervisor gave to others, from ``/proc/stat`` (the
  steal ticks of the CPUs it may run on ÷ all their ticks, between its start and its end);
- **the CPUs**: those it may run on (its affinity) and those its threads were seen on, sampled
  beside every block of samples (``/proc/self/task/*/stat``, field 39);
- **the clock**: the CPUs' current frequency where the kernel shows it (cpufreq's
  ``scaling_cur_freq``, else ``/proc/cpuinfo``'s "cpu MHz"), at the same moments; None where neither;
- **a canary**: a small fixed NumPy float32 matrix multiply (``CANARY_N`` square, ``CANARY_REPEATS``
  times: a few milliseconds on one thread, ``Canary`` says why one), timed before every timed sample,
  outside the sample's own timing, so that each sample has a reading of the machine's speed beside it. The
  canary's work never changes; its speed (GFLOP/s) follows the host's drift, which a sample shares.
  Its cost is recorded as a share of the process's time.

Linux only; elsewhere each reading is None (or empty), never a guess.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from measurements.results import Noise

CANARY_N = 256  # float32 256 × 256: 768 KiB for the three matrices, a few hundred microseconds a multiply
CANARY_REPEATS = 4
CANARY_THREADS = 1  # see Canary
CANARY_FLOPS = 2 * CANARY_N**3 * CANARY_REPEATS
CPU_FIELD = 39  # /proc/<pid>/stat: the CPU the task last ran on
PROC_STAT = Path("/proc/stat")
SYSFS_CPU = Path("/sys/devices/system/cpu")
CPUINFO = Path("/proc/cpuinfo")
STEAL_FIELD = 7  # /proc/stat cpuN: user nice system idle iowait irq softirq steal (guest time is in user)


def affinity() -> list[int]:
    """The CPUs this process may run on."""
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def cpu_ticks(cpus: list[int], stat: Path = PROC_STAT) -> tuple[int, int] | None:
    """(steal ticks, all ticks) of ``cpus`` since boot, from ``/proc/stat``; None where it cannot be read."""
    wanted = {f"cpu{c}" for c in cpus}
    steal = total = 0
    try:
        for line in stat.read_text().splitlines():
            name, *values = line.split()
            if name in wanted:
                ticks = [int(v) for v in values[: STEAL_FIELD + 1]]
                steal += ticks[STEAL_FIELD] if len(ticks) > STEAL_FIELD else 0
                total += sum(ticks)
    except (OSError, ValueError):
        return None
    return (steal, total) if total else None


def steal_between(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of ticks stolen between two readings of ``cpu_ticks``; None without both or without ticks."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def cpus_seen(tasks: Path = Path("/proc/self/task")) -> set[int]:
    """The CPUs this process's threads last ran on (field 39 of each thread's stat)."""
    found: set[int] = set()
    try:
        entries = list(tasks.iterdir())
    except OSError:
        return found
    for task in entries:
        try:
            text = (task / "stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        rest = text[text.rfind(")") + 2 :].split()  # after the command's name, which may hold spaces: field 3 on
        if len(rest) > CPU_FIELD - 3:
            found.add(int(rest[CPU_FIELD - 3]))
    return found


def clock_mhz(cpus: list[int], sysfs: Path = SYSFS_CPU, cpuinfo: Path = CPUINFO) -> float | None:
    """The mean current frequency of ``cpus`` in MHz: cpufreq's where the kernel has it, else
    /proc/cpuinfo's "cpu MHz" (on many virtual machines, the nominal clock); None where neither."""
    found = []
    for c in cpus:
        try:
            found.append(int((sysfs / f"cpu{c}" / "cpufreq" / "scaling_cur_freq").read_text()) / 1000)
        except (OSError, ValueError):
            break
    else:
        if found:
            return sum(found) / len(found)
    try:
        lines = cpuinfo.read_text().splitlines()
    except OSError:
        return None
    each, processor = {}, None
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == "processor":
            processor = int(value)
        elif key.strip() == "cpu MHz" and processor is not None:
            each[processor] = float(value)
    picked = [each[c] for c in cpus if c in each] or list(each.values())
    return sum(picked) / len(picked) if picked else None


class Canary:
    """The canary: a fixed float32 matrix multiply block, in the calling thread alone (NumPy's BLAS held
    to ``CANARY_THREADS`` during the block, and given back its own count after it, so that a run that
    times NumPy keeps its threads). Each call returns its speed in GFLOP/s and adds its time to ``spent_s``.

    Why one thread and not the run's count: a BLAS thread team of its own beside the framework's would
    contend with it, as each team's threads spin-wait a while after their work: on a 2-CPU machine a
    2-thread NumPy canary read 0.5 to 0.7 GFLOP/s right after PyTorch's 2-thread matrix multiplies,
    against tens alone, and its own spinning threads would slow the sample that follows."""

    def __init__(self) -> None:
        from threadpoolctl import ThreadpoolController

        self.controller = ThreadpoolController()
        rng = np.random.default_rng(0)
        self.a = rng.standard_normal((CANARY_N, CANARY_N), dtype=np.float32)
        self.b = rng.standard_normal((CANARY_N, CANARY_N), dtype=np.float32)
        self.out = np.empty_like(self.a)
        self.spent_s = 0.0
        self()  # the first call touches the matrices and loads the kernel: not a reading
        self.spent_s = 0.0

    def __call__(self) -> float:
        with self.controller.limit(limits=CANARY_THREADS, user_api="blas"):
            start = time.perf_counter()
            for _ in range(CANARY_REPEATS):
                np.matmul(self.a, self.b, out=self.out)
            took = time.perf_counter() - start
        self.spent_s += took
        return CANARY_FLOPS / took / 1e9


@dataclass
class Watch:
    """A child's watch over its own life: started first, read beside every block of samples
    (``sample``), summed up at the end (``record``)."""

    started: float = field(default_factory=time.perf_counter)
    cpus: list[int] = field(default_factory=affinity)
    ticks: tuple[int, int] | None = None
    seen: set[int] = field(default_factory=set)
    clock: list[float] = field(default_factory=list)
    canary: Canary | None = None

    def __post_init__(self) -> None:
        self.ticks = cpu_ticks(self.cpus)
        self.sample()

    def start_canary(self) -> Canary:
        self.canary = Canary()
        return self.canary

    def sample(self) -> None:
        self.seen |= cpus_seen()
        mhz = clock_mhz(self.cpus)
        if mhz is not None:
            self.clock.append(mhz)

    def record(self) -> Noise:
        self.sample()
        wall_s = time.perf_counter() - self.started
        spent = self.canary.spent_s if self.canary else 0.0
        return {
            "steal": steal_between(self.ticks, cpu_ticks(self.cpus)),
            "affinity": self.cpus,
            "cpus_seen": sorted(self.seen),
            "clock_mhz": [min(self.clock), max(self.clock)] if self.clock else None,
            "canary_s": spent,
            "canary_share": spent / wall_s if wall_s > 0 else 0.0,
        }
