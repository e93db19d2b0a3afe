"""Evidence: the measured figures a claim or a recommendation rests on, picked by a rule.

A rule is a small table from a data file (``data/claims.toml``, ``data/decide.toml``) that
names a kind of evidence and what to select, for example
``{evidence = "speed", workloads = ["cnn", "transformer"], cases = "largest"}``. Each kind
reads one machine's results and returns items: one comparison each (a workload case, a
model size, a study criterion), with the framework that came out better where the
difference is meaningful, the figures in words and the results files behind them. The
verdict of a claim is a vote of its items; nothing here is curated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from generator import load, studies
from generator.compare import Comparison, ModeResult, best, compare, mode_results
from measurements import workloads
from measurements.frameworks import FRAMEWORK_LABELS, MODE_LABELS

FRAMEWORKS = ("pytorch", "tensorflow")
VERDICTS = ("supported", "contradicted", "mixed", "no meaningful difference", "not measured here")


@dataclass(frozen=True)
class Item:
    """One comparison: which framework did better (None: no meaningful difference), and why."""

    what: str
    winner: str | None
    detail: str
    files: tuple[str, ...] = ()
    tested: bool = False  # decided by a test and an interval over samples, not by a threshold on one reading


@dataclass
class Case:
    """One case of a timing workload on one machine: every mode measured, ranked."""

    workload: workloads.Workload
    case: str
    device: str
    metric: workloads.Metric
    results: list[ModeResult]
    samples: dict[tuple[str, str], tuple[list[float], list[int]]]

    @property
    def higher_is_better(self) -> bool:
        return self.metric.higher_is_better


@dataclass
class Machine:
    """What a rule can read about one machine: its timing cases and its studies."""

    id: str
    cases: list[Case] = field(default_factory=list)
    studies: studies.MachineStudies | None = None


def machines(results_dir: Path) -> tuple[dict[str, Machine], list[str]]:
    """Every machine in the results folder, newest release of each framework (as the guides);
    and one line per results file left out because it is bad."""
    loaded = load.load_results(load.result_files(results_dir))
    frame, mixed = load.one_profile(load.to_frame(loaded.results, results_dir))
    frame = load.current(frame) if loaded.results else pd.DataFrame()
    by_machine, study_problems = studies.load_studies(results_dir)
    return from_results(frame, by_machine), loaded.problems + mixed + study_problems


def from_results(frame: pd.DataFrame, by_machine: dict[str, studies.MachineStudies]) -> dict[str, Machine]:
    ids = sorted(set(frame["machine"]) if not frame.empty else set()) + sorted(by_machine)
    found = {i: Machine(i, studies=by_machine.get(i)) for i in dict.fromkeys(ids)}
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
                results, samples = mode_results(of_case)
                metric = workloads.METRICS[of_case["metric"].iloc[0]]
                found[str(machine)].cases.append(Case(workload, str(name), str(device), metric, results, samples))
    return found


def _figure(value: float) -> str:
    """Four significant figures, without exponents: 32,658 / 208.6 / 0.1463."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _label(r: ModeResult) -> str:
    return MODE_LABELS.get((r.framework, r.mode), f"{r.framework} {r.mode}")


def _winner(comparison: Comparison, a_better_when_higher: bool) -> str | None:
    """``a`` is PyTorch, ``b`` TensorFlow: which did better, where the difference is meaningful."""
    if not comparison.meaningful:
        return None
    return "pytorch" if (comparison.ratio > 1) == a_better_when_higher else "tensorflow"


def _ratio_words(comparison: Comparison) -> str:
    return f"PyTorch over TensorFlow {comparison.ratio:.2f}, 95% interval {comparison.low:.2f}–{comparison.high:.2f}"


def _verdict_words(winner: str | None, better: str) -> str:
    return f"{FRAMEWORK_LABELS[winner]} {better}" if winner else "no meaningful difference"


def _tested(what: str, pytorch: str, tensorflow: str, unit: str, comparison: Comparison, higher_is_better: bool,
            better: str, files: tuple[str, ...]) -> Item:  # fmt: skip
    """An item decided by the guides' test and interval: ``pytorch`` and ``tensorflow`` name each side's
    median; ``better`` is the word for the side that wins ("faster")."""
    winner = _winner(comparison, higher_is_better)
    detail = (
        f"{pytorch} against {tensorflow} {unit} (medians): {_verdict_words(winner, better)} "
        f"({_ratio_words(comparison)})"
    )
    return Item(what, winner, detail, files, tested=True)


