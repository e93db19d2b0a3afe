"""The pages read what the specs plan from data/planned.json, and no workload or study code."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from generator.read import provenance
from measurements import planned
from measurements.results import PLANNED_PATH, ROOT, read_planned

GENERATOR = sorted((ROOT / "generator").rglob("*.py"))
# workload and study code: the generator takes what it shows of them from the results, from
# data/planned.json and from measurements.catalog, never from these packages or a module inside them
FORBIDDEN = ("measurements.workloads", "measurements.studies")


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


def run_time_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of the tree, but those under ``if TYPE_CHECKING:`` (imports for the types alone)."""
    for child in ast.iter_child_nodes(tree):
        yield child
        if isinstance(child, ast.If) and isinstance(child.test, ast.Name) and child.test.id == "TYPE_CHECKING":
            for other in child.orelse:
                yield other
                yield from run_time_nodes(other)
        else:
            yield from run_time_nodes(child)


def imports(path: ast.Module) -> list[tuple[str, set[str]]]:
    """(module, the names taken from it) for each import of a module that runs (in a function too)."""
    found: list[tuple[str, set[str]]] = []
    for node in run_time_nodes(path):
        if isinstance(node, ast.Import):
            found += [(alias.name, set()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            found.append((node.module, names))
            # a module imported by name from its package: ``from measurements import workloads``
            found += [(f"{node.module}.{name}", set()) for name in names if is_module(f"{node.module}.{name}")]
    return found


def forbidden(module: str) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in FORBIDDEN)


def wrong_imports(source: str) -> list[str]:
    """The imports of workload or study code in a module's source."""
    return [f"{module} {sorted(names)}" for module, names in imports(ast.parse(source)) if forbidden(module)]


def read_with() -> list[Path]:
    """The generator's modules and the modules of measurements/ they import (the results model, the
    catalog, the framework registry...), where a function could import study code when it is called
    (as the scaling sentence once imported the distributed study's layouts)."""
    used = {m for path in GENERATOR for m, _ in imports(ast.parse(path.read_text())) if m.startswith("measurements")}
    origins = {spec.origin for m in used if (spec := importlib.util.find_spec(m)) is not None and spec.origin}
    return GENERATOR + sorted(Path(o) for o in origins)


def test_the_generator_imports_no_workload_or_study_code() -> None:
    """Pages take parameter counts and operations from data/planned.json, a workload's title, task
    and scale and a study's description and the cores it needs from measurements.catalog, and
    nothing from a workload's or a study's package: not its registry, spec or framework module."""
    wrong = [f"{path.relative_to(ROOT)}: {found}" for path in read_with() for found in wrong_imports(path.read_text())]
    assert wrong == [], "take it from measurements.catalog or the results instead:\n" + "\n".join(wrong)
    assert not [path for path in GENERATOR if "import_module" in path.read_text()], "imports modules by name"
    # the scan sees every way of writing such an import, and lets the catalog through
    for source in ("from measurements import workloads", "from measurements.studies import registry",
                   "import measurements.workloads.mlp.spec", "from measurements.studies.distributed import LAYOUTS",
                   "from measurements import UserError, studies"):  # fmt: skip
        assert wrong_imports(source), source
    assert wrong_imports("from measurements import catalog\nfrom measurements.catalog import STUDIES") == []
    assert wrong_imports("def f():\n    from measurements.studies.distributed import LAYOUTS")  # called later
    assert wrong_imports("if TYPE_CHECKING:\n    from measurements.workloads import Sizes") == []  # a type alone
    assert {ROOT / "measurements" / "results.py", ROOT / "measurements" / "catalog.py"} <= set(read_with())


def test_importing_the_generator_loads_no_workload_or_study_code() -> None:
    """Nor through a module it imports (the results model, the catalog): in a fresh process, every
    generator module imported, neither package is loaded."""
    modules = [".".join(path.relative_to(ROOT).with_suffix("").parts) for path in GENERATOR]
    code = (
        "import importlib, sys\n"
        + "".join(f"importlib.import_module({m!r})\n" for m in modules)
        + (f"print(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r})))")
    )
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
