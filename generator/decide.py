"""Recommendations: use cases, each with a verdict scoped to what was measured, and the questionnaire
behind Decide.

``data/decide.toml`` lists the use cases and, for each, the hardware it speaks about and its
signals: a claim from ``data/claims.toml`` (its measured evidence), a rule of its own (measured),
or a curated fact from ``data/facts.toml``. The frameworks are those the registry compares
(``measurements.frameworks.COMPARED``); nothing here names one.

Measurements decide; curated facts inform. Each measured signal gives every compared framework
a share: the share of its comparisons each framework won, where the signal favours one (averaged
over the rules of a list); nothing to anyone where it reads equivalent, too uncertain to call,
single readings or mixed. A use case's score for a framework is the weighted mean of its shares
over the signals that measured anything. The outcome is one of:

- "prefer X": X's score leads the next one's by at least ``prefer_at``, and at least
  ``min_comparisons`` comparisons favour X;
- "equivalent": no framework leads so, the comparisons that found the frameworks equivalent hold
  at least ``equivalent_at`` of the measured weight, and there are ``min_comparisons`` of them;
- "too uncertain to call": measured, but neither of the above;
- "not measured": nothing compares the frameworks for it on the hardware it speaks about.

The confidence of a call is the share of all its measured signals' weight that backs it
(comparisons judged by a threshold on one reading count ``untested_factor`` of a statistical
test's): high from 0.6, medium from 0.3. A curated fact never moves a score; where it favours
another framework than the call, the confidence drops a level and the fact is named as a caveat.

The questionnaire narrows the evidence to the answers (``Scope``): the hardware answer picks the
machine and keeps only comparisons measured on that hardware (a GPU answer never reads a CPU
figure), and the model answer drops comparisons of other models. Each answer selects use cases;
a use case counts once (at the largest weight that selects it), and only where it speaks about
the hardware answered. Where no machine measured anything on that hardware, the answer is "not
measured on hardware like yours", with what would measure it. Every combination of answers is
worked out here, once, so the browser and ``python -m generator recommend`` give the same answer.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import claims, evidence, facts, provenance, rules
from measurements import UserError
from measurements.frameworks import COMPARED, label
from measurements.results import ROOT

DECIDE_PATH = ROOT / "data" / "decide.toml"
EQUIVALENT = "equivalent"
UNCERTAIN = "too uncertain to call"
NOT_MEASURED = "not measured"
NOT_MEASURED_HERE = "not measured on hardware like yours"
DIGITS = 9  # a lead is compared with prefer_at at this many decimals, so float noise cannot move a verdict
CONFIDENCE = (("high", 0.6), ("medium", 0.3), ("low", 0.0))  # label, lowest share that earns it
HARDWARE_WORDS = {
    "cpu": "the CPUs of one machine",
    "gpu": "a GPU",
    "multi-process": "several processes training together",
}
SLUG = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}
TEXT = {"type": "string", "minLength": 3}
HARDWARE = {"enum": list(evidence.HARDWARE)}
SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "prefer_at": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "equivalent_at": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "min_comparisons": {"type": "integer", "minimum": 1},
        "untested_factor": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["prefer_at", "equivalent_at", "min_comparisons", "untested_factor"],
    "additionalProperties": False,
}
SIGNAL_SCHEMA = {
    "type": "object",
    "properties": {
        "weight": {"type": "number", "exclusiveMinimum": 0},
        "claim": SLUG,
        "rule": rules.RULE, "about": TEXT,
        "fact": TEXT, "favours": {"type": "string"}, "reason": TEXT,  # a compared framework (load_rules)
    },
    "required": ["weight"],
    "oneOf": [
        {"required": ["claim"], "not": {"anyOf": [{"required": ["rule"]}, {"required": ["fact"]}]}},
        {"required": ["rule", "about"], "not": {"anyOf": [{"required": ["claim"]}, {"required": ["fact"]}]}},
        {"required": ["fact", "favours", "reason"],
         "not": {"anyOf": [{"required": ["claim"]}, {"required": ["rule"]}]}},
    ],
    "additionalProperties": False,
}  # fmt: skip
SIGNAL_FIX = "a signal has a weight and one of: claim; rule and about; fact, favours and reason"
USE_CASE_SCHEMA = {
    "type": "object",
    "properties": {"id": SLUG, "title": TEXT, "description": TEXT,
                   "hardware": {"type": "array", "minItems": 1, "items": HARDWARE},
                   "signal": {"type": "array", "minItems": 1, "items": {"type": "object"}}},
    "required": ["id", "title", "description", "signal"],
    "additionalProperties": False,
}  # fmt: skip
QUESTION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": SLUG, "text": TEXT,
        "option": {"type": "array", "minItems": 2, "items": {
            "type": "object",
            "properties": {"id": SLUG, "label": TEXT, "use_cases": {"type": "array", "items": SLUG},
                           "weight": {"type": "number", "exclusiveMinimum": 0}, "experience": {"type": "string"},
                           "hardware": HARDWARE, "measure": TEXT,
                           "sources": {"type": "array", "minItems": 1, "items": {"type": "string"}}},
            "required": ["id", "label"],
            "dependentRequired": {"hardware": ["measure"], "measure": ["hardware"]},
            "additionalProperties": False,
        }},
    },
    "required": ["id", "text", "option"],
    "additionalProperties": False,
}  # fmt: skip


@dataclass(frozen=True)
class Settings:
    prefer_at: float
    equivalent_at: float
    min_comparisons: int
    untested_factor: float


@dataclass(frozen=True)
class UseCase:
    id: str
    title: str
    description: str
    signals: tuple[dict[str, Any], ...]
    hardware: tuple[str, ...] = ("cpu",)  # the hardware it speaks about (evidence.HARDWARE)


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    use_cases: tuple[str, ...] = ()
    weight: float = 1.0
    experience: str | None = None  # the framework a team already knows
    hardware: str | None = None  # the hardware this answer means (one question has these)
    measure: str = ""  # with ``hardware``: what would measure it
    sources: tuple[str, ...] = ()  # the workloads and studies about this kind of model (one question has these)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Rules:
    settings: Settings
    use_cases: tuple[UseCase, ...]
    questions: tuple[Question, ...]
    claims: tuple[claims.Claim, ...]
    facts: tuple[facts.Fact, ...]

    @property
    def model_sources(self) -> frozenset[str]:
        """Every workload and study that some model answer names: the comparisons about one kind of model."""
        return frozenset(s for q in self.questions for o in q.options for s in o.sources)


def check_framework(framework: str, where: str) -> None:
    """A framework named in the rules must be one the verdicts compare."""
    if framework not in COMPARED:
        raise UserError(f"{where}: {framework!r} is not a compared framework; use the id of one in "
                        f"measurements/frameworks ({', '.join(COMPARED)})")  # fmt: skip


def load_rules(path: Path | None = None, claims_path: Path | None = None, facts_path: Path | None = None) -> Rules:
    """Read and check the decision rules, with the claims and facts they name (each file's default
    is looked up when called, so the build reads the same files as the pages that show them)."""
    path = path or DECIDE_PATH
    claims_path = claims_path or claims.CLAIMS_PATH
    facts_path = facts_path or facts.FACTS_PATH
    name = rules.display(path)
    known_claims = claims.load_claims(claims_path)
    known_facts = facts.load_facts(facts_path)
    document = rules.read_toml(path)
    settings: dict[str, Any] = document.get("settings", {})
    rules.check(SETTINGS_SCHEMA, settings, f"{name}: [settings]", "see the comments at the top of the file")
    use_cases: list[UseCase] = []
    for index, table in enumerate(rules.entries(document, path, "use_case"), start=1):
        where = f"{name}: use case {index}" + (f" ({table['id']})" if isinstance(table.get("id"), str) else "")
        rules.check(USE_CASE_SCHEMA, table, where, "a use case needs id, title, description and [[use_case.signal]]")
        for number, signal in enumerate(table["signal"], start=1):
            at = f"{where}: signal {number}"
            rules.check(SIGNAL_SCHEMA, signal, at, SIGNAL_FIX)
            if "claim" in signal and signal["claim"] not in {c.id for c in known_claims}:
                raise UserError(f"{at}: no claim {signal['claim']!r} in {rules.display(claims_path)}; use its id")
            if "fact" in signal and signal["fact"] not in {f.topic for f in known_facts}:
                raise UserError(f"{at}: no fact {signal['fact']!r} in {rules.display(facts_path)}; use its topic")
            if "rule" in signal:
                rules.check_rule(signal["rule"], at)
            if "favours" in signal:
                check_framework(signal["favours"], f"{at}: favours")
        if any(u.id == table["id"] for u in use_cases):
            raise UserError(f"{where}: the id {table['id']!r} is used twice; give each use case its own id")
        use_cases.append(UseCase(table["id"], table["title"], table["description"], tuple(table["signal"]),
                                 tuple(table.get("hardware", ["cpu"]))))  # fmt: skip
    questions: list[Question] = []
    ids = {u.id for u in use_cases}
    for index, table in enumerate(rules.entries(document, path, "question"), start=1):
        where = f"{name}: question {index}" + (f" ({table['id']})" if isinstance(table.get("id"), str) else "")
        rules.check(QUESTION_SCHEMA, table, where, "a question needs id, text and two or more [[question.option]]")
        options = []
        for option in table["option"]:
            unknown = [u for u in option.get("use_cases", []) if u not in ids]
            if unknown:
                raise UserError(f"{where}: option {option['id']!r} names no use case {unknown[0]!r}; use an id")
            if "experience" in option:
                check_framework(option["experience"], f"{where}: option {option['id']!r}: experience")
            options.append(Option(option["id"], option["label"], tuple(option.get("use_cases", [])),
                                  option.get("weight", 1.0), option.get("experience"), option.get("hardware"),
                                  option.get("measure", ""), tuple(option.get("sources", []))))  # fmt: skip
        questions.append(Question(table["id"], table["text"], tuple(options)))
    check_one_question(questions, name)
    return Rules(Settings(**settings), tuple(use_cases), tuple(questions), tuple(known_claims),
                 tuple(known_facts))  # fmt: skip


def check_one_question(questions: list[Question], name: str) -> None:
    """The hardware and the kind of model are each asked by one question."""
    for kind in ("hardware", "sources"):
        asking = [q.id for q in questions if any(getattr(o, kind) for o in q.options)]
        if len(asking) > 1:
            raise UserError(f"{name}: questions {', '.join(asking)} both have options with {kind}; give it to one")


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


@dataclass
class Signal:
    """One reason behind a recommendation, with where it comes from."""

    kind: str  # "measured" or "curated"
    about: str
    weight: float
    favours: str | None  # the framework it points to; None: equivalent, uncertain, mixed, or not measured
    status: str  # "favours <label>", "equivalent", "too uncertain to call", "mixed", "not measured here", ...
    items: list[evidence.Item] = field(default_factory=list)
    shares: dict[str, float] = field(default_factory=dict)  # compared framework -> its share, 0..1 (``win_shares``)
    claim: str | None = None  # the claim's id, where the signal is a claim
    sources: tuple[str, ...] = ()  # a curated fact's pages

    def share(self, framework: str) -> float:
        return self.shares.get(framework, 0.0)

    @property
    def measured(self) -> list[evidence.Item]:
        """Its comparisons, less any this machine cannot test (too few cores, say)."""
        return [i for i in self.items if i.call != "untestable"]

    def backing(self, side: str | None, settings: Settings) -> float:
        """How much of this signal's weight backs a call: towards a framework (``side``) by the lead
        of its share over the best of the others' (none where it trails), or, for "equivalent"
        (``side`` None), the share of its comparisons that found the frameworks equivalent. Too
        uncertain to call and single readings back nothing; comparisons judged by a threshold
        rather than an interval over processes count ``untested_factor``; curated facts, nothing."""
        items = self.measured
        if self.kind == "curated" or not items:
            return 0.0
        if side is None:
            share = sum(i.call == "equivalent" for i in items) / len(items)
        else:
            others = max((self.share(fw) for fw in COMPARED if fw != side), default=0.0)
            share = max(0.0, self.share(side) - others)
        tested = sum(i.tested for i in items) / len(items)
        return self.weight * share * (tested + (1 - tested) * settings.untested_factor)

    @property
    def counts(self) -> str:
        return count_words(self.measured)

    @property
    def reason(self) -> str:
        if self.kind == "curated":
            return f"{self.about} (a curated fact, shown beside the verdict; it does not decide it)"
        if not self.items:
            return f"{self.about}: not measured on this hardware"
        return f"{self.about}: {self.status}" + (f" ({self.counts})" if self.measured else "")


def win_shares(found: list[list[evidence.Item]], favours: str | None) -> dict[str, float]:
    """A measured signal's share for each compared framework: the share of the comparisons it won,
    averaged over the rules of a list (``evidence.shares``), but only where the votes favour a
    framework: a signal that reads "too uncertain to call", "too few processes", "equivalent" or
    "mixed" points nowhere, whatever a minority of its comparisons say."""
    won = evidence.shares(found) if favours else {}
    return {fw: won.get(fw, 0.0) for fw in COMPARED}


def rings() -> list[str]:
    """Every outcome, in the registry's order of the compared frameworks first."""
    return [f"prefer {label(fw)}" for fw in COMPARED] + [EQUIVALENT, UNCERTAIN, NOT_MEASURED, NOT_MEASURED_HERE]


