"""The pages read what the specs plan from data/planned.json, and no workload or study code."""

from __future__ import annotations

import ast
import importlib.util
import json

from generator.read import provenance
from measurements import planned
from measurements.results import PLANNED_PATH, ROOT, read_planned

GENERATOR = sorted((ROOT / "generator").rglob("*.py"))
# what the generator may take from the two packages: their registries, never a module inside them
# (a workload's spec or framework module, a study's code)
REGISTRIES = {"measurements.workloads": set(), "measurements.studies": {"Study", "registry"}}


def test_the_planned_file_matches_the_specs() -> None:
    """``python -m measurements.planned`` rewrites it; this fails while a spec changed and it did not."""
    assert json.loads(json.dumps(planned.planned())) == json.loads(PLANNED_PATH.read_text()), (
        "data/planned.json is out of date: run `python -m measurements.planned`"
    )


def test_parameter_counts_come_from_the_planned_file() -> None:
    mlp = {"layers": [784, 512, 512, 10], "batch_size": 64, "dtype": "float32", "seed": 0, "task": "train"}
    assert provenance.parameter_count("mlp", mlp) == 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
    assert provenance.parameter_count("mlp", {**mlp, "batch_size": 1, "task": "infer"}) == 669706  # the same model
    assert provenance.parameter_count("mlp", {**mlp, "layers": [784, 10**9, 10]}) is None  # a size no spec plans
    assert provenance.parameter_count("no-such-workload", mlp) is None
    assert read_planned()["resnet50"]["parameters"]  # the large models, from their specs' own counts


def is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def imports(path: ast.Module) -> list[tuple[str, set[str]]]:
    """(module, the names taken from it) for each import of a module."""
    found: list[tuple[str, set[str]]] = []
    for node in ast.walk(path):
        if isinstance(node, ast.Import):
            found += [(alias.name, set()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            found.append((node.module, names))
            # a module imported by name from its package: ``from measurements import workloads``
            found += [(f"{node.module}.{name}", set()) for name in names if is_module(f"{node.module}.{name}")]
    return found


def test_the_generator_imports_no_workload_or_study_code() -> None:
    """Pages take parameter counts and operations from data/planned.json, the cores a study needs
    from its registry entry, and nothing from a workload's spec or a study's module."""
    wrong = []
    for path in GENERATOR:
        for module, names in imports(ast.parse(path.read_text())):
            inside = next((p for p in REGISTRIES if module.startswith(f"{p}.")), None)
            if inside is not None or (module in REGISTRIES and not names <= REGISTRIES[module]):
                wrong.append(f"{path.name}: {module} {sorted(names)}")
        assert "import_module" not in path.read_text(), f"{path.name} imports modules by name"
    assert wrong == []
