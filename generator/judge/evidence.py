"""Evidence: the measured figures a claim or a recommendation rests on, picked by a rule.

A rule is a small table from a data file (``data/claims.toml``, ``data/decide.toml``) that
names a kind of evidence and what to select, for example
``{evidence = "speed", workloads = ["cnn", "transformer"], cases = "largest"}``. Each kind
reads one machine's results and returns items: one per **pair of frameworks** in each thing
compared (a workload case, a model size, a study criterion); no pair is dropped. A timing
comparison is the pair's own from ``stats.pairwise`` (each framework by its primary mode, one
Bonferroni correction over the pairs of that case), so the same pair shows the same interval
and outcome wherever it appears: faster or slower (the interval excludes 1), equivalent within
the decision margin δ, or too uncertain to call; with fewer than two processes a side it is a
single reading and carries no verdict. Counts (lines of code, usability items) are judged per
pair by the rule's threshold. The pairs are always formed among every compared framework, then
narrowed to the frameworks asked for, so narrowing never changes an item. A claim's verdict is
a vote of its items, which keep their own calls; nothing here is curated.

Here: what an item is (``Item``), a machine's results as the rules read them (``Machine``) and
how items vote; each kind of evidence, and the items a rule picks, are in
``generator.judge.evidence_kinds``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from generator.analyse import stats
from generator.analyse.compare import CaseModes, ModeResult, mode_results
from generator.read import provenance, studies
from measurements import catalog
from measurements.frameworks import COMPARED, FRAMEWORK_LABELS, why_here
from measurements.results import AnyResult, Result

VERDICTS = (
    "supported", "contradicted", "mixed", "equivalent", "too uncertain to call", "too few processes to call",
    "not testable here", "not measured here",
)  # fmt: skip

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
    terms: tuple[str, str] = ("faster", "slower")  # what a ratio above or below the band reads as
    where: str = ""  # what it compares, in a few words ("MLP classifier (small), inference, batch 1"); else ``what``
    source: str = ""  # what measured it: a workload's name, or a study's
    hardware: str = "cpu"  # the hardware it was measured on: one of HARDWARE

    @property
    def vote(self) -> str:
        """What the item votes for: a framework, "equivalent", "uncertain" or "single"."""
        return self.winner if self.winner else self.call

    @property
    def pair(self) -> frozenset[str]:
        """The two frameworks it compares."""
        return frozenset(self.sides)


@dataclass
class Case:
    """One case of a timing workload on one machine: every mode measured, ranked."""

    workload: catalog.Workload
    case: str
    device: str
    metric: catalog.Metric
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
    docs: dict[str, AnyResult] = field(default_factory=dict)  # results file (under the folder) -> its document
    found: dict[str, list[Item]] = field(default_factory=dict, repr=False)  # rule -> its items, computed once

    @property
    def name(self) -> str:
        """The machine as a reader names it (``provenance.machine_name``), from its results' record."""
        first = next(iter(self.docs.values()), None)
        return provenance.machine_name(first["machine"]) if first else self.id

    def frameworks_on(self, hardware: str) -> list[str]:
        """The frameworks with timing results on ``hardware`` ("cpu" or "gpu") on this machine."""
        found = {r.framework for c in self.cases if (c.device == "cpu") == (hardware == "cpu") for r in c.results}
        return [fw for fw in COMPARED if fw in found]

    def unmeasured(self, hardware: str) -> dict[str, str]:
        """Each compared framework with no timing result on ``hardware`` ("cpu" or "gpu") here whose
        runs there were recorded as unavailable, and why, as the results say: the note the
        measurement left about this machine (``frameworks.why_here``), else that it is not installed."""
        ran = set(self.frameworks_on(hardware))
        found: dict[str, str] = {}
        for doc in self.docs.values():
            if "study" in doc:  # a study's run names no device
                continue
            fw, device, outcome = doc["run"]["framework"], doc["run"]["device"], doc["outcome"]
            if outcome["status"] != "unavailable" or fw in ran or fw not in COMPARED:
                continue
            if (device == "cpu") == (hardware == "cpu") and fw not in found:
                found[fw] = why_here(outcome["error"]) or "it is not installed on that machine"
        return {fw: found[fw] for fw in COMPARED if fw in found}

    def covers(self, hardware: str) -> bool:
        """Whether this machine measured anything on ``hardware`` (one of HARDWARE): its CPU (timings
        or studies), a GPU, or several processes (the distributed study, with enough cores to judge it)."""
        if hardware == "gpu":
            return any(c.device != "cpu" for c in self.cases)
        if hardware == "multi-process":
            ran = self.studies.get("distributed") if self.studies else {}
            cores = min((studies.machine_cores(r.doc) for r in ran.values()), default=0)
            return bool(ran) and cores >= studies.cores_needed("distributed")
        return any(c.device == "cpu" for c in self.cases) or self.studies is not None


def from_results(frame: pd.DataFrame, by_machine: dict[str, studies.MachineStudies],
                 docs: dict[str, Result] | None = None,
                 floors: dict[str, float | None] | None = None) -> dict[str, Machine]:  # fmt: skip
    """Each machine's timing cases and studies; ``docs`` (results file -> document) are the timing
    files' documents, kept with the study documents so a verdict can say what it rests on; ``floors``,
    each machine's noise floor where it has one (no faster or slower is called inside it)."""
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
    for workload in catalog.WORKLOADS.values():
        if workload.task not in ("train", "infer", "op"):
            continue
        own = ok[ok.workload == workload.name]
        for (machine, device), rows in own.groupby(["machine", "device"], sort=True):
            for name in dict.fromkeys(rows["case"]):  # measured order: smallest first
                of_case = rows[rows.case == name]
                metric = catalog.METRICS[of_case["metric"].iloc[0]]
                floor = (floors or {}).get(str(machine))
                found[str(machine)].cases.append(
                    Case(workload, str(name), str(device), metric, mode_results(of_case, floor))
                )
    return found


def call_of(r: stats.Ratio) -> str:
    """The call of a timing comparison: its own outcome, never changed by what votes over it."""
    if not r.enough_processes:
        return "single"
    return {"faster": "favours", "slower": "favours"}.get(r.outcome, r.outcome)


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
