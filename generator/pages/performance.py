"""The Performance guide: each machine's workloads, cases and modes, their charts and the
sentences that sum them up, and the studies shown beside them (memory at scale, data pipelines)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd

from generator.analyse import stats, study_memory, study_systems
from generator.analyse.compare import (
    CaseModes,
    Comparison,
    ModeResult,
    Summary,
    describe,
    each_alone,
    mode_results,
    summarise,
)
from generator.pages import charts
from generator.pages.formatting import label, mib, seconds, text
from generator.read import studies
from measurements import catalog, results
from measurements.environment import slug
from measurements.frameworks import FRAMEWORK_LABELS, REGISTRY, why_here
from measurements.profiles import PROFILES, rounds_for

PARITY_POINTS = 1.0  # accuracy parity holds when the frameworks' final accuracies are this close


def planned_rounds(run: results.RunRecord) -> int:
    """The fresh processes a run's profile planned for it: as recorded, or for a file written
    before that was recorded, as its profile planned then (the standard profile measured the large
    models in 3 processes)."""
    if "rounds_planned" in run:
        return run["rounds_planned"]
    workload = catalog.workload(run["workload"])
    planned = rounds_for(PROFILES[run["profile"]], workload.task, workload.scale)
    return min(planned, 3) if workload.scale == "large" and run["profile"] == "standard" else planned


@dataclass
class CaseSection:
    case: str
    metric: catalog.Metric
    results: list[ModeResult]
    headline: ModeResult | None  # the fastest framework's primary mode, against the fastest other framework's
    modes: CaseModes | None = None  # every mode, and every pair of frameworks by their primary modes
    charts: dict[str, str] = field(default_factory=dict)

    def best_of(self, framework: str) -> ModeResult | None:
        return self.modes.best_of(framework) if self.modes else None


@dataclass
class AccuracyRun:
    """One framework's training on real data: test accuracy per epoch, in each round."""

    framework: str
    mode: str
    finals: list[float]  # the last epoch's accuracy, per round
    curves: list[list[results.CurvePoint]]  # per process, the test accuracy after each epoch
    time_to_target_s: list[float | None]  # per round; None where the target was not reached
    parity_passed: bool
    file: str
    target: float  # the accuracy (%) the case's time to target counts to

    @property
    def final(self) -> float:
        return float(np.median(self.finals))

    @property
    def epochs_to_target(self) -> int | None:
        """The first epoch at or above the target, in the first round."""
        return next((c["epoch"] for c in self.curves[0] if c["accuracy"] >= self.target), None)

    @property
    def median_time_to_target_s(self) -> float | None:
        reached = [t for t in self.time_to_target_s if t is not None]
        return float(np.median(reached)) if len(reached) == len(self.time_to_target_s) else None


@dataclass
class AccuracyCase:
    case: str
    target: float
    epochs: int
    runs: list[AccuracyRun]
    chart: str = ""

    @property
    def gap_points(self) -> float | None:
        """Highest minus lowest final accuracy between the frameworks, in points."""
        finals = [r.final for r in self.runs]
        return max(finals) - min(finals) if len(finals) > 1 else None

    @property
    def holds(self) -> bool:
        return self.gap_points is not None and self.gap_points <= PARITY_POINTS


class RunProblem(TypedDict):
    """A run without a result, as a row of the results frame gives it."""

    framework: str
    mode: str
    device: str
    status: str  # failed, crashed, timeout, oom, unavailable
    error: str | None
    file: str
    not_installed: bool  # unavailable, with no version recorded (numpy's bool, as the frame gives it)


@dataclass
class WorkloadSection:
    workload: catalog.Workload
    cases: list[CaseSection]
    problems: list[RunProblem]  # runs without a result
    memory_chart: str | None = None
    ceiling_chart: str | None = None
    accuracy: list[AccuracyCase] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # generated sentences, from the figures only
    profile: str = ""  # the measurement profile of every figure in the section (never mixed)


@dataclass
class Ceiling:
    gflops: float
    framework: str
    mode: str
    case: str


