"""The memory study compared per machine: peak, import and working memory of each framework's
fresh processes by model size and task, and the inference latency measured beside it (in
process and from a saved model).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

from generator.analyse import stats
from generator.analyse.compare import Comparison, Summary, compare, each_alone, summarise
from generator.analyse.study_systems import compared, per_process, rounds_of, speeds_of
from generator.read.studies import MachineStudies
from measurements.findings import MemoryFinding

MEMORY_TASKS = {"train": "training", "infer": "inference, in-process", "saved": "inference, saved model"}
LESS_MEMORY = ("less memory", "more memory")  # how a comparison of memory reads (less is better)


class MemoryRow(MemoryFinding):
    """A memory-study finding with the figures a page shows of it (``memory_rows``)."""

    framework: str
    mib: float | None  # the geometric mean of the peaks per process
    mib_per_process: list[float]
    import_mib: float | None
    working_mib: float | None
    parameter_mb: float
    file: str  # its results file, under the results folder
    task_label: str


def memory_mib(finding: Mapping[str, object]) -> list[float]:
    """A memory-study finding's whole-process peak (its high-water mark, the framework's own
    runtime included: what the user's machine pays for) in MiB, per process. This is the figure
    every memory comparison uses."""
    return [p / 2**20 for p in per_process(finding, "peak_rss_bytes")]


def import_mib(finding: Mapping[str, object]) -> list[float]:
    """The process's resident memory right after importing the framework, in MiB, per process."""
    return [b / 2**20 for b in per_process(finding, "after_import_rss_bytes")]


def working_mib(finding: Mapping[str, object]) -> list[float]:
    """The peak less the memory after import (the model, its data and the framework's working
    memory), in MiB, per process: shown beside the whole-process figure, never compared alone."""
    peaks, bases = memory_mib(finding), import_mib(finding)
    bases = bases if len(bases) == len(peaks) else bases[:1] * len(peaks)
    return [p - b for p, b in zip(peaks, bases, strict=True)]


def lower_is_better(values: dict[str, list[float]]) -> dict[str, list[float]]:
    """Readings where less is better (memory), as "speeds" for ``stats``: 1/value per process; a
    series with a reading at or below zero is left out."""
    return {key: [1 / v for v in vs] for key, vs in values.items() if vs and min(vs) > 0}


def memory_rows(ms: MachineStudies) -> list[MemoryRow]:
    """One row per (framework, size): the whole-process peak in MiB per process (``mib_per_process``)
    and their geometric mean (``mib``, the centre the comparisons use), beside it the memory after
    import (``import_mib``) and the rest (``working_mib``, peak less import), or the outcome."""
    rows: list[MemoryRow] = []
    for fw, r in sorted(ms.get("memory").items()):
        if not r.ok:
            continue
        for f in cast(list[MemoryFinding], list(r.findings.values())):
            ok = f["outcome"] == "ok" and f["peak_rss_bytes"] is not None and f["after_import_rss_bytes"] is not None
            values = memory_mib(f) if ok else []
            rows.append({**f, "framework": fw, "mib": stats.geometric_mean(values) if values else None,
                         "mib_per_process": values,
                         "import_mib": stats.geometric_mean(import_mib(f)) if ok else None,
                         "working_mib": statistics.median(working_mib(f)) if ok else None,
                         "parameter_mb": f["parameter_bytes"] / 1e6, "file": r.file,
                         "fresh_processes": f.get("fresh_processes", 1),
                         "task_label": MEMORY_TASKS.get(f["task"], f["task"])})  # fmt: skip
    return rows


@dataclass
class MemorySize:
    """One size of the memory study (task, width, batch) in every framework: working memory with its
    interval over processes, and the framework with the least against the least of the others."""

    task: str
    width: int
    batch: int
    parameter_bytes: int
    rows: dict[str, MemoryRow]  # framework -> its memory row
    summaries: dict[str, Summary]  # framework -> MiB over its processes, where measured
    headline: stats.Headline | None  # least memory against the least of the others (a ratio of 1/MiB)
    pairs: stats.Pairwise | None = None  # every pair of frameworks (the headline is one of them)

    @property
    def comparison(self) -> Comparison | None:
        return self.headline.comparison if self.headline else None


