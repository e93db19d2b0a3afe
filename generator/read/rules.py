"""The data files that hold claims and decision rules: reading and checking them.

``data/claims.toml`` and ``data/decide.toml`` are edited by maintainers, not programmers, so
every problem stops the build with one line naming the file, the entry and the fix. Each
rule is checked against the schema of its kind of evidence (see ``generator.judge.evidence_kinds``).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypedDict, TypeVar, cast

import jsonschema

from measurements import UserError, catalog
from measurements.frameworks import COMPARED, REGISTRY
from measurements.results import ROOT

T = TypeVar("T")
Schema = Mapping[str, object]  # a JSON schema
Document = dict[str, object]  # a TOML file's top-level tables, as read and not yet checked

FRAMEWORK = {"enum": list(COMPARED)}  # a framework a verdict can be about (the registry's compared ones)
RATIO = {"type": "number", "exclusiveMinimum": 1}
RULE = {"type": ["object", "array"]}  # one rule, or a list of rules whose items count together
TIMED = sorted(w.name for w in catalog.WORKLOADS.values() if w.task in ("train", "infer", "op"))


class Rule(TypedDict, total=False):
    """One rule of ``data/claims.toml`` or ``data/decide.toml``: which evidence it reads
    (``evidence``, a key of ``RULE_SCHEMAS``) and how; each kind uses some of the fields, as its
    schema says (the build checks each rule against it)."""

    evidence: str
    workloads: list[str]  # speed
    cases: str
    device: str
    modes: dict[str, list[str]]  # speed: framework -> the modes that count
    tasks: list[str]  # memory
    min_width: int
    max_width: int
    batch: int
    min_ratio: float  # memory, codesize, pipeline
    measure: str  # memory, pipeline, serving
    configurations: list[str]  # distributed
    completion: bool
    criteria: list[str]  # usability
    min_share_difference: float
    sizes: str  # pipeline
    configs: dict[str, list[str]]  # pipeline: framework -> the configurations that count
    study: str


Rules = Rule | list[Rule]  # one rule, or a list of rules whose items count together


def _per_framework(items: Callable[[str], Schema]) -> Schema:
    """A table keyed by framework id, each value a non-empty list; ``items`` maps each framework to
    its items' schema."""
    return {"type": "object", "additionalProperties": False, "minProperties": 1,
            "properties": {fw: {"type": "array", "minItems": 1, "items": items(fw)} for fw in COMPARED}}  # fmt: skip


MODES = _per_framework(lambda fw: {"enum": list(REGISTRY[fw].modes)})  # which modes of each framework count
CONFIGS = _per_framework(lambda fw: {"type": "string"})  # which data-pipeline configurations of each framework


def _kind(name: str, properties: dict[str, object], required: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "properties": {"evidence": {"const": name}, **properties},
        "required": ["evidence", *required],
        "additionalProperties": False,
    }


RULE_SCHEMAS = {
    "speed": _kind("speed", {
        "workloads": {"type": "array", "minItems": 1, "items": {"enum": TIMED}},
        "cases": {"enum": ["all", "smallest", "largest"]},
        "device": {"type": "string"},
        "modes": MODES,
    }, ("workloads",)),
    "memory": _kind("memory", {
        "tasks": {"type": "array", "minItems": 1, "items": {"enum": ["train", "infer", "saved"]}},
        "min_width": {"type": "integer", "minimum": 1}, "max_width": {"type": "integer", "minimum": 1},
        "batch": {"type": "integer", "minimum": 1}, "min_ratio": RATIO, "measure": {"enum": ["memory", "latency"]},
    }, ("tasks",)),
    "distributed": _kind("distributed", {
        "configurations": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "completion": {"type": "boolean"},
    }),
    "usability": _kind("usability", {
        "criteria": {"type": "array", "minItems": 1, "items": {
            "enum": ["debugging", "raised", "user_frame_last", "names_shapes", "names_dtypes"]}},
        "min_share_difference": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    }, ("criteria",)),
    "codesize": _kind("codesize", {"min_ratio": RATIO}),
    "pipeline": _kind("pipeline", {
        "measure": {"enum": ["throughput", "memory", "failures", "completion"]},
        "sizes": {"enum": ["all", "largest"]}, "min_ratio": RATIO, "configs": CONFIGS,
        "study": {"enum": ["pipeline", "pipeline_limit"]},
    }, ("measure",)),
    "serving": _kind("serving", {"measure": {"enum": ["latency", "throughput", "clients"]}}, ("measure",)),
}  # fmt: skip


