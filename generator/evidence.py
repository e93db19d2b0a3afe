"""Evidence: the measured figures a claim or a recommendation rests on, picked by a rule.

A rule is a small table from a data file (``data/claims.toml``, ``data/decide.toml``) that
names a kind of evidence and what to select, for example
``{evidence = "speed", workloads = ["cnn", "transformer"], cases = "largest"}``. Each kind
reads one machine's results and returns items: one comparison each (a workload case, a
model size, a study criterion). A timing comparison is the speed of one framework ÷ the
speed of another over fresh processes (``generator.stats``) and ends in one of three
outcomes: one framework faster, equivalent within 5%, or too uncertain to call; with fewer
than two processes a side it is a single reading and carries no verdict. Counts (lines of
code, usability items) are judged by the rule's threshold. The verdict of a claim is a vote
of its items, after Holm's correction over every timing comparison it votes over
(``corrected``); nothing here is curated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from generator import load, stats, studies
from generator.compare import CaseModes, ModeResult, bound, compare, mode_results, summarise
from measurements import workloads
from measurements.frameworks import FRAMEWORK_LABELS, MODE_LABELS

FRAMEWORKS = ("pytorch", "tensorflow")  # the two frameworks the usability and pipeline studies compare
VERDICTS = (
    "supported", "contradicted", "mixed", "equivalent", "too uncertain to call", "too few processes to call",
    "not measured here",
)  # fmt: skip
CORRECTION = "Holm"  # the family-wise correction over the timing comparisons a claim votes over
LEVEL = (1 - stats.CONFIDENCE) / 2  # each call's one-sided level, as the 95% interval makes it

# An item's call: a framework came out better ("favours"), the two are equivalent within the band
# (or, for counts, within the rule's threshold), the interval is too wide to tell ("uncertain"),
# or it rests on a single reading (one process a side, or one reading of memory) and carries no verdict.
CALLS = ("favours", "equivalent", "uncertain", "single")


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
    ratio: stats.Ratio | None = None  # a timing comparison: speed of sides[0] ÷ speed of sides[1]
    sides: tuple[str, str] = ("", "")
    figures: str = ""  # the figures compared, in words
    adjusted: float | None = None  # the p-value of its call, Holm-adjusted over the claim's comparisons
    family: int = 1  # how many comparisons that correction was over

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
            adjusted: float | None = None, family: int = 1) -> Item:  # fmt: skip
    """An item decided by an interval over processes: speed of ``sides[0]`` ÷ speed of
    ``sides[1]``; ``adjusted`` is its p-value after the claim's correction, where applied."""
    call = _call(ratio, adjusted)
    winner = None
    if call == "favours":
        winner = sides[0] if ratio.outcome == "faster" else sides[1]
    a, b = _name(sides[0]), _name(sides[1])
    holm = f"{CORRECTION}'s correction over the {family} timing comparisons of this claim"
    if call == "single":
        verdict = f"{stats.words(ratio)}: single readings, no verdict ({a} ÷ {b} speed {ratio.ratio:.2f})"
    elif call == "uncertain" and ratio.outcome != "uncertain":  # called by its own interval, not after the correction
        verdict = f"{a} against {b}: too uncertain to call after {holm} ({a} ÷ {b} speed, {_interval(ratio)})"
    elif call == "favours":
        verdict = f"{a} against {b}: {stats.words(ratio, detail=True)}"
        if adjusted is not None and family > 1:
            verdict += f"; {_p(adjusted)} after {holm}"
    else:  # equivalent or uncertain: never a p-value beside them
        verdict = f"{a} against {b}: {stats.words(ratio)} ({a} ÷ {b} speed, {_interval(ratio)})"
    return Item(what, winner, f"{figures}: {verdict}", files, tested=ratio.enough_processes, call=call, ratio=ratio,
                sides=sides,
                figures=figures, adjusted=adjusted, family=family)  # fmt: skip


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
    """The groups of a claim with Holm's correction applied over every timing comparison they
    hold (with an interval): a comparison keeps its call (faster, slower, equivalent) only where
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
        out[g][i] = _tested(item.what, item.figures, item.ratio, item.sides, item.files, p, len(tested))
    return out


def _single(what: str, detail: str, files: tuple[str, ...]) -> Item:
    """A comparison of single readings (one process a side): shown, with no verdict."""
    return Item(what, None, f"{detail}: one reading each, too few processes to call", files, call="single")


def _pick(cases: list[Case], which: str) -> list[Case]:
    if which == "all" or not cases:
        return cases
    return [cases[0] if which == "smallest" else cases[-1]]


def speed(rule: dict[str, Any], machine: Machine) -> list[Item]:
    """Each selected case: the fastest selected mode of each framework, the fastest framework's
    against the fastest of the others (``stats.best_against_others``: corrected for the choice
    of both modes), speed ÷ speed."""
    modes = {fw: rule[f"{fw}_modes"] for fw in FRAMEWORK_LABELS if f"{fw}_modes" in rule}
    items = []
    for name in rule["workloads"]:
        cases = [c for c in machine.cases if c.workload.name == name and c.device == rule.get("device", c.device)]
        for device in dict.fromkeys(c.device for c in cases):
            for case in _pick([c for c in cases if c.device == device], rule.get("cases", "all")):
                chosen = [r for r in case.results if r.framework not in modes or r.mode in modes[r.framework]]
                speeds: dict[str, dict[str, list[float]]] = {}
                for r in chosen:
                    speeds.setdefault(r.framework, {})[r.mode] = list(r.speeds)
                headlines = stats.best_against_others(speeds)
                if not headlines:
                    continue
                h = max(headlines.values(), key=lambda h: h.comparison.ratio)  # the fastest framework's
                fast = next(r for r in chosen if (r.framework, r.mode) == (h.framework, h.mode))
                other = next(r for r in chosen if (r.framework, r.mode) == (h.versus_framework, h.versus_mode))
                figures = (
                    f"{_label(fast)} {_figure(fast.summary.median)} against {_label(other)} "
                    f"{_figure(other.summary.median)} {case.metric.unit} (medians of process medians)"
                )
                items.append(_tested(f"{case.workload.title}, {case.case} ({device})", figures, h.comparison,
                                     (h.framework, h.versus_framework), (fast.file, other.file)))  # fmt: skip
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
    imported framework, or with ``measure = "latency"`` the speed of inference. The study runs one
    process per size and framework, so these are single readings: shown, with no verdict, until
    the study measures at least 3 processes (then latency is compared over them)."""
    if machine.studies is None:
        return []
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
        if not all(fw in pair for fw in FRAMEWORKS):
            continue
        pt, tf = pair["pytorch"], pair["tensorflow"]
        what = f"{pt['task_label']}, MLP width {width:,} ({pt['parameter_mb']:,.1f} MB of parameters), batch {batch:,}"
        files = (pt["file"], tf["file"])
        if latency:
            ratio = compare(pt["latency_samples"], tf["latency_samples"], studies.latency_rounds(pt),
                                    studies.latency_rounds(tf), unit="ms")  # fmt: skip
            pt_ms = summarise(pt["latency_samples"], studies.latency_rounds(pt)).median
            tf_ms = summarise(tf["latency_samples"], studies.latency_rounds(tf)).median
            items.append(_tested(f"{what}: latency", f"PyTorch {_figure(pt_ms)} against TensorFlow {_figure(tf_ms)} "
                                 "ms per call (medians)", ratio, ("pytorch", "tensorflow"), files))  # fmt: skip
            continue
        detail = (
            f"PyTorch {pt['mib']:,.0f} MiB against TensorFlow {tf['mib']:,.0f} MiB "
            f"(TensorFlow over PyTorch {tf['mib'] / pt['mib']:.2f})"
        )
        items.append(_single(what, detail, files))
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
            detail = f"only {_name(completed[0])} completed; {_name(other)}: {outcomes[other]}"
            items.append(Item(f"{row.title}: completes", completed[0], detail, files))
            continue
        if rule.get("completion", True) and len(completed) == len(outcomes):
            items.append(Item(f"{row.title}: completes", None, "both completed", files, call="equivalent"))
        if row.comparison is not None:
            pt, tf = row.summaries["pytorch"], row.summaries["tensorflow"]
            figures = f"PyTorch {_figure(pt.median)} against TensorFlow {_figure(tf.median)} samples/s (medians)"
            items.append(_tested(f"{row.title}: throughput", figures, row.comparison, ("pytorch", "tensorflow"),
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
            f"{min_difference:.0%} of the items): {_threshold_words(winner, 'does better')}"
        )
        files = tuple(r.file for _, r in sorted(machine.studies.get(study).items()))
        items.append(Item(what, winner, detail, files, call="favours" if winner else "equivalent"))
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
    detail = (
        f"PyTorch {pt} lines against TensorFlow {tf} (a difference counts from {min_ratio:.2f}×): "
        f"{_threshold_words(winner, 'needs fewer')}"
    )
    files = tuple(r.file for _, r in sorted(machine.studies.get("codesize").items()))
    return [
        Item("Lines of code for the same workloads", winner, detail, files, call="favours" if winner else "equivalent")
    ]


def _threshold_words(winner: str | None, better: str) -> str:
    return f"{_name(winner)} {better}" if winner else "no difference beyond the threshold"


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
                every = "every configuration of both frameworks completed"
                items.append(Item(f"{size.images:,} images: completes", None, every, files, call="equivalent"))
            continue
        ok = {fw: [r for r in rows.get(fw, []) if _usable(r, rule.get(f"{fw}_configs"))] for fw in FRAMEWORKS}
        if not all(ok.values()):
            continue
        if rule["measure"] == "memory":
            pt = min(ok["pytorch"], key=lambda r: r["peak_pss_bytes"])
            tf = min(ok["tensorflow"], key=lambda r: r["peak_pss_bytes"])
            detail = (
                f"lowest peak memory of the process tree: PyTorch ({pt['title']}) "
                f"{pt['peak_pss_bytes'] / 2**20:,.0f} MiB against TensorFlow ({tf['title']}) "
                f"{tf['peak_pss_bytes'] / 2**20:,.0f} MiB"
            )
            items.append(_single(f"{size.images:,} images: peak memory", detail, files))
            continue
        pt, tf = (max(ok[fw], key=lambda r: load.median(r["samples"]) or 0.0) for fw in FRAMEWORKS)
        figures = (
            f"fastest configuration of each: PyTorch ({pt['title']}) {_figure(load.median(pt['samples']) or 0)} "
            f"against TensorFlow ({tf['title']}) {_figure(load.median(tf['samples']) or 0)} samples/s in the steady "
            "epochs"
        )
        items.append(_tested(f"{size.images:,} images: throughput", figures,
                             compare(pt["samples"], tf["samples"], studies.per_round(pt),
                                             studies.per_round(tf), unit="samples/s"),
                             ("pytorch", "tensorflow"), files))  # fmt: skip
    return items


KINDS: dict[str, Callable[[dict[str, Any], Machine], list[Item]]] = {
    "speed": speed, "memory": memory, "distributed": distributed, "usability": usability, "codesize": codesize,
    "pipeline": pipeline,
}  # fmt: skip


def groups(rule: dict[str, Any] | list[dict[str, Any]], machine: Machine) -> list[list[Item]]:
    """The items a rule picks, as one group; a list of rules gives a group per rule that found any.
    Holm's correction is applied over every timing comparison of all the groups (``corrected``)."""
    found = [KINDS[one["evidence"]](one, machine) for one in (rule if isinstance(rule, list) else [rule])]
    return corrected([group for group in found if group])


def evaluate(rule: dict[str, Any] | list[dict[str, Any]], machine: Machine) -> list[Item]:
    """Every item a rule (or a list of rules) picks."""
    return [item for group in groups(rule, machine) for item in group]


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
    return top if top in FRAMEWORK_LABELS else None


def net_share(found: list[list[Item]]) -> float:
    """-1 (every comparison favours TensorFlow) .. +1 (PyTorch): PyTorch's wins less TensorFlow's over
    all the comparisons, averaged over the rules of a list."""
    shares = [
        (sum(i.winner == "pytorch" for i in g) - sum(i.winner == "tensorflow" for i in g)) / len(g) for g in found
    ]
    return sum(shares) / len(shares) if shares else 0.0


def status(found: list[list[Item]]) -> str:
    """What the votes say, whoever is expected: "favours X", "equivalent", "too uncertain to call",
    "too few processes to call", "mixed", or "not measured here"."""
    cast = votes(found)
    if not cast:
        return "not measured here"
    n = len(cast)
    top = leader(cast)
    if top in FRAMEWORK_LABELS:
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
    if sum(v in FRAMEWORK_LABELS and v != expects for v in cast) * 2 > len(cast):
        return "contradicted"
    said = status(found)
    return "mixed" if said.startswith("favours") else said
