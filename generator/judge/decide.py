"""Recommendations: use cases, each with a verdict scoped to what was measured, and the questionnaire
behind Decide.

``data/decide.toml`` lists the use cases and, for each, the hardware it speaks about and its
signals: a claim from ``data/claims.toml`` (its measured evidence), a rule of its own (measured),
or a curated fact from ``data/facts.toml``. The frameworks are those the registry compares
(``measurements.frameworks.COMPARED``); nothing here names one.

Measurements decide; curated facts inform. A decision rests on **pairs of frameworks**: every
comparison (``generator.judge.evidence``) is of one pair, and no pair is dropped. For each pair, each
measured signal votes with the majority of its comparisons of that pair (a framework ahead,
equivalent within the margin δ, too uncertain, single readings); a framework whose votes hold
more than half of the weight of the signals that measured the pair is **ahead**, and the other
is **ruled out**, with the comparison that shows it. The outcome is one of:

- "prefer X": every other framework is ruled out;
- "X or Y": the frameworks still in contention, where some are ruled out;
- "equivalent": nothing is ruled out and every pair is equivalent within δ;
- "too uncertain to call": nothing is ruled out and some pair is not within δ;
- "not measured": nothing compares the frameworks for it on the hardware it speaks about.

δ is ``[settings] margin`` (``stats.margin``): the difference a team would switch frameworks
for. Each comparison keeps its own interval and call, made once under its one correction
(``stats.pairwise``); the votes never change them. Each outcome also says whether it changes
with δ halved or doubled, and, for a pair too uncertain to call, about how many processes a side
would settle it. A curated fact never moves an outcome; one that favours a framework the
measurements rule out is named beside it as a caveat. The team's experience never moves an
outcome either: among the frameworks still in contention it chooses, labelled as the team's choice.

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
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypedDict

from generator.analyse import stats
from generator.judge import claims, evidence
from generator.read import facts, provenance, rules
from measurements import UserError
from measurements.frameworks import COMPARED, label
from measurements.results import ROOT

DECIDE_PATH = ROOT / "data" / "decide.toml"
EQUIVALENT = "equivalent"
UNCERTAIN = "too uncertain to call"
NOT_MEASURED = "not measured"
NOT_MEASURED_HERE = "not measured on hardware like yours"
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
        "margin": stats.MARGIN_SCHEMA,
    },
    "required": ["margin"],
    "additionalProperties": False,
}
SIGNAL_SCHEMA = {
    "type": "object",
    "properties": {
        "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        "claim": SLUG,
        "rule": rules.RULE, "about": TEXT,
        "fact": TEXT, "favours": {"type": "string"}, "reason": TEXT,  # a compared framework (load_rules)
        "sources": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "string"}},
    },
    "required": ["weight"],
    "oneOf": [
        {"required": ["claim"], "not": {"anyOf": [{"required": ["rule"]}, {"required": ["fact"]}]}},
        {"required": ["rule", "about"], "not": {"anyOf": [{"required": ["claim"]}, {"required": ["fact"]}]}},
        {"required": ["fact", "favours", "reason"],
         "not": {"anyOf": [{"required": ["claim"]}, {"required": ["rule"]}]}},
    ],
    "dependentRequired": {"sources": ["fact"]},
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
                           "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                           "experience": {"type": "string"},
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
    margin: float  # δ: equivalent within ±δ; the difference a team would switch frameworks for


class SignalTable(TypedDict, total=False):
    """One ``[[use_case.signal]]`` of data/decide.toml: a curated ``fact``, a ``claim`` checked, or a
    ``rule`` of its own (with what it is ``about``), and its ``weight`` (see SIGNAL_SCHEMA)."""

    fact: str
    claim: str
    rule: rules.Rules
    about: str
    reason: str
    favours: str
    sources: list[str]
    weight: float


@dataclass(frozen=True)
class UseCase:
    id: str
    title: str
    description: str
    signals: tuple[SignalTable, ...]
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
            if "sources" in signal:
                listed = next(f.sources for f in known_facts if f.topic == signal["fact"])
                unknown = [url for url in signal["sources"] if url not in listed]
                if unknown:
                    raise UserError(f"{at}: source {unknown[0]!r} is not one of the fact's sources in "
                                    f"{rules.display(facts_path)}; copy it from there")  # fmt: skip
            if "rule" in signal:
                rules.check_rule(signal["rule"], at)
            if "favours" in signal:
                check_framework(signal["favours"], f"{at}: favours")
        if any(u.id == table["id"] for u in use_cases):
            raise UserError(f"{where}: the id {table['id']!r} is used twice; give each use case its own id")
        use_cases.append(UseCase(table["id"], table["title"], table["description"], tuple(table["signal"]),
                                 tuple(table.get("hardware", ["cpu"]))))  # fmt: skip
    questions: list[Question] = []
    for index, table in enumerate(rules.entries(document, path, "question"), start=1):
        where = f"{name}: question {index}" + (f" ({table['id']})" if isinstance(table.get("id"), str) else "")
        rules.check(QUESTION_SCHEMA, table, where, "a question needs id, text and two or more [[question.option]]")
        options = _options(table["option"], where, {u.id for u in use_cases})
        if any(q.id == table["id"] for q in questions):
            raise UserError(f"{where}: the question id {table['id']!r} is used twice; give each question its own id")
        questions.append(Question(table["id"], table["text"], tuple(options)))
    check_one_question(questions, name)
    combinations = math.prod(len(q.options) for q in questions)
    if combinations > MAX_COMBINATIONS:
        raise UserError(f"{name}: the questions have {combinations:,} combinations of answers, more than Decide works "
                        f"out ({MAX_COMBINATIONS:,}); merge or drop questions or options")  # fmt: skip
    return Rules(Settings(**settings), tuple(use_cases), tuple(questions), tuple(known_claims),
                 tuple(known_facts))  # fmt: skip


def _options(found: list[dict[str, Any]], where: str, ids: set[str]) -> list[Option]:
    """A question's options, each id once, each naming known use cases and a compared framework."""
    options: list[Option] = []
    for option in found:
        if any(o.id == option["id"] for o in options):
            raise UserError(f"{where}: the option id {option['id']!r} is used twice; give each option its own id")
        unknown = [u for u in option.get("use_cases", []) if u not in ids]
        if unknown:
            raise UserError(f"{where}: option {option['id']!r} names no use case {unknown[0]!r}; use an id")
        if "experience" in option:
            check_framework(option["experience"], f"{where}: option {option['id']!r}: experience")
        options.append(Option(option["id"], option["label"], tuple(option.get("use_cases", [])),
                              option.get("weight", 1.0), option.get("experience"), option.get("hardware"),
                              option.get("measure", ""), tuple(option.get("sources", []))))  # fmt: skip
    return options


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
    favours: str | None  # a curated fact's framework; a measured signal's, where it rules all others out
    status: str  # what its pairs say, in words ("PyTorch ahead of TensorFlow; ..."), or a fact's "favours X"
    items: list[evidence.Item] = field(default_factory=list)
    claim: str | None = None  # the claim's id, where the signal is a claim
    sources: tuple[str, ...] = ()  # a curated fact's pages
    groups: list[list[evidence.Item]] = field(default_factory=list)  # its items, a group per rule

    @property
    def measured(self) -> list[evidence.Item]:
        """Its comparisons, less any this machine cannot test (too few cores, say)."""
        return [i for i in self.items if i.call != "untestable"]

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

    def votes(self, weight: float = 1.0, band: float | None = None) -> Votes:
        """This signal's vote on each pair of frameworks (``pair_votes``), at ``weight`` × its own weight."""
        return pair_votes(self.groups, weight * self.weight, band)


