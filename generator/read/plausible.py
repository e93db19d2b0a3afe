"""Whether a results file could be what it says it is: measured on the machine its folder names
(one fingerprint per machine), and no faster than that machine can compute.

A results file is untrusted (a colleague's, a CI artifact): it can name any machine id and any
figure. These checks leave out, each with one line, a file whose hardware differs from the other
files of its machine, and a figure far beyond the machine's own measured ceiling (its
matrix-multiply rate), before anything is compared.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from measurements import catalog
from measurements.frameworks import REGISTRY
from measurements.results import AnyResult, Result, every_sample, flops_per_unit

MEMORY_TOLERANCE = 0.05  # the memory a kernel reports moves by a few kB between boots of one machine
# A figure this many times the machine's measured matmul ceiling is not a measurement. Real runs stay
# below the ceiling, give or take a kernel that counts fewer operations (Winograd, Strassen); a
# wide margin keeps those, while a forged "1349x faster" lies hundreds of times above it.
CEILING_FACTOR = 4.0
CEILING_METRIC = "matmul_rate"
# The ceiling is float32's. A mode computing in a lower precision may pass it by as much as the
# hardware's rate in that precision passes its float32 rate: an H100's tensor cores do about 15
# times its float32 rate in bfloat16 (989 against 67 TFLOP/s, dense, NVIDIA's data sheet).
LOWER_PRECISION = {"bfloat16": 16.0}


@dataclass(frozen=True)
class Fingerprint:
    """The hardware a results file says it was measured on."""

    cpu_model: str
    cores: int
    memory_bytes: int | None
    gpus: tuple[tuple[str, int], ...]  # each GPU's name and memory

    @classmethod
    def of(cls, doc: AnyResult) -> Fingerprint:
        machine = doc["machine"]
        gpus = tuple((str(g["name"]), int(g["memory_bytes"])) for g in machine["gpus"])
        return cls(machine["cpu_model"], machine["cpu_count"], machine["memory_bytes"], gpus)

    def matches(self, other: Fingerprint) -> bool:
        """The same CPU model, cores and GPUs, and memory within a few per cent."""
        if (self.cpu_model, self.cores, [g for g, _ in self.gpus]) != (
            other.cpu_model,
            other.cores,
            [g for g, _ in other.gpus],
        ):
            return False
        pairs = [(self.memory_bytes, other.memory_bytes)] + [
            (a, b) for (_, a), (_, b) in zip(self.gpus, other.gpus, strict=True)
        ]
        return all(a == b or (a and b and abs(a - b) <= MEMORY_TOLERANCE * max(a, b)) for a, b in pairs)

    @property
    def words(self) -> str:
        """ "AMD EPYC, 2 cores, 24 GiB, no GPU"."""
        memory = f"{self.memory_bytes / 2**30:.0f} GiB" if self.memory_bytes else "memory unknown"
        gpus = ", ".join(name for name, _ in self.gpus) or "no GPU"
        return f"{self.cpu_model[:100] or 'unknown CPU'}, {self.cores} cores, {memory}, {gpus}"


def machine_fingerprint(docs: Iterable[AnyResult]) -> Fingerprint | None:
    """The fingerprint of a machine's files: the one most of them carry (of equals, the first in
    sort order, never the first file read); None for no files."""
    counts = Counter(Fingerprint.of(doc) for doc in docs)
    if not counts:
        return None
    return max(sorted(counts, key=repr), key=lambda f: counts[f])


def fingerprint_problem(doc: AnyResult, expected: Fingerprint) -> str | None:
    """Why ``doc`` cannot be one of its machine's files, if it cannot: other hardware than theirs."""
    found = Fingerprint.of(doc)
    if found.matches(expected):
        return None
    machine = doc["machine"]["id"]
    return (
        f"measured on other hardware ({found.words}) than the other files of machine {machine} "
        f"({expected.words}). If it is another machine, measure it under its own id (FG_MACHINE_ID=NAME); "
        "if not, delete it"
    )


def gflops(doc: Result, index: int) -> float | None:
    """The rate of floating-point operations the ``index``-th measurement's median sample (over
    every round) stands for, in GFLOP/s, with the operations per unit the spec plans for its case
    (the file's own where it plans none)."""
    m = doc["measurements"][index]
    metric = catalog.METRICS.get(m["metric"])
    samples = [s for s in every_sample(doc, index) if isinstance(s, (int, float))]
    if metric is None or not samples:
        return None
    per_unit = flops_per_unit(doc["run"]["workload"], m)
    median = statistics.median(samples)
    if not per_unit or median <= 0:
        return None
    if metric.timing == "rate":
        return float(median * per_unit / 1e9)
    if metric.timing == "latency":  # one call per sample, in ms
        return float(per_unit / (median / 1e3) / 1e9)
    return None


def ceilings(docs: Iterable[Result]) -> dict[tuple[str, str], float]:
    """Each machine's ceiling on each device, in GFLOP/s: the median over its matrix-multiply files
    of each file's best rate (so that no one file sets it)."""
    best: dict[tuple[str, str], list[float]] = {}
    for doc in docs:
        rates = [
            g for i, m in enumerate(doc["measurements"]) if m["metric"] == CEILING_METRIC and (g := gflops(doc, i))
        ]
        if rates and doc["outcome"]["status"] == "ok":
            best.setdefault((doc["machine"]["id"], doc["run"]["device"]), []).append(max(rates))
    return {key: statistics.median(values) for key, values in best.items()}


def ceiling_problem(doc: Result, found: dict[tuple[str, str], float]) -> str | None:
    """Why a file's figures cannot have been measured on its machine, if they cannot: one far
    beyond the machine's measured ceiling on that device (``ceilings``)."""
    device = doc["run"]["device"]
    ceiling = found.get((doc["machine"]["id"], device))
    if not ceiling:
        return None
    framework = REGISTRY.get(doc["run"]["framework"])
    precision = framework.precision.get(doc["run"]["mode"]) if framework else None
    factor = CEILING_FACTOR * LOWER_PRECISION.get(precision or "", 1.0)
    for i, m in enumerate(doc["measurements"]):
        rate = gflops(doc, i)
        if rate is not None and rate > factor * ceiling:
            return (
                f"{m['metric']} at {m['case'][:100]!r} stands for {rate:,.0f} GFLOP/s, {rate / ceiling:,.0f} times "
                f"the machine's measured ceiling on {device} ({ceiling:,.0f} GFLOP/s, the median of its "
                f"matrix-multiply runs); no machine computes that much faster than its ceiling, so it is left out. "
                f"Re-measure it with `nox -s measure`"
            )
    return None
