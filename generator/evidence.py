"""Evidence: the measured figures a claim or a recommendation rests on, picked by a rule.

A rule is a small table from a data file (``data/claims.toml``, ``data/decide.toml``) that
names a kind of evidence and what to select, for example
``{evidence = "speed", workloads = ["cnn", "transformer"], cases = "largest"}``. Each kind
reads one machine's results and returns items: one comparison each (a workload case, a
model size, a study criterion). A timing comparison is the speed of one framework ÷ the
speed of another over fresh processes (``generator.stats``) and ends in one of three
outcomes: one framework faster, equivalent within 5%, or too uncertain to call; with fewer
than two processes a side it is a single reading and carries no verdict. Counts (lines of
code, usability items) are judged by the rule's threshold. Every kind compares the frameworks it
is given (a claim's two sides; by default every compared framework of the registry): the best
of them against the best of the others, whatever their number. The verdict of a claim is a vote
of its items, after Holm's correction over every timing comparison it votes over
(``corrected``); nothing here is curated.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from generator import stats, studies
from generator.compare import CaseModes, ModeResult, bound, mode_results, summarise
from measurements import workloads
from measurements.frameworks import COMPARED, FRAMEWORK_LABELS, MODE_LABELS
from measurements.studies import distributed as distributed_study

VERDICTS = (
    "supported", "contradicted", "mixed", "equivalent", "too uncertain to call", "too few processes to call",
    "not testable here", "not measured here",
)  # fmt: skip
CORRECTION = "Holm"  # the family-wise correction over the timing comparisons a claim votes over
LEVEL = (1 - stats.CONFIDENCE) / 2  # each call's one-sided level, as the 95% interval makes it

# An item's call: a framework came out better ("favours"), the two are equivalent within the band
# (or, for counts, within the rule's threshold), the interval is too wide to tell ("uncertain"),
# or it rests on a single reading (one process a side, or one reading of memory) and carries no verdict;
# or this machine cannot test it at all ("untestable": too few cores, say), whatever it measured.
CALLS = ("favours", "equivalent", "uncertain", "single", "untestable")
# The hardware an item was measured on: one machine's CPU, a GPU, or several processes training together.
HARDWARE = ("cpu", "gpu", "multi-process")


@dataclass(frozen=True)
class Item:
    """One comparison: which framework did better (None: equivalent, too uncertain or a single
    reading), and why."""

    what: str
    winner: str | None
    detail: str
    files: tuple[str, ...] = ()
    tested: bool = False  # decided by an interval over fresh processes, not by a threshold on one reading
    call: str = "favours"  # one of CALLS
    ratio: stats.Ratio | None = None  # a comparison: speed of sides[0] ÷ speed of sides[1] (memory: 1/MiB)
    sides: tuple[str, str] = ("", "")
    figures: str = ""  # the figures compared, in words
    adjusted: float | None = None  # the p-value of its call, Holm-adjusted over the claim's comparisons
    family: int = 1  # how many comparisons that correction was over
    terms: tuple[str, str] = ("faster", "slower")  # what a ratio above or below the band reads as
    source: str = ""  # what measured it: a workload's name, or a study's
    hardware: str = "cpu"  # the hardware it was measured on: one of HARDWARE

    @property
    def vote(self) -> str:
        """What the item votes for: a framework, "equivalent", "uncertain" or "single"."""
        return self.winner if self.winner else self.call


@dataclass
class Case:
    """One case of a timing workload on one machine: every mode measured, ranked."""

    workload: workloads.Workload
    case: str
    device: str
    metric: workloads.Metric
    modes: CaseModes

    @property
    def results(self) -> list[ModeResult]:
        return self.modes.results

    @property
    def higher_is_better(self) -> bool:
        return self.metric.higher_is_better


@dataclass
class Machine:
    """What a rule can read about one machine: its timing cases and its studies."""

    id: str
    cases: list[Case] = field(default_factory=list)
    studies: studies.MachineStudies | None = None
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)  # results file (under the folder) -> its document
    found: dict[str, list[Item]] = field(default_factory=dict, repr=False)  # rule -> its items, computed once

    def frameworks_on(self, hardware: str) -> list[str]:
        """The frameworks with timing results on ``hardware`` ("cpu" or "gpu") on this machine."""
        found = {r.framework for c in self.cases if (c.device == "cpu") == (hardware == "cpu") for r in c.results}
        return [fw for fw in COMPARED if fw in found]

    def covers(self, hardware: str) -> bool:
        """Whether this machine measured anything on ``hardware`` (one of HARDWARE): its CPU (timings
        or studies), a GPU, or several processes (the distributed study, with enough cores to judge it)."""
        if hardware == "gpu":
            return any(c.device != "cpu" for c in self.cases)
        if hardware == "multi-process":
            ran = self.studies.get("distributed") if self.studies else {}
            cores = min((studies.machine_cores(r.doc) for r in ran.values()), default=0)
            return bool(ran) and cores >= distributed_study.CORES_NEEDED
        return any(c.device == "cpu" for c in self.cases) or self.studies is not None


def from_results(frame: pd.DataFrame, by_machine: dict[str, studies.MachineStudies],
                 docs: dict[str, dict[str, Any]] | None = None) -> dict[str, Machine]:  # fmt: skip
    """Each machine's timing cases and studies; ``docs`` (results file -> document) are the timing
    files' documents, kept with the study documents so a verdict can say what it rests on."""
    ids = sorted(set(frame["machine"]) if not frame.empty else set()) + sorted(by_machine)
    found = {i: Machine(i, studies=by_machine.get(i)) for i in dict.fromkeys(ids)}
    for file, doc in (docs or {}).items():
        if doc["machine"]["id"] in found:
            found[doc["machine"]["id"]].docs[file] = doc
    for machine, ms in by_machine.items():
        for per_framework in ms.results.values():
            for result in per_framework.values():
                found[machine].docs[result.file] = result.doc
    if frame.empty:
        return found
    ok = frame[frame.status == "ok"]
    for workload in workloads.REGISTRY.values():
        if workload.task not in ("train", "infer", "op"):
            continue
        own = ok[ok.workload == workload.name]
        for (machine, device), rows in own.groupby(["machine", "device"], sort=True):
            for name in dict.fromkeys(rows["case"]):  # measured order: smallest first
                of_case = rows[rows.case == name]
                metric = workloads.METRICS[of_case["metric"].iloc[0]]
                found[str(machine)].cases.append(Case(workload, str(name), str(device), metric, mode_results(of_case)))
    return found