def standing(scores: dict[str, float]) -> tuple[str | None, float]:
    """The framework with the top score (the first in the registry's order on a tie) and its lead
    over the next one (over 0 where only one is compared)."""
    ranked = sorted(COMPARED, key=lambda fw: -scores.get(fw, 0.0))  # a stable sort: ties keep the registry's order
    if not ranked:
        return None, 0.0
    runner_up = scores.get(ranked[1], 0.0) if len(ranked) > 1 else 0.0
    return ranked[0], round(scores.get(ranked[0], 0.0) - runner_up, DIGITS)


def confidence_label(share: float) -> str:
    return next(name for name, lowest in CONFIDENCE if share >= lowest)


def lowered(confidence: str) -> str:
    """One level less sure."""
    names = [name for name, _ in CONFIDENCE]
    return names[min(names.index(confidence) + 1, len(names) - 1)]


def _key(item: evidence.Item) -> tuple[str, tuple[str, ...], str]:
    """One independent comparison: the same comparison cited by two signals or use cases counts once
    (its figures name what was compared; a count's detail has no p-value to differ by)."""
    return item.what, item.files, item.figures or item.detail


def _strength(item: evidence.Item) -> tuple[bool, bool, float]:
    """How strongly a comparison speaks: calls before the rest, tested ones first, then by the size
    of the difference."""
    r = item.ratio
    size = abs(math.log(r.ratio)) if r is not None and r.ratio > 0 and item.call == "favours" else 0.0
    return item.call in ("favours", "equivalent"), item.tested, size