def _vote(groups: list[list[evidence.Item]], pair: frozenset[str], band: float | None) -> str | None:
    """What comparisons grouped by rule say of one pair of frameworks: a framework (ahead),
    "equivalent", "uncertain", "single", "mixed"; None where none compares the pair (or none this
    machine can test). Each rule of a list votes with the majority of its own items
    (``evidence.votes``). ``band`` judges the timing comparisons at another margin."""
    found = [[_at(i, band) for i in group if i.pair == pair and i.call != "untestable"] for group in groups]
    found = [group for group in found if group]
    if not found:
        return None
    if len(found) == 1:
        return evidence.leader(evidence.votes(found)) or "mixed"
    weight: Counter[str] = Counter(evidence.votes(found))  # each rule of a list once, as claims count them
    return _weighted(weight, sorted(pair))


def pair_votes(groups: list[list[evidence.Item]], weight: float = 1.0, band: float | None = None) -> Votes:
    """One signal's vote (``_vote``) on each pair of the compared frameworks, with the pair's
    comparisons this machine can test."""
    found: Votes = []
    for two in itertools.combinations(COMPARED, 2):
        pair = frozenset(two)
        items = [i for group in groups for i in group if i.pair == pair and i.call != "untestable"]
        found.append((weight, _vote(groups, pair, band), items))
    return found


