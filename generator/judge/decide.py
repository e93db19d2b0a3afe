"""Recommendations: each use case's verdict on a machine, scoped to what was measured, with the signals
behind it.

A use case (``generator.judge.usecases``) speaks about some hardware and holds signals: a claim
from ``data/claims.toml`` (its measured evidence), a rule of its own (measured), or a curated fact
from ``data/facts.toml``. Each measured signal picks its comparisons (``generator.judge.evidence_kinds``)
that the ``Scope`` keeps, and votes on each pair of frameworks; ``generator.judge.ruling`` turns
the votes into the verdict. ``Machines`` says which machine answers for a kind of hardware and
works out each use case's verdict per scope once. The frameworks are those the registry compares
(``measurements.frameworks.COMPARED``); nothing here names one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from generator.analyse import stats
from generator.judge import claims, evidence, evidence_kinds
from generator.judge.ruling import (
    NOT_MEASURED,
    NOT_MEASURED_HERE,
    Signal,
    Verdict,
    Votes,
    count_words,
    decision,
    item_key,
    not_measured,
    pair_outcomes,
    pair_votes,
    ring_of,
    rings,
    ruled_out_words,
)
from generator.judge.usecases import HARDWARE_WORDS, Rules, UseCase
from generator.read import provenance
from measurements.frameworks import label


@dataclass(frozen=True)
class Scope:
    """What the answers narrow the evidence to: the hardware, and where a kind of model is chosen,
    the workloads and studies about it (``sources``; comparisons of other models are dropped)."""

    hardware: str = "cpu"
    model: str | None = None  # the model answer's id; None: every model
    sources: frozenset[str] = frozenset()
    model_sources: frozenset[str] = frozenset()  # every source about one kind of model

    def keeps(self, item: evidence.Item) -> bool:
        if item.hardware != self.hardware:
            return False
        return self.model is None or item.source not in self.model_sources or item.source in self.sources


class Decided:
    """What a use case's recommendation and a questionnaire's answer both read off their verdict."""

    verdict: Verdict

    @property
    def ring(self) -> str:
        return self.verdict.ring

    def reasons(self, n: int = 3) -> list[evidence.Item]:
        """The ``n`` strongest comparisons behind the outcome: what rules each framework out first
        (for one too uncertain to call, the strongest either way)."""
        return self.verdict.strongest[:n]


@dataclass
class Recommendation(Decided):
    """A use case's verdict on one machine, for one scope."""

    use_case: UseCase
    machine: str | None
    scope: Scope
    verdict: Verdict
    signals: list[Signal]
    provenance: provenance.Provenance | None

    @property
    def measured(self) -> bool:
        return self.ring not in (NOT_MEASURED, NOT_MEASURED_HERE)

    @property
    def facts(self) -> list[Signal]:
        return [s for s in self.signals if s.kind == "curated"]

    @property
    def items(self) -> list[evidence.Item]:
        found = {item_key(i): i for s in self.signals for i in s.measured}
        return list(found.values())

    @property
    def comparisons(self) -> int:
        return len(self.items)

    @property
    def counts(self) -> str:
        return count_words(self.items)

    def votes(self, weight: float = 1.0, band: float | None = None) -> Votes:
        """Each measured signal's vote on each pair, at ``weight`` × its own weight."""
        return [vote for s in self.signals if s.kind == "measured" for vote in s.votes(weight, band)]


def _signal_status(groups: list[list[evidence.Item]]) -> tuple[str, str | None]:
    """What one signal's pairs say, and the framework it favours where it rules out every other."""
    if not any(groups):
        return "not measured here", None
    pairs = pair_outcomes(pair_votes(groups))
    if not pairs:
        return evidence.status(groups), None
    ring, contenders, _ = ring_of(pairs)
    return "; ".join(p.words() for p in pairs.values()), contenders[0] if ring.startswith("prefer") else None