def _figure(value: float) -> str:
    """Four significant figures, without exponents: 32,658 / 208.6 / 0.1463."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _label(r: ModeResult) -> str:
    return MODE_LABELS.get((r.framework, r.mode), f"{r.framework} {r.mode}")


def _name(framework: str) -> str:
    return FRAMEWORK_LABELS.get(framework, framework)


def _interval(r: stats.Ratio) -> str:
    """The ratio and its interval, never a p-value."""
    family = f"; Bonferroni-corrected for {r.family} comparisons" if r.family > 1 else ""
    assert r.low is not None and r.high is not None
    return f"ratio {r.ratio:.2f}, {r.confidence:.0%} interval {bound(r.low)}–{bound(r.high)}{family}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _call(r: stats.Ratio, adjusted: float | None) -> str:
    """The call of a timing comparison: its own outcome, kept only where its p-value, Holm-adjusted
    over the claim's comparisons, stays under the level the interval calls at."""
    if not r.enough_processes:
        return "single"
    if r.outcome == "uncertain" or (adjusted is not None and adjusted >= LEVEL):
        return "uncertain"
    return "equivalent" if r.outcome == "equivalent" else "favours"


def _tested(what: str, figures: str, ratio: stats.Ratio, sides: tuple[str, str], files: tuple[str, ...],
            adjusted: float | None = None, family: int = 1,
            terms: tuple[str, str] = ("faster", "slower")) -> Item:  # fmt: skip
    """An item decided by an interval over processes: speed of ``sides[0]`` ÷ speed of
    ``sides[1]``; ``adjusted`` is its p-value after the claim's correction, where applied."""
    call = _call(ratio, adjusted)
    winner = None
    if call == "favours":
        winner = sides[0] if ratio.outcome == "faster" else sides[1]
    a, b = _name(sides[0]), _name(sides[1])
    holm = f"{CORRECTION}'s correction over the {family} comparisons judged together here"
    what_ratio = f"{a} ÷ {b} speed" if terms[0] == "faster" else f"{b} ÷ {a} memory"
    if call == "single":
        verdict = f"{stats.words(ratio, terms=terms)}, no verdict ({what_ratio} {ratio.ratio:.2f})"
    elif call == "uncertain" and ratio.outcome != "uncertain":  # called by its own interval, not after the correction
        verdict = f"{a} against {b}: too uncertain to call after {holm} ({what_ratio}, {_interval(ratio)})"
    elif call == "favours" and adjusted is not None and family > 1:  # Holm's p, not the interval's own
        verdict = (f"{a} against {b}: {stats.words(ratio, terms=terms)} ({what_ratio}, {_interval(ratio)}); "
                   f"{_p(adjusted)} after {holm}")  # fmt: skip
    elif call == "favours":
        verdict = f"{a} against {b}: {stats.words(ratio, detail=True, terms=terms)}"
    else:  # equivalent or uncertain: never a p-value beside them
        verdict = f"{a} against {b}: {stats.words(ratio, terms=terms)} ({what_ratio}, {_interval(ratio)})"
    return Item(what, winner, f"{figures}: {verdict}", files, tested=ratio.enough_processes, call=call, ratio=ratio,
                sides=sides, figures=figures, adjusted=adjusted, family=family, terms=terms)  # fmt: skip