def _at(item: evidence.Item, band: float | None) -> evidence.Item:
    """The item judged at another margin (its interval unchanged); counts keep their threshold."""
    if band is None or item.ratio is None:
        return item
    ratio = item.ratio.at(band)
    call = evidence.call_of(ratio)
    winner = (item.sides[0] if ratio.outcome == "faster" else item.sides[1]) if call == "favours" else None
    return replace(item, ratio=ratio, call=call, winner=winner)


def rings() -> list[str]:
    """Every outcome: one framework, each set of frameworks still in contention (the registry's
    order), then the rest."""
    sets = [" or ".join(label(fw) for fw in chosen) for size in range(2, len(COMPARED))
            for chosen in itertools.combinations(COMPARED, size)]  # fmt: skip
    return [f"prefer {label(fw)}" for fw in COMPARED] + sets + [EQUIVALENT, UNCERTAIN, NOT_MEASURED, NOT_MEASURED_HERE]


def _key(item: evidence.Item) -> tuple[str, tuple[str, ...], str, frozenset[str]]:
    """One independent comparison: the same comparison cited by two signals or use cases counts once."""
    return item.what, item.files, item.figures or item.detail, item.pair


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


Votes = list[tuple[float, str | None, list[evidence.Item]]]  # (weight, vote on a pair or None, the pair's items)


@dataclass(frozen=True)
class Pair:
    """What a decision found for one pair of frameworks."""

    pair: tuple[str, str]  # in the registry's order
    outcome: str  # the framework ahead, "equivalent", "uncertain" (with "mixed"), "single"
    items: tuple[evidence.Item, ...]  # its comparisons, the strongest first
    weight: str  # how the weighted votes fell, in words

    @property
    def ahead(self) -> str | None:
        return self.outcome if self.outcome in self.pair else None

    @property
    def behind(self) -> str | None:
        return None if self.ahead is None else next(fw for fw in self.pair if fw != self.ahead)

    @property
    def evidence(self) -> evidence.Item | None:
        """The comparison that shows the outcome best: the strongest of those that agree with it."""
        agree = [i for i in self.items if i.vote == self.outcome]
        return agree[0] if agree else None

    def words(self) -> str:
        a, b = (label(fw) for fw in self.pair)
        if self.ahead:
            return f"{label(self.ahead)} ahead of {label(self.behind or '')}"
        said = {"equivalent": f"equivalent within {stats.margin_words(stats.decision_band())}",
                "single": "single readings only"}.get(self.outcome, "too uncertain to call")  # fmt: skip
        return f"{a} and {b}: {said}"


def _pairs(votes: Votes) -> dict[frozenset[str], Pair]:
    """The pairs from weighted votes (weight, vote on a pair or None, the pair's items), per pair.
    Votes that show no direction (too uncertain, single readings) abstain; of the rest (a
    framework, equivalent, or mixed), the framework that holds more than half of the weight is
    ahead; else "equivalent" where that holds more than half; else single readings where every
    vote rests on them; else too uncertain to call. Each vote is a majority of its own
    comparisons (``evidence.votes``), so one clear comparison among uncertain ones of the same
    signal does not decide."""
    found = {}
    seen = _ordered({fw for _, v, items in votes if v is not None and items for fw in items[0].pair})
    for a, b in itertools.combinations(seen, 2):
        pair = frozenset((a, b))
        cast = [(w, v, items) for w, v, items in votes if v is not None and items and items[0].pair == pair]
        if not cast:
            continue
        total = sum(w for w, _, _ in cast)
        weight: Counter[str] = Counter()
        for w, v, _ in cast:
            weight[str(v)] += w  # type: ignore[assignment]  # Counter's values are weights here, not counts
        outcome = _weighted(weight, [a, b])
        heaviest: dict[Any, tuple[float, evidence.Item]] = {}
        for w, _, found_items in cast:  # an item cited by several votes counts at its heaviest
            for i in found_items:
                if _key(i) not in heaviest or heaviest[_key(i)][0] < w:
                    heaviest[_key(i)] = (w, i)
        ranked = sorted(heaviest.values(), key=lambda wi: (wi[0], _strength(wi[1])), reverse=True)
        items = [i for _, i in ranked]  # the most heavily weighted question's comparisons first
        said = ", ".join(f"{_vote_words(v)} {w / total:.0%}" for v, w in weight.most_common())
        found[pair] = Pair((a, b), outcome, tuple(items), f"weighted votes: {said}")
    return found


