"""The data-pipeline, serving and distributed studies compared per machine: their rows, each
framework's figures over fresh processes and the pairs compared (``stats.pairwise``), the
pipelines' growth with size and the distributed study's scaling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import cast

from generator.analyse import stats
from generator.analyse.compare import Comparison, Summary, each_alone, summarise
from generator.read.studies import PIPELINE_OPTIONAL, MachineStudies
from measurements.findings import DecodeCheck, DistributedFinding, Efficiency, PipelineFinding, ServingFinding
from measurements.frameworks import DISTRIBUTIONS
from measurements.results import finding_rounds, scaling_efficiency


@dataclass
class PipelineEntry:
    """One configuration of the data-pipeline study (a DataLoader, a tf.data pipeline) at one size."""

    framework: str
    finding: PipelineFinding
    summary: Summary | None  # steady-state samples/s, where it completed
    file: str  # its results file, under the results folder
    versus: Comparison | None = None  # speed ÷ the fastest configuration of the other frameworks, at this size

    @property
    def title(self) -> str:
        return str(self.finding.get("title") or self.finding["config"])


@dataclass
class PipelineSize:
    """Every configuration of every framework at one data-set size, and the best of each against the others."""

    images: int
    dataset_bytes: int | None  # the JPEG files on disk
    decoded_bytes: int  # images × 64 × 64 × 3
    memory_bytes: int | None  # the machine's memory, from its fingerprint
    memory_share: float | None  # the decoded data set over the machine's memory
    entries: list[PipelineEntry]  # each framework's configurations, in the study's order
    best: dict[str, PipelineEntry]  # framework -> its fastest configuration
    headline: stats.Headline | None  # the fastest framework's best against the best of the others
    same_content: bool | None  # every framework read data with the same SHA-256 (None: not known)
    decode_diff: dict[str, float]  # framework -> largest pixel difference from Pillow's decoding
    accurate_diff: dict[str, float]  # the same with an accurate inverse DCT, where the study tried it
    checked_images: int  # how many images the decoding check compared

    @property
    def comparison(self) -> Comparison | None:
        return self.headline.comparison if self.headline else None


def compared(speeds: dict[str, dict[str, list[float]]]) -> tuple[stats.Headline | None, stats.Pairwise | None]:
    """Every pair of frameworks of a study's comparison (``stats.pairwise``: each framework's fastest
    configuration, the choice paid for in the pairs' one correction), and the fastest framework
    against the fastest of the others, one of those pairs; (None, None) with fewer than two."""
    found = stats.pairwise(speeds)
    return (stats.leader(stats.headlines(found, speeds)), found) if found else (None, None)


def pipeline_rows(ms: MachineStudies, study: str = "pipeline") -> list[PipelineSize]:
    """The data-pipeline study (or ``pipeline_limit``, the same configurations under a memory limit) by
    size, smallest first: each configuration's steady samples/s with its interval over processes, and
    at each size the fastest framework's best configuration against the best of the others."""
    runs = {fw: r for fw, r in sorted(ms.get(study).items()) if r.ok}
    by_size: dict[int, list[PipelineEntry]] = {}
    memory: int | None = None
    for fw, r in runs.items():
        memory = memory or r.doc["machine"].get("memory_bytes")
        for found_here in r.doc["findings"]:
            # the page reads PIPELINE_OPTIONAL's fields; a study may leave them out
            f = cast(PipelineFinding, {**PIPELINE_OPTIONAL, **found_here})
            ok = f.get("outcome") == "ok" and bool(rounds_of(f))
            by_size.setdefault(int(f["images"]), []).append(
                PipelineEntry(fw, f, summarise(rounds_of(f)) if ok else None, r.file)
            )
    found = []
    for images, entries in sorted(by_size.items()):
        speeds: dict[str, dict[str, list[float]]] = {}
        for e in entries:
            if e.summary:
                speeds.setdefault(e.framework, {})[e.title] = speeds_of(e.finding, "samples/s")
        best = {
            fw: next(e for e in entries if e.framework == fw and e.title == stats.fastest(modes))
            for fw, modes in speeds.items()
        }
        headlines = stats.best_against_others(speeds)
        for e in entries:
            h = headlines.get(e.framework)
            if e.summary is None or h is None:
                continue
            if e.title == h.mode:  # its framework's fastest: the headline pair, corrected once for the family
                e.versus = h.comparison
            else:  # a secondary result: against the same opponent, at its own level
                e.versus = stats.compare(speeds[e.framework][e.title], speeds[h.versus_framework][h.versus_mode])
        # the generator's hash of the files, the same in every run; and what each pipeline read matched it
        hashes = {e.finding.get("dataset_sha256") for e in entries}
        read_back = [e.finding["same_content"] for e in entries if e.finding.get("same_content") is not None]
        several = len({e.framework for e in entries}) > 1
        same = (len(hashes) == 1 and None not in hashes and all(read_back)) if several and read_back else None
        diffs: dict[str, float] = {}
        accurate: dict[str, float] = {}
        checked = 0
        for e in entries:
            check: DecodeCheck = e.finding.get("decode_check") or {}
            checked = max(checked, int(check.get("images") or 0))
            for value, into in ((check.get("max_abs_diff"), diffs), (check.get("accurate_dct_max_abs_diff"), accurate)):
                if value is not None:
                    into[e.framework] = max(into.get(e.framework, 0.0), float(value))
        decoded = int(entries[0].finding["decoded_bytes"])
        found.append(PipelineSize(
            images, entries[0].finding.get("dataset_bytes"), decoded, memory, decoded / memory if memory else None,
            entries, best, stats.leader(headlines), same, diffs, accurate, checked,
        ))  # fmt: skip
    return found