def _decisive_p(r: stats.Ratio) -> float:
    """The p-value of the comparison's own call: beyond the band for faster or slower, inside it
    for equivalent; for an uncertain one the smaller of the two (it stays uncertain)."""
    assert r.p_beyond is not None and r.p_equivalent is not None
    if r.outcome in ("faster", "slower"):
        return r.p_beyond
    if r.outcome == "equivalent":
        return r.p_equivalent
    return min(r.p_beyond, r.p_equivalent)


def corrected(found: list[list[Item]]) -> list[list[Item]]:
    """The groups of a claim with Holm's correction applied over every comparison over processes
    they hold (with an interval): a comparison keeps its call (faster, slower, equivalent) only where
    its Holm-adjusted p-value stays under 0.025, the one-sided level at which its 95% interval
    makes the call; otherwise it becomes too uncertain to call. The chance that any call of the
    claim is wrong so stays at most 5%."""
    tested = [(g, i) for g, group in enumerate(found) for i, item in enumerate(group)
              if item.ratio is not None and item.ratio.enough_processes]  # fmt: skip
    if not tested:
        return found
    adjusted = stats.holm([_decisive_p(found[g][i].ratio) for g, i in tested])  # type: ignore[arg-type]
    out = [list(group) for group in found]
    for (g, i), p in zip(tested, adjusted, strict=True):
        item = found[g][i]
        assert item.ratio is not None
        again = _tested(item.what, item.figures, item.ratio, item.sides, item.files, p, len(tested), item.terms)
        out[g][i] = replace(again, source=item.source, hardware=item.hardware)
    return out


def _single(what: str, detail: str, files: tuple[str, ...]) -> Item:
    """A comparison of single readings (one process a side): shown, with no verdict."""
    return Item(what, None, f"{detail}: one reading each, too few processes to call", files, call="single")


def _pick(cases: list[Case], which: str) -> list[Case]:
    if which == "all" or not cases:
        return cases
    return [cases[0] if which == "smallest" else cases[-1]]