def count_words(items: list[evidence.Item]) -> str:
    """Comparisons in words: "12 of 21 comparisons favour PyTorch, 5 equivalent, 4 too uncertain to call"."""
    n = len(items)
    if not n:
        return "no comparisons"
    votes = Counter(i.vote for i in items)
    won = sorted((fw for fw in COMPARED if votes[fw]), key=lambda fw: -votes[fw])  # the most first
    parts = [f"{votes[fw]} favour{'s' if votes[fw] == 1 else ''} {label(fw)}" for fw in won]
    parts += [f"{votes[v]} {words}" for v, words in (("equivalent", "equivalent"),
              ("uncertain", "too uncertain to call"), ("single", "single readings")) if votes[v]]  # fmt: skip
    comparisons = f"comparison{'s' if n != 1 else ''}"
    if len(parts) == 1 and not any(votes[fw] for fw in COMPARED):
        return (
            f"all {n} {comparisons} {parts[0].split(' ', 1)[1]}"
            if n > 1
            else f"1 comparison, {parts[0].split(' ', 1)[1]}"
        )
    if not any(votes[fw] for fw in COMPARED):
        return f"{n} {comparisons}: {', '.join(parts)}"
    count, said = parts[0].split(" ", 1)
    return ", ".join([f"{count} of {n} {comparisons} {said}", *parts[1:]])