# what an import time covers, by the round's ``import_until`` (absent: ``import`` alone)
IMPORT_SPANS = {"first operation": "from `import` until a first tiny operation has finished",
                None: "`import` alone (measured before import time included a first operation)"}  # fmt: skip


@dataclass
class ImportTimes:
    """How long each framework takes to start in a fresh process, over all its runs: every
    reading is its own process. Readings of one span only are compared."""

    summaries: dict[str, Summary]  # framework -> seconds
    comparison: Comparison | None  # the fastest to import ÷ the fastest of the others, in speed (1/seconds)
    faster: str | None = None  # the framework whose import is the fastest (the comparison's A)
    versus: str | None = None  # and the fastest of the others (its B)
    span: str = IMPORT_SPANS["first operation"]  # what the readings time, as the page writes it

    @property
    def verdict(self) -> str:
        return describe(self.comparison) if self.comparison else ""


def import_times(docs: list[results.Result]) -> ImportTimes:
    """Each compared framework's import times, of one span only (``IMPORT_SPANS``)."""
    # the frameworks the guides compare: those with a headline workload (not a baseline such as NumPy)
    compared = {d["run"]["framework"] for d in docs if catalog.workload(d["run"]["workload"]).headline}
    spans: dict[str | None, dict[str, list[float]]] = {}
    for doc in docs:
        for r in doc["rounds"]:
            if r["import_s"] is not None and r["import_s"] > 0 and doc["run"]["framework"] in compared:
                by = spans.setdefault(r.get("import_until"), {})
                by.setdefault(doc["run"]["framework"], []).append(r["import_s"])
    # the span every compared framework has, else the one most have; to a first operation on a tie
    until = max(IMPORT_SPANS, key=lambda span: (set(spans.get(span, {})) == compared, len(spans.get(span, {}))))
    times = spans.get(until, {})
    summaries = {fw: summarise(each_alone(values)) for fw, values in sorted(times.items()) if values}
    each = {fw: {"import": stats.process_speeds(each_alone(times[fw]), "s")} for fw in summaries}
    h = stats.leader(stats.best_against_others(each))
    if h is None:
        return ImportTimes(summaries, None, span=IMPORT_SPANS[until])
    return ImportTimes(summaries, h.comparison, h.framework, h.versus_framework, IMPORT_SPANS[until])


@dataclass
class MachineReport:
    id: str
    machine: results.Machine
    software: list[results.Software]
    settings: results.Settings
    profiles: list[str]
    files: list[str]
    ceiling: Ceiling | None
    sections: list[WorkloadSection]
    imports: ImportTimes
    docs: list[results.Result] = field(default_factory=list)  # the results shown

    @property
    def matmul_best(self) -> dict[str, Ceiling]:
        """Each framework's best matrix-multiply rate (the ceiling workload), in registry order."""
        found: dict[str, Ceiling] = {}
        for section in self.sections:
            if section.workload.name != "matmul":
                continue
            for case in section.cases:
                for r in case.results:
                    if r.framework not in found or r.summary.median > found[r.framework].gflops:
                        found[r.framework] = Ceiling(r.summary.median, r.framework, r.mode, case.case)
        return found

    @property
    def versions(self) -> list[str]:
        """The framework releases measured here, e.g. "PyTorch 2.13.0+cpu"."""
        found = []
        for s in self.software:
            name, version = s["framework"]["name"], s["framework"]["version"]
            if version:
                found.append(text(f"{FRAMEWORK_LABELS.get(name, name)} {version}"))
        return found

    @property
    def short_rounds(self) -> list[str]:
        """Runs that completed fewer rounds than their profile planned for them (the measurement was
        cut short)."""
        return sorted(
            f"{d['run']['workload']}/{d['run']['framework']}/{d['run']['mode']}"
            for d in self.docs
            if d["outcome"]["status"] == "ok" and len(d["rounds"]) < planned_rounds(d["run"])
        )

    @property
    def missing(self) -> list[str]:
        """A sentence per framework that could not run here at all, with the reason recorded."""
        measured = {s["framework"]["name"] for s in self.software if s["framework"]["version"]}
        found = {p["framework"]: p for s in self.sections for p in s.problems if p["status"] == "unavailable"}
        why = {fw: (f"is not installed on this machine: {text(note)}" if (note := why_here(p["error"])) else
                    "is not installed on this machine" if p["not_installed"] else
                    f"was not measured on this machine ({text((str(p['error']).strip().splitlines() or [''])[-1])})")
               for fw, p in found.items()}  # fmt: skip
        return [f"{FRAMEWORK_LABELS.get(fw, fw)} {said}, so this page has nothing to compare it with."
                for fw, said in sorted(why.items()) if fw not in measured]  # fmt: skip

    @property
    def headlines(self) -> list[tuple[WorkloadSection, CaseSection]]:
        return [
            (s, c)
            for s in self.sections
            if s.workload.headline
            for c in s.cases
            if c.headline and c.headline.comparison
        ]