def speed(rule: dict[str, Any], machine: Machine, frameworks: tuple[str, ...]) -> list[Item]:
    """Each selected case: the fastest selected mode of each framework, the fastest framework's
    against the fastest of the others, speed ÷ speed."""
    modes = rule.get("modes", {})
    items = []
    for name in rule["workloads"]:
        cases = [c for c in machine.cases if c.workload.name == name and c.device == rule.get("device", c.device)]
        for device in dict.fromkeys(c.device for c in cases):
            for case in _pick([c for c in cases if c.device == device], rule.get("cases", "all")):
                chosen = [r for r in case.results if r.framework in frameworks and r.mode in
                          modes.get(r.framework, [r.mode])]  # fmt: skip
                speeds: dict[str, dict[str, list[float]]] = {}
                for r in chosen:
                    speeds.setdefault(r.framework, {})[r.mode] = list(r.speeds)
                h = studies.headline(speeds)
                if h is None:
                    continue
                fast = next(r for r in chosen if (r.framework, r.mode) == (h.framework, h.mode))
                other = next(r for r in chosen if (r.framework, r.mode) == (h.versus_framework, h.versus_mode))
                figures = (
                    f"{_label(fast)} {_figure(fast.summary.median)} against {_label(other)} "
                    f"{_figure(other.summary.median)} {case.metric.unit} (geometric means of the process medians)"
                )
                found = _tested(f"{case.workload.title}, {case.case} ({device})", figures, h.comparison,
                                (h.framework, h.versus_framework), (fast.file, other.file))  # fmt: skip
                items.append(replace(found, source=name, hardware="cpu" if device == "cpu" else "gpu"))
    return items


def memory(rule: dict[str, Any], machine: Machine, frameworks: tuple[str, ...]) -> list[Item]:
    """Each selected size of the memory study, the framework with the least whole-process peak
    memory (the framework's own runtime included) against the least of the others (or with ``measure = "latency"``, the
    fastest inference against the fastest of the others), over the study's fresh processes."""
    if machine.studies is None:
        return []
    latency = rule.get("measure") == "latency"
    rows = [
        row for row in studies.memory_rows(machine.studies)
        if row["task"] in rule["tasks"] and row["framework"] in frameworks
        and rule.get("min_width", 0) <= row["width"] <= rule.get("max_width", float("inf"))
        and rule.get("batch", row["batch"]) == row["batch"]
    ]  # fmt: skip
    found = studies.memory_latency(rows) if latency else studies.memory_sizes(rows)
    if latency:
        terms, unit, note = ("faster", "slower"), "ms", " per call (geometric means of the process medians)"
    else:
        terms, unit, note = (
            studies.LESS_MEMORY,
            "MiB",
            " for the whole process, the framework's own runtime included (geometric means over the processes)",
        )
    items = []
    for size in found:
        h = size.headline  # a failed size has no figure to compare
        if h is None:
            continue
        a, b = h.framework, h.versus_framework
        first = size.rows[a]
        what = (
            f"{first['task_label']}, MLP width {size.width:,} ({first['parameter_mb']:,.1f} MB of parameters), "
            f"batch {size.batch:,}: {'latency' if latency else 'peak memory'}"
        )
        figures = (f"{_name(a)} {_figure(size.summaries[a].median)} {unit} against {_name(b)} "
                   f"{_figure(size.summaries[b].median)} {unit}{note}")  # fmt: skip
        items.append(_tested(what, figures, h.comparison, (a, b), (first["file"], size.rows[b]["file"]), terms=terms))
    return items


