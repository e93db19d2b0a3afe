"""The use cases and the questions behind Decide: ``data/decide.toml`` read and checked.

``data/decide.toml`` lists the use cases and, for each, the hardware it speaks about and its
signals: a claim from ``data/claims.toml`` (its measured evidence), a rule of its own (measured),
or a curated fact from ``data/facts.toml``; and the questions, each option selecting use cases
at a weight. It is edited by maintainers, not programmers: every problem stops the build with one
line naming the file, the entry and the fix. A framework is named there by its registry id only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict

from generator.analyse import stats
from generator.judge import claims, evidence
from generator.read import facts, rules
from measurements import UserError
from measurements.frameworks import COMPARED
from measurements.results import ROOT

DECIDE_PATH = ROOT / "data" / "decide.toml"
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


class SettingsTable(TypedDict):
    """``[settings]`` of data/decide.toml, as SETTINGS_SCHEMA checks it."""

    margin: float


class UseCaseTable(TypedDict):
    """One ``[[use_case]]`` of data/decide.toml, as USE_CASE_SCHEMA checks it (each signal as SIGNAL_SCHEMA)."""

    id: str
    title: str
    description: str
    hardware: NotRequired[list[str]]
    signal: list[SignalTable]


class OptionTable(TypedDict):
    """One ``[[question.option]]`` of data/decide.toml, as QUESTION_SCHEMA checks it."""

    id: str
    label: str
    use_cases: NotRequired[list[str]]
    weight: NotRequired[float]
    experience: NotRequired[str]
    hardware: NotRequired[str]
    measure: NotRequired[str]
    sources: NotRequired[list[str]]


class QuestionTable(TypedDict):
    """One ``[[question]]`` of data/decide.toml, as QUESTION_SCHEMA checks it."""

    id: str
    text: str
    option: list[OptionTable]


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
    settings = rules.checked(SETTINGS_SCHEMA, document.get("settings", {}), f"{name}: [settings]",
                             "see the comments at the top of the file", SettingsTable)  # fmt: skip
    use_cases: list[UseCase] = []
    for index, entry in enumerate(rules.entries(document, path, "use_case"), start=1):
        where = rules.where(f"{name}: use case {index}", entry)
        fix = "a use case needs id, title, description and [[use_case.signal]]"
        table = rules.checked(USE_CASE_SCHEMA, entry, where, fix, UseCaseTable)
        for number, found in enumerate(table["signal"], start=1):
            at = f"{where}: signal {number}"
            signal = rules.checked(SIGNAL_SCHEMA, found, at, SIGNAL_FIX, SignalTable)
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
    for index, entry in enumerate(rules.entries(document, path, "question"), start=1):
        where = rules.where(f"{name}: question {index}", entry)
        fix = "a question needs id, text and two or more [[question.option]]"
        question = rules.checked(QUESTION_SCHEMA, entry, where, fix, QuestionTable)
        options = _options(question["option"], where, {u.id for u in use_cases})
        if any(q.id == question["id"] for q in questions):
            raise UserError(f"{where}: the question id {question['id']!r} is used twice; give each question its own id")
        questions.append(Question(question["id"], question["text"], tuple(options)))
    check_one_question(questions, name)
    combinations = math.prod(len(q.options) for q in questions)
    if combinations > MAX_COMBINATIONS:
        raise UserError(f"{name}: the questions have {combinations:,} combinations of answers, more than Decide works "
                        f"out ({MAX_COMBINATIONS:,}); merge or drop questions or options")  # fmt: skip
    return Rules(Settings(**settings), tuple(use_cases), tuple(questions), tuple(known_claims),
                 tuple(known_facts))  # fmt: skip


def _options(found: list[OptionTable], where: str, ids: set[str]) -> list[Option]:
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


MAX_COMBINATIONS = 20_000  # the most combinations of answers Decide works out (1,728 today)