def find_ceiling(sections: list[WorkloadSection]) -> Ceiling | None:
    """The best matrix-multiply rate any library reached, from the ceiling workload's results."""
    rates = [(r, c.case) for s in sections if s.workload.name == "matmul" for c in s.cases for r in c.results]
    if not rates:
        return None
    top, case = max(rates, key=lambda rate: rate[0].summary.median)
    return Ceiling(top.summary.median, top.framework, top.mode, case)


def machine_report(
    machine_id: str, rows: pd.DataFrame, docs: list[results.Result], out: Path, floor: float | None = None
) -> MachineReport:
    """A machine's Performance guide: each workload's cases, every mode compared (no faster or slower
    called inside the machine's noise ``floor``, where it has one), with its charts."""
    sections = []
    for workload in catalog.WORKLOADS.values():
        own = rows[rows.workload == workload.name]
        if own.empty:
            continue
        ok = own[own.status == "ok"]
        failed = own[own.status != "ok"]
        problems = failed[["framework", "mode", "device", "status", "error", "file"]].assign(
            # a framework that could not be imported recorded no version: it is not installed on this machine
            not_installed=(failed.status == "unavailable") & failed.framework_version.isna()
        )
        if workload.task == "accuracy":
            accuracy = [accuracy_case(machine_id, workload, ok[ok.case == name], out / "charts")
                        for name in dict.fromkeys(ok["case"])]  # fmt: skip
            sections.append(WorkloadSection(workload, [], problems.to_dict("records"), accuracy=accuracy,
                                            profile=", ".join(sorted(set(own["profile"])))))  # fmt: skip
            continue
        cases = []
        for case_name in dict.fromkeys(ok["case"]):  # measured order
            rows_of_case = ok[ok.case == case_name]
            metric = catalog.METRICS[rows_of_case["metric"].iloc[0]]
            modes = mode_results(rows_of_case, floor)
            case = CaseSection(case_name, metric, modes.results, modes.headline, modes=modes)
            case.charts = case_charts(machine_id, workload, case, out / "charts")
            cases.append(case)
        section = WorkloadSection(
            workload, cases, problems.to_dict("records"), profile=", ".join(sorted(set(own["profile"])))
        )
        if cases and workload.task != "op":
            section.memory_chart = memory_chart(machine_id, workload, cases[0], out / "charts")
        sections.append(section)
    ceiling = find_ceiling(sections)
    for section in sections:
        section.summary = summary_sentences(section)
        if ceiling and section.cases and section.workload.name != "matmul":
            section.ceiling_chart = ceiling_chart(machine_id, section, ceiling, out / "charts")
    software = {
        (d["software"]["framework"]["name"], d["software"]["framework"]["version"]): d["software"] for d in docs
    }
    first = docs[0]
    return MachineReport(
        id=machine_id, machine=first["machine"],
        software=[software[k] for k in sorted(software, key=str)],
        settings=first["settings"], profiles=sorted({d["run"]["profile"] for d in docs}),
        files=sorted(rows["file"].unique()), ceiling=ceiling, sections=sections,
        imports=import_times(docs), docs=docs,
    )  # fmt: skip


