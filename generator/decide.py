"""Recommendations: use cases, each with a ring and a confidence, and the questionnaire behind Decide.

``data/decide.toml`` lists the use cases and, for each, its signals: a claim from
``data/claims.toml`` (its measured evidence), a rule of its own (measured), or a curated fact
from ``data/facts.toml`` with the framework it favours (curated). The frameworks are those the
registry compares (``measurements.frameworks.COMPARED``); nothing here names one.

Each signal gives every compared framework a share: a measured signal that favours a framework,
the share of its comparisons each framework won (averaged over the rules of a list); one that
reads equivalent, too uncertain to call, single readings, mixed or not measured, nothing to
anyone; a curated fact, 1 to the framework it favours. A use case's score for a framework is the
weighted mean of its shares (0..1). The ring is "prefer X" where X's score leads the next one's
by at least ``prefer_at``, else "either". Its confidence is the share of the weight that backs
the ring with measurements (curated facts count ``curated_factor`` of theirs, and comparisons
judged by a threshold on one reading rather than by a statistical test ``untested_factor`` of
theirs): it falls where evidence is missing, curated only or too uncertain to call (an uncertain
comparison or a single reading backs no ring). A signal backs "prefer X" by the lead of X's share
over the best of the others, so a split vote counts for little. With two frameworks the lead is
the size of the signed score this replaced (the first's score less the second's), so the rings
are the same.

The questionnaire maps each answer to use cases (and team experience to a nudge). Every
combination of answers is worked out here, once, so the browser and
``python -m generator recommend`` give the same answer.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import claims, evidence, facts, rules
from measurements import UserError
from measurements.frameworks import COMPARED, label
from measurements.results import ROOT

DECIDE_PATH = ROOT / "data" / "decide.toml"
EITHER = "either"
DIGITS = 9  # a lead is compared with prefer_at at this many decimals, so float noise cannot move a verdict
CONFIDENCE = (("high", 0.6), ("medium", 0.3), ("low", 0.0))  # label, lowest share that earns it
SLUG = {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}
TEXT = {"type": "string", "minLength": 3}
SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "prefer_at": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "experience_nudge": {"type": "number", "minimum": 0, "maximum": 1},
        "curated_factor": {"type": "number", "minimum": 0, "maximum": 1},
        "untested_factor": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["prefer_at", "experience_nudge", "curated_factor", "untested_factor"],
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
                           "weight": {"type": "number", "exclusiveMinimum": 0}, "experience": {"type": "string"}},
            "required": ["id", "label"],
            "additionalProperties": False,
        }},
    },
    "required": ["id", "text", "option"],
    "additionalProperties": False,
}  # fmt: skip


@dataclass(frozen=True)
class Settings:
    prefer_at: float
    experience_nudge: float
    curated_factor: float
    untested_factor: float


@dataclass(frozen=True)
class UseCase:
    id: str
    title: str
    description: str
    signals: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    use_cases: tuple[str, ...] = ()
    weight: float = 1.0
    experience: str | None = None  # the framework a team already knows


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
        use_cases.append(UseCase(table["id"], table["title"], table["description"], tuple(table["signal"])))
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
                                  option.get("weight", 1.0), option.get("experience")))  # fmt: skip
        questions.append(Question(table["id"], table["text"], tuple(options)))
    return Rules(Settings(**settings), tuple(use_cases), tuple(questions), tuple(known_claims),
                 tuple(known_facts))  # fmt: skip


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

    def backing(self, side: str | None, settings: Settings) -> float:
        """How much of this signal's weight backs a ring: towards a framework (``side``) by the lead of
        its share over the best of the others' (none where it trails), or, for "either" (``side``
        None), the share of its comparisons that found the frameworks equivalent (too uncertain to
        call and single readings back nothing). Curated facts, and comparisons judged by a
        threshold rather than an interval over processes, count less."""
        if self.kind == "curated":
            return self.weight * settings.curated_factor if side and self.favours == side else 0.0
        if not self.items:
            return 0.0
        if side is None:
            share = sum(i.call == "equivalent" for i in self.items) / len(self.items)
        else:
            others = max((self.share(fw) for fw in COMPARED if fw != side), default=0.0)
            share = max(0.0, self.share(side) - others)
        tested = sum(i.tested for i in self.items) / len(self.items)
        return self.weight * share * (tested + (1 - tested) * settings.untested_factor)

    @property
    def reason(self) -> str:
        if self.kind == "curated":
            return f"{self.about} (curated: {self.status})"
        if not self.items:
            return f"{self.about}: not measured on this machine"
        favouring = sum(i.winner == self.favours for i in self.items) if self.favours else 0
        n = len(self.items)
        comparisons = f"{n} measured comparison{'s' if n != 1 else ''}"
        if self.favours:
            verb = "favours" if n == 1 else "favour"
            return f"{self.about}: {self.status} ({favouring} of {comparisons} {verb} {label(self.favours)})"
        return f"{self.about}: {self.status} ({comparisons})"


def win_shares(found: list[list[evidence.Item]], favours: str | None) -> dict[str, float]:
    """A measured signal's share for each compared framework: the share of the comparisons it won,
    averaged over the rules of a list (``evidence.shares``), but only where the votes favour a
    framework: a signal that reads "too uncertain to call", "too few processes", "equivalent" or
    "mixed" points nowhere, whatever a minority of its comparisons say."""
    won = evidence.shares(found) if favours else {}
    return {fw: won.get(fw, 0.0) for fw in COMPARED}


def rings() -> list[str]:
    """Every ring, in the registry's order of the compared frameworks, "either" last."""
    return [f"prefer {label(fw)}" for fw in COMPARED] + [EITHER]


