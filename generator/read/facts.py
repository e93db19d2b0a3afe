"""Curated facts that cannot be measured offline, each with its sources and the day they were checked.

The facts live in one TOML file, ``data/facts.toml``: one ``[[fact]]`` table per row of the
Ecosystem guide, with a statement per framework (``frameworks.<id> = "..."``, one line each, the
id a registered framework's), the https pages that back them, and the ``as_of`` date those pages
were read. A fact without a source or a date, or with a statement for an unregistered framework,
fails the build: every problem raises ``UserError`` with one line naming the file, the fact (its
number and topic) and the fix. No framework is named here: they come from the registry.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.pages import escape
from generator.read import rules
from measurements import UserError
from measurements import frameworks as registered  # read when used: the registry is the one list of frameworks
from measurements.results import ROOT

FACTS_PATH = ROOT / "data" / "facts.toml"

CATEGORIES = ("deployment", "serving", "hubs", "distributed", "project")
TEXT_FIELDS = ("topic", "category")  # and each statement in ``frameworks``
FIELDS = (*TEXT_FIELDS, "frameworks", "sources", "as_of")
EXAMPLE_DATE = "2026-11-27"


@dataclass(frozen=True)
class Fact:
    """One row of the Ecosystem guide: the same question answered for each framework."""

    topic: str
    category: str
    frameworks: dict[str, str]  # framework id -> its statement, in registry order
    sources: list[str]
    as_of: datetime.date


def load_facts(path: Path, *, today: datetime.date | None = None) -> list[Fact]:
    """Read and check every fact in ``path``; ``today`` (default: the real date) bounds ``as_of``."""
    name = rules.display(path)
    document = rules.read_toml(path, missing="no facts file; create it with one [[fact]] table per fact")
    unknown_top = sorted(set(document) - {"fact"})
    if unknown_top:
        raise UserError(f"{name}: unknown top-level key {unknown_top[0]!r}; put each fact in a [[fact]] table")
    tables = document.get("fact")
    if not isinstance(tables, list) or not tables:
        raise UserError(f"{name}: no facts; add at least one [[fact]] table")
    limit = today or datetime.date.today()
    facts: list[Fact] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(tables, start=1):
        fact = _check_fact(name, index, table, limit)
        key = fact.topic.casefold()
        if key in seen:
            raise UserError(
                f'{name}: fact {index} ("{fact.topic}") repeats the topic of fact {seen[key]}; '
                "merge the two or give each its own topic"
            )
        seen[key] = index
        facts.append(fact)
    return facts


def _check_fact(name: str, index: int, table: object, today: datetime.date) -> Fact:
    if not isinstance(table, dict):
        raise UserError(f"{name}: fact {index} is not a table; write it as a [[fact]] table")
    topic = table.get("topic")
    label = f'fact {index} ("{topic.strip()}")' if isinstance(topic, str) and topic.strip() else f"fact {index}"
    where = f"{name}: {label}"

    unknown = sorted(set(table) - set(FIELDS))
    if unknown:
        raise UserError(f"{where} has unknown key {unknown[0]!r}; remove it (allowed keys: {', '.join(FIELDS)})")

    for field in TEXT_FIELDS:
        _check_text(where, field, table.get(field))

    category = table["category"]
    if category not in CATEGORIES:
        raise UserError(f"{where}: category {category!r} is unknown; use one of: {', '.join(CATEGORIES)}")

    statements = _check_frameworks(where, table.get("frameworks"))
    sources = _check_sources(where, table.get("sources"))
    as_of = _check_as_of(where, table.get("as_of"), today)
    return Fact(topic=table["topic"].strip(), category=category, frameworks=statements, sources=sources, as_of=as_of)


def _check_text(where: str, field: str, value: object) -> None:
    if value is None:
        raise UserError(f"{where} has no {field}; add {field} = {_example(field)}")
    if not isinstance(value, str):
        raise UserError(f"{where}: {field} is not a string; write {field} = {_example(field)}")
    if not value.strip():
        raise UserError(f"{where}: {field} is empty; write {field} = {_example(field)}")


def _check_frameworks(where: str, value: object) -> dict[str, str]:
    """Each framework's statement, keyed by a registered framework's id, in registry order."""
    known = ", ".join(registered.REGISTRY)
    fix = f'one line per framework, frameworks.<id> = "..." (ids: {known})'
    if value is None:
        raise UserError(f"{where} has no frameworks; add {fix}")
    if not isinstance(value, dict):
        raise UserError(f"{where}: frameworks is not a table; write {fix}")
    if not value:
        raise UserError(f"{where}: frameworks is empty; add {fix}")
    unknown = sorted(set(value) - set(registered.REGISTRY))
    if unknown:
        raise UserError(
            f"{where}: framework {unknown[0]!r} is not registered; use one of {known} (frameworks.<id>), or "
            "register it in measurements/frameworks/__init__.py"
        )
    for framework in value:
        _check_text(where, f"frameworks.{framework}", value[framework])
    return {fw: value[fw].strip() for fw in registered.REGISTRY if fw in value}


def columns(facts: Iterable[Fact]) -> list[str]:
    """The frameworks the facts table has a column for, in registry order: every compared one (a fact
    that says nothing of it shows a dash), and any other registered one that a fact speaks of."""
    named = {fw for fact in facts for fw in fact.frameworks}
    return [fw for fw in registered.REGISTRY if fw in registered.COMPARED or fw in named]


def _check_sources(where: str, value: object) -> list[str]:
    fix = 'sources = ["https://..."], at least one page for each framework\'s statement'
    if value is None:
        raise UserError(f"{where} has no sources; add {fix}")
    if not isinstance(value, list) or not value:
        raise UserError(f"{where}: sources is not a non-empty list; write {fix}")
    for position, url in enumerate(value, start=1):
        if not isinstance(url, str):
            raise UserError(f"{where}: source {position} is not a string; write it as a quoted https URL")
        if escape.url(url.strip()) is None:
            raise UserError(
                f"{where}: source {position} ({url!r}) is not an https URL; give the page's https:// address "
                "(a host, and no spaces, quotes, brackets or parentheses: percent-encode them)"
            )
    return [url.strip() for url in value]


def _check_as_of(where: str, value: object, today: datetime.date) -> datetime.date:
    fix = f"the day its sources were checked (as_of = {EXAMPLE_DATE})"
    if value is None:
        raise UserError(f"{where} has no as_of date; add {fix}")
    if isinstance(value, str):
        raise UserError(f"{where}: as_of is a string, not a TOML date; remove the quotes (as_of = {EXAMPLE_DATE})")
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        raise UserError(f"{where}: as_of is not a plain date; write {fix}")
    if value > today:
        raise UserError(f"{where}: as_of {value.isoformat()} is in the future; write {fix}")
    return value


def _example(field: str) -> str:
    return f'"one of {", ".join(CATEGORIES)}"' if field == "category" else '"..."'