@dataclass
class Verdict:
    """The outcome of a set of measured signals: a use case's, or an answer's over its use cases."""

    scores: dict[str, float]  # compared framework -> the weighted share of the comparisons it won, 0..1
    leader: str | None  # the framework with the top score
    margin: float  # its lead over the next one
    ring: str  # "prefer X", EQUIVALENT, UNCERTAIN, NOT_MEASURED or NOT_MEASURED_HERE
    confidence: str | None  # high, medium or low, for a call (prefer or equivalent); None otherwise
    confidence_share: float
    backing: list[evidence.Item]  # the independent comparisons a call rests on (none for the others)
    strongest: list[evidence.Item]  # every comparison, the strongest first: the reasons shown
    caveats: list[Signal]  # curated facts that favour another framework than the call
    why: str  # a plain sentence on how the outcome came about


def outcome(scores: dict[str, float], backs: dict[str | None, float], equivalent_share: float,
           items: list[evidence.Item], curated: list[Signal], settings: Settings) -> Verdict:  # fmt: skip
    """The outcome from measured scores: ``backs`` is the share of the measured weight that backs
    each framework (and None: equivalence), ``equivalent_share`` that of the weight which measured
    anything; ``items`` every measured comparison; ``curated`` the facts beside them."""
    leader, margin = standing(scores)
    favouring = {_key(i): i for i in items if leader and i.winner == leader}
    equivalent = {_key(i): i for i in items if i.call == "equivalent"}
    least = settings.min_comparisons
    if leader is not None and margin >= settings.prefer_at and len(favouring) >= least:
        ring, backing, share = f"prefer {label(leader)}", list(favouring.values()), backs.get(leader, 0.0)
        why = (f"{label(leader)} leads by {margin:.2f} (a call needs {settings.prefer_at:.2f}), on {len(favouring)} "
               f"comparison{'s' if len(favouring) != 1 else ''} that favour it")  # fmt: skip
    elif (leader is None or margin < settings.prefer_at) and equivalent_share >= settings.equivalent_at \
            and len(equivalent) >= least:  # fmt: skip
        ring, backing, share = EQUIVALENT, list(equivalent.values()), backs.get(None, 0.0)
        why = (f"{len(equivalent)} comparisons found the frameworks equivalent, {equivalent_share:.0%} of the measured "
               "weight")  # fmt: skip
    else:
        ring, backing, share = UNCERTAIN, [], 0.0
        if leader is not None and margin >= settings.prefer_at:
            why = (f"{label(leader)} leads by {margin:.2f}, but only {len(favouring)} comparison"
                   f"{'s' if len(favouring) != 1 else ''} favour{'s' if len(favouring) == 1 else ''} it; a call needs "
                   f"at least {least}")  # fmt: skip
        else:
            why = (f"no framework leads by {settings.prefer_at:.2f}, and the comparisons that found them "
                   f"equivalent hold {equivalent_share:.0%} of the measured weight (equivalence needs "
                   f"{settings.equivalent_at:.0%} and {least} comparisons)")  # fmt: skip
    caveats = [c for c in curated if ring.startswith("prefer") and c.favours != leader]
    confidence = None
    if ring in (EQUIVALENT,) or ring.startswith("prefer"):
        confidence = confidence_label(share)
        if caveats:
            confidence = lowered(confidence)
    backing.sort(key=_strength, reverse=True)
    strongest = backing or _either_way(items)
    return Verdict(scores, leader, margin, ring, confidence, share, backing, strongest, caveats, why)


