"""Turn loaded results into Markdown pages (Jinja, StrictUndefined) and charts under docs/generated/."""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from generator import charts, claims, decide, escape, evidence, stats, studies
from generator.compare import (
    CaseModes,
    Comparison,
    ModeResult,
    Summary,
    describe,
    figures,
    mode_results,
    speeds,
    summarise,
)
from generator.escape import code_block
from generator.load import Loaded, current, one_profile, relative_file, to_frame
from generator.versions import machine_versions
from measurements import UserError, workloads
from measurements.environment import slug
from measurements.frameworks import FRAMEWORK_LABELS, MODE_LABELS
from measurements.profiles import PROFILES, rounds_for
from measurements.results import ROOT
from measurements.studies import registry

TEMPLATES = ROOT / "templates"
CHANNELS_LAST, PYTORCH_EAGER = ("pytorch", "channels_last"), ("pytorch", "eager")
PARITY_POINTS = 1.0  # accuracy parity holds when the frameworks' final accuracies are this close
text = escape.text  # Markdown text on one line: the filter most sentences built here use


def num(value: float, digits: int = 4) -> str:
    """A figure to ``digits`` significant digits, with thousands separators."""
    if value == 0:
        return "0"
    if abs(value) >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    return f"{value:,.{digits}g}" if abs(value) >= 1 else f"{value:.{digits - 1}g}"


def size(value: int | None) -> str:
    """Bytes on disk, in KiB below a MiB."""
    if value is None:
        return "n/a"
    return f"{value / 2**10:,.0f} KiB" if value < 2**20 else f"{value / 2**20:,.1f} MiB"


def mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:,.0f} MiB"


def seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.3g} ms" if value < 1 else f"{value:.3g} s"


def pct(value: float) -> str:
    """A share in percent: one decimal from 10% up, two significant digits below."""
    return f"{value:.1f}%" if value >= 10 else f"{value:#.2g}%"


def label(framework: str, mode: str) -> str:
    return MODE_LABELS.get((framework, mode), f"{FRAMEWORK_LABELS.get(framework, framework)} {mode}")


def file_label(file: str) -> str:
    """A results file's link text: the framework and release it holds, "TensorFlow 2.21.0"."""
    name = Path(file).name
    for framework, label_text in FRAMEWORK_LABELS.items():
        match = re.search(rf"\.{framework}-([0-9][^.]*(?:\.[0-9][^.]*)*)", name)
        if match:
            return text(f"{label_text} {match.group(1).replace('_', '+')}")
    return text(name)


def source(path: str) -> str:
    """A file of this repository, for a page that shows the code it counted, as a fenced code block
    indented for a content tab; a path that leads out of the repository is not read."""
    found = studies.repository_file(path)
    if found is None:
        return f"    Left out: {escape.code(path)} is not a file of this repository."
    return code_block(found.read_text(encoding="utf-8", errors="replace"), "python", 4)


def error_outcome(finding: dict[str, Any]) -> str:
    """One table cell: what a mistake did, scored."""
    if not finding.get("applicable", True):
        return text(finding.get("what_happened") or "not tried")
    if finding["silent"]:
        return f"silent: {text(finding.get('what_happened') or 'no error')}"

    def mark(value: bool | None) -> str:
        return "–" if value is None else "✓" if value else "✗"

    return (
        f"{escape.code(finding['error_type'])} · user's line {mark(finding['user_frame_last'])} · "
        f"shapes {mark(finding['names_shapes'])} · dtypes {mark(finding['names_dtypes'])} · "
        f"{finding['message_chars']:,} characters"
    )


def error_said(finding: dict[str, Any]) -> str:
    """The message a mistake produced, indented for a content tab."""
    if not finding.get("applicable", True):
        return f"    {text(finding.get('what_happened') or 'Not tried.')}"
    if finding["silent"]:
        return f"    No error. {text(finding.get('what_happened') or '')}"
    return f"    {escape.code(finding['error_type'])}:\n\n" + code_block(finding["message"] or "", "text", 4)