def chart_frame(section: CaseSection) -> pd.DataFrame:
    return charts.with_labels(pd.DataFrame([
        {"framework": r.framework, "label": label(r.framework, r.mode), "median": r.summary.median,
         "low": r.summary.low, "high": r.summary.high, "first_call_s": r.first_call_s,
         "peak_mib": (r.peak_rss_bytes or 0) / 2**20}
        for r in section.results
    ]))  # fmt: skip


def spread_words(frame: pd.DataFrame, unit: str) -> tuple[str, str | None, str | None]:
    """A chart's axis title and its interval's columns: "(95% interval)" and error bars only for figures
    measured in several processes; figures of one process each are single readings, with neither."""
    if frame["low"].notna().all():
        return f"{unit}, geometric mean of process medians (95% interval)", "low", "high"
    if frame["low"].notna().any():
        return f"{unit}, geometric mean of process medians (95% interval where several)", "low", "high"
    return f"{unit}, one process each (no interval)", None, None


def case_charts(machine_id: str, workload: catalog.Workload, section: CaseSection, out: Path) -> dict[str, str]:
    frame = chart_frame(section)
    stem = f"{machine_id}-{workload.name}-{slug(section.case)}"
    unit = section.metric.unit
    axis, low, high = spread_words(frame, unit)
    title = f"{workload.title}: {section.case}"
    made = {"speed": charts.save(charts.bar_chart(frame, "median", title, axis, low, high), out, f"{stem}-speed")}
    if section.metric.timing == "latency":
        percentiles = charts.with_labels(pd.DataFrame([
            {"framework": r.framework, "label": label(r.framework, r.mode), "percentile": name, "value": value}
            for r in section.results for name, value in (("p50", r.summary.median), ("p90", r.p90), ("p99", r.p99))
        ]))  # fmt: skip
        made["percentiles"] = charts.save(
            charts.percentile_chart(percentiles, f"{workload.title}: {section.case}, latency percentiles",
                                    f"{unit} (log scale)"), out, f"{stem}-percentiles")  # fmt: skip
    if workload.task != "op":
        made["first_call"] = charts.save(
            charts.bar_chart(frame, "first_call_s", "First call (tracing or compiling included)",
                             "Seconds (log scale)", log=True), out, f"{stem}-first-call")  # fmt: skip
    return made


def memory_chart(machine_id: str, workload: catalog.Workload, section: CaseSection, out: Path) -> str:
    """Peak memory is one per process, which measures every case of a workload: one chart."""
    chart = charts.bar_chart(chart_frame(section), "peak_mib", f"{workload.title}: peak memory of the process", "MiB")
    return charts.save(chart, out, f"{machine_id}-{workload.name}-memory")


def accuracy_case(machine_id: str, workload: catalog.Workload, rows: pd.DataFrame, out: Path) -> AccuracyCase:
    runs = [
        AccuracyRun(framework=row.framework, mode=row.mode, finals=[s for own in row.samples for s in own],
                    curves=list(row.curve),
                    time_to_target_s=list(row.time_to_target_s), parity_passed=bool(row.parity_passed),
                    file=row.file, target=float(row.target))
        for row in rows.itertuples()
    ]  # fmt: skip
    runs.sort(key=lambda r: list(FRAMEWORK_LABELS).index(r.framework) if r.framework in FRAMEWORK_LABELS else 99)
    name = rows["case"].iloc[0]
    section = AccuracyCase(name, runs[0].target, max(len(r.curves[0]) for r in runs), runs)
    frame = charts.with_labels(pd.DataFrame([
        {"framework": r.framework, "label": label(r.framework, r.mode), "round": i + 1, **point}
        for r in runs for i, curve in enumerate(r.curves) for point in curve
    ]))  # fmt: skip
    chart = charts.curve_chart(frame, f"{workload.title}: {name}", section.target)
    section.chart = charts.save(chart, out, f"{machine_id}-{workload.name}-{slug(name)}-curve")
    return section