def distributed(rule: dict[str, Any], machine: Machine, frameworks: tuple[str, ...]) -> list[Item]:
    """Data-parallel training in two processes: whether each completed, and throughput; on a machine
    with fewer cores than a verdict needs (``distributed.CORES_NEEDED``), one item that says so."""
    if machine.studies is None:
        return []
    items = []
    results = {fw: r for fw, r in sorted(machine.studies.get("distributed").items()) if fw in frameworks}
    files = tuple(r.file for r in results.values())
    cores = min((studies.machine_cores(r.doc) for r in results.values()), default=None)
    if cores is not None and cores < distributed_study.CORES_NEEDED:
        return [Item("Distributed training", None, f"not testable on this machine: it has {cores} cores, and a verdict "
                     f"needs at least {distributed_study.CORES_NEEDED} (two workers, each with the cores of the best "
                     "single process); its launches are shown in the Performance guide, not judged", files,
                     call="untestable")]  # fmt: skip
    for row in studies.distributed_rows(machine.studies):
        if row.id not in rule.get("configurations", [row.id]):
            continue
        outcomes = {fw: f.get("outcome") for fw, f in row.findings.items() if fw in frameworks}
        if len(outcomes) < 2:
            continue
        completed = [fw for fw, outcome in outcomes.items() if outcome == "ok"]
        failed = ", ".join(f"{_name(fw)}: {outcome}" for fw, outcome in outcomes.items() if fw not in completed)
        if len(completed) == 1:
            items.append(Item(f"{row.title}: completes", completed[0], f"only {_name(completed[0])} completed; "
                              f"{failed}", files))  # fmt: skip
            continue
        if failed:
            items.append(Item(f"{row.title}: completes", None, f"{failed}", files, call="uncertain"))
        elif rule.get("completion", True):
            items.append(Item(f"{row.title}: completes", None, "every framework completed", files, call="equivalent"))
        h = studies.headline({fw: {"": studies.speeds_of(f, "samples/s")}
                       for fw, f in row.findings.items() if fw in completed and f.get("samples")})  # fmt: skip
        if h is not None:
            a, b = h.framework, h.versus_framework
            figures = (f"{_name(a)} {_figure(row.summaries[a].median)} against {_name(b)} "
                       f"{_figure(row.summaries[b].median)} samples/s (geometric means of the process "
                       "medians)")  # fmt: skip
            items.append(_tested(f"{row.title}: throughput", figures, h.comparison, (a, b), files))
    return items


def serving(rule: dict[str, Any], machine: Machine, frameworks: tuple[str, ...]) -> list[Item]:
    """The serving study: each framework's fastest deploy path against the fastest of the others,
    for the rule's measure (batch-1 latency, server-batch throughput, or 16 concurrent clients)."""
    if machine.studies is None:
        return []
    rows = studies.serving_rows(machine.studies)
    h = studies.serving_headline(rows, rule["measure"], frameworks)
    if h is None:
        return []
    what, unit = studies.SERVING_MEASURES[rule["measure"]]
    by = {(row.framework, row.path): row for row in rows}
    a, b = by[h.framework, h.mode], by[h.versus_framework, h.versus_mode]
    figures = (f"{_name(a.framework)} ({a.path}) {_figure(a.summaries[rule['measure']].median)} {unit} against "
               f"{_name(b.framework)} ({b.path}) {_figure(b.summaries[rule['measure']].median)} {unit}, each "
               "framework's fastest deploy path (geometric means over the processes)")  # fmt: skip
    return [_tested(f"Serving the CNN from a saved model: {what}", figures, h.comparison, (a.framework, b.framework),
                    (a.file, b.file))]  # fmt: skip


def _by_threshold(what: str, values: dict[str, float], better: str, threshold: str,
                  wins: Callable[[float, float], bool], files: tuple[str, ...],
                  shown: dict[str, str]) -> Item:  # fmt: skip
    """A count judged by a threshold: the best framework wins where ``wins(best, runner_up)``."""
    ranked = sorted(values, key=lambda fw: values[fw], reverse=better != "needs fewer")
    winner = ranked[0] if wins(values[ranked[0]], values[ranked[1]]) else None
    figures = ", ".join(f"{_name(fw)} {shown[fw]}" for fw in values)
    detail = f"{figures} (a difference counts from {threshold}): {_threshold_words(winner, better)}"
    return Item(what, winner, detail, files, call="favours" if winner else "equivalent")


def usability(rule: dict[str, Any], machine: Machine, frameworks: tuple[str, ...]) -> list[Item]:
    """Shares of the usability studies' items that meet a criterion, per framework: the best share
    against the next, judged by the rule's threshold."""
    if machine.studies is None:
        return []
    min_difference = rule.get("min_share_difference", 0.2)
    counts: list[tuple[str, dict[str, tuple[int, int]], str]] = []
    if "debugging" in rule["criteria"]:
        tools = machine.studies.both("debugging")
        if tools:
            n = len(tools)
            met = {fw: (sum(bool(found[fw]["works"]) for _, found in tools), n) for fw in tools[0][1]}
            counts.append(("Debugging techniques that work", met, "debugging"))
    for score in studies.error_scores(machine.studies):
        if studies.ERROR_CRITERIA.get(score.criterion) in rule["criteria"]:
            counts.append((f"Common mistakes: {score.criterion.lower()}", dict(score.counts), "errors"))
    items = []
    for what, counted, study in counts:
        met = {fw: c for fw, c in counted.items() if fw in frameworks and c[1]}
        if len(met) < 2:
            continue
        files = tuple(r.file for fw, r in sorted(machine.studies.get(study).items()) if fw in met)
        items.append(_by_threshold(what, {fw: m / of for fw, (m, of) in met.items()}, "does better",
                                   f"{min_difference:.0%} of the items",
                                   lambda best, next_: best - next_ >= min_difference, files,
                                   {fw: f"{m} of {of}" for fw, (m, of) in met.items()}))  # fmt: skip
    return items