def signals_for(use_case: UseCase, machine: evidence.Machine, known: Rules, scope: Scope) -> list[Signal]:
    found = []
    by_claim = {c.id: c for c in known.claims}
    by_fact = {f.topic: f for f in known.facts}
    for s in use_case.signals:
        if "fact" in s:
            fact = by_fact[s["fact"]]
            found.append(Signal("curated", s["reason"], s["weight"], s["favours"], f"favours {label(s['favours'])}",
                                sources=tuple(s.get("sources", fact.sources))))  # fmt: skip
            continue
        if "claim" in s:
            claim = by_claim[s["claim"]]
            picked, about = (
                evidence_kinds.groups(claim.rule, machine, keep=scope.keeps),
                f"Claim checked: “{claim.claim}”",
            )
        else:
            picked, about = evidence_kinds.groups(s["rule"], machine, keep=scope.keeps), s["about"]
        items = [item for group in picked for item in group]
        status, favours = _signal_status(picked)
        found.append(Signal("measured", about, s["weight"], favours, status, items, s.get("claim"), groups=picked))
    return found


def recommend(use_case: UseCase, machine: evidence.Machine | None, known: Rules,
              scope: Scope | None = None) -> Recommendation:  # fmt: skip
    """A use case's verdict from ``machine``'s comparisons that ``scope`` keeps (by default: on the
    first hardware the use case speaks about, every model)."""
    scope = scope or Scope(use_case.hardware[0], model_sources=known.model_sources)
    if machine is None:
        why = f"no machine in these results measured {HARDWARE_WORDS[scope.hardware]}"
        return Recommendation(use_case, None, scope, not_measured(NOT_MEASURED, why), [], None)
    signals = signals_for(use_case, machine, known, scope)
    measured = [s for s in signals if s.kind == "measured"]
    found = Recommendation(use_case, machine.id, scope, not_measured(NOT_MEASURED, ""), signals, None)
    if not found.items:
        found.verdict = not_measured(NOT_MEASURED, _unmeasured(measured, machine, scope.hardware))
        return found
    found.verdict = decision(found.votes(), [s for s in signals if s.kind == "curated"],
                             lambda band: found.votes(band=band))  # fmt: skip
    if not found.verdict.pairs:  # comparisons, but of single frameworks' results only
        found.verdict = not_measured(NOT_MEASURED, _unmeasured(measured, machine, scope.hardware))
        return found
    found.provenance = provenance.of_files([f for i in found.items for f in i.files], machine.docs)
    found.verdict.why += unmeasured_frameworks(machine, scope.hardware)
    return found


def unmeasured_frameworks(machine: evidence.Machine | None, hardware: str) -> str:
    """A sentence per compared framework that could not be measured on ``hardware`` on ``machine``,
    with the reason its results recorded (nothing where every framework was measured)."""
    if machine is None or hardware == "multi-process":
        return ""
    return "".join(f". {label(fw)} was not measured on {HARDWARE_WORDS[hardware]} here: {why}"
                   for fw, why in machine.unmeasured(hardware).items())  # fmt: skip


def _unmeasured(measured: list[Signal], machine: evidence.Machine, hardware: str) -> str:
    """Why nothing decides a use case on ``machine``."""
    if not measured:
        return "nothing here measures it; the facts beside it are curated"
    said = "; ".join(s.status for s in measured if s.items)
    if said:
        return f"{said} on {machine.name}"
    one = only_framework(machine, hardware)
    return f"nothing compares the frameworks for it on {machine.name}" + (
        f" (only {one} has results there)" if one else ""
    )


def only_framework(machine: evidence.Machine, hardware: str) -> str | None:
    """The one framework with timing results on ``hardware`` on ``machine``, where exactly one has."""
    ran = machine.frameworks_on(hardware) if hardware != "multi-process" else []
    return label(ran[0]) if len(ran) == 1 else None


class Machines:
    """The machines the verdicts read, the reference first: which one answers for a kind of
    hardware, and each use case's verdict per scope, worked out once."""

    def __init__(self, known: Rules, machines: dict[str, evidence.Machine], reference: str | None) -> None:
        self.known = known
        order = [m for m in [reference, *machines] if m in machines]
        self.machines = {m: machines[m] for m in dict.fromkeys(order)}
        self.reference = order[0] if order else None
        self._found: dict[tuple[str, Scope], Recommendation] = {}

    def for_hardware(self, hardware: str) -> evidence.Machine | None:
        """The machine that answers for ``hardware``: the reference machine where it measured it,
        else the first that did."""
        return next((m for m in self.machines.values() if m.covers(hardware)), None)

    def verdict(self, use_case: UseCase, scope: Scope | None = None) -> Recommendation:
        scope = scope or Scope(use_case.hardware[0], model_sources=self.known.model_sources)
        key = (use_case.id, scope)
        if key not in self._found:
            self._found[key] = recommend(use_case, self.for_hardware(scope.hardware), self.known, scope)
        return self._found[key]

    def all(self) -> list[Recommendation]:
        """Every use case on the hardware it speaks about first, every model."""
        return [self.verdict(u) for u in self.known.use_cases]

    def measures(self, hardware: str) -> bool:
        """Whether any use case compares the frameworks on ``hardware``."""
        return any(self.verdict(u, Scope(hardware, model_sources=self.known.model_sources)).measured
                   for u in self.known.use_cases if hardware in u.hardware)  # fmt: skip