def notes(found: dict[str, Any]) -> str:
    """A finding's notes on one line: "api: ...; opset: 20"; nested values as JSON."""
    return "; ".join(
        f"{text(key)}: {text(value if isinstance(value, str) else json.dumps(value, sort_keys=True))}"
        for key, value in found.items()
    )


def verdict(r: ModeResult) -> str:
    """A headline verdict in words, from ``r``'s side: "tf.function + XLA 1.72× faster than
    torch.compile"; "torch.compile and tf.function + XLA: equivalent within 5%" (or too uncertain
    to call, or too few processes to call)."""
    other = label(*str(r.versus).split("/"))
    if not r.called:
        return f"{label(r.framework, r.mode)} and {other}: {r.verdict}"
    return f"{label(r.framework, r.mode)} {r.verdict} than {other}"


def interval(s: Summary | None, figure: str = "num") -> str:
    """A summary's 95% interval over processes, "1,002–1,010" (``figure``: "num" or "seconds");
    "1 process, no interval" where it has none."""
    if s is None:
        return "n/a"
    if s.low is None or s.high is None:
        return f"{s.processes} process{'es' if s.processes != 1 else ''}, no interval"
    shown = seconds if figure == "seconds" else num
    return f"{shown(s.low)}–{shown(s.high)}"


def mode_choice(r: ModeResult | None) -> str:
    """Which mode won a framework's own race and by how much it beat its other modes:
    "torch.compile, the fastest of PyTorch's 3 modes: 1.30× faster than PyTorch eager, too
    uncertain to call against channels_last"."""
    if r is None:
        return ""
    name = FRAMEWORK_LABELS.get(r.framework, r.framework)
    if not r.margins:
        return f"{label(r.framework, r.mode)}, {name}'s only mode measured"
    against = []
    for mode, margin in r.margins.items():
        other = label(r.framework, mode)
        words = describe(margin)
        against.append(f"{words} than {other}" if margin.outcome in ("faster", "slower") and margin.enough_processes
                       else f"{words} against {other}")  # fmt: skip
    return f"{label(r.framework, r.mode)}, the fastest of {name}'s {len(r.margins) + 1} modes: {', '.join(against)}"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown output; untrusted strings go through the filters of ``escape``
    )
    env.filters.update(escape.FILTERS)
    env.filters.update(num=num, mib=mib, size=size, seconds=seconds, pct=pct, file_label=file_label, interval=interval)
    env.globals.update(
        label=label, framework_label=FRAMEWORK_LABELS.get, verdict=verdict, code_block=code_block, source=source,
        outcome=error_outcome, said=error_said, notes=notes, describe=describe, figures=figures,
        mode_choice=mode_choice, correction=claims.CORRECTION,
        distributed_rows=studies.distributed_rows, scaling=studies.scaling, memory_pairs=memory_pairs,
        code_is_current=studies.code_is_current, code_outside=studies.code_outside,
        study_description=lambda name: getattr(registry().get(name), "description", ""),
    )  # fmt: skip
    return env


@dataclass
class CaseSection:
    case: str
    metric: workloads.Metric
    results: list[ModeResult]
    headline: ModeResult | None  # the fastest framework's fastest mode, against the fastest of the others
    modes: CaseModes | None = None  # every mode, each against the fastest of the other frameworks
    charts: dict[str, str] = field(default_factory=dict)

    def best_of(self, framework: str) -> ModeResult | None:
        return self.modes.best_of(framework) if self.modes else None


@dataclass
class AccuracyRun:
    """One framework's training on real data: test accuracy per epoch, in each round."""

    framework: str
    mode: str
    finals: list[float]  # the last epoch's accuracy, per round
    curves: list[list[dict[str, Any]]]
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


@dataclass
class WorkloadSection:
    workload: workloads.Workload
    cases: list[CaseSection]
    problems: list[dict[str, Any]]  # runs without a result: failed, crashed, timeout, oom, unavailable
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