def codesize(rule: dict[str, Any], machine: Machine, frameworks: tuple[str, ...]) -> list[Item]:
    """Lines of code for the same workloads, per framework: the fewest against the next."""
    if machine.studies is None:
        return []
    lines = {fw: float(n) for fw, (n, _) in studies.code_totals(machine.studies).items() if fw in frameworks and n}
    if len(lines) < 2:
        return []
    min_ratio = rule.get("min_ratio", 1.10)
    files = tuple(r.file for fw, r in sorted(machine.studies.get("codesize").items()) if fw in lines)
    return [_by_threshold("Lines of code for the same workloads", lines, "needs fewer", f"{min_ratio:.2f}×",
                          lambda best, next_: next_ >= best * min_ratio, files,
                          {fw: f"{n:,.0f} lines" for fw, n in lines.items()})]  # fmt: skip


def _threshold_words(winner: str | None, better: str) -> str:
    return f"{_name(winner)} {better}" if winner else "no difference beyond the threshold"


def _ended(outcome: str) -> str:
    return "ran out of memory" if outcome == "oom" else f"ended {outcome}"


def _usable(finding: dict[str, Any], configs: list[str] | None) -> bool:
    """A configuration that completed, among those the rule names (all where it names none)."""
    return bool(finding["outcome"] == "ok" and (not configs or finding["config"] in configs))


def _completion(size: studies.PipelineSize, rows: dict[str, list[dict[str, Any]]], files: tuple[str, ...],
                configs: dict[str, list[str]]) -> Item:  # fmt: skip
    """Which frameworks have a configuration (of those ``configs`` names) that completed in every launch."""
    limit = next((f["limit_bytes"] for found in rows.values() for f in found if f.get("limit_bytes")), None)
    what = f"{size.images:,} images" + (f" under a limit of {limit / 2**30:.2f} GiB" if limit else "") + ": completes"
    done = {fw: [f["title"] for f in found if _usable(f, configs.get(fw))] for fw, found in rows.items()}

    def of(fw: str) -> str:
        launches = {f["title"]: len(f.get("launches") or []) for f in rows[fw]}
        others = [f"{f['title']} {_ended(f['outcome'])} in {launches[f['title']] - f.get('completed', 0)} of "
                  f"{launches[f['title']]} launches" for f in rows[fw] if f["title"] not in done[fw]]  # fmt: skip
        ran = "; ".join(done[fw]) + " completed every launch" if done[fw] else "no configuration completed"
        return f"{_name(fw)}: {ran}" + (f" ({', '.join(others)})" if others else "")

    said = "; ".join(of(fw) for fw in done)
    completed = [fw for fw, titles in done.items() if titles]
    if len(completed) == 1:
        return Item(what, completed[0], said, files)
    return Item(what, None, said, files, call="equivalent")