def _ordered(frameworks: set[str]) -> list[str]:
    """Frameworks in the registry's order (any not registered after them, by name)."""
    return sorted(frameworks, key=lambda fw: (COMPARED.index(fw) if fw in COMPARED else len(COMPARED), fw))


def _weighted(weight: Counter[str], pair: list[str]) -> str:
    """One outcome from weighted votes on a pair: votes that show no direction (too uncertain,
    single readings) abstain; of the rest (a framework, equivalent, mixed), a framework or
    "equivalent" that holds more than half wins; else "single" where every vote is a single
    reading, else "uncertain"."""
    total = sum(weight.values())
    decisive = total - weight["uncertain"] - weight["single"]
    top = next((v for v in (*pair, "equivalent") if decisive and weight[v] * 2 > decisive), None)
    return top or ("single" if weight["single"] == total else "uncertain")


def _vote_words(vote: str) -> str:
    return {"uncertain": "too uncertain", "single": "single readings", "equivalent": "equivalent",
            "mixed": "mixed"}.get(vote) or label(vote)  # fmt: skip


@dataclass
class Verdict:
    """The outcome of a set of measured signals: a use case's, or an answer's over its use cases."""

    ring: str  # "prefer X", "X or Y", EQUIVALENT, UNCERTAIN, NOT_MEASURED or NOT_MEASURED_HERE
    contenders: list[str]  # the frameworks still in contention (all compared ones where nothing is ruled out)
    ruled_out: dict[str, Pair]  # framework -> the pair that rules it out (the first, in the registry's order)
    pairs: list[Pair]
    backing: list[evidence.Item]  # the comparisons the outcome rests on: those of its decided pairs
    strongest: list[evidence.Item]  # every comparison, the strongest first: the reasons shown
    caveats: list[Signal]  # curated facts that favour a framework the measurements rule out
    why: str  # a plain sentence on how the outcome came about
    sensitivity: str = ""  # whether the outcome changes with the margin halved or doubled
    settle: str = ""  # for an uncertain pair: about how many processes a side would settle it

    @property
    def decides(self) -> bool:
        """Whether it rules a framework out or calls equivalence."""
        return bool(self.ruled_out) or self.ring == EQUIVALENT

    @property
    def ruled_out_short(self) -> list[str]:
        """Each framework ruled out, in one short line from its own side: "TensorFlow 5.08× slower (95%
        interval 3.88–6.67×) at MLP classifier (small), inference, batch 1"."""
        found = []
        for fw, p in self.ruled_out.items():
            item = p.evidence
            if item is None or item.ratio is None:  # a count judged by a threshold, or a study's completion
                found.append(f"{label(fw)}: {label(p.ahead or '')} ahead" + (f" at {item.what}" if item else ""))
                continue
            r = item.ratio if item.sides[0] == fw else item.ratio.flipped()
            said, interval = stats.brief(r, item.terms)
            found.append(f"{label(fw)} {said}{f' ({interval})' if interval else ''} at {item.where or item.what}")
        return found


