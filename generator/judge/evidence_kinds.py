"""Each kind of evidence a rule can name (speed, memory, distributed, serving, usability, codesize,
pipeline): what it reads of one machine's results and the items it returns, one per pair of
frameworks; and the items a rule (or a list of rules) picks, computed once per machine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import cast

from generator.analyse import stats, study_memory, study_systems, study_usability
from generator.analyse.compare import PRIMARY, ModeResult, bound, summarise
from generator.judge.evidence import Case, Item, Machine, call_of
from generator.read import rules, studies
from measurements.findings import LimitedFinding, PipelineFinding
from measurements.frameworks import COMPARED, FRAMEWORK_LABELS, MODE_LABELS


def _figure(value: float) -> str:
    """Four significant figures, without exponents: 32,658 / 208.6 / 0.1463."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _label(r: ModeResult) -> str:
    return MODE_LABELS.get((r.framework, r.mode), f"{r.framework} {r.mode}")


def _name(framework: str) -> str:
    return FRAMEWORK_LABELS.get(framework, framework)


def _interval(r: stats.Ratio) -> str:
    """The ratio and its interval, never a p-value."""
    family = f"; Bonferroni over {r.family} comparisons" if r.family > 1 else ""
    assert r.low is not None and r.high is not None
    return f"ratio {r.ratio:.2f}, {r.confidence:.0%} interval {bound(r.low)}–{bound(r.high)}{family}"


def tested_item(what: str, figures: str, ratio: stats.Ratio, sides: tuple[str, str], files: tuple[str, ...],
                terms: tuple[str, str] = ("faster", "slower")) -> Item:  # fmt: skip
    """An item decided by an interval over processes: speed of ``sides[0]`` ÷ speed of ``sides[1]``."""
    call = call_of(ratio)
    winner = None
    if call == "favours":
        winner = sides[0] if ratio.outcome == "faster" else sides[1]
    a, b = _name(sides[0]), _name(sides[1])
    what_ratio = f"{a} ÷ {b} speed" if terms[0] == "faster" else f"{b} ÷ {a} memory"
    if call == "single":
        verdict = f"{stats.words(ratio, terms=terms)}, no verdict ({what_ratio} {ratio.ratio:.2f})"
    elif call == "favours":
        verdict = f"{a} against {b}: {stats.words(ratio, detail=True, terms=terms)}"
    else:  # equivalent or uncertain: never a p-value beside them
        verdict = f"{a} against {b}: {stats.words(ratio, terms=terms)} ({what_ratio}, {_interval(ratio)})"
    return Item(what, winner, f"{figures}: {verdict}", files, tested=ratio.enough_processes, call=call, ratio=ratio,
                sides=sides, figures=figures, terms=terms)  # fmt: skip


def _pairs(what: str, found: stats.Pairwise | None, figure: Callable[[str], str],
           files: Callable[[str], tuple[str, ...]], note: str = "",
           terms: tuple[str, str] = ("faster", "slower")) -> list[Item]:  # fmt: skip
    """An item for every pair of ``found``, each read from the faster side (its ratio at least 1)."""
    items = []
    for a, b, r in found.read_from_faster() if found else []:
        figures = f"{figure(a)} against {figure(b)}{note}"
        items.append(tested_item(what, figures, r, (a, b), tuple(dict.fromkeys(files(a) + files(b))), terms))
    return items


def _always(files: tuple[str, ...]) -> Callable[[str], tuple[str, ...]]:
    """The files of every framework's side, where a study's comparison cites all of them."""
    return lambda _: files


def _pick(cases: list[Case], which: str) -> list[Case]:
    if which == "all" or not cases:
        return cases
    return [cases[0] if which == "smallest" else cases[-1]]


MEANS = " (geometric means of the process medians)"


def short_case(case: str) -> str:
    """A case in the fewest words that tell it from the workload's others: its batch ("batch 64")
    where it names one, else the case as it is named."""
    found = re.search(r"\bbatch \d+", case)
    return found.group(0) if found else case