def pipeline(rule: dict[str, Any], machine: Machine, frameworks: tuple[str, ...]) -> list[Item]:
    """The data-pipeline study (``study = "pipeline_limit"``: under a memory limit): per data-set size,
    each framework's best configuration against the best of the others (throughput, or the lowest
    peak memory), which frameworks completed every configuration ("failures"), or which have a
    configuration that completed in every launch ("completion": what a user who picks that
    configuration gets)."""
    if machine.studies is None:
        return []
    sizes = studies.pipeline_rows(machine.studies, rule.get("study", "pipeline"))
    chosen = sizes if rule.get("sizes", "largest") == "all" else sizes[-1:]
    items = []
    for size in chosen:
        rows = {fw: [e.finding for e in size.entries if e.framework == fw] for fw in frameworks}
        rows = {fw: found for fw, found in rows.items() if found}
        files = tuple(dict.fromkeys(e.file for e in size.entries if e.framework in rows))
        if len(rows) < 2:
            continue
        if rule["measure"] == "completion":
            items.append(_completion(size, rows, files, rule.get("configs", {})))
            continue
        if rule["measure"] == "failures":
            completed = [fw for fw, found in rows.items() if all(r["outcome"] == "ok" for r in found)]
            failed = [
                f"{_name(fw)}: " + ", ".join(f"{r['title']} ({r['outcome']})" for r in found if r["outcome"] != "ok")
                for fw, found in rows.items()
                if fw not in completed
            ]
            if not failed:
                every = "every configuration of every framework completed"
                items.append(Item(f"{size.images:,} images: completes", None, every, files, call="equivalent"))
            else:
                winner = completed[0] if len(completed) == 1 else None
                detail = "did not complete: " + "; ".join(failed)
                items.append(Item(f"{size.images:,} images: completes", winner, detail, files,
                                  call="favours" if winner else "uncertain"))  # fmt: skip
            continue
        configs = rule.get("configs", {})
        ok = {fw: [r for r in found if _usable(r, configs.get(fw))] for fw, found in rows.items()}
        ok = {fw: found for fw, found in ok.items() if found}
        if len(ok) < 2:
            continue
        by_config = {fw: {r["config"]: r for r in found} for fw, found in ok.items()}
        if rule["measure"] == "memory":
            peaks = {
                fw: {c: studies.per_process(r, "peak_pss_bytes") for c, r in per.items() if r.get("peak_pss_bytes")}
                for fw, per in by_config.items()
            }
            h = studies.headline({fw: studies.lower_is_better(per) for fw, per in peaks.items()})
            if h is None:
                continue
            a, b = by_config[h.framework][h.mode], by_config[h.versus_framework][h.versus_mode]
            figures = (f"lowest peak memory of the process tree: {_name(h.framework)} ({a['title']}) "
                       f"{a['peak_pss_bytes'] / 2**20:,.0f} MiB against {_name(h.versus_framework)} ({b['title']}) "
                       f"{b['peak_pss_bytes'] / 2**20:,.0f} MiB")  # fmt: skip
            items.append(_tested(f"{size.images:,} images: peak memory", figures, h.comparison,
                                 (h.framework, h.versus_framework), files, terms=studies.LESS_MEMORY))  # fmt: skip
            continue
        h = studies.headline({fw: {c: studies.speeds_of(r, "samples/s") for c, r in per.items()}
                       for fw, per in by_config.items()})  # fmt: skip
        if h is None:
            continue
        a, b = by_config[h.framework][h.mode], by_config[h.versus_framework][h.versus_mode]
        fast, slow = (summarise(r["samples"], studies.per_round(r)).median for r in (a, b))
        figures = (
            f"fastest configuration of each among those compared: {_name(h.framework)} ({a['title']}) "
            f"{_figure(fast)} against {_name(h.versus_framework)} ({b['title']}) {_figure(slow)} samples/s in the "
            "steady epochs (geometric means of the process medians)"
        )
        items.append(_tested(f"{size.images:,} images: throughput", figures, h.comparison,
                             (h.framework, h.versus_framework), files))  # fmt: skip
    return items


KINDS: dict[str, Callable[[dict[str, Any], Machine, tuple[str, ...]], list[Item]]] = {
    "speed": speed, "memory": memory, "distributed": distributed, "usability": usability, "codesize": codesize,
    "pipeline": pipeline, "serving": serving,
}  # fmt: skip