def _fastest_pairs(section: WorkloadSection) -> list[tuple[CaseSection, ModeResult, Comparison]]:
    return [(c, c.headline, c.headline.comparison) for c in section.cases if c.headline and c.headline.comparison]


def _who_is_faster(section: WorkloadSection) -> list[str]:
    """Clauses over every pair of frameworks of every case, by their primary modes: "PyTorch is
    faster than TensorFlow at a (1.52×), b (1.20×)", "PyTorch and JAX: too uncertain to call at b"."""
    wins: dict[tuple[str, str], list[str]] = {}
    ties: dict[tuple[str, str], list[str]] = {}
    for case in section.cases:
        found = case.modes.pairwise if case.modes else None
        for a, b, c in found.read_from_faster(calls_only=True) if found else []:
            names = (FRAMEWORK_LABELS.get(a, a), FRAMEWORK_LABELS.get(b, b))
            if c.enough_processes and c.outcome == "faster":
                wins.setdefault(names, []).append(f"{text(case.case)} ({c.ratio:.2f}×)")
            else:
                ties.setdefault((f"{names[0]} and {names[1]}", describe(c)), []).append(text(case.case))
    clauses = [f"{a} is faster than {b} at {', '.join(cases)}" for (a, b), cases in wins.items()]
    return clauses + [f"{who}: {what} at {', '.join(cases)}" for (who, what), cases in ties.items()]


def summary_sentences(section: WorkloadSection) -> list[str]:
    """What the figures of one workload support, in words: who is faster where, by how much,
    what compiling costs and how much memory the fastest modes take. Nothing else."""
    if section.accuracy:
        held = [a for a in section.accuracy if a.gap_points is not None]
        if not held:
            return []
        parts = [f"{text(a.case)}: {a.gap_points:.1f} points apart ({'holds' if a.holds else 'fails'})" for a in held]
        verdict = "holds" if all(a.holds for a in held) else "does not hold"
        return [f"Accuracy parity (within {PARITY_POINTS:.0f} point) {verdict} on this machine: {'; '.join(parts)}."]
    pairs = _fastest_pairs(section)
    if not pairs:
        return []
    title = section.workload.title
    clauses = _who_is_faster(section)
    found = [f"On this machine ({title}), comparing every pair of frameworks by their primary modes: "
             f"{'; '.join(clauses)}."]  # fmt: skip
    for framework in REGISTRY.values():
        for variant, base in framework.variants.items():
            found += _variant_sentence(section, framework.id, variant, base)
    first = pairs[0][0]
    if section.workload.task != "op":
        compiles = {r.framework: r for r in first.results if r.mode in REGISTRY[r.framework].compiled}
        if len(compiles) >= 2:
            costs = [
                f"{label(r.framework, r.mode)} takes {seconds(r.first_call_s)}"
                + (f" after {seconds(r.prepare_s)} of set-up" if r.prepare_s is not None else "")
                for r in compiles.values()
            ]
            found.append(
                f"The first, compiling step: {'; '.join(costs)} (at {text(first.case)}, one cold process per "
                "round, median; set-up builds the model and wraps it for the mode)."
            )
        fastest = [first.best_of(fw) for fw in dict.fromkeys(o.framework for o in first.results)]
        peaks = [f"{mib(b.peak_rss_bytes)} ({label(b.framework, b.mode)})" for b in fastest if b and b.peak_rss_bytes]
        if len(peaks) >= 2:
            found.append(
                f"The primary modes' processes peak at {', '.join(peaks[:-1])} and {peaks[-1]}, framework included."
            )
    return found


def _variant_sentence(section: WorkloadSection, framework: str, variant: str, base: str) -> list[str]:
    """A mode that is another mode with one change (a memory layout), against that mode, at each case."""
    found = []
    for case in section.cases:
        one, other = (case.modes.get(framework, m) if case.modes else None for m in (variant, base))
        if one is not None and other is not None:
            found.append(f"{describe(one.against(other))} at {text(case.case)}")
    return [f"{label(framework, variant)} against {label(framework, base)}: {'; '.join(found)}."] if found else []