def speed(rule: rules.Rule, machine: Machine) -> list[Item]:
    """Each selected case: every pair of frameworks, each by its primary mode (or, where the rule
    names modes, by the first of those it measured in the registry's order), speed ÷ speed."""
    modes = rule.get("modes", {})
    items = []
    for name in rule["workloads"]:
        cases = [c for c in machine.cases if c.workload.name == name and c.device == rule.get("device", c.device)]
        for device in dict.fromkeys(c.device for c in cases):
            for case in _pick([c for c in cases if c.device == device], rule.get("cases", "all")):
                chosen = [r for r in case.results if r.mode in modes.get(r.framework, [r.mode])]
                found = case.modes.pairwise
                if modes:
                    speeds: dict[str, dict[str, list[float]]] = {}
                    rounds: dict[str, dict[str, tuple[str | None, ...]]] = {}
                    for r in chosen:
                        speeds.setdefault(r.framework, {})[r.mode] = list(r.speeds)
                        rounds.setdefault(r.framework, {})[r.mode] = r.round_ids
                    primary = {fw: next((m for m in listed if m in speeds.get(fw, {})), "") for fw, listed in
                               modes.items()}  # fmt: skip
                    looks = max((r.looks for r in chosen), default=1)
                    found = stats.pairwise(speeds, {**PRIMARY, **primary}, rounds=rounds, looks=looks)
                if found is None:
                    continue
                by = {(r.framework, r.mode): r for r in chosen}

                def figure(fw: str, found: stats.Pairwise = found, by: dict[tuple[str, str], ModeResult] = by,
                           unit: str = case.metric.unit) -> str:  # fmt: skip
                    r = by[(fw, found.chosen[fw])]
                    return f"{_label(r)} {_figure(r.summary.median)} {unit}"

                def files(fw: str, found: stats.Pairwise = found,
                          by: dict[tuple[str, str], ModeResult] = by) -> tuple[str, ...]:  # fmt: skip
                    return (by[(fw, found.chosen[fw])].file,)

                what = f"{case.workload.title}, {case.case} ({device})"
                where = f"{case.workload.title}, {short_case(case.case)}" + ("" if device == "cpu" else " on the GPU")
                found_items = _pairs(what, found, figure, files, MEANS)
                items += [replace(i, source=name, hardware="cpu" if device == "cpu" else "gpu", where=where)
                          for i in found_items]  # fmt: skip
    return items


def memory(rule: rules.Rule, machine: Machine) -> list[Item]:
    """Each selected size of the memory study, every pair of frameworks by whole-process peak
    memory (the framework's own runtime included), or with ``measure = "latency"`` by inference
    latency, over the study's fresh processes."""
    if machine.studies is None:
        return []
    latency = rule.get("measure") == "latency"
    rows = [
        row for row in study_memory.memory_rows(machine.studies)
        if row["task"] in rule["tasks"]
        and rule.get("min_width", 0) <= row["width"] <= rule.get("max_width", float("inf"))
        and rule.get("batch", row["batch"]) == row["batch"]
    ]  # fmt: skip
    found = study_memory.memory_latency(rows) if latency else study_memory.memory_sizes(rows)
    if latency:
        terms, unit, note = ("faster", "slower"), "ms", " per call" + MEANS
    else:
        terms, unit, note = (
            study_memory.LESS_MEMORY,
            "MiB",
            " for the whole process, the framework's own runtime included (geometric means over the processes)",
        )
    items = []
    for size in found:
        first = next(iter(size.rows.values()))
        what = (
            f"{first['task_label']}, MLP width {size.width:,} ({first['parameter_mb']:,.1f} MB of parameters), "
            f"batch {size.batch:,}: {'latency' if latency else 'peak memory'}"
        )

        def figure(fw: str, size: study_memory.MemorySize | study_memory.LatencyRow = size) -> str:
            return f"{_name(fw)} {_figure(size.summaries[fw].median)} {unit}"

        def files(fw: str, size: study_memory.MemorySize | study_memory.LatencyRow = size) -> tuple[str, ...]:
            return (size.rows[fw]["file"],)

        items += _pairs(what, size.pairs, figure, files, note, terms)
    return items


def _completes(what: str, done: dict[str, bool], said: Callable[[str], str], files: tuple[str, ...]) -> list[Item]:
    """For every pair of frameworks, whether one completed where the other did not: a framework that
    completed favoured; both completed, equivalent; both failed, nothing to choose by."""
    items = []
    order = list(done)
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            if done[a] != done[b]:
                winner, loser = (a, b) if done[a] else (b, a)
                items.append(Item(what, winner, f"{said(winner)}; {said(loser)}", files, sides=(winner, loser)))
            else:
                call = "equivalent" if done[a] else "uncertain"
                items.append(Item(what, None, f"{said(a)}; {said(b)}", files, call=call, sides=(a, b)))
    return items