def _pick(cases: list[Case], which: str) -> list[Case]:
    if which == "all" or not cases:
        return cases
    return [cases[0] if which == "smallest" else cases[-1]]


def speed(rule: dict[str, Any], machine: Machine) -> list[Item]:
    """Each selected case: the best selected mode of each framework, compared (PyTorch against TensorFlow)."""
    modes: dict[str, list[str]] = {fw: rule[f"{fw}_modes"] for fw in FRAMEWORKS if f"{fw}_modes" in rule}
    items = []
    for name in rule["workloads"]:
        cases = [c for c in machine.cases if c.workload.name == name and c.device == rule.get("device", c.device)]
        for device in dict.fromkeys(c.device for c in cases):
            for case in _pick([c for c in cases if c.device == device], rule.get("cases", "all")):
                chosen = [r for r in case.results if r.framework not in modes or r.mode in modes[r.framework]]
                pt, tf = best(chosen, "pytorch"), best(chosen, "tensorflow")
                if pt is None or tf is None:
                    continue
                (a, a_rounds), (b, b_rounds) = (
                    case.samples[(pt.framework, pt.mode)],
                    case.samples[(tf.framework, tf.mode)],
                )
                items.append(_tested(
                    f"{case.workload.title}, {case.case} ({device})", f"{_label(pt)} {_figure(pt.summary.median)}",
                    f"{_label(tf)} {_figure(tf.summary.median)}", case.metric.unit,
                    compare(a, b, a_rounds, b_rounds), case.higher_is_better, "better", (pt.file, tf.file),
                ))  # fmt: skip
    return items


def _threshold_winner(pytorch: float, tensorflow: float, min_ratio: float) -> str | None:
    """Lower is better (memory, lines): the framework at least ``min_ratio`` times lower wins."""
    if tensorflow >= pytorch * min_ratio:
        return "pytorch"
    if pytorch >= tensorflow * min_ratio:
        return "tensorflow"
    return None


def memory(rule: dict[str, Any], machine: Machine) -> list[Item]:
    """Each selected size of the memory study, PyTorch against TensorFlow: peak memory above the
    imported framework (one reading each, judged by a threshold), or with ``measure = "latency"``
    the inference latency (30 timed calls each, judged by the guides' test and interval)."""
    if machine.studies is None:
        return []
    min_ratio = rule.get("min_ratio", 1.10)
    latency = rule.get("measure") == "latency"
    pairs: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for row in studies.memory_rows(machine.studies):
        measured = bool(row.get("latency_samples")) if latency else row["mib"] is not None
        if row["task"] not in rule["tasks"] or not measured:  # a failed size has no figure to compare
            continue
        if not rule.get("min_width", 0) <= row["width"] <= rule.get("max_width", float("inf")):
            continue
        if "batch" in rule and row["batch"] != rule["batch"]:
            continue
        pairs.setdefault((row["task"], row["width"], row["batch"]), {})[row["framework"]] = row
    items = []
    for (_, width, batch), pair in pairs.items():
        if len(pair) < 2:
            continue
        pt, tf = pair["pytorch"], pair["tensorflow"]
        what = f"{pt['task_label']}, MLP width {width:,} ({pt['parameter_mb']:,.1f} MB of parameters), batch {batch:,}"
        if latency:
            pt_ms, tf_ms = load.median(pt["latency_samples"]) or 0.0, load.median(tf["latency_samples"]) or 0.0
            items.append(_tested(f"{what}: latency", f"PyTorch {_figure(pt_ms)}", f"TensorFlow {_figure(tf_ms)}",
                                 "ms per call", compare(pt["latency_samples"], tf["latency_samples"]), False,
                                 "faster", (pt["file"], tf["file"])))  # fmt: skip
            continue
        winner = _threshold_winner(pt["mib"], tf["mib"], min_ratio)
        detail = (
            f"PyTorch {pt['mib']:,.0f} MiB against TensorFlow {tf['mib']:,.0f} MiB (TensorFlow over PyTorch "
            f"{tf['mib'] / pt['mib']:.2f}; one reading each, a difference counts from {min_ratio:.2f}×): "
            f"{_verdict_words(winner, 'uses less')}"
        )
        items.append(Item(what, winner, detail, (pt["file"], tf["file"])))
    return items