def standing(scores: dict[str, float]) -> tuple[str | None, float]:
    """The framework with the top score (the first in the registry's order on a tie) and its lead
    over the next one (over 0 where only one is compared)."""
    ranked = sorted(COMPARED, key=lambda fw: -scores.get(fw, 0.0))  # a stable sort: ties keep the registry's order
    if not ranked:
        return None, 0.0
    runner_up = scores.get(ranked[1], 0.0) if len(ranked) > 1 else 0.0
    return ranked[0], round(scores.get(ranked[0], 0.0) - runner_up, DIGITS)


def side_of(leader: str | None, margin: float, settings: Settings) -> str | None:
    """The framework a ring prefers: the leader, where it leads by at least ``prefer_at``."""
    return leader if leader is not None and margin >= settings.prefer_at else None


def ring_of(side: str | None) -> str:
    return f"prefer {label(side)}" if side else EITHER


@dataclass
class Recommendation:
    use_case: UseCase
    machine: str
    scores: dict[str, float]  # compared framework -> the weighted share of the evidence that favours it, 0..1
    leader: str | None  # the framework with the top score
    margin: float  # its lead over the next one
    ring: str
    confidence: str
    confidence_share: float
    signals: list[Signal]


def signals_for(use_case: UseCase, machine: evidence.Machine, known: Rules) -> list[Signal]:
    found = []
    by_claim = {c.id: c for c in known.claims}
    by_fact = {f.topic: f for f in known.facts}
    for s in use_case.signals:
        if "fact" in s:
            fact = by_fact[s["fact"]]
            found.append(Signal("curated", s["reason"], s["weight"], s["favours"], f"favours {label(s['favours'])}",
                                shares={fw: float(fw == s["favours"]) for fw in COMPARED},
                                sources=tuple(fact.sources)))  # fmt: skip
            continue
        if "claim" in s:
            claim = by_claim[s["claim"]]
            picked, about = evidence.groups(claim.rule, machine), f"Claim checked: “{claim.claim}”"
        else:
            picked, about = evidence.groups(s["rule"], machine), s["about"]
        items = [item for group in picked for item in group]
        favours, status = evidence.favoured(picked), evidence.status(picked)
        found.append(Signal("measured", about, s["weight"], favours, status, items, win_shares(picked, favours),
                            s.get("claim")))  # fmt: skip
    return found


def confidence_label(share: float) -> str:
    return next(name for name, lowest in CONFIDENCE if share >= lowest)


def recommend(use_case: UseCase, machine: evidence.Machine, known: Rules) -> Recommendation:
    signals = signals_for(use_case, machine, known)
    total = sum(s.weight for s in signals)
    scores = {fw: sum(s.weight * s.share(fw) for s in signals) / total for fw in COMPARED}
    leader, margin = standing(scores)
    side = side_of(leader, margin, known.settings)
    share = sum(s.backing(side, known.settings) for s in signals) / total
    return Recommendation(use_case, machine.id, scores, leader, margin, ring_of(side), confidence_label(share), share,
                          signals)  # fmt: skip


def recommend_all(known: Rules, machine: evidence.Machine) -> list[Recommendation]:
    return [recommend(u, machine, known) for u in known.use_cases]


@dataclass
class Answer:
    """What the questionnaire concludes for one combination of answers."""

    answers: dict[str, str]  # question id -> option id
    scores: dict[str, float]  # compared framework -> its score, with the experience nudge
    leader: str | None
    margin: float
    ring: str
    confidence: str
    use_cases: list[tuple[str, float]]  # (use case id, weight)
    experience: str | None