def _either_way(items: list[evidence.Item]) -> list[evidence.Item]:
    """The comparisons of an outcome too uncertain to call, to show: each framework's strongest
    first, then the rest, the strongest first."""
    ranked = sorted({_key(i): i for i in items}.values(), key=_strength, reverse=True)
    best = [next(i for i in ranked if i.winner == fw) for fw in COMPARED if any(i.winner == fw for i in ranked)]
    return best + [i for i in ranked if i not in best]


def not_measured(ring: str, why: str) -> Verdict:
    return Verdict(dict.fromkeys(COMPARED, 0.0), None, 0.0, ring, None, 0.0, [], [], [], why)


class Decided:
    """What a use case's recommendation and a questionnaire's answer both read off their verdict."""

    verdict: Verdict

    @property
    def ring(self) -> str:
        return self.verdict.ring

    @property
    def confidence(self) -> str | None:
        return self.verdict.confidence

    @property
    def scores(self) -> dict[str, float]:
        return self.verdict.scores

    @property
    def margin(self) -> float:
        return self.verdict.margin

    def reasons(self, n: int = 3) -> list[evidence.Item]:
        """The ``n`` strongest comparisons behind the outcome (for one too uncertain to call, the
        strongest either way)."""
        return self.verdict.strongest[:n]


@dataclass
class Recommendation(Decided):
    """A use case's verdict on one machine, for one scope."""

    use_case: UseCase
    machine: str | None
    scope: Scope
    verdict: Verdict
    signals: list[Signal]
    backs: dict[str | None, float]  # the share of the measured weight that backs each framework, None: equivalence
    provenance: provenance.Provenance | None

    @property
    def measured(self) -> bool:
        return self.ring not in (NOT_MEASURED, NOT_MEASURED_HERE)

    @property
    def facts(self) -> list[Signal]:
        return [s for s in self.signals if s.kind == "curated"]

    @property
    def items(self) -> list[evidence.Item]:
        found = {_key(i): i for s in self.signals for i in s.measured}
        return list(found.values())

    @property
    def comparisons(self) -> int:
        return len(self.items)

    @property
    def counts(self) -> str:
        return count_words(self.items)


def signals_for(use_case: UseCase, machine: evidence.Machine, known: Rules, scope: Scope) -> list[Signal]:
    found = []
    by_claim = {c.id: c for c in known.claims}
    by_fact = {f.topic: f for f in known.facts}
    for s in use_case.signals:
        if "fact" in s:
            fact = by_fact[s["fact"]]
            found.append(Signal("curated", s["reason"], s["weight"], s["favours"], f"favours {label(s['favours'])}",
                                sources=tuple(fact.sources)))  # fmt: skip
            continue
        if "claim" in s:
            claim = by_claim[s["claim"]]
            picked, about = evidence.groups(claim.rule, machine, keep=scope.keeps), f"Claim checked: “{claim.claim}”"
        else:
            picked, about = evidence.groups(s["rule"], machine, keep=scope.keeps), s["about"]
        items = [item for group in picked for item in group]
        favours, status = evidence.favoured(picked), evidence.status(picked)
        found.append(Signal("measured", about, s["weight"], favours, status, items, win_shares(picked, favours),
                            s.get("claim")))  # fmt: skip
    return found


def recommend(use_case: UseCase, machine: evidence.Machine | None, known: Rules,
              scope: Scope | None = None) -> Recommendation:  # fmt: skip
    """A use case's verdict from ``machine``'s comparisons that ``scope`` keeps (by default: on the
    first hardware the use case speaks about, every model)."""
    scope = scope or Scope(use_case.hardware[0], model_sources=known.model_sources)
    if machine is None:
        why = f"no machine in these results measured {HARDWARE_WORDS[scope.hardware]}"
        return Recommendation(use_case, None, scope, not_measured(NOT_MEASURED, why), [], {}, None)
    signals = signals_for(use_case, machine, known, scope)
    measured = [s for s in signals if s.kind == "measured"]
    with_items = [s for s in measured if s.measured]
    items = list({_key(i): i for s in with_items for i in s.measured}.values())
    if not items:
        return Recommendation(use_case, machine.id, scope, not_measured(NOT_MEASURED, _unmeasured(measured, machine,
                              scope.hardware)), signals, {}, None)  # fmt: skip
    counted = sum(s.weight for s in with_items)
    scores = {fw: sum(s.weight * s.share(fw) for s in with_items) / counted for fw in COMPARED}
    total = sum(s.weight for s in measured)  # missing evidence lowers the confidence
    backs = {side: sum(s.backing(side, known.settings) for s in measured) / total for side in [*COMPARED, None]}
    equivalent = sum(s.backing(None, known.settings) for s in with_items) / counted
    verdict = outcome(scores, backs, equivalent, items, [s for s in signals if s.kind == "curated"], known.settings)
    found = provenance.of_files([f for i in items for f in i.files], machine.docs)
    return Recommendation(use_case, machine.id, scope, verdict, signals, backs, found)