def memory_sizes(rows: list[MemoryRow]) -> list[MemorySize]:
    """The memory rows by size, in the rows' order."""
    by_size: dict[tuple[str, int, int, int], dict[str, MemoryRow]] = {}
    for row in rows:
        key = (row["task"], row["width"], row["batch"], row["parameter_bytes"])
        by_size.setdefault(key, {})[row["framework"]] = row
    found = []
    for key, per in by_size.items():
        measured = {fw: row["mib_per_process"] for fw, row in per.items() if row["mib_per_process"]}
        summaries = {fw: summarise(each_alone(values)) for fw, values in measured.items()}
        each = {fw: {"": speeds} for fw, speeds in lower_is_better(measured).items()}
        found.append(MemorySize(*key, per, summaries, *compared(each)))
    return found


def latency_of(row: MemoryRow | None) -> list[list[float]]:
    """A memory row's latency samples (ms) per process, where its inference was timed; else none."""
    return rounds_of(row, "latency_samples") if row and row["outcome"] == "ok" else []


@dataclass
class LatencyRow:
    """One inference size (in-process or from a saved model): each framework's latency, and the
    fastest against the fastest of the others."""

    task: str
    width: int
    batch: int
    rows: dict[str, MemoryRow]  # framework -> its memory row
    summaries: dict[str, Summary]  # framework -> latency in ms, where timed
    headline: stats.Headline | None
    pairs: stats.Pairwise | None = None  # every pair of frameworks (the headline is one of them)

    @property
    def comparison(self) -> Comparison | None:
        return self.headline.comparison if self.headline else None


def memory_latency(rows: list[MemoryRow]) -> list[LatencyRow]:
    """The memory study's inference latencies, by size, in the rows' order."""
    sizes: dict[tuple[str, int, int], dict[str, MemoryRow]] = {}
    for row in rows:
        if row["task"] in ("infer", "saved"):
            sizes.setdefault((row["task"], row["width"], row["batch"]), {})[row["framework"]] = row
    found = []
    for (task, width, batch), per in sizes.items():
        timed = {fw: row for fw, row in per.items() if latency_of(row)}
        summaries = {fw: summarise(latency_of(row)) for fw, row in timed.items()}
        each = {fw: {"": speeds_of(row, "ms", "latency_samples")} for fw, row in timed.items()}
        found.append(LatencyRow(task, width, batch, per, summaries, *compared(each)))
    return found


@dataclass
class SavedRow:
    """Inference from a saved model against in-process inference, for one framework and size."""

    framework: str
    width: int
    batch: int
    in_process: MemoryRow | None  # the memory rows of the two tasks
    saved: MemoryRow
    latency: dict[str, Summary]  # "infer" and "saved" -> latency in ms, where timed
    comparison: Comparison | None  # the saved model's speed ÷ in-process (over 1: the saved model is faster)

    @property
    def memory_ratio(self) -> float | None:
        """The saved model's working memory over the in-process model's."""
        a, b = self.saved["mib"], self.in_process["mib"] if self.in_process else None
        return a / b if a is not None and b else None


def saved_against_in_process(rows: list[MemoryRow]) -> list[SavedRow]:
    """Each saved-model size beside the in-process inference of the same framework and size."""
    in_process = {(r["framework"], r["width"], r["batch"]): r for r in rows if r["task"] == "infer"}
    found = []
    for saved in sorted((r for r in rows if r["task"] == "saved"), key=lambda r: (r["framework"], -r["batch"])):
        key = (saved["framework"], saved["width"], saved["batch"])
        here = in_process.get(key)
        samples = {"infer": latency_of(here), "saved": latency_of(saved)}
        summaries = {task: summarise(s) for task, s in samples.items() if s}
        comparison = compare(samples["saved"], samples["infer"], unit="ms") if len(summaries) == 2 else None
        found.append(SavedRow(*key, here, saved, summaries, comparison))
    return found