def ceiling_chart(machine_id: str, section: WorkloadSection, ceiling: Ceiling, out: Path) -> str:
    frame = charts.with_labels(pd.DataFrame([
        {"framework": r.framework, "label": label(r.framework, r.mode), "case": c.case,
         "share": 100 * r.gflops / ceiling.gflops}
        for c in section.cases for r in c.results
    ]))  # fmt: skip
    title = f"{section.workload.title}: share of the machine's measured ceiling ({ceiling.gflops:,.0f} GFLOP/s)"
    return charts.save(charts.share_chart(frame, title), out, f"{machine_id}-{section.workload.name}-ceiling")


def memory_scaling(ms: studies.MachineStudies, out: Path) -> dict[str, object]:
    """The memory study's rows, a chart of memory against model size and against batch, the inference
    latencies, and inference from a saved model against in-process."""
    rows = study_memory.memory_rows(ms)
    inference = {"latency": study_memory.memory_latency(rows), "saved": study_memory.saved_against_in_process(rows)}
    measured = [r for r in rows if r["mib"] is not None]
    if not measured:
        return {"rows": rows, "charts": {}, **inference}
    frame = charts.with_labels(pd.DataFrame(measured))
    by_width = frame[frame.batch == 256]
    by_batch = frame[frame.width == 2048]
    made = {
        "width": charts.save(charts.scaling_chart(by_width, "parameter_mb", "Parameters (MB of float32, log scale)",
                                                  "Peak memory against model size (batch 256)"),
                             out, f"{ms.machine}-memory-by-size"),
        "batch": charts.save(charts.scaling_chart(by_batch, "batch", "Batch size (log scale)",
                                                  "Peak memory against batch size (width 2,048)"),
                             out, f"{ms.machine}-memory-by-batch"),
    }  # fmt: skip
    return {"rows": rows, "charts": made, **inference}


def pipeline_section(ms: studies.MachineStudies, out: Path) -> dict[str, object]:
    """The data-pipeline study by size, and charts of samples/s and of peak memory against the data set's size."""
    sizes = study_systems.pipeline_rows(ms)
    rows = [
        {"framework": e.framework, "config_title": f"{FRAMEWORK_LABELS[e.framework]}: {e.title}",
         "images": size.images, "median": e.summary.median, "low": e.summary.low, "high": e.summary.high,
         "peak_mib": (e.finding.get("peak_pss_bytes") or 0) / 2**20}
        for size in sizes for e in size.entries if e.summary
    ]  # fmt: skip
    growth = study_systems.pipeline_growth(sizes)
    if not rows:
        return {"sizes": sizes, "charts": {}, "growth": growth}
    frame = charts.with_labels(pd.DataFrame(rows))
    steady, low, high = spread_words(frame, "Steady samples/s")
    made = {
        "throughput": charts.save(charts.pipeline_chart(frame, "median", steady,
                                                        "Data pipelines: samples/s against the data set's size",
                                                        low, high), out, f"{ms.machine}-pipeline-throughput"),
        "memory": charts.save(charts.pipeline_chart(frame[frame.peak_mib > 0], "peak_mib",
                                                    "Peak PSS of the process tree (MiB)",
                                                    "Data pipelines: peak memory against the data set's size"),
                              out, f"{ms.machine}-pipeline-memory"),
    }  # fmt: skip
    return {"sizes": sizes, "charts": made, "growth": growth}


def performance_page(machine: MachineReport, reports: list[MachineReport]) -> str:
    return "performance.md" if machine is reports[0] else f"performance-{machine.id}.md"


def workload_page(machine: MachineReport, reports: list[MachineReport], section: WorkloadSection) -> str:
    """A workload's own page: ``workloads/<workload>.md`` for the reference machine,
    ``workloads/<machine>/<workload>.md`` for another."""
    name = section.workload.name
    return f"workloads/{name}.md" if machine is reports[0] else f"workloads/{machine.id}/{name}.md"
