"""The typed findings (measurements/findings.py) and study.schema.json describe the same findings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from measurements import findings
from measurements.results import STUDY_SCHEMA_PATH

SCHEMA = json.loads(STUDY_SCHEMA_PATH.read_text())
BY_STUDY = {  # the schema's studies, each with the type its study writes
    "codesize": findings.CodeSizeFinding,
    "errors": findings.ErrorFinding,
    "debugging": findings.DebuggingFinding,
    "install": findings.InstallFinding,
    "export": findings.ExportFinding,
    "noise": findings.NoiseFinding,
    "memory": findings.MemoryFinding,
    "pipeline": findings.PipelineFinding,
    "distributed": findings.DistributedFinding,
}
NESTED = [  # (study, field, the type of its objects)
    ("codesize", "files", findings.CodeFile),
    ("noise", "python_warnings", findings.PythonWarning),
    ("noise", "log_lines", findings.LogLine),
    ("pipeline", "decode_check", findings.DecodeCheck),
    ("distributed", "parity", findings.DistributedParity),
]


def item_schema(study: str) -> dict[str, Any]:
    """What study.schema.json says of each finding of ``study``."""
    rules = [r for r in SCHEMA["allOf"] if r["if"]["properties"]["study"]["const"] == study]
    assert len(rules) == 1, study
    found: dict[str, Any] = rules[0]["then"]["properties"]["findings"]["items"]
    return found


def required(kind: Any) -> set[str]:
    return set(kind.__required_keys__)


def keys(kind: Any) -> set[str]:
    return required(kind) | set(kind.__optional_keys__)


def test_every_study_the_schema_describes_has_a_finding_type() -> None:
    assert {r["if"]["properties"]["study"]["const"] for r in SCHEMA["allOf"]} == set(BY_STUDY)


@pytest.mark.parametrize("study", sorted(BY_STUDY))
def test_a_finding_requires_what_the_schema_requires_and_has_every_field_it_names(study: str) -> None:
    kind, items = BY_STUDY[study], item_schema(study)
    assert required(kind) == {"id", *items["required"]}
    assert set(items["properties"]) <= keys(kind)


@pytest.mark.parametrize(("study", "field", "kind"), NESTED)
def test_an_object_inside_a_finding_has_every_field_the_schema_names(study: str, field: str, kind: Any) -> None:
    described = item_schema(study)["properties"][field]
    described = described.get("items", described)  # a list of them, or one
    assert set(described.get("required", [])) <= required(kind)
    assert set(described["properties"]) <= keys(kind)