def _ring(pairs: dict[frozenset[str], Pair]) -> tuple[str, list[str], dict[str, Pair]]:
    """The outcome of decided pairs: the frameworks some other framework is ahead of are ruled out;
    one left is a call, several a set, all of them pairwise equivalent "equivalent"."""
    measured = _ordered({fw for p in pairs for fw in p})
    ruled_out: dict[str, Pair] = {}
    for p in pairs.values():
        if p.behind and p.behind not in ruled_out:
            ruled_out[p.behind] = p
    ruled_out = {fw: ruled_out[fw] for fw in measured if fw in ruled_out}
    contenders = [fw for fw in measured if fw not in ruled_out]
    if not contenders:
        return UNCERTAIN, [], ruled_out
    if len(contenders) == 1:
        return f"prefer {label(contenders[0])}", contenders, ruled_out
    alike = all(pairs.get(frozenset(two)) and pairs[frozenset(two)].outcome == "equivalent"
                for two in itertools.combinations(contenders, 2))  # fmt: skip
    if alike and not ruled_out:
        return EQUIVALENT, contenders, ruled_out
    if ruled_out:
        return " or ".join(label(fw) for fw in contenders), contenders, ruled_out
    return UNCERTAIN, contenders, ruled_out


def _ruled_out_words(fw: str, p: Pair) -> str:
    """ "TensorFlow is ruled out: PyTorch 5.08× faster (95% interval 3.88–6.67×, ...) at MLP ..., batch 1"."""
    item = p.evidence
    if item is None:
        return f"{label(fw)} is ruled out: {label(p.ahead or '')} is ahead"
    if item.ratio is None:  # a count judged by a threshold, or a study's completion
        return f"{label(fw)} is ruled out: {item.what}: {item.detail}"
    shown = stats.words(item.ratio, detail=True, terms=item.terms)
    return f"{label(fw)} is ruled out: {label(p.ahead or '')} {shown} at {item.what}"


def by_priority(votes: Votes) -> dict[frozenset[str], Pair]:
    """The pairs of an answer's use cases, heaviest first: a pair takes its outcome from the
    heaviest weight whose votes decide it (a framework ahead, or equivalent); lighter ones only
    decide what the heavier left open. What matters most to the reader is never outvoted by what
    matters less."""
    found: dict[frozenset[str], Pair] = {}
    for weight in sorted({w for w, _, _ in votes}, reverse=True):
        for pair, p in _pairs([v for v in votes if v[0] == weight]).items():
            if pair not in found or (found[pair].outcome in ("uncertain", "single") and p.outcome != "single"):
                items = p.items if pair not in found else (*found[pair].items, *p.items)
                weighted = p.weight if pair not in found else f"{found[pair].weight}; then {p.weight}"
                found[pair] = Pair(p.pair, p.outcome, items, weighted)
    return found


def decision(
    votes: Votes,
    curated: list[Signal],
    again: Callable[[float], Votes],
    combine: Callable[[Votes], dict[frozenset[str], Pair]] | None = None,
) -> Verdict:
    """The outcome from weighted votes on pairs (``combine``: ``_pairs`` by default, a weighted
    majority); ``again(band)`` gives the same votes judged at another margin, to say whether
    halving or doubling it changes the outcome."""
    combine = combine or _pairs
    pairs = combine(votes)
    ring, contenders, ruled_out = _ring(pairs)
    items = sorted({_key(i): i for p in pairs.values() for i in p.items}.values(), key=_strength, reverse=True)
    decided = [p for p in pairs.values() if p.ahead or p.outcome == "equivalent"]
    backing = sorted({_key(i): i for p in decided for i in p.items if i.vote == p.outcome}.values(), key=_strength,
                     reverse=True)  # fmt: skip
    margin = stats.margin_words(stats.decision_band())
    if ring == UNCERTAIN and ruled_out:
        why = "the pairs disagree in a circle (" + "; ".join(p.words() for p in pairs.values()) + ")"
    elif ring == EQUIVALENT:
        why = f"any of {_and([label(fw) for fw in contenders])}: every pair is equivalent within {margin}"
    elif ring == UNCERTAIN:
        why = (
            "nothing is ruled out and not every pair is within "
            + margin
            + ": "
            + "; ".join(p.words() for p in pairs.values())
        )
    else:
        said = [_ruled_out_words(fw, p) for fw, p in ruled_out.items()]
        left = [pairs[frozenset(two)].words() for two in itertools.combinations(contenders, 2)
                if frozenset(two) in pairs]  # fmt: skip
        why = "; ".join(said + left)
    # the ruled-out frameworks' evidence first, then the strongest of the rest
    first = [p.evidence for p in ruled_out.values() if p.evidence is not None]
    strongest = list({_key(i): i for i in [*first, *(backing or items)]}.values())
    caveats = [c for c in curated if c.favours in ruled_out]
    half, double = (_ring(combine(again(1 + stats.margin() * f)))[0] for f in (0.5, 2.0))
    if half == ring and double == ring:
        sensitivity = (
            f"The same with the margin halved (±{stats.margin() * 50:.0f}%) or doubled (±{stats.margin() * 200:.0f}%)."
        )
    else:
        sensitivity = (f"With the margin halved (±{stats.margin() * 50:.0f}%): {half}; doubled "
                       f"(±{stats.margin() * 200:.0f}%): {double}.")  # fmt: skip
    settle = _settle([p for p in pairs.values() if p.outcome == "uncertain" and set(p.pair) <= set(contenders)])
    return Verdict(ring, contenders, ruled_out, list(pairs.values()), backing, strongest, caveats, why, sensitivity,
                   settle)  # fmt: skip