def _unmeasured(measured: list[Signal], machine: evidence.Machine, hardware: str) -> str:
    """Why nothing decides a use case on ``machine``."""
    if not measured:
        return "nothing here measures it; the facts beside it are curated"
    said = "; ".join(s.status for s in measured if s.items)
    if said:
        return f"{said} on {machine.id}"
    one = _only_framework(machine, hardware)
    return f"nothing compares the frameworks for it on {machine.id}" + (
        f" (only {one} has results there)" if one else ""
    )


def _only_framework(machine: evidence.Machine, hardware: str) -> str | None:
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


@dataclass
class Answer(Decided):
    """What the questionnaire concludes for one combination of answers."""

    answers: dict[str, str]  # question id -> option id
    hardware: str
    machine: str | None
    verdict: Verdict
    use_cases: list[tuple[str, float]]  # (use case id, weight): each selected use case once
    verdicts: list[Recommendation]  # each of them in the answers' scope
    experience: str | None
    note: str  # what else to know: what would measure it, or the team's experience
    provenance: provenance.Provenance | None

    @property
    def facts(self) -> list[Signal]:
        return [f for r in self.verdicts for f in r.facts]


def chosen_options(chosen: dict[str, str], known: Rules) -> list[Option]:
    """The options answered. A question left out selects nothing and narrows nothing (every model,
    say), except the hardware, which every verdict depends on."""
    found = []
    for question in known.questions:
        if question.id not in chosen:
            if any(o.hardware for o in question.options):
                ids = ", ".join(o.id for o in question.options)
                raise UserError(f"no answer to {question.id!r}, and every verdict depends on the hardware; give "
                                f"--answer {question.id}=OPTION ({ids})")  # fmt: skip
            continue
        option = next((o for o in question.options if o.id == chosen[question.id]), None)
        if option is None:
            ids = ", ".join(o.id for o in question.options)
            raise UserError(f"{question.id}: no option {chosen[question.id]!r}; use one of {ids}")
        found.append(option)
    return found