def _measured(one: dict[str, Any], machine: Machine, frameworks: tuple[str, ...]) -> list[Item]:
    """The items of one rule, before any correction, computed once per machine; each says what
    measured it (``source``) and on which hardware."""
    key = json.dumps([one, frameworks], sort_keys=True)
    if key not in machine.found:
        items = KINDS[one["evidence"]](one, machine, frameworks)
        if one["evidence"] != "speed":  # a timing item names its own workload and device
            source = {"pipeline": one.get("study", "pipeline")}.get(one["evidence"], one["evidence"])
            hardware = "multi-process" if one["evidence"] == "distributed" else "cpu"  # the studies run on the CPU
            items = [replace(i, source=source, hardware=hardware) for i in items]
        machine.found[key] = items
    return machine.found[key]


def groups(rule: dict[str, Any] | list[dict[str, Any]], machine: Machine, frameworks: tuple[str, ...] = COMPARED,
           keep: Callable[[Item], bool] | None = None) -> list[list[Item]]:  # fmt: skip
    """The items a rule picks among ``frameworks`` (those ``keep`` keeps, where given), as one group;
    a list of rules gives a group per rule that found any. Holm's correction is applied over every
    comparison over processes of all the groups (``corrected``), after ``keep``."""
    found = [_measured(one, machine, frameworks) for one in (rule if isinstance(rule, list) else [rule])]
    if keep is not None:
        found = [[i for i in group if keep(i)] for group in found]
    return corrected([group for group in found if group])


def evaluate(rule: dict[str, Any] | list[dict[str, Any]], machine: Machine,
             frameworks: tuple[str, ...] = COMPARED) -> list[Item]:  # fmt: skip
    """Every item a rule (or a list of rules) picks."""
    return [item for group in groups(rule, machine, frameworks) for item in group]


def votes(found: list[list[Item]]) -> list[str]:
    """What decides: each item of a single rule; each rule of a list, by the majority of its own
    items, so a rule that picks many comparisons does not outvote one that picks a few. A vote
    is a framework, "equivalent", "uncertain", "single" (single readings), or "mixed" (a rule
    whose items have no majority)."""
    if len(found) == 1:
        return [item.vote for item in found[0]]
    return [leader([item.vote for item in group]) or "mixed" for group in found]


def leader(found: list[str]) -> str | None:
    """The vote more than half of ``found`` cast, if any."""
    counted = Counter(found).most_common(1)
    return counted[0][0] if counted and counted[0][1] * 2 > len(found) else None


def favoured(found: list[list[Item]]) -> str | None:
    """The framework the majority of the votes favour, if any."""
    top = leader(votes(found))
    return top if top in COMPARED else None


def shares(found: list[list[Item]]) -> dict[str, float]:
    """Each framework's share of the comparisons it won (0..1), averaged over the rules of a list."""
    per_group = [Counter(i.winner for i in g if i.winner) for g in found if g]
    won = {fw for counts in per_group for fw in counts}
    return {fw: sum(c[fw] / len(g) for c, g in zip(per_group, [g for g in found if g], strict=True)) / len(per_group)
            for fw in won}  # fmt: skip


def status(found: list[list[Item]]) -> str:
    """What the votes say, whoever is expected: "favours X", "equivalent", "too uncertain to call",
    "too few processes to call", "not testable here", "mixed", or "not measured here"."""
    cast = votes(found)
    if not cast:
        return "not measured here"
    n = len(cast)
    if sum(v == "untestable" for v in cast) * 2 > n:
        return "not testable here"
    top = leader(cast)
    if top in COMPARED:
        return f"favours {FRAMEWORK_LABELS[top]}"
    if top == "equivalent":
        return "equivalent"
    if sum(v == "single" for v in cast) * 2 > n:
        return "too few processes to call"
    if sum(v in ("uncertain", "single") for v in cast) * 2 > n:
        return "too uncertain to call"
    return "mixed"


def verdict(found: list[list[Item]], expects: str) -> str:
    """A claim that ``expects`` comes out better, judged by a majority of the votes: supported,
    contradicted (another framework), equivalent, too uncertain to call (uncertain comparisons
    and single readings together), too few processes to call (single readings alone), mixed."""
    cast = votes(found)
    if not cast:
        return "not measured here"
    if sum(v == expects for v in cast) * 2 > len(cast):
        return "supported"
    if sum(v in COMPARED and v != expects for v in cast) * 2 > len(cast):
        return "contradicted"
    said = status(found)
    return "mixed" if said.startswith("favours") else said
