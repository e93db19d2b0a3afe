"""Curated facts: the committed file loads, and every bad fact fails with one line naming file, fact and fix."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from generator.read.facts import CATEGORIES, FACTS_PATH, Fact, columns, load_facts
from measurements import UserError, frameworks
from tests.conftest import ROOT

GOOD = """
[[fact]]
topic = "Licence"
category = "project"
frameworks.pytorch = "BSD-style licence."
frameworks.tensorflow = "Apache License 2.0."
sources = ["https://example.org/pytorch-licence", "https://example.org/tensorflow-licence"]
as_of = 2026-11-27

[[fact]]
topic = "Model hub"
category = "hubs"
frameworks.tensorflow = "Kaggle Models."
frameworks.pytorch = "PyTorch Hub."
sources = ["https://example.org/hubs"]
as_of = 2026-11-20
"""

TODAY = datetime.date(2026, 11, 27)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "facts.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(path: Path) -> str:
    with pytest.raises(UserError) as info:
        load_facts(path, today=TODAY)
    message = str(info.value)
    assert "\n" not in message, message
    assert message.startswith(f"{path}: "), message
    return message


def test_committed_facts_load_and_cover_every_category() -> None:
    facts = load_facts(FACTS_PATH)
    assert len(facts) >= 10
    assert {fact.category for fact in facts} == set(CATEGORIES)
    for fact in facts:
        assert fact.frameworks and set(fact.frameworks) <= set(frameworks.REGISTRY) and fact.sources
        assert all(statement.strip() == statement and statement for statement in fact.frameworks.values())
        assert all(url.startswith("https://") for url in fact.sources)
        assert fact.as_of <= datetime.date.today()


def test_committed_facts_cover_the_required_topics() -> None:
    topics = {fact.topic for fact in load_facts(FACTS_PATH)}
    required = {
        "Mobile and edge runtime",
        "Web browser runtime",
        "Model serving",
        "Model hub",
        "Distributed training",
        "Licence",
        "Governance",
        "Releases and versioning",
        "Keras",
        "ONNX export",
    }
    assert required <= topics


def test_facts_path_is_the_data_file() -> None:
    assert FACTS_PATH == ROOT / "data" / "facts.toml"


def test_good_file_gives_frozen_facts(tmp_path: Path) -> None:
    facts = load_facts(write(tmp_path, GOOD), today=TODAY)
    assert facts[0] == Fact(
        topic="Licence",
        category="project",
        frameworks={"pytorch": "BSD-style licence.", "tensorflow": "Apache License 2.0."},
        sources=["https://example.org/pytorch-licence", "https://example.org/tensorflow-licence"],
        as_of=datetime.date(2026, 11, 27),
    )
    assert facts[1].as_of == datetime.date(2026, 11, 20)
    assert list(facts[1].frameworks) == ["pytorch", "tensorflow"]  # registry order, whatever the file's order
    with pytest.raises(AttributeError):
        facts[0].topic = "changed"  # type: ignore[misc]


def test_files_in_the_project_are_named_relative_to_it() -> None:
    with pytest.raises(UserError, match=r"^data/missing-facts\.toml: no facts file"):
        load_facts(ROOT / "data" / "missing-facts.toml")


# Each bad variant: (text replaced in GOOD's first fact, replacement, the expected message after "<file>: ").
BAD = {
    "missing topic": ('topic = "Licence"\n', "", "fact 1 has no topic; add topic = "),
    "no statements": (
        'frameworks.pytorch = "BSD-style licence."\nframeworks.tensorflow = "Apache License 2.0."\n',
        "",
        'fact 1 ("Licence") has no frameworks; add one line per framework, frameworks.<id> = "..." '
        "(ids: pytorch, tensorflow, jax, numpy)",
    ),
    "statements not a table": (
        'frameworks.pytorch = "BSD-style licence."\nframeworks.tensorflow = "Apache License 2.0."\n',
        'frameworks = "BSD-style licence."\n',
        'fact 1 ("Licence"): frameworks is not a table; write one line per framework, frameworks.<id> = "..."',
    ),
    "no statement in the table": (
        'frameworks.pytorch = "BSD-style licence."\nframeworks.tensorflow = "Apache License 2.0."\n',
        "frameworks = {}\n",
        'fact 1 ("Licence"): frameworks is empty; add one line per framework',
    ),
    "unregistered framework": (
        'frameworks.tensorflow = "Apache License 2.0."',
        'frameworks.tensorflw = "Apache License 2.0."',
        "fact 1 (\"Licence\"): framework 'tensorflw' is not registered; use one of pytorch, tensorflow, jax, numpy "
        "(frameworks.<id>), or register it in measurements/frameworks/__init__.py",
    ),
    "missing category": (
        'category = "project"\n',
        "",
        'fact 1 ("Licence") has no category; add category = "one of deployment, serving, hubs, distributed, project"',
    ),
    "empty statement": (
        'frameworks.pytorch = "BSD-style licence."',
        'frameworks.pytorch = "  "',
        'fact 1 ("Licence"): frameworks.pytorch is empty; write frameworks.pytorch = "..."',
    ),
    "statement not a string": (
        'frameworks.pytorch = "BSD-style licence."',
        "frameworks.pytorch = 3",
        'fact 1 ("Licence"): frameworks.pytorch is not a string; write frameworks.pytorch = "..."',
    ),
    "unknown category": (
        'category = "project"',
        'category = "vibes"',
        "fact 1 (\"Licence\"): category 'vibes' is unknown; "
        "use one of: deployment, serving, hubs, distributed, project",
    ),
    "missing sources": (
        'sources = ["https://example.org/pytorch-licence", "https://example.org/tensorflow-licence"]\n',
        "",
        'fact 1 ("Licence") has no sources; add sources = ["https://..."]',
    ),
    "empty sources": (
        'sources = ["https://example.org/pytorch-licence", "https://example.org/tensorflow-licence"]',
        "sources = []",
        'fact 1 ("Licence"): sources is not a non-empty list; write sources = ["https://..."]',
    ),
    "sources not a list": (
        'sources = ["https://example.org/pytorch-licence", "https://example.org/tensorflow-licence"]',
        'sources = "https://example.org/licence"',
        'fact 1 ("Licence"): sources is not a non-empty list',
    ),
    "plain http source": (
        "https://example.org/tensorflow-licence",
        "http://example.org/tensorflow-licence",
        "fact 1 (\"Licence\"): source 2 ('http://example.org/tensorflow-licence') is not an https URL; "
        "give the page's https:// address",
    ),
    "javascript source": (
        "https://example.org/pytorch-licence",
        "javascript:alert(1)",
        "fact 1 (\"Licence\"): source 1 ('javascript:alert(1)') is not an https URL",
    ),
    "source without a host": (
        "https://example.org/pytorch-licence",
        "https:///no-host",
        "fact 1 (\"Licence\"): source 1 ('https:///no-host') is not an https URL",
    ),
    "source not a string": (
        '"https://example.org/pytorch-licence"',
        "42",
        'fact 1 ("Licence"): source 1 is not a string; write it as a quoted https URL',
    ),
    "missing as_of": (
        "as_of = 2026-11-27\n",
        "",
        'fact 1 ("Licence") has no as_of date; add the day its sources were checked (as_of = 2026-11-27)',
    ),
    "string date": (
        "as_of = 2026-11-27\n",
        'as_of = "2026-11-27"\n',
        'fact 1 ("Licence"): as_of is a string, not a TOML date; remove the quotes (as_of = 2026-11-27)',
    ),
    "date and time": (
        "as_of = 2026-11-27\n",
        "as_of = 2026-11-27T10:00:00\n",
        'fact 1 ("Licence"): as_of is not a plain date; write the day its sources were checked',
    ),
    "future date": (
        "as_of = 2026-11-27\n",
        "as_of = 2026-11-28\n",
        'fact 1 ("Licence"): as_of 2026-11-28 is in the future; write the day its sources were checked',
    ),
    "unknown key": (
        "as_of = 2026-11-27\n",
        'as_of = 2026-11-27\nverdict = "PyTorch wins"\n',
        "fact 1 (\"Licence\") has unknown key 'verdict'; remove it (allowed keys: topic, category, frameworks, "
        "sources, as_of)",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_bad_fact_gets_one_line_naming_file_fact_and_fix(case: str, tmp_path: Path) -> None:
    old, new, expected = BAD[case]
    first, rest = GOOD.split("[[fact]]", 2)[1:]
    assert old in first, case
    path = write(tmp_path, "[[fact]]" + first.replace(old, new, 1) + "[[fact]]" + rest)
    message = error_for(path)
    assert message.startswith(f"{path}: {expected}"), message


def test_second_fact_is_named_by_its_number_and_topic(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("as_of = 2026-11-20", 'as_of = "2026-11-20"'))
    assert error_for(path).startswith(f'{path}: fact 2 ("Model hub"): as_of is a string')


def test_duplicate_topic(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('topic = "Model hub"', 'topic = "licence"'))
    assert error_for(path) == (
        f'{path}: fact 2 ("licence") repeats the topic of fact 1; merge the two or give each its own topic'
    )


def test_broken_toml_names_the_parser_message(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('topic = "Licence"', 'topic = "Licence'))
    message = error_for(path)
    assert message.startswith(f"{path}: not valid TOML (")
    assert "line 3" in message
    assert message.endswith("; fix the syntax at that line")


def test_missing_file(tmp_path: Path) -> None:
    assert error_for(tmp_path / "facts.toml") == (
        f"{tmp_path / 'facts.toml'}: no facts file; create it with one [[fact]] table per fact"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "no facts; add at least one [[fact]] table"),
        ("fact = 3\n", "no facts; add at least one [[fact]] table"),
        ('title = "facts"\n', "unknown top-level key 'title'; put each fact in a [[fact]] table"),
    ],
)
def test_file_without_facts(text: str, expected: str, tmp_path: Path) -> None:
    path = write(tmp_path, text)
    assert error_for(path) == f"{path}: {expected}"


def test_a_fact_may_leave_a_framework_out_and_the_table_keeps_its_column(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('frameworks.tensorflow = "Kaggle Models."\n', ""))
    facts = load_facts(path, today=TODAY)
    assert facts[1].frameworks == {"pytorch": "PyTorch Hub."}
    assert columns(facts) == list(frameworks.COMPARED)  # every compared framework: the page shows a dash
    with_reference = write(tmp_path, GOOD.replace('frameworks.pytorch = "PyTorch Hub."', 'frameworks.numpy = "None."'))
    assert columns(load_facts(with_reference, today=TODAY)) == [*frameworks.COMPARED, "numpy"]  # named, so shown