def answer(chosen: dict[str, str], known: Rules, machines: Machines) -> Answer:
    """The recommendation for a set of answers, from the use cases they select that speak about
    the hardware answered, each once, in the answers' scope: each framework's score the weighted
    mean of its scores in the use cases that measured anything; the outcome as for a use case,
    over the independent comparisons of all of them."""
    options = chosen_options(chosen, known)
    hardware = next((o.hardware for o in options if o.hardware), "cpu")
    measure = next((o.measure for o in options if o.hardware), "")
    model = next((o for o in options if o.sources), None)
    scope = Scope(hardware, model.id if model else None, frozenset(model.sources if model else ()), known.model_sources)
    by_id = {u.id: u for u in known.use_cases}
    weights: dict[str, float] = {}
    left_out: list[str] = []  # an answer's use cases, none of which speaks about the hardware answered
    for o in options:
        for u in o.use_cases:
            if hardware in by_id[u].hardware:
                weights[u] = max(weights.get(u, 0.0), o.weight)
        if o.use_cases and not any(hardware in by_id[u].hardware for u in o.use_cases):
            left_out += [by_id[u].title for u in o.use_cases if by_id[u].title not in left_out]
    experience = next((o.experience for o in options if o.experience), None)
    verdicts = [machines.verdict(by_id[u], scope) for u in weights]
    measured = [(r, weights[r.use_case.id]) for r in verdicts if r.measured]
    machine = machines.for_hardware(hardware)
    on = machine.id if machine else None
    if not measured:
        if not machines.measures(hardware):
            one = _only_framework(machine, hardware) if machine else None
            only = f" (on {machine.id}, only {one} has results)" if machine and one else ""
            why = f"nothing in these results compares the frameworks on {HARDWARE_WORDS[hardware]}{only}"
            return Answer(dict(chosen), hardware, on, not_measured(NOT_MEASURED_HERE, why), list(weights.items()),
                          verdicts, experience, f"To measure it: {measure}", None)  # fmt: skip
        why = "none of the use cases these answers select compares the frameworks for this kind of model"
        return Answer(dict(chosen), hardware, on, not_measured(NOT_MEASURED, why), list(weights.items()), verdicts,
                      experience, _experience_note(experience, NOT_MEASURED, None), None)  # fmt: skip
    counted = sum(w for _, w in measured)
    scores = {fw: sum(w * r.scores[fw] for r, w in measured) / counted for fw in COMPARED}
    total = sum(weights.values())  # a selected use case with nothing measured lowers the confidence
    backs = {side: sum(w * r.backs.get(side, 0.0) for r, w in measured) / total for side in [*COMPARED, None]}
    equivalent = sum(w * r.backs.get(None, 0.0) for r, w in measured) / counted
    items = list({_key(i): i for r, _ in measured for i in r.items}.values())
    facts_beside = [f for r in verdicts for f in r.facts]
    verdict = outcome(scores, backs, equivalent, items, facts_beside, known.settings)
    docs = machine.docs if machine else {}
    found = provenance.of_files([f for i in items for f in i.files], docs)
    counts = {u: f" (which these answers weigh {w:g}×)" if w != 1 else "" for u, w in weights.items()}
    gaps = [f"{r.use_case.title}{counts[r.use_case.id]}" for r in verdicts if not r.measured]
    if gaps:
        # lower-case the first letter of a word, never of an acronym ("MLPs" stays, "Convolutional" does not)
        first = model.label.split(" ", 1)[0] if model else ""
        lowered = first[:1].lower() + first[1:] if first[1:2].islower() else first
        kind = f" for {lowered}{model.label[len(first) :]}" if model else ""
        verdict.why += f". Nothing here measures {_and(gaps)}{kind}: the outcome covers the rest only"
    if left_out:
        verdict.why += (
            f". Left out: {_and(left_out)}, which speak{'s' if len(left_out) == 1 else ''} about other hardware"
        )
    note = _experience_note(experience, verdict.ring, verdict.leader)
    return Answer(dict(chosen), hardware, on, verdict, list(weights.items()), verdicts, experience, note, found)