def distributed(rule: rules.Rule, machine: Machine) -> list[Item]:
    """Data-parallel training in two processes: for every pair, whether each completed, and throughput;
    on a machine with fewer cores than a verdict needs (the distributed study's ``cores_needed``), an item per
    pair that says so."""
    if machine.studies is None:
        return []
    results = dict(sorted(machine.studies.get("distributed").items()))
    files = tuple(r.file for r in results.values())
    cores = min((studies.machine_cores(r.doc) for r in results.values()), default=None)
    needed = studies.cores_needed("distributed")
    if cores is not None and cores < needed:
        why = (f"not testable on this machine: it has {cores} cores, and a verdict needs at least "
               f"{needed} (two workers, each with the cores of the best single process); its "
               "launches are shown in the Performance guide, not judged")  # fmt: skip
        order = [fw for fw in COMPARED if fw in results]
        return [Item("Distributed training", None, why, files, call="untestable", sides=(a, b))
                for i, a in enumerate(order) for b in order[i + 1 :]]  # fmt: skip
    items = []
    for row in study_systems.distributed_rows(machine.studies):
        if row.id not in rule.get("configurations", [row.id]):
            continue
        outcomes = {fw: f.get("outcome") for fw, f in row.findings.items() if fw in COMPARED}
        if len(outcomes) < 2:
            continue
        done = {fw: outcome == "ok" for fw, outcome in outcomes.items()}
        if rule.get("completion", True) or not all(done.values()):
            said = {fw: f"{_name(fw)} {'completed' if ok else outcomes[fw]}" for fw, ok in done.items()}
            items += _completes(f"{row.title}: completes", done, said.__getitem__, files)

        def figure(fw: str, row: study_systems.DistributedRow = row) -> str:
            return f"{_name(fw)} {_figure(row.summaries[fw].median)} samples/s"

        items += _pairs(f"{row.title}: throughput", row.pairs, figure, _always(files), MEANS)
    return items


def serving(rule: rules.Rule, machine: Machine) -> list[Item]:
    """The serving study: every pair of frameworks, each by its fastest native deploy path (its own
    runtime; a shared runtime such as ONNX Runtime is no framework's win), for the rule's measure
    (batch-1 latency, server-batch throughput, or 16 concurrent clients)."""
    if machine.studies is None:
        return []
    rows = study_systems.serving_rows(machine.studies)
    found = stats.pairwise(study_systems.serving_speeds_by_path(rows, rule["measure"]))
    if found is None:
        return []
    what, unit = study_systems.SERVING_MEASURES[rule["measure"]]
    by = {(row.framework, row.path): row for row in rows}

    def figure(fw: str) -> str:
        row = by[fw, found.chosen[fw]]
        return f"{_name(fw)} ({row.path}) {_figure(row.summaries[rule['measure']].median)} {unit}"

    note = ", each framework's fastest path on its own runtime (geometric means over the processes)"
    return _pairs(f"Serving the CNN from a saved model: {what}", found, figure,
                  lambda fw: (by[fw, found.chosen[fw]].file,), note)  # fmt: skip


def _by_threshold(what: str, values: dict[str, float], better: str, threshold: str,
                  wins: Callable[[float, float], bool], files: tuple[str, ...],
                  shown: dict[str, str]) -> list[Item]:  # fmt: skip
    """Counts judged by a threshold, for every pair: the better of two wins where ``wins(better, other)``."""
    items = []
    order = list(values)
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            first, second = sorted((a, b), key=lambda fw: values[fw], reverse=better != "needs fewer")
            winner = first if wins(values[first], values[second]) else None
            detail = (f"{_name(first)} {shown[first]}, {_name(second)} {shown[second]} (a difference counts from "
                      f"{threshold}): {_threshold_words(winner, better)}")  # fmt: skip
            items.append(Item(what, winner, detail, files, call="favours" if winner else "equivalent",
                              sides=(first, second)))  # fmt: skip
    return items


def usability(rule: rules.Rule, machine: Machine) -> list[Item]:
    """Shares of the usability studies' items that meet a criterion, per framework: every pair,
    judged by the rule's threshold."""
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
    for score in study_usability.error_scores(machine.studies):
        if study_usability.ERROR_CRITERIA.get(score.criterion) in rule["criteria"]:
            counts.append((f"Common mistakes: {score.criterion.lower()}", dict(score.counts), "errors"))
    items = []
    for what, counted, study in counts:
        met = {fw: c for fw, c in counted.items() if fw in COMPARED and c[1]}
        if len(met) < 2:
            continue
        files = tuple(r.file for fw, r in sorted(machine.studies.get(study).items()) if fw in met)
        items += _by_threshold(what, {fw: m / of for fw, (m, of) in met.items()}, "does better",
                               f"{min_difference:.0%} of the items",
                               lambda best, next_: best - next_ >= min_difference, files,
                               {fw: f"{m} of {of}" for fw, (m, of) in met.items()})  # fmt: skip
    return items