def distributed(rule: dict[str, Any], machine: Machine) -> list[Item]:
    """Data-parallel training in two processes: throughput, and whether each completed."""
    if machine.studies is None:
        return []
    items = []
    files = tuple(r.file for _, r in sorted(machine.studies.get("distributed").items()))
    for row in studies.distributed_rows(machine.studies):
        if row.id not in rule.get("configurations", [row.id]):
            continue
        outcomes = {fw: f.get("outcome") for fw, f in row.findings.items()}
        if len(outcomes) < 2:
            continue
        completed = [fw for fw, outcome in outcomes.items() if outcome == "ok"]
        if len(completed) == 1:
            other = next(fw for fw in outcomes if fw not in completed)
            detail = f"only {FRAMEWORK_LABELS[completed[0]]} completed; {FRAMEWORK_LABELS[other]}: {outcomes[other]}"
            items.append(Item(f"{row.title}: completes", completed[0], detail, files))
            continue
        if rule.get("completion", True):
            items.append(Item(f"{row.title}: completes", None, "both completed", files))
        if row.comparison is not None:
            pt, tf = row.summaries["pytorch"], row.summaries["tensorflow"]
            items.append(_tested(f"{row.title}: throughput", f"PyTorch {_figure(pt.median)}",
                                 f"TensorFlow {_figure(tf.median)}", "samples/s", row.comparison, True, "faster",
                                 files))  # fmt: skip
    return items


def usability(rule: dict[str, Any], machine: Machine) -> list[Item]:
    """Shares of the usability studies' items that meet a criterion, per framework."""
    if machine.studies is None:
        return []
    min_difference = rule.get("min_share_difference", 0.2)
    counts: list[tuple[str, tuple[int, int], tuple[int, int], str]] = []
    if "debugging" in rule["criteria"]:
        tools = machine.studies.both("debugging")
        if tools:
            n = len(tools)
            counts.append(("Debugging techniques that work", (sum(bool(p["works"]) for _, p, _ in tools), n),
                           (sum(bool(t["works"]) for _, _, t in tools), n), "debugging"))  # fmt: skip
    scores = {s.criterion: s for s in studies.error_scores(machine.studies)}
    for criterion, score in scores.items():
        key = studies.ERROR_CRITERIA.get(criterion)
        if key in rule["criteria"]:
            counts.append((f"Common mistakes: {criterion.lower()}", score.pytorch, score.tensorflow, "errors"))
    items = []
    for what, (pt, pt_of), (tf, tf_of), study in counts:
        if not pt_of or not tf_of:
            continue
        difference = pt / pt_of - tf / tf_of
        winner = None if abs(difference) < min_difference else ("pytorch" if difference > 0 else "tensorflow")
        detail = (
            f"PyTorch {pt} of {pt_of}, TensorFlow {tf} of {tf_of} (a difference counts from "
            f"{min_difference:.0%} of the items): {_verdict_words(winner, 'does better')}"
        )
        files = tuple(r.file for _, r in sorted(machine.studies.get(study).items()))
        items.append(Item(what, winner, detail, files))
    return items


def codesize(rule: dict[str, Any], machine: Machine) -> list[Item]:
    """Lines of code for the same workloads, per framework."""
    if machine.studies is None:
        return []
    totals = studies.code_totals(machine.studies)
    if len(totals) < 2:
        return []
    min_ratio = rule.get("min_ratio", 1.10)
    (pt, _), (tf, _) = totals["pytorch"], totals["tensorflow"]
    winner = _threshold_winner(pt, tf, min_ratio)
    detail = f"PyTorch {pt} lines against TensorFlow {tf}: {_verdict_words(winner, 'needs fewer')}"
    files = tuple(r.file for _, r in sorted(machine.studies.get("codesize").items()))
    return [Item("Lines of code for the same workloads", winner, detail, files)]


def _usable(finding: dict[str, Any], configs: list[str] | None) -> bool:
    """A configuration that completed, among those the rule names (all where it names none)."""
    return bool(finding["outcome"] == "ok" and (not configs or finding["config"] in configs))