@dataclass
class ImportTimes:
    """How long ``import`` of each framework takes in a fresh process, over all its runs: every
    reading is its own process."""

    summaries: dict[str, Summary]  # framework -> seconds
    comparison: Comparison | None  # the fastest to import ÷ the fastest of the others, in speed (1/seconds)
    faster: str | None = None  # the framework whose import is the fastest (the comparison's A)
    versus: str | None = None  # and the fastest of the others (its B)

    @property
    def verdict(self) -> str:
        return describe(self.comparison) if self.comparison else ""


def import_times(docs: list[dict[str, Any]]) -> ImportTimes:
    times: dict[str, list[float]] = {}
    for doc in docs:
        times.setdefault(doc["run"]["framework"], []).extend(t for t in doc["import_s"] if t > 0)
    # the frameworks the guides compare: those with a headline workload (not a baseline such as NumPy)
    compared = {d["run"]["framework"] for d in docs if workloads.get(d["run"]["workload"]).headline}
    times = {fw: values for fw, values in times.items() if fw in compared}
    summaries = {fw: summarise(values, [1] * len(values)) for fw, values in sorted(times.items()) if values}
    each = {fw: {"import": speeds(times[fw], [1] * len(times[fw]), "s")} for fw in summaries}
    headlines = stats.best_against_others(each)
    if not headlines:
        return ImportTimes(summaries, None)
    h = max(headlines.values(), key=lambda h: h.comparison.ratio)
    return ImportTimes(summaries, h.comparison, h.framework, h.versus_framework)


@dataclass
class MachineReport:
    id: str
    machine: dict[str, Any]
    software: list[dict[str, Any]]
    settings: dict[str, Any]
    profiles: list[str]
    files: list[str]
    ceiling: Ceiling | None
    sections: list[WorkloadSection]
    imports: ImportTimes
    docs: list[dict[str, Any]] = field(default_factory=list)  # the results shown

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
        """Runs that completed fewer rounds than their profile asks for (the measurement was cut short)."""
        return sorted(
            f"{d['run']['workload']}/{d['run']['framework']}/{d['run']['mode']}"
            for d in self.docs
            if d["outcome"]["status"] == "ok"
            and d["rounds"] < rounds_for(PROFILES[d["run"]["profile"]], workloads.get(d["run"]["workload"]).task)
        )

    @property
    def missing(self) -> list[str]:
        """A sentence per framework that could not run here at all, with the reason recorded."""
        measured = {s["framework"]["name"] for s in self.software if s["framework"]["version"]}
        found = {p["framework"]: p["error"] for s in self.sections for p in s.problems if p["status"] == "unavailable"}
        return [
            f"{FRAMEWORK_LABELS.get(fw, fw)} was not measured on this machine "
            f"({text((str(why).strip().splitlines() or [''])[-1])}), so this page has nothing to compare it with."
            for fw, why in sorted(found.items())
            if fw not in measured
        ]

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


def machine_report(machine_id: str, rows: pd.DataFrame, docs: list[dict[str, Any]], out: Path) -> MachineReport:
    sections = []
    for workload in workloads.REGISTRY.values():
        own = rows[rows.workload == workload.name]
        if own.empty:
            continue
        ok = own[own.status == "ok"]
        problems = own[own.status != "ok"][["framework", "mode", "device", "status", "error", "file"]]
        if workload.task == "accuracy":
            accuracy = [accuracy_case(machine_id, workload, ok[ok.case == name], out / "charts")
                        for name in dict.fromkeys(ok["case"])]  # fmt: skip
            sections.append(WorkloadSection(workload, [], problems.to_dict("records"), accuracy=accuracy,
                                            profile=", ".join(sorted(set(own["profile"])))))  # fmt: skip
            continue
        cases = []
        for case_name in dict.fromkeys(ok["case"]):  # measured order
            rows_of_case = ok[ok.case == case_name]
            metric = workloads.METRICS[rows_of_case["metric"].iloc[0]]
            modes = mode_results(rows_of_case)
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