def codesize(rule: rules.Rule, machine: Machine) -> list[Item]:
    """Lines of code for the same workloads, per framework: every pair."""
    if machine.studies is None:
        return []
    lines = {
        fw: float(n) for fw, (n, _) in study_usability.code_totals(machine.studies).items() if fw in COMPARED and n
    }
    if len(lines) < 2:
        return []
    min_ratio = rule.get("min_ratio", 1.10)
    files = tuple(r.file for fw, r in sorted(machine.studies.get("codesize").items()) if fw in lines)
    return _by_threshold("Lines of code for the same workloads", lines, "needs fewer", f"{min_ratio:.2f}×",
                         lambda best, next_: next_ >= best * min_ratio, files,
                         {fw: f"{n:,.0f} lines" for fw, n in lines.items()})  # fmt: skip


def _threshold_words(winner: str | None, better: str) -> str:
    return f"{_name(winner)} {better}" if winner else "no difference beyond the threshold"


def _ended(outcome: str) -> str:
    return "ran out of memory" if outcome == "oom" else f"ended {outcome}"


def _usable(finding: PipelineFinding, configs: list[str] | None) -> bool:
    """A configuration that completed, among those the rule names (all where it names none)."""
    return bool(finding["outcome"] == "ok" and (not configs or finding["config"] in configs))


def _completion(size: study_systems.PipelineSize, rows: dict[str, list[LimitedFinding]], files: tuple[str, ...],
                configs: dict[str, list[str]]) -> list[Item]:  # fmt: skip
    """For every pair, which has a configuration (of those ``configs`` names) that completed in every launch."""
    limit = next((f["limit_bytes"] for found in rows.values() for f in found if f.get("limit_bytes")), None)
    what = f"{size.images:,} images" + (f" under a limit of {limit / 2**30:.2f} GiB" if limit else "") + ": completes"
    done = {fw: [str(f["title"]) for f in found if _usable(f, configs.get(fw))] for fw, found in rows.items()}

    def of(fw: str) -> str:
        launches = {f["title"]: len(f.get("launches") or []) for f in rows[fw]}
        others = [f"{f['title']} {_ended(f['outcome'])} in {launches[f['title']] - f.get('completed', 0)} of "
                  f"{launches[f['title']]} launches" for f in rows[fw] if f["title"] not in done[fw]]  # fmt: skip
        ran = "; ".join(done[fw]) + " completed every launch" if done[fw] else "no configuration completed"
        return f"{_name(fw)}: {ran}" + (f" ({', '.join(others)})" if others else "")

    return _completes(what, {fw: bool(titles) for fw, titles in done.items()}, of, files)


ByConfig = dict[str, dict[str, PipelineFinding]]  # framework -> configuration -> its finding