def _settle(uncertain: list[Pair]) -> str:
    """How many processes a side would settle each uncertain pair, at its comparisons' measured
    spread (the median over its uncertain comparisons over processes)."""
    said = []
    for p in uncertain:
        needed = [n for i in p.items if i.ratio is not None and (n := i.ratio.processes_to_settle()) is not None]
        if needed:
            n = int(statistics.median(needed))
            a, b = (label(fw) for fw in p.pair)
            said.append(f"{a} against {b}: about {n} processes a side (the profile runs "
                        f"{min(min(i.ratio.n_a, i.ratio.n_b) for i in p.items if i.ratio)})")  # fmt: skip
    return ("To settle it at the measured spread: " + "; ".join(said) + ".") if said else ""


def not_measured(ring: str, why: str) -> Verdict:
    return Verdict(ring, [], {}, [], [], [], [], why)


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
        found = {_key(i): i for s in self.signals for i in s.measured}
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
    pairs = _pairs(pair_votes(groups))
    if not pairs:
        return evidence.status(groups), None
    ring, contenders, _ = _ring(pairs)
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
            picked, about = evidence.groups(claim.rule, machine, keep=scope.keeps), f"Claim checked: “{claim.claim}”"
        else:
            picked, about = evidence.groups(s["rule"], machine, keep=scope.keeps), s["about"]
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
    found.verdict.why += _unmeasured_frameworks(machine, scope.hardware)
    return found


