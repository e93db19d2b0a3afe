"""Frameworks are a registry: the generator and the templates name none of them.

A framework is an entry of ``measurements.frameworks.REGISTRY``, an adapter module beside it
and its workload files. Everything the guides say about one comes from those or from the
results and the data files; so no identifier, string or template text of the generator names
a compared framework (its id, its label, a distribution that installs it, or a mode's label).
Docstrings and comments may give examples.
"""

from __future__ import annotations

import ast
import importlib
import io
import re
import tokenize
from pathlib import Path

import pytest

from measurements import catalog, studies
from measurements.frameworks import COMPARED, REGISTRY, modes_for
from measurements.results import ROOT

GENERATOR = sorted((ROOT / "generator").rglob("*.py"))
TEMPLATES = sorted((ROOT / "templates").glob("*.j2"))


def names() -> list[str]:
    """What would name a compared framework: its id, label, distributions and mode labels, and the
    usual short forms of the mode labels ("tf.function" names TensorFlow by its "tf" prefix)."""
    found = set()
    for fw in COMPARED:
        f = REGISTRY[fw]
        found |= {f.id, f.label, *f.distributions, *f.modes.values()}
        found |= {label.split(".")[0] for label in f.modes.values() if "." in label}
    return sorted(found, key=len, reverse=True)


PATTERN = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(n) for n in names()) + r")(?![A-Za-z0-9])", re.I)


def code_text(path: Path) -> str:
    """A module's code without its docstrings and comments: identifiers and the strings it uses."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add((first.lineno, first.col_offset))
    kept = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            continue
        if token.type == tokenize.STRING and token.start in docstrings:
            continue
        kept.append(f"{token.start[0]}: {token.string}")
    return "\n".join(kept)


def named(text: str) -> list[str]:
    return [line for line in text.splitlines() if PATTERN.search(line)]


def test_the_names_looked_for_cover_every_compared_framework() -> None:
    assert {"pytorch", "tensorflow", "PyTorch", "TensorFlow", "torch", "tf.function"} <= set(names())
    assert named('x = "tf.function + XLA"') and named("torch.compile") and named("PYTORCH")
    assert not named("tfrecord = 1") and not named("stdtr(df)")  # words that only contain a name


@pytest.mark.parametrize("path", GENERATOR, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_generator_names_no_framework(path: Path) -> None:
    where = path.relative_to(ROOT)
    assert named(code_text(path)) == [], f"{where} names a framework: take it from the registry or the data"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_the_templates_name_no_framework(path: Path) -> None:
    found = [f"{n}: {line}" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
    assert named("\n".join(found)) == [], f"{path.name} names a framework: loop over the frameworks instead"


def test_every_framework_of_the_registry_is_whole() -> None:
    for f in REGISTRY.values():
        assert f.modes and f.default_mode in f.modes and set(f.compiled) <= set(f.modes)
        assert all(v in f.modes and b in f.modes for v, b in f.variants.items())
        assert set(f.optional) <= set(f.modes) - {next(iter(f.modes)), f.default_mode}
        assert set(f.small_only) <= set(f.modes) - {f.default_mode}
        assert re.fullmatch(r"#[0-9a-f]{6}", f.colour) and f.distributions
        assert (ROOT / "measurements" / "frameworks" / f"{f.id}.py").is_file()  # its adapter


def test_a_workload_runs_each_framework_with_a_module_in_the_modes_its_entry_gives() -> None:
    for w in catalog.WORKLOADS.values():
        folder = ROOT / "measurements" / "workloads" / (w.package or w.name)
        assert list(w.modes) == [f for f in REGISTRY if (folder / f"{f}.py").is_file()], w.name
        assert all(modes and set(modes) <= set(REGISTRY[fw].modes) for fw, modes in w.modes.items())
    assert catalog.workload("mlp").modes["tensorflow"] == ("eager", "function", "xla")  # every mode but the optional
    # its optional layout, and bf16 (a lower precision, which the models run on a GPU)
    assert catalog.workload("cnn").modes["pytorch"] == ("eager", "compile", "channels_last", "bf16")
    assert "bf16" not in catalog.workload("gemm").modes["pytorch"]  # an operation has no bf16 mode
    assert catalog.workload("resnet50").modes["tensorflow"] == ("function", "xla")  # no op-by-op mode when large
    assert catalog.workload("resnet50_infer").modes["pytorch"] == ("eager", "compile", "zentorch", "bf16")  # a plug-in
    assert catalog.workload("digits").modes == {fw: (REGISTRY[fw].default_mode,) for fw in COMPARED}
    assert set(catalog.workload("matmul").modes.values()) == {("eager",), ("default",)}  # each one's plain mode
    with pytest.raises(ValueError, match="unknown mode choice 'fast'; known: every, default, plain"):
        modes_for(REGISTRY["jax"], "fast", "small")


def test_every_study_in_the_catalog_has_its_module_and_every_module_its_entry() -> None:
    """A study's entry (``measurements.catalog.STUDIES``) is what its module runs under: the registry
    the runner reads finds the same studies, in the same order, each module's ``STUDY`` its own entry."""
    assert studies.registry() == catalog.STUDIES and list(studies.registry()) == list(catalog.STUDIES)
    for name, study in catalog.STUDIES.items():
        module = importlib.import_module(f"measurements.studies.{name}")
        assert module.STUDY is study and callable(module.run), name
        assert study.group in catalog.GROUPS and study.frameworks, name