def pipeline(rule: rules.Rule, machine: Machine) -> list[Item]:
    """The data-pipeline study (``study = "pipeline_limit"``: under a memory limit): per data-set size,
    every pair of frameworks, each by its best configuration among those the rule names (throughput,
    or the lowest peak memory; the choice paid for in the pairs' correction), which completed every
    configuration ("failures"), or which have a configuration that completed in every launch
    ("completion": what a user who picks that configuration gets)."""
    if machine.studies is None:
        return []
    sizes = study_systems.pipeline_rows(machine.studies, rule.get("study", "pipeline"))
    chosen = sizes if rule.get("sizes", "largest") == "all" else sizes[-1:]
    items = []
    for size in chosen:
        rows = {fw: [e.finding for e in size.entries if e.framework == fw] for fw in COMPARED}
        rows = {fw: found for fw, found in rows.items() if found}
        files = tuple(dict.fromkeys(e.file for e in size.entries if e.framework in rows))
        if len(rows) < 2:
            continue
        if rule["measure"] == "completion":
            limited = cast(dict[str, list[LimitedFinding]], rows)  # completion: the pipeline_limit study's
            items += _completion(size, limited, files, rule.get("configs", {}))
            continue
        if rule["measure"] == "failures":

            def said(fw: str, rows: dict[str, list[PipelineFinding]] = rows) -> str:
                failed = ", ".join(f"{r['title']} ({r['outcome']})" for r in rows[fw] if r["outcome"] != "ok")
                return f"{_name(fw)}: " + (f"did not complete {failed}" if failed else "every configuration completed")

            done = {fw: all(r["outcome"] == "ok" for r in found) for fw, found in rows.items()}
            items += _completes(f"{size.images:,} images: completes", done, said, files)
            continue
        configs = rule.get("configs", {})
        ok = {fw: [r for r in found if _usable(r, configs.get(fw))] for fw, found in rows.items()}
        ok = {fw: found for fw, found in ok.items() if found}
        by_config: ByConfig = {fw: {r["config"]: r for r in found} for fw, found in ok.items()}
        if rule["measure"] == "memory":
            peaks = {
                fw: {
                    c: study_systems.per_process(r, "peak_pss_bytes") for c, r in per.items() if r.get("peak_pss_bytes")
                }
                for fw, per in by_config.items()
            }
            found = stats.pairwise({fw: study_memory.lower_is_better(per) for fw, per in peaks.items()})
            if found is None:
                continue

            def peak(fw: str, found: stats.Pairwise = found, by_config: ByConfig = by_config) -> str:
                r = by_config[fw][found.chosen[fw]]
                peak_bytes = r.get("peak_pss_bytes")
                assert peak_bytes, "chosen among the configurations with a peak (peaks)"
                return f"{_name(fw)} ({r['title']}) {peak_bytes / 2**20:,.0f} MiB"

            items += _pairs(f"{size.images:,} images: peak memory", found, peak, _always(files),
                            ", the lowest peak memory of the process tree of each",
                            study_memory.LESS_MEMORY)  # fmt: skip
            continue
        found = stats.pairwise({fw: {c: study_systems.speeds_of(r, "samples/s") for c, r in per.items()}
                                for fw, per in by_config.items()})  # fmt: skip
        if found is None:
            continue

        def rate(fw: str, found: stats.Pairwise = found, by_config: ByConfig = by_config) -> str:
            r = by_config[fw][found.chosen[fw]]
            return f"{_name(fw)} ({r['title']}) {_figure(summarise(study_systems.rounds_of(r)).median)} samples/s"

        items += _pairs(
            f"{size.images:,} images: throughput",
            found,
            rate,
            _always(files),
            ", the fastest configuration of each among those compared, in the steady epochs" + MEANS,
        )
    return items


KINDS: dict[str, Callable[[rules.Rule, Machine], list[Item]]] = {
    "speed": speed, "memory": memory, "distributed": distributed, "usability": usability, "codesize": codesize,
    "pipeline": pipeline, "serving": serving,
}  # fmt: skip


def _measured(one: rules.Rule, machine: Machine) -> list[Item]:
    """The items of one rule over every compared framework, computed once per machine; each says
    what measured it (``source``) and on which hardware."""
    key = json.dumps(one, sort_keys=True)
    if key not in machine.found:
        items = [i for i in KINDS[one["evidence"]](one, machine) if set(i.sides) <= set(COMPARED)]
        if one["evidence"] != "speed":  # a timing item names its own workload and device
            source = {"pipeline": one.get("study", "pipeline")}.get(one["evidence"], one["evidence"])
            hardware = "multi-process" if one["evidence"] == "distributed" else "cpu"  # the studies run on the CPU
            items = [replace(i, source=source, hardware=hardware) for i in items]
        machine.found[key] = items
    return machine.found[key]


def groups(rule: rules.Rules, machine: Machine, frameworks: tuple[str, ...] = COMPARED,
           keep: Callable[[Item], bool] | None = None) -> list[list[Item]]:  # fmt: skip
    """The items a rule picks that compare two of ``frameworks`` (those ``keep`` keeps, where
    given), as one group; a list of rules gives a group per rule that found any. Each item is the
    same whichever frameworks are asked for: the pairs are formed among all of them first."""
    found = [_measured(one, machine) for one in (rule if isinstance(rule, list) else [rule])]
    found = [[i for i in group if set(i.sides) <= set(frameworks) and (keep is None or keep(i))] for group in found]
    return [group for group in found if group]


def evaluate(rule: rules.Rules, machine: Machine,
             frameworks: tuple[str, ...] = COMPARED) -> list[Item]:  # fmt: skip
    """Every item a rule (or a list of rules) picks."""
    return [item for group in groups(rule, machine, frameworks) for item in group]