def pipeline_growth(sizes: list[PipelineSize]) -> list[tuple[PipelineEntry, PipelineEntry]]:
    """Each configuration at the smallest and at the largest size where it completed with a peak memory
    reading (configurations measured at one size only are left out)."""
    by_config: dict[tuple[str, str], list[PipelineEntry]] = {}
    for size in sizes:
        for e in size.entries:
            if e.finding.get("outcome") == "ok" and e.finding.get("peak_pss_bytes"):
                by_config.setdefault((e.framework, e.finding["config"]), []).append(e)
    return [(found[0], found[-1]) for found in by_config.values() if len(found) > 1]


@dataclass
class DistributedRow:
    """One configuration of the distributed study (one process, or two), in every framework."""

    id: str
    title: str
    findings: dict[str, DistributedFinding]  # framework -> its finding
    summaries: dict[str, Summary]  # framework -> throughput, where it completed
    headline: stats.Headline | None  # the fastest framework against the fastest of the others
    pairs: stats.Pairwise | None = None  # every pair of frameworks (the headline is one of them)

    @property
    def comparison(self) -> Comparison | None:
        return self.headline.comparison if self.headline else None


SERVING_MEASURES = {  # measure -> (what it is, unit of the figure)
    "latency": ("batch-1 latency, one request at a time", "ms"),
    "throughput": ("throughput at the server batch", "samples/s"),
    "clients": ("requests/s with 16 concurrent clients", "requests/s"),
}


@dataclass
class ServingRow:
    """One deploy path of one framework: its figures over the study's processes."""

    framework: str
    path: str
    finding: ServingFinding
    file: str
    summaries: dict[str, Summary]  # measure -> its figure (latency in ms, the others per second)


def serving_speeds(finding: ServingFinding, measure: str) -> list[float]:
    """A serving finding's process-level speeds for ``measure`` (latency turned into speed)."""
    if measure == "latency":
        return speeds_of(finding, "ms", "latency_samples")
    if measure == "throughput":
        return speeds_of(finding, "samples/s")
    return per_process(finding, "clients16_requests_per_s")


def serving_rows(ms: MachineStudies) -> list[ServingRow]:
    """Every deploy path of the serving study that completed with parity, in registry order."""
    rows = []
    for fw, r in ms.ordered("serving"):
        if not r.ok:
            continue
        for f in cast(list[ServingFinding], r.doc["findings"]):
            summaries = {}
            if f.get("outcome") == "ok":
                summaries["latency"] = summarise(rounds_of(f, "latency_samples"))
                summaries["throughput"] = summarise(rounds_of(f))
                clients = per_process(f, "clients16_requests_per_s")
                summaries["clients"] = summarise(each_alone(clients))
            rows.append(ServingRow(fw, f["path"], f, r.file, summaries))
    return rows