def answer(chosen: dict[str, str], known: Rules, recommendations: dict[str, Recommendation]) -> Answer:
    """The recommendation for one set of answers: each framework's score the weighted mean of its
    scores in the use cases they select, the framework the team knows nudged up by
    ``experience_nudge`` (so it may pass 1); its confidence, the weighted mean of theirs."""
    selected: list[tuple[str, float]] = []
    experience = None
    for question in known.questions:
        if question.id not in chosen:
            raise UserError(f"no answer to {question.id!r}; give --answer {question.id}=OPTION")
        option = next((o for o in question.options if o.id == chosen[question.id]), None)
        if option is None:
            ids = ", ".join(o.id for o in question.options)
            raise UserError(f"{question.id}: no option {chosen[question.id]!r}; use one of {ids}")
        selected += [(u, option.weight) for u in option.use_cases]
        experience = option.experience or experience
    total = sum(w for _, w in selected)
    scores = {fw: sum(w * recommendations[u].scores.get(fw, 0.0) for u, w in selected) / total if total else 0.0
              for fw in COMPARED}  # fmt: skip
    if experience is not None and experience in scores:
        scores[experience] += known.settings.experience_nudge
    share = sum(w * recommendations[u].confidence_share for u, w in selected) / total if total else 0.0
    leader, margin = standing(scores)
    ring = ring_of(side_of(leader, margin, known.settings))
    return Answer(dict(chosen), scores, leader, margin, ring, confidence_label(share), selected, experience)


def every_answer(known: Rules, recommendations: dict[str, Recommendation]) -> dict[str, Answer]:
    """Every combination of answers, keyed by the option ids in question order joined with "/"."""
    found = {}
    for combination in itertools.product(*(q.options for q in known.questions)):
        chosen = {q.id: o.id for q, o in zip(known.questions, combination, strict=True)}
        found["/".join(o.id for o in combination)] = answer(chosen, known, recommendations)
    return found


def rounded(scores: dict[str, float], digits: int) -> dict[str, float]:
    return {fw: round(value, digits) for fw, value in scores.items()}


def recommendation_json(r: Recommendation) -> dict[str, Any]:
    return {
        "id": r.use_case.id, "title": r.use_case.title, "description": r.use_case.description,
        "machine": r.machine, "ring": r.ring, "confidence": r.confidence, "scores": rounded(r.scores, 4),
        "margin": round(r.margin, 4),
        "signals": [{
            "kind": s.kind, "about": s.about, "weight": s.weight, "favours": s.favours, "status": s.status,
            "shares": rounded(s.shares, 4), "reason": s.reason, "claim": s.claim, "sources": list(s.sources),
            "evidence": [claims.item_json(i) for i in s.items],
        } for s in r.signals],
    }  # fmt: skip


def answer_json(a: Answer) -> dict[str, Any]:
    """One answer as ``recommend --json`` prints it (``decide.json`` holds the same as an array)."""
    return {"ring": a.ring, "confidence": a.confidence, "scores": rounded(a.scores, 3), "margin": round(a.margin, 3),
            "use_cases": [u for u, _ in a.use_cases], "experience": a.experience}  # fmt: skip


def to_json(known: Rules, recommendations: list[Recommendation], versions: list[str]) -> dict[str, Any]:
    """``recommendations.json``: each use case's verdict with its reasons and evidence, and the machine
    and framework releases it was measured with."""
    return {
        "schema_version": 2, "rings": rings(), "machine": recommendations[0].machine if recommendations else None,
        "frameworks": versions, "use_cases": [recommendation_json(r) for r in recommendations],
    }  # fmt: skip


def questionnaire_json(known: Rules, recommendations: list[Recommendation]) -> dict[str, Any]:
    """``decide.json``: the questions, the compared frameworks' labels, and the answer to every
    combination (the page looks it up) as ``[ring, confidence, scores, margin, use cases, experience]``."""
    by_id = {r.use_case.id: r for r in recommendations}
    answers = every_answer(known, by_id) if recommendations else {}  # no results: nothing to answer from
    return {
        "schema_version": 2,
        "frameworks": {fw: label(fw) for fw in COMPARED},
        "questions": [{"id": q.id, "text": q.text, "options": [{"id": o.id, "label": o.label} for o in q.options]}
                      for q in known.questions],
        "use_cases": {r.use_case.id: {"title": r.use_case.title, "ring": r.ring, "confidence": r.confidence}
                      for r in recommendations},
        "answers": {key: list(answer_json(a).values()) for key, a in answers.items()},
    }  # fmt: skip