def recommend_all(known: Rules, machine: evidence.Machine) -> list[Recommendation]:
    """Every use case on ``machine`` alone."""
    return Machines(known, {machine.id: machine}, machine.id).all()


class ReasonJson(TypedDict):
    what: str
    detail: str
    files: list[str]


class RuledOutJson(TypedDict):
    framework: str
    by: str | None
    why: str


class PairJson(TypedDict):
    pair: list[str]
    outcome: str
    votes: str


class VerdictJson(TypedDict):
    """A decision in the published JSON: still in contention, ruled out (with why), each pair's outcome."""

    ring: str
    contenders: list[str]
    why: str
    sensitivity: str
    settle: str
    ruled_out: list[RuledOutJson]
    pairs: list[PairJson]
    rests_on: int


class SignalJson(TypedDict):
    kind: str
    about: str
    weight: float
    favours: str | None
    status: str
    reason: str
    claim: str | None
    sources: list[str]
    evidence: list[claims.ItemJson]


class RecommendationJson(VerdictJson):
    """One use case's decision in ``recommendations.json``, as ``recommend --use-case`` prints it."""

    id: str
    title: str
    description: str
    hardware: str
    machine: str | None
    comparisons: int
    measured_on: provenance.ProvenanceJson | None
    reasons: list[ReasonJson]
    caveats: list[str]
    signals: list[SignalJson]


class RecommendationsJson(TypedDict):
    """``recommendations.json``."""

    schema_version: int
    rings: list[str]
    margin: float
    machine: str | None
    frameworks: list[str]
    use_cases: list[RecommendationJson]


def reason_json(item: evidence.Item) -> ReasonJson:
    return {"what": item.what, "detail": item.detail, "files": [f"results/{f}" for f in item.files]}


def verdict_json(v: Verdict) -> VerdictJson:
    """The decision: still in contention, ruled out (with the evidence), each pair's outcome."""
    return {
        "ring": v.ring, "contenders": v.contenders, "why": v.why, "sensitivity": v.sensitivity, "settle": v.settle,
        "ruled_out": [{"framework": fw, "by": p.ahead, "why": ruled_out_words(fw, p)}
                      for fw, p in v.ruled_out.items()],
        "pairs": [{"pair": list(p.pair), "outcome": p.outcome, "votes": p.weight} for p in v.pairs],
        "rests_on": len(v.backing),
    }  # fmt: skip


def recommendation_json(r: Recommendation) -> RecommendationJson:
    return {
        "id": r.use_case.id, "title": r.use_case.title, "description": r.use_case.description,
        "hardware": r.scope.hardware, "machine": r.machine, **verdict_json(r.verdict),
        "comparisons": r.comparisons, "measured_on": r.provenance.to_json() if r.provenance else None,
        "reasons": [reason_json(i) for i in r.reasons()],
        "caveats": [c.about for c in r.verdict.caveats],
        "signals": [{
            "kind": s.kind, "about": s.about, "weight": s.weight, "favours": s.favours, "status": s.status,
            "reason": s.reason, "claim": s.claim, "sources": list(s.sources),
            "evidence": [claims.item_json(i) for i in s.items],
        } for s in r.signals],
    }  # fmt: skip


def to_json(known: Rules, recommendations: list[Recommendation], versions: list[str]) -> RecommendationsJson:
    """``recommendations.json``: each use case's decision with its scope, reasons and evidence."""
    return {
        "schema_version": 4, "rings": rings(), "margin": stats.margin(),
        "machine": recommendations[0].machine if recommendations else None,
        "frameworks": versions, "use_cases": [recommendation_json(r) for r in recommendations],
    }  # fmt: skip
