"""A framework is a plug-in: a fourth one is a registry entry and the files in ``FILES``, nothing else.

The test copies the project's code into a temporary folder, adds the entry ``ENTRY`` to the copy's
registry (``measurements/frameworks/__init__.py``) and writes ``FILES`` beside it, then checks in
fresh processes that planning and listing take the new framework up, and that the generator's
registry-driven parts (the checks of a results file, the comparisons and the pages) do. The
README's "Adding a framework" lists the same files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from measurements.frameworks import REGISTRY
from tests.conftest import ROOT

# the registry entry: NumPy under another name, with a plain mode and a fast one (its primary)
ENTRY = """        Framework("fake", "Fake", ("numpy",), {"plain": "Fake plain", "fast": "Fake fast"}, "#ae3ec9",
                  "fast", ("cpu",), compiled=("fast",), modules=("numpy",)),
"""
FILES = {
    # its adapter: thread count, device, version and build, how to wait for a value, the GPU allocator's peak
    "measurements/frameworks/fake.py": '''"""The fake framework: NumPy under another name."""

from __future__ import annotations

from typing import Any

from measurements.frameworks import numpy
from measurements.frameworks.numpy import device_peak_bytes, first_operation, reset_device_peak, to_numpy

__all__ = ["device_peak_bytes", "first_operation", "reset_device_peak", "setup", "to_numpy"]


def setup(threads: int, device: str) -> dict[str, Any]:
    return {**numpy.setup(threads, device), "name": "fake"}
''',
    # one module per workload it runs (here the MLP's package: its training and inference workloads)
    "measurements/workloads/mlp/fake.py": '''"""The MLP in the fake framework: inference only, in NumPy float32."""

from __future__ import annotations

from typing import Any

import numpy as np

from measurements.frameworks import Unavailable
from measurements.workloads import Prepared
from measurements.workloads.mlp import spec


def prepare(params: dict[str, Any], mode: str, device: str) -> Prepared:
    if params["task"] != "infer":
        raise Unavailable("the fake framework only predicts")
    flat = spec.flat_weights(params)
    x, _ = spec.batch(params)

    def forward(inputs: np.ndarray) -> np.ndarray:
        h = np.asarray(inputs, dtype=np.float32)
        for i in range(0, len(flat), 2):
            h = h @ flat[i] + flat[i + 1]
            h = np.maximum(h, 0.0) if i + 2 < len(flat) else h
        return h

    return Prepared(step=lambda: forward(x), forward=forward)
''',
}
# what the copy needs to plan, list, check and render; the rest of the project is not read
COPIED = ("measurements", "generator", "templates", "data", "docs", "mkdocs.yml", "pyproject.toml",
          "tests/__init__.py", "tests/conftest.py")  # fmt: skip
# the generator's side, in the copy: results for PyTorch's and the fake's primary modes, the pages built
PAGES = """
import functools
import sys
from pathlib import Path

from generator.read import corpus
from generator.pages import render
from generator.judge import simulate
from tests.conftest import measured, write_results

simulate.table = functools.partial(simulate.table, cases=20)  # the Methodology page's simulation, cut short
simulate.stopping_table = functools.partial(simulate.stopping_table, cases=20)
out = Path(sys.argv[1])
docs = [measured("mlp", "pytorch", "eager", 1000), measured("mlp", "fake", "fast", 2000)]
results = write_results(out / "results", docs)
render.build(corpus.load_corpus(results), out / "docs")
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project's code with the fake framework added: its entry and its files only."""
    copy = tmp_path_factory.mktemp("fake") / "project"
    for name in COPIED:
        source, target = ROOT / name, copy / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "generated"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    registry = copy / "measurements" / "frameworks" / "__init__.py"
    text = registry.read_text()
    anchor = '        Framework("numpy", '
    assert text.count(anchor) == 1, "the registry's NumPy entry moved: put ENTRY before another entry"
    registry.write_text(text.replace(anchor, ENTRY + anchor))
    for name, text in FILES.items():
        (copy / name).write_text(text)
    return copy


def run(project: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=project, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_fake_is_not_registered_here() -> None:
    assert "fake" not in REGISTRY and not (ROOT / "measurements" / "frameworks" / "fake.py").exists()


def test_planning_and_listing_take_the_new_framework_up(project: Path) -> None:
    listed = run(project, "-m", "measurements", "list", "--only", "*/fake/*").split()
    assert listed == ["mlp/fake/plain/cpu", "mlp/fake/fast/cpu", "mlp_infer/fake/plain/cpu", "mlp_infer/fake/fast/cpu"]
    everything = run(project, "-m", "measurements", "list").split()
    assert "mlp/pytorch/eager/cpu" in everything and "mlp_infer/fake/fast/cpu" in everything  # standard: the primary
    assert "mlp_infer/fake/plain/cpu" not in everything  # mode alone, the one verdicts compare (its default_mode)
    # a study takes up the frameworks that have its code: the fake has no mistake scripts, nor every workload counted
    assert "study/errors/jax" in everything and "study/errors/fake" not in everything
    assert "study/codesize/fake" not in everything
    every_study = run(project, "-m", "measurements", "list", "--profile", "full").split()  # standard: the verdicts'
    for study in ("debugging", "export", "pipeline", "distributed", "memory", "libraries", "serving"):  # no file
        assert f"study/{study}/jax" in every_study and f"study/{study}/fake" not in every_study


def test_the_generator_takes_the_new_framework_up(project: Path, tmp_path: Path) -> None:
    run(project, "-c", PAGES, str(tmp_path))
    overview = (tmp_path / "docs" / "performance.md").read_text()
    page = next((tmp_path / "docs" / "workloads").glob("mlp*.md")).read_text()
    assert "Fake fast: 2,000 samples/s" in overview and "| Fake fast | 2,000 |" in page  # its labels, from the entry
    assert "Fake fast is **2.00× faster** than PyTorch eager" in page  # compared by its primary mode
    assert "(PyTorch eager, tf.function, jax.jit, Fake fast)" in overview  # the primary modes named
    run(project, "-m", "generator", "check", *map(str, (tmp_path / "results").rglob("*fake*.json")))  # valid