def pipeline(rule: dict[str, Any], machine: Machine) -> list[Item]:
    """The data-pipeline study: per data-set size, the best configuration of each framework."""
    if machine.studies is None:
        return []
    sizes = studies.pipeline_rows(machine.studies)
    if not sizes:
        return []
    chosen = sizes if rule.get("sizes", "largest") == "all" else sizes[-1:]
    min_ratio = rule.get("min_ratio", 1.10)
    items = []
    for size in chosen:
        rows = {fw: [e.finding for e in size.entries if e.framework == fw] for fw in FRAMEWORKS}
        files = tuple(dict.fromkeys(e.file for e in size.entries))
        if rule["measure"] == "failures":
            for fw in FRAMEWORKS:
                failed = [r for r in rows.get(fw, []) if r["outcome"] != "ok"]
                other = "tensorflow" if fw == "pytorch" else "pytorch"
                if failed and all(r["outcome"] == "ok" for r in rows.get(other, [])):
                    names = ", ".join(f"{r['title']} ({r['outcome']})" for r in failed)
                    items.append(Item(f"{size.images:,} images: completes", other,
                                      f"{FRAMEWORK_LABELS[fw]} did not complete: {names}", files))  # fmt: skip
            if not items and all(rows.get(fw) for fw in FRAMEWORKS):
                items.append(Item(f"{size.images:,} images: completes", None,
                                  "every configuration of both frameworks completed", files))  # fmt: skip
            continue
        ok = {fw: [r for r in rows.get(fw, []) if _usable(r, rule.get(f"{fw}_configs"))] for fw in FRAMEWORKS}
        if not all(ok.values()):
            continue
        if rule["measure"] == "memory":
            pt = min(ok["pytorch"], key=lambda r: r["peak_pss_bytes"])
            tf = min(ok["tensorflow"], key=lambda r: r["peak_pss_bytes"])
            winner = _threshold_winner(pt["peak_pss_bytes"], tf["peak_pss_bytes"], min_ratio)
            detail = (
                f"lowest peak memory of the process tree: PyTorch ({pt['title']}) "
                f"{pt['peak_pss_bytes'] / 2**20:,.0f} MiB against TensorFlow ({tf['title']}) "
                f"{tf['peak_pss_bytes'] / 2**20:,.0f} MiB (one reading each, a difference counts from "
                f"{min_ratio:.2f}×): {_verdict_words(winner, 'uses less')}"
            )
            items.append(Item(f"{size.images:,} images: peak memory", winner, detail, files))
            continue
        pt = max(ok["pytorch"], key=lambda r: load.median(r["samples"]) or 0.0)
        tf = max(ok["tensorflow"], key=lambda r: load.median(r["samples"]) or 0.0)
        items.append(_tested(
            f"{size.images:,} images: throughput",
            f"fastest configuration of each: PyTorch ({pt['title']}) {_figure(load.median(pt['samples']) or 0)}",
            f"TensorFlow ({tf['title']}) {_figure(load.median(tf['samples']) or 0)}", "samples/s in the steady epochs",
            compare(pt["samples"], tf["samples"]), True, "faster", files,
        ))  # fmt: skip
    return items


KINDS: dict[str, Callable[[dict[str, Any], Machine], list[Item]]] = {
    "speed": speed, "memory": memory, "distributed": distributed, "usability": usability, "codesize": codesize,
    "pipeline": pipeline,
}  # fmt: skip


def groups(rule: dict[str, Any] | list[dict[str, Any]], machine: Machine) -> list[list[Item]]:
    """The items a rule picks, as one group; a list of rules gives a group per rule that found any."""
    found = [KINDS[one["evidence"]](one, machine) for one in (rule if isinstance(rule, list) else [rule])]
    return [group for group in found if group]


def evaluate(rule: dict[str, Any] | list[dict[str, Any]], machine: Machine) -> list[Item]:
    """Every item a rule (or a list of rules) picks."""
    return [item for group in groups(rule, machine) for item in group]


def votes(found: list[list[Item]]) -> list[str | None]:
    """What decides: each item of a single rule; each rule of a list, by the majority of its own
    items, so a rule that picks many comparisons does not outvote one that picks a few."""
    if len(found) == 1:
        return [item.winner for item in found[0]]
    return [leader([item.winner for item in group]) for group in found]


def leader(winners: list[str | None]) -> str | None:
    """The framework more than half of the votes favour, if any."""
    for fw in FRAMEWORKS:
        if sum(w == fw for w in winners) * 2 > len(winners):
            return fw
    return None


def net_share(found: list[list[Item]]) -> float:
    """-1 (every comparison favours TensorFlow) .. +1 (PyTorch): PyTorch's wins less TensorFlow's over
    all the comparisons, averaged over the rules of a list."""
    shares = [
        (sum(i.winner == "pytorch" for i in g) - sum(i.winner == "tensorflow" for i in g)) / len(g) for g in found
    ]
    return sum(shares) / len(shares) if shares else 0.0


def verdict(found: list[list[Item]], expects: str) -> str:
    """A claim that ``expects`` comes out better, judged by a majority of the votes."""
    winners = votes(found)
    if not winners:
        return "not measured here"
    n = len(winners)
    if sum(w == expects for w in winners) * 2 > n:
        return "supported"
    if sum(w not in (None, expects) for w in winners) * 2 > n:
        return "contradicted"
    if sum(w is None for w in winners) * 2 > n:
        return "no meaningful difference"
    return "mixed"