def serving_headline(
    rows: list[ServingRow], measure: str, frameworks: Iterable[str] | None = None
) -> stats.Headline | None:
    """The fastest framework's best native deploy path against the best of the others', for ``measure``."""
    return stats.leader(stats.best_against_others(serving_speeds_by_path(rows, measure, frameworks)))


def native(row: ServingRow) -> bool:
    """Whether a deploy path runs on its own framework's runtime (the finding's ``runtime`` names one
    of the framework's distributions), rather than on a shared one such as ONNX Runtime, or on
    another framework's (a jax2tf SavedModel served by TensorFlow)."""
    runtime = str(row.finding.get("runtime") or "").split(" ", 1)[0]
    return runtime in DISTRIBUTIONS.get(row.framework, ())


def serving_speeds_by_path(
    rows: list[ServingRow], measure: str, frameworks: Iterable[str] | None = None
) -> dict[str, dict[str, list[float]]]:
    """Framework -> native deploy path -> process speeds for ``measure``: what the verdicts compare
    (a shared runtime is shown on the page, and judged nowhere as a framework's win)."""
    chosen = set(frameworks) if frameworks is not None else None
    speeds: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        if row.summaries and native(row) and (chosen is None or row.framework in chosen):
            speeds.setdefault(row.framework, {})[row.path] = serving_speeds(row.finding, measure)
    return speeds


def distributed_rows(ms: MachineStudies) -> list[DistributedRow]:
    """Each configuration's throughput per framework, and the fastest against the fastest of the others."""
    found = ms.get("distributed")
    runs = {fw: cast(dict[str, DistributedFinding], r.findings) for fw, r in found.items() if r.ok}
    if not runs:
        return []
    ids = list(dict.fromkeys(i for findings in runs.values() for i in findings if i != "scaling"))
    rows = []
    for i in ids:
        per = {fw: findings[i] for fw, findings in runs.items() if i in findings}
        done = {fw: f for fw, f in per.items() if f.get("outcome") == "ok" and rounds_of(f)}
        summaries = {fw: summarise(rounds_of(f)) for fw, f in done.items()}
        title = next(iter(per.values())).get("title", i)
        each = {fw: {"": speeds_of(f, "samples/s")} for fw, f in done.items()}
        rows.append(DistributedRow(i, title, per, summaries, *compared(each)))
    return rows


def scaling(ms: MachineStudies) -> dict[str, dict[str, Efficiency]]:
    """Each framework's scaling efficiency: two processes' throughput over one process with 2 threads
    and over twice one process with 1 thread, from the figures of the table (over every process)."""
    rows = distributed_rows(ms)
    found = {}
    for fw in dict.fromkeys(fw for row in rows for fw in row.findings):
        figures = {row.id: row.summaries[fw].median if fw in row.summaries else None for row in rows}
        found[fw] = {"efficiency": scaling_efficiency(figures)}
    return found


def per_process(finding: Mapping[str, object], key: str) -> list[float]:
    """A study finding's reading of ``key`` in each of its fresh processes (the one reading where
    the processes agreed, or where it ran in one)."""
    processes = finding.get("per_process")
    values = processes.get(key) if isinstance(processes, dict) else None
    return [number(v) for v in values] if isinstance(values, list) and values else [number(finding[key])]


def number(value: object) -> float:
    """A reading as a float; a reading that is no number (a null where the process measured nothing) is an error."""
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"a reading of {value!r} is not a number")


def rounds_of(finding: Mapping[str, object], key: str = "samples") -> list[list[float]]:
    """A study finding's samples, one list per fresh process (``results.finding_rounds``)."""
    return finding_rounds(finding, key)


def speeds_of(finding: Mapping[str, object], unit: str, key: str = "samples") -> list[float]:
    """A study finding's process-level speeds (a latency turned into speed)."""
    return stats.process_speeds(rounds_of(finding, key), unit)