def _unmeasured_frameworks(machine: evidence.Machine | None, hardware: str) -> str:
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
    one = _only_framework(machine, hardware)
    return f"nothing compares the frameworks for it on {machine.name}" + (
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
    note: str  # what else to know: the team's experience, or what is not known on this hardware
    provenance: provenance.Provenance | None
    measure: str = ""  # for hardware nothing here measured: how to measure it
    elsewhere: tuple[tuple[str, str], ...] = ()  # (machine, framework): one framework alone measured on the hardware

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


def _use_case_votes(measured: list[tuple[Recommendation, float]],
                    band: float | None = None) -> list[tuple[float, str | None, list[evidence.Item]]]:  # fmt: skip
    """Each measured use case's outcome on each pair as a vote, at the weight the answers give it."""
    found: Votes = []
    for r, w in measured:
        pairs = r.verdict.pairs if band is None else list(_pairs(r.votes(band=band)).values())
        found += [(w, p.outcome, list(p.items)) for p in pairs]
    return found


def answer(chosen: dict[str, str], known: Rules, machines: Machines) -> Answer:
    """The decision for a set of answers, from the use cases they select that speak about the
    hardware answered, each once, in the answers' scope: each use case's outcome on each pair of
    frameworks votes, at the weight the answers give it (``decision``)."""
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
            alone = tuple((m.id, one) for m in machines.machines.values() if (one := _only_framework(m, hardware)))
            why = _not_known_here(alone, hardware, {m.id: m.name for m in machines.machines.values()}) + "".join(
                _unmeasured_frameworks(machines.machines[m], hardware) for m, _ in alone
            )
            return Answer(dict(chosen), hardware, on, not_measured(NOT_MEASURED_HERE, why), list(weights.items()),
                          verdicts, experience, _experience_note(experience, None), None, measure, alone)  # fmt: skip
        why = "none of the use cases these answers select compares the frameworks for this kind of model"
        return Answer(dict(chosen), hardware, on, not_measured(NOT_MEASURED, why), list(weights.items()), verdicts,
                      experience, _experience_note(experience, None), None)  # fmt: skip
    facts_beside = [f for r in verdicts for f in r.facts]
    verdict = decision(
        _use_case_votes(measured), facts_beside, lambda band: _use_case_votes(measured, band), by_priority
    )
    docs = machine.docs if machine else {}
    found = provenance.of_files([f for r, _ in measured for i in r.items for f in i.files], docs)
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
    verdict.why += _unmeasured_frameworks(machine, hardware)
    note = _experience_note(experience, verdict)
    return Answer(dict(chosen), hardware, on, verdict, list(weights.items()), verdicts, experience, note, found)


def _not_known_here(alone: tuple[tuple[str, str], ...], hardware: str, names: dict[str, str]) -> str:
    """What these results know, and do not, about ``hardware`` nothing here compares the frameworks on:
    ``alone`` holds each (machine, framework) that measured one framework alone there; ``names``, each
    machine's name."""
    words = HARDWARE_WORDS[hardware]
    if alone:
        where = "; ".join(f"{one} alone was measured on the machine {names.get(m, m)}" for m, one in alone)
        return (f"no two frameworks were measured on {words} here, so nothing compares them ({where}: its own "
                "figures are on that machine's Performance page, with no verdict)")  # fmt: skip
    return f"nothing in these results was measured on {words}"


def _and(names: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _experience_note(experience: str | None, verdict: Verdict | None) -> str:
    """What the team's experience adds: among the frameworks still in contention it chooses, and
    that choice is labelled as the team's, never as a measured verdict."""
    if experience is None:
        return ""
    known = label(experience)
    if verdict is None or verdict.ring in (NOT_MEASURED, NOT_MEASURED_HERE):
        return f"The team knows {known}; nothing measured here compares it for these answers."
    if experience in verdict.ruled_out:
        others = _and([label(fw) for fw in verdict.contenders]) if verdict.contenders else "another framework"
        return (f"The team knows {known}, which the measurements rule out here: "
                f"{_ruled_out_words(experience, verdict.ruled_out[experience])}. Weigh that against the cost "
                f"of learning {others}.")  # fmt: skip
    if len(verdict.contenders) > 1:
        return (
            f"Your team's choice, not a measured verdict: {known}, which the team already knows, is still in "
            f"contention, so experience picks it among {_and([label(fw) for fw in verdict.contenders])}."
        )
    return f"The team already knows {known}, which the measurements favour too."


MAX_COMBINATIONS = 20_000  # the most combinations of answers Decide works out (1,728 today)


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
    least: int  # the fewest independent comparisons any decided answer rests on
    drivers: list[tuple[str, str, int]]  # (ring, use case title, how many combinations of that ring it agreed with)
    alike: list[Question]  # questions whose every answer resolves the same way
    decided: int = 0  # combinations that rule a framework out or call equivalence
    decided_cpu: tuple[int, int] = (0, 0)  # the same among the CPU answers: (decided, all)


def calibration(known: Rules, answers: dict[str, Answer]) -> Calibration:
    outcomes = Counter(a.ring for a in answers.values())
    by_question = []
    for index, question in enumerate(known.questions):
        per = [(o, Counter(a.ring for key, a in answers.items() if key.split("/")[index] == o.id))
               for o in question.options]  # fmt: skip
        by_question.append((question, per))
    calls = [a for a in answers.values() if a.verdict.decides]
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
    cpu = [a for a in answers.values() if a.hardware == "cpu"]
    return Calibration(len(answers), ordered, by_question, least, drivers, alike, len(calls),
                       (sum(a.verdict.decides for a in cpu), len(cpu)))  # fmt: skip


def reason_json(item: evidence.Item) -> dict[str, Any]:
    return {"what": item.what, "detail": item.detail, "files": [f"results/{f}" for f in item.files]}


def verdict_json(v: Verdict) -> dict[str, Any]:
    """The decision: still in contention, ruled out (with the evidence), each pair's outcome."""
    return {
        "ring": v.ring, "contenders": v.contenders, "why": v.why, "sensitivity": v.sensitivity, "settle": v.settle,
        "ruled_out": [{"framework": fw, "by": p.ahead, "why": _ruled_out_words(fw, p)}
                      for fw, p in v.ruled_out.items()],
        "pairs": [{"pair": list(p.pair), "outcome": p.outcome, "votes": p.weight} for p in v.pairs],
        "rests_on": len(v.backing),
    }  # fmt: skip


def recommendation_json(r: Recommendation) -> dict[str, Any]:
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


def answer_json(a: Answer) -> dict[str, Any]:
    """One answer as ``recommend --json`` prints it."""
    return {
        **verdict_json(a.verdict), "hardware": a.hardware, "machine": a.machine,
        "use_cases": [{"id": r.use_case.id, "title": r.use_case.title, "ring": r.ring} for r in a.verdicts],
        "reasons": [reason_json(i) for i in a.reasons()],
        "facts": [{"about": f.about, "favours": f.favours, "sources": list(f.sources)} for f in a.facts],
        "caveats": [c.about for c in a.verdict.caveats], "measure": a.measure or None,
        "measured_on": a.provenance.to_json() if a.provenance else None, "experience": a.experience, "note": a.note,
    }  # fmt: skip


def to_json(known: Rules, recommendations: list[Recommendation], versions: list[str]) -> dict[str, Any]:
    """``recommendations.json``: each use case's decision with its scope, reasons and evidence."""
    return {
        "schema_version": 4, "rings": rings(), "margin": stats.margin(),
        "machine": recommendations[0].machine if recommendations else None,
        "frameworks": versions, "use_cases": [recommendation_json(r) for r in recommendations],
    }  # fmt: skip


def questionnaire_json(known: Rules, machines: Machines, answers: dict[str, Answer],
                       pages: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """``decide.json``: the questions, the frameworks' labels, and the answer to every combination
    (the page looks it up) as ``[ring, use cases, reasons, note, scope, why, facts, more, measure,
    elsewhere]``.
    Each text is stored once: the use cases are indexes into ``verdicts`` (``[id, ring]``), the
    reasons into ``reasons``, the note into ``notes``, the scope into ``scopes``, how the outcome
    came about into ``whys``, the curated facts beside it into ``facts`` (``[text, [source URLs]]``),
    how sure it is (the margin halved or doubled, and what would settle it) into ``mores``, and
    what would measure hardware nothing here measured into ``measures``, and the machines that
    measured one framework alone on that hardware into ``elsewheres`` (``[[text, page]]``, the page
    of that machine's figures from ``pages``, machine -> its Performance page)."""
    tables: dict[str, dict[Any, int]] = {"verdicts": {}, "reasons": {}, "notes": {}, "scopes": {}, "whys": {},
                                         "facts": {}, "mores": {}, "measures": {}, "elsewheres": {}}  # fmt: skip

    def index(table: str, value: Any) -> int:
        return tables[table].setdefault(value, len(tables[table]))

    names = {m.id: m.name for m in machines.machines.values()}
    packed = {}
    for key, a in answers.items():
        cases = [index("verdicts", (r.use_case.id, r.ring)) for r in a.verdicts]
        reasons = [index("reasons", f"{i.what}: {i.detail}") for i in a.reasons()]
        scope = index("scopes", a.provenance.text if a.provenance else "")
        shown = list(dict.fromkeys(index("facts", (f.about, f.sources)) for f in a.facts))
        more = index("mores", " ".join(t for t in (a.verdict.sensitivity, a.verdict.settle) if t))
        alone = tuple((f"{fw}'s figures on {names.get(m, m)}, with no verdict", (pages or {}).get(m, ""))
                      for m, fw in a.elsewhere)  # fmt: skip
        packed[key] = [a.ring, cases, reasons, index("notes", a.note), scope, index("whys", a.verdict.why), shown,
                       more, index("measures", a.measure), index("elsewheres", alone)]  # fmt: skip
    return {
        "schema_version": 4,
        "frameworks": {fw: label(fw) for fw in COMPARED},
        "questions": [{"id": q.id, "text": q.text, "options": [{"id": o.id, "label": o.label} for o in q.options]}
                      for q in known.questions],
        "titles": {u.id: u.title for u in known.use_cases},
        **{name: list(table) for name, table in tables.items()},  # tuples become JSON arrays
        "answers": packed,
    }  # fmt: skip