def case_charts(machine_id: str, workload: workloads.Workload, section: CaseSection, out: Path) -> dict[str, str]:
    frame = chart_frame(section)
    stem = f"{machine_id}-{workload.name}-{slug(section.case)}"
    unit = section.metric.unit
    made = {
        "speed": charts.save(charts.bar_chart(frame, "median", f"{workload.title}: {section.case}",
                                              f"Median {unit} (95% interval)", "low", "high"), out, f"{stem}-speed"),
    }  # fmt: skip
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


def memory_chart(machine_id: str, workload: workloads.Workload, section: CaseSection, out: Path) -> str:
    """Peak memory is one per process, which measures every case of a workload: one chart."""
    chart = charts.bar_chart(chart_frame(section), "peak_mib", f"{workload.title}: peak memory of the process", "MiB")
    return charts.save(chart, out, f"{machine_id}-{workload.name}-memory")


def accuracy_case(machine_id: str, workload: workloads.Workload, rows: pd.DataFrame, out: Path) -> AccuracyCase:
    runs = [
        AccuracyRun(framework=row.framework, mode=row.mode, finals=list(row.samples), curves=list(row.curve),
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


def _who_is_faster(pairs: list[tuple[CaseSection, ModeResult, Comparison]]) -> list[str]:
    """Clauses of the headline outcomes: "PyTorch is faster at a (1.52×)", "too uncertain to call at b"."""
    wins: dict[str, list[str]] = {}
    ties: dict[str, list[str]] = {
        "equivalent within 5%": [],
        "too uncertain to call": [],
        "too few processes to call": [],
    }
    for case, r, c in pairs:
        if c.enough_processes and c.outcome in ("faster", "slower"):
            winner = r.framework if c.outcome == "faster" else str(r.versus).split("/")[0]
            factor = c.ratio if c.ratio > 1 else 1 / c.ratio
            wins.setdefault(FRAMEWORK_LABELS.get(winner, winner), []).append(f"{text(case.case)} ({factor:.2f}×)")
        elif not c.enough_processes:
            ties["too few processes to call"].append(text(case.case))
        else:
            ties["equivalent within 5%" if c.outcome == "equivalent" else "too uncertain to call"].append(
                text(case.case)
            )
    clauses = [f"{who} is faster at {', '.join(cases)}" for who, cases in wins.items()]
    return clauses + [f"{what} at {', '.join(cases)}" for what, cases in ties.items() if cases]


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
    clauses = _who_is_faster(pairs)
    found = [f"On this machine ({title}), comparing each framework's fastest mode: {'; '.join(clauses)}."]
    layouts = []
    for case in section.cases:
        last, eager = (
            case.modes.get(*CHANNELS_LAST) if case.modes else None,
            case.modes.get(*PYTORCH_EAGER) if case.modes else None,
        )
        if last is not None and eager is not None:
            layouts.append(f"{describe(stats.compare(last.speeds, eager.speeds))} at {text(case.case)}")
    if layouts:
        found.append(
            f"PyTorch eager in the `channels_last` memory format, against its default layout: {'; '.join(layouts)}."
        )
    first = pairs[0][0]
    if section.workload.task != "op":
        compiles = {r.framework: r for r in first.results if r.mode in ("compile", "xla")}
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
        _, r, _ = pairs[0]
        other = next((o for o in first.results if f"{o.framework}/{o.mode}" == r.versus), None)
        if other and r.peak_rss_bytes and other.peak_rss_bytes:
            found.append(
                f"The fastest modes' processes peak at {mib(r.peak_rss_bytes)} ({label(r.framework, r.mode)}) and "
                f"{mib(other.peak_rss_bytes)} ({label(other.framework, other.mode)}), framework included."
            )
    return found


def ceiling_chart(machine_id: str, section: WorkloadSection, ceiling: Ceiling, out: Path) -> str:
    frame = charts.with_labels(pd.DataFrame([
        {"framework": r.framework, "label": label(r.framework, r.mode), "case": c.case,
         "share": 100 * r.gflops / ceiling.gflops}
        for c in section.cases for r in c.results
    ]))  # fmt: skip
    title = f"{section.workload.title}: share of the machine's ceiling ({ceiling.gflops:,.0f} GFLOP/s)"
    return charts.save(charts.share_chart(frame, title), out, f"{machine_id}-{section.workload.name}-ceiling")


def build(loaded: Loaded, results_dir: Path, out: Path, reference: str | None = None) -> list[MachineReport]:
    """Write every generated page, chart and results copy under ``out`` (emptied first); the
    guides show the ``reference`` machine first (see ``reference_machine``).

    ``out`` is marked as made here, and a folder without the mark is never emptied unless it
    is empty already, or it is the default docs/generated/ (which builds made before the mark
    existed: git ignores it, and it holds nothing but generated pages)."""

    mark = out / ".framework-guide-generated"
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UserError(f"{out}: not a folder; give --out a new folder, or one an earlier build made")
    if out.exists():
        made_before_marks = out.resolve() == (ROOT / "docs" / "generated").resolve()
        if not mark.is_file() and not made_before_marks and any(out.iterdir()):
            raise UserError(
                f"{out}: not made by `python -m generator build` (it has no {mark.name}), so it is not emptied; "
                f"give --out a new or empty folder, or delete {out} yourself"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    mark.write_text("Made by `python -m generator build`, which empties this folder before every build.\n")
    everything, smaller_profile = one_profile(to_frame(loaded.results, results_dir))
    frame = current(everything)
    shown = set(frame["file"])
    docs_by_machine: dict[str, list[dict[str, Any]]] = {}
    for path, doc in loaded.results:
        if relative_file(path, results_dir) in shown:
            docs_by_machine.setdefault(doc["machine"]["id"], []).append(doc)
        copy_result(path, out / "results" / path.relative_to(results_dir))
    reports = [machine_report(m, frame[frame.machine == m], docs_by_machine[m], out) for m in sorted(docs_by_machine)]
    charts.write_bundle(out / "assets")

    reports.sort(
        key=lambda r: r.id != reference_machine(reports, reference or configured_reference())
    )  # the reference machine first
    env = environment()
    releases = [machine_versions(r.id, everything[everything.machine == r.id], out / "charts") for r in reports]
    context = {
        "machines": reports, "problems": loaded.left_out(results_dir), "smaller_profile": smaller_profile,
        "profiles": list(PROFILES.values()), "versions": releases,
    }  # fmt: skip
    by_machine, study_problems = studies.load_studies(results_dir)
    # each line starts with the file as found under results_dir: pages name it under the results folder
    study_problems = [line.removeprefix(f"{results_dir}{os.sep}") for line in study_problems]
    for machine_studies in by_machine.values():
        for per_framework in machine_studies.results.values():
            for study_result in per_framework.values():
                copy_result(results_dir / study_result.file, out / "results" / study_result.file)
    memory = {m: memory_scaling(ms, out / "charts") for m, ms in by_machine.items()}
    pipelines = {m: pipeline_section(ms, out / "charts") for m, ms in by_machine.items()}
    studied = next((by_machine[r.id] for r in reports if r.id in by_machine), None)
    context.update(study_context(studied, study_problems),
                   study_machines=by_machine, memory=memory, pipelines=pipelines)  # fmt: skip
    context.update(guidance(evidence.from_results(frame, by_machine), reports, env, out))
    pages: dict[str, tuple[str, MachineReport | None]] = {
        "claims.md": ("claims.md.j2", None),
        "decide.md": ("decide.md.j2", None),
        "embed.md": ("embed.md.j2", None),
        "partials/verdicts.md": ("verdicts.md.j2", None),
        "usability.md": ("usability.md.j2", None),
        "ecosystem.md": ("ecosystem.md.j2", None),
        "versions.md": ("versions.md.j2", None),
        "machines/index.md": ("machines.md.j2", None),
        "partials/headline.md": ("headline.md.j2", reports[0] if reports else None),
        "partials/profiles.md": ("profiles.md.j2", None),
    }
    for r in reports:  # the Performance guide for the reference machine; one more page per other machine
        pages[performance_page(r, reports)] = ("performance.md.j2", r)
        pages[f"machines/{r.id}.md"] = ("machine.md.j2", r)
    if not reports:
        pages["performance.md"] = ("performance.md.j2", None)
    for page, (template, machine) in pages.items():
        target = out / page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            env.get_template(template).render(**context, machine=machine, performance_page=performance_page)
        )
    return reports


def site_base() -> str:
    """Where the site is published (``FG_SITE_URL``, else ``site_url`` in mkdocs.yml), ending in "/";
    empty where neither is set."""
    found = os.environ.get("FG_SITE_URL", "")
    if not found:
        match = re.search(r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE)
        found = match.group(1).strip("'\"") if match else ""
    if not escape.url(found, schemes=("https", "http")):
        return ""  # not a plain address: the links stay relative
    return found if found.endswith("/") else found + "/"


def write_json(path: Path, document: dict[str, Any], *, compact: bool = False) -> None:
    """A JSON file for readers (indented) or for the browser (``compact``: the questionnaire's table)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    written = json.dumps(document, ensure_ascii=False, **({"separators": (",", ":")} if compact else {"indent": 1}))
    path.write_text(written + "\n")


def guidance(
    machines: dict[str, evidence.Machine], reports: list[MachineReport], env: jinja2.Environment, out: Path
) -> dict[str, Any]:
    """Claims on every machine and the recommendations on the reference machine: the JSON files,
    the snippets to embed, and what the Claims, Decide, Embed and Home pages show."""
    shown = [r.id for r in reports]
    order = [m for m in shown if m in machines] + [m for m in machines if m not in shown]
    ordered = {m: machines[m] for m in order}
    known = decide.load_rules()  # with the claims and facts it names, each file read and checked once
    claim_list = list(known.claims)
    checked = claims.check_all(claim_list, ordered)
    write_json(out / "claims.json", claims.to_json(checked))
    machine_id = order[0] if order else None
    recommendations = decide.recommend_all(known, ordered[machine_id]) if machine_id else []
    versions = [
        f"{FRAMEWORK_LABELS[s['framework']['name']]} {s['framework']['version']}"
        for s in (reports[0].software if reports else [])
        if s["framework"]["name"] in ("pytorch", "tensorflow") and s["framework"]["version"]
    ]  # plain text: the snippets are Markdown for another site, written as they are
    write_json(out / "recommendations.json", decide.to_json(known, recommendations, versions))
    write_json(out / "decide.json", decide.questionnaire_json(known, recommendations), compact=True)
    base = site_base()
    snippet = env.get_template("snippet.md.j2")
    snippets = {r.use_case.id: snippet.render(r=r, base=base, versions=versions) for r in recommendations}
    (out / "embed").mkdir(parents=True, exist_ok=True)
    for use_case, written in snippets.items():
        (out / "embed" / f"{use_case}.md.txt").write_text(written)
    if recommendations:
        (out / "embed" / "all.md.txt").write_text(env.get_template("snippet-table.md.j2").render(
            recommendations=recommendations, base=base, machine_id=machine_id, versions=versions))  # fmt: skip
    counts = [(v, sum(c.verdict == v for c in checked if c.machine == machine_id)) for v in evidence.VERDICTS]
    return {
        "machine_ids": order, "claim_list": claim_list, "checked": {(c.claim.id, c.machine): c for c in checked},
        "recommendations": recommendations, "machine_id": machine_id, "settings": known.settings,
        "facts": list(known.facts),
        "questions": known.questions, "titles": {u.id: u.title for u in known.use_cases}, "base": base,
        "claim_counts": [(v, n) for v, n in counts if n],
        "example": recommendations[0] if recommendations else None,
        "example_snippet": snippets[recommendations[0].use_case.id] if recommendations else "",
    }  # fmt: skip


def memory_pairs(rows: list[dict[str, Any]]) -> list[tuple[tuple[Any, ...], dict[str, dict[str, Any]]]]:
    """The memory rows paired by size: ((task, width, batch, parameter bytes), {framework: row})."""
    pairs: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for row in rows:
        pairs.setdefault((row["task"], row["width"], row["batch"], row["parameter_bytes"]), {})[row["framework"]] = row
    return list(pairs.items())


def memory_scaling(ms: studies.MachineStudies, out: Path) -> dict[str, Any]:
    """The memory study's rows, a chart of memory against model size and against batch, the inference
    latencies, and inference from a saved model against in-process."""
    rows = studies.memory_rows(ms)
    inference = {"latency": studies.memory_latency(rows), "saved": studies.saved_against_in_process(rows)}
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


def pipeline_section(ms: studies.MachineStudies, out: Path) -> dict[str, Any]:
    """The data-pipeline study by size, and charts of samples/s and of peak memory against the data set's size."""
    sizes = studies.pipeline_rows(ms)
    rows = [
        {"framework": e.framework, "config_title": f"{FRAMEWORK_LABELS[e.framework]}: {e.title}",
         "images": size.images, "median": e.summary.median, "low": e.summary.low, "high": e.summary.high,
         "peak_mib": (e.finding.get("peak_pss_bytes") or 0) / 2**20}
        for size in sizes for e in size.entries if e.summary
    ]  # fmt: skip
    growth = studies.pipeline_growth(sizes)
    if not rows:
        return {"sizes": sizes, "charts": {}, "growth": growth}
    frame = charts.with_labels(pd.DataFrame(rows))
    made = {
        "throughput": charts.save(charts.pipeline_chart(frame, "median", "Steady samples/s (median, 95% interval)",
                                                        "Data pipelines: samples/s against the data set's size",
                                                        "low", "high"), out, f"{ms.machine}-pipeline-throughput"),
        "memory": charts.save(charts.pipeline_chart(frame[frame.peak_mib > 0], "peak_mib",
                                                    "Peak PSS of the process tree (MiB)",
                                                    "Data pipelines: peak memory against the data set's size"),
                              out, f"{ms.machine}-pipeline-memory"),
    }  # fmt: skip
    return {"sizes": sizes, "charts": made, "growth": growth}


def copy_result(source_path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source_path, target)


def study_context(ms: studies.MachineStudies | None, problems: list[str]) -> dict[str, Any]:
    """What the Usability and Ecosystem pages show: the reference machine's studies, summed up."""
    if ms is None:
        return {"ms": None, "study_problems": problems, "verdicts": [], "scores": [], "lengths": {},
                "code_totals": {}, "noise_totals": {}, "noise_messages": {}, "eco_verdicts": []}  # fmt: skip
    return {
        "ms": ms, "study_problems": problems, "verdicts": studies.usability_verdicts(ms),
        "scores": studies.error_scores(ms), "lengths": studies.message_lengths(ms),
        "code_totals": studies.code_totals(ms), "noise_totals": studies.noise_totals(ms),
        "noise_messages": studies.noise_messages(ms), "eco_verdicts": studies.ecosystem_verdicts(ms),
    }  # fmt: skip


def configured_reference() -> str | None:
    """``reference-machine`` under ``[tool.framework-guide]`` in pyproject.toml, if set."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {}).get("framework-guide", {})
    chosen = config.get("reference-machine")
    return chosen if isinstance(chosen, str) else None


def reference_machine(reports: list[MachineReport], chosen: str | None) -> str | None:
    """The machine whose numbers the guides show first: the one chosen (``--reference``, or
    ``reference-machine`` under ``[tool.framework-guide]`` in pyproject.toml) where it has
    results, else the one with the most results files."""
    ids = [r.id for r in reports]
    if chosen in ids:
        return chosen
    return max(reports, key=lambda r: len(r.files)).id if reports else None


def performance_page(machine: MachineReport, reports: list[MachineReport]) -> str:
    return "performance.md" if machine is reports[0] else f"performance-{machine.id}.md"