def display(path: Path) -> str:
    """The path as the user knows it: relative to the project where it lies inside it."""
    resolved = path.resolve()
    return resolved.relative_to(ROOT).as_posix() if resolved.is_relative_to(ROOT) else str(path)


def read_toml(path: Path, missing: str = "") -> Document:
    """A TOML file's tables; one clear line for a missing file (``missing``: what it says, by default
    to restore the file from the repository) or bad syntax."""
    name = display(path)
    if not path.is_file():
        missing = missing or f"file not found; restore it from the repository (git checkout -- {name})"
        raise UserError(f"{name}: {missing}")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{name}: not valid TOML ({exc}); fix the syntax at that line") from None
    except UnicodeDecodeError:
        raise UserError(f"{name}: not UTF-8 text; save it as UTF-8") from None
    for field, value in _non_finite(document):  # TOML has nan and inf; no setting or figure here may be either
        raise UserError(f"{name}: {field}: {value} is not a finite number; write a number (no nan or inf)")
    return document


def _non_finite(value: object, field: str = "") -> Iterator[tuple[str, float]]:
    """The fields of a TOML document that hold NaN or infinity, in document order, named as
    ``table.key`` with list positions (``use_cases.2.rule.min_ratio``)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield field or "(top level)", value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _non_finite(child, f"{field}.{key}" if field else str(key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _non_finite(child, f"{field}.{index}" if field else str(index))


def entries(document: Document, path: Path, table: str) -> list[object]:
    """The ``[[table]]`` entries of a document read from ``path``, each yet to be checked."""
    found = document.get(table)
    if not isinstance(found, list) or not found:
        raise UserError(f"{display(path)}: no [[{table}]] tables; add at least one")
    return found


def check(schema: Schema, value: object, where: str, fix: str) -> None:
    """Raise one line for the first schema problem of ``value``, naming the field."""
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        field = ".".join(map(str, error.absolute_path)) or "(the table)"
        raise UserError(f"{where}: {field}: {error.message}; {fix}")


def where(place: str, entry: object) -> str:
    """An entry as a problem line names it: its place, and its id beside it where it has one
    ("data/claims.toml: claim 3 (xla-faster)")."""
    label = entry.get("id") if isinstance(entry, dict) else None
    return place + (f" ({label})" if isinstance(label, str) else "")


def checked(schema: Schema, value: object, where: str, fix: str, shape: type[T]) -> T:
    """``value`` as ``shape``, the type whose shape ``schema`` describes, once the schema has checked it."""
    check(schema, value, where, fix)
    return cast(T, value)


def check_rule(rule: object, where: str, field: str = "rule") -> None:
    """A rule is a table naming its kind of evidence, or a list of such tables (their items together)."""
    if isinstance(rule, list) and rule:
        for index, one in enumerate(rule):
            check_rule(one, where, f"rule.{index}")
        return
    kinds = ", ".join(RULE_SCHEMAS)
    if not isinstance(rule, dict) or rule.get("evidence") not in RULE_SCHEMAS:
        found = rule.get("evidence") if isinstance(rule, dict) else rule
        raise UserError(f"{where}: {field}.evidence: {found!r} is not a kind of evidence; use one of {kinds}")
    fix = "see the kinds of evidence in generator/read/rules.py"
    check(RULE_SCHEMAS[rule["evidence"]], rule, f"{where}: {field}", fix)