def _and(names: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _experience_note(experience: str | None, ring: str, leader: str | None) -> str:
    """What the team's experience adds: it never changes the outcome, it says what it means."""
    if experience is None:
        return ""
    known = label(experience)
    if ring.startswith("prefer") and leader == experience:
        return f"The team already knows {known}, which the measurements favour too."
    if ring.startswith("prefer"):
        return (f"The team knows {known}; the measurements favour {label(leader or '')}. Weigh the difference "
                "against the cost of learning another framework.")  # fmt: skip
    return f"Nothing measured here is a reason to move from {known}, which the team already knows."


def every_answer(known: Rules, machines: Machines) -> dict[str, Answer]:
    """Every combination of answers, keyed by the option ids in question order joined with "/"."""
    found = {}
    for combination in itertools.product(*(q.options for q in known.questions)):
        chosen = {q.id: o.id for q, o in zip(known.questions, combination, strict=True)}
        found["/".join(o.id for o in combination)] = answer(chosen, known, machines)
    return found


@dataclass
class Calibration:
    """How every combination of answers resolves: counts per outcome, and per answer of each question."""

    total: int
    outcomes: list[tuple[str, int]]  # ring, how many combinations end in it
    by_question: list[tuple[Question, list[tuple[Option, Counter[str]]]]]
    least: int  # the fewest independent comparisons any call rests on
    drivers: list[tuple[str, str, int]]  # (ring, use case title, how many combinations of that ring it agreed with)
    alike: list[Question]  # questions whose every answer resolves the same way


def calibration(known: Rules, answers: dict[str, Answer]) -> Calibration:
    outcomes = Counter(a.ring for a in answers.values())
    by_question = []
    for index, question in enumerate(known.questions):
        per = [(o, Counter(a.ring for key, a in answers.items() if key.split("/")[index] == o.id))
               for o in question.options]  # fmt: skip
        by_question.append((question, per))
    calls = [a for a in answers.values() if a.ring.startswith("prefer") or a.ring == EQUIVALENT]
    least = min((len(a.verdict.backing) for a in calls), default=0)
    titles = {u.id: u.title for u in known.use_cases}
    agreeing: Counter[tuple[str, str]] = Counter()
    for a in calls:
        for r in a.verdicts:
            if r.ring == a.ring:
                agreeing[a.ring, titles[r.use_case.id]] += 1
    drivers = [(ring, title, n) for (ring, title), n in agreeing.most_common()]
    ordered = [(ring, outcomes[ring]) for ring in rings() if outcomes[ring]]
    alike = [
        q
        for q, per in by_question
        if len(per) > 1 and all(counted == per[0][1] for _, counted in per) and not any(o.experience for o in q.options)
    ]  # experience never moves an outcome, by design
    return Calibration(len(answers), ordered, by_question, least, drivers, alike)


def rounded(scores: dict[str, float], digits: int) -> dict[str, float]:
    return {fw: round(value, digits) for fw, value in scores.items()}


def reason_json(item: evidence.Item) -> dict[str, Any]:
    return {"what": item.what, "detail": item.detail, "files": [f"results/{f}" for f in item.files]}


def recommendation_json(r: Recommendation) -> dict[str, Any]:
    return {
        "id": r.use_case.id, "title": r.use_case.title, "description": r.use_case.description,
        "hardware": r.scope.hardware, "machine": r.machine, "ring": r.ring, "confidence": r.confidence,
        "why": r.verdict.why, "scores": rounded(r.scores, 4), "margin": round(r.margin, 4),
        "comparisons": r.comparisons, "rests_on": len(r.verdict.backing),
        "measured_on": r.provenance.to_json() if r.provenance else None,
        "reasons": [reason_json(i) for i in r.reasons()],
        "caveats": [c.about for c in r.verdict.caveats],
        "signals": [{
            "kind": s.kind, "about": s.about, "weight": s.weight, "favours": s.favours, "status": s.status,
            "shares": rounded(s.shares, 4), "reason": s.reason, "claim": s.claim, "sources": list(s.sources),
            "evidence": [claims.item_json(i) for i in s.items],
        } for s in r.signals],
    }  # fmt: skip


def answer_json(a: Answer) -> dict[str, Any]:
    """One answer as ``recommend --json`` prints it."""
    return {
        "ring": a.ring, "confidence": a.confidence, "why": a.verdict.why, "scores": rounded(a.scores, 3),
        "margin": round(a.margin, 3), "hardware": a.hardware, "machine": a.machine,
        "use_cases": [{"id": r.use_case.id, "title": r.use_case.title, "ring": r.ring, "confidence": r.confidence}
                      for r in a.verdicts],
        "rests_on": len(a.verdict.backing), "reasons": [reason_json(i) for i in a.reasons()],
        "facts": [{"about": f.about, "favours": f.favours, "sources": list(f.sources)} for f in a.facts],
        "caveats": [c.about for c in a.verdict.caveats],
        "measured_on": a.provenance.to_json() if a.provenance else None, "experience": a.experience, "note": a.note,
    }  # fmt: skip


def to_json(known: Rules, recommendations: list[Recommendation], versions: list[str]) -> dict[str, Any]:
    """``recommendations.json``: each use case's verdict with its scope, reasons and evidence."""
    return {
        "schema_version": 3, "rings": rings(), "machine": recommendations[0].machine if recommendations else None,
        "frameworks": versions, "use_cases": [recommendation_json(r) for r in recommendations],
    }  # fmt: skip


def questionnaire_json(known: Rules, machines: Machines, answers: dict[str, Answer]) -> dict[str, Any]:
    """``decide.json``: the questions, the frameworks' labels, and the answer to every combination
    (the page looks it up) as ``[ring, confidence, scores, margin, use cases, reasons, note, scope,
    why, facts]``, the scores in the order of ``frameworks``. Each text is stored once: the use
    cases are indexes into ``verdicts`` (``[id, ring, confidence]``), the reasons into ``reasons``,
    the note into ``notes``, the scope into ``scopes``, how the outcome came about into ``whys``,
    the curated facts beside it into ``facts`` (``[text, [source URLs]]``)."""
    tables: dict[str, dict[Any, int]] = {"verdicts": {}, "reasons": {}, "notes": {}, "scopes": {}, "whys": {},
                                         "facts": {}}  # fmt: skip

    def index(table: str, value: Any) -> int:
        return tables[table].setdefault(value, len(tables[table]))

    packed = {}
    for key, a in answers.items():
        cases = [index("verdicts", (r.use_case.id, r.ring, r.confidence)) for r in a.verdicts]
        reasons = [index("reasons", f"{i.what}: {i.detail}") for i in a.reasons()]
        scope = index("scopes", a.provenance.text if a.provenance else "")
        scores = [round(a.scores[fw], 3) for fw in COMPARED]  # in the order of ``frameworks``
        shown = list(dict.fromkeys(index("facts", (f.about, f.sources)) for f in a.facts))
        packed[key] = [a.ring, a.confidence, scores, round(a.margin, 3), cases, reasons, index("notes", a.note), scope,
                       index("whys", a.verdict.why), shown]  # fmt: skip
    return {
        "schema_version": 3,
        "frameworks": {fw: label(fw) for fw in COMPARED},
        "questions": [{"id": q.id, "text": q.text, "options": [{"id": o.id, "label": o.label} for o in q.options]}
                      for q in known.questions],
        "titles": {u.id: u.title for u in known.use_cases},
        **{name: list(table) for name, table in tables.items()},  # tuples become JSON arrays
        "answers": packed,
    }  # fmt: skip
