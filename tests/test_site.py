"""Measure -> generate -> ``mkdocs build --strict``: the whole pipeline on a few real quick runs."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.__main__ import main as generator_main
from measurements import results as results_model
from measurements.frameworks import COMPARED
from tests.conftest import check_measured, golden_docs, make_result, write_results
from tests.hostile import site_sources, unsafe_markup


def build_site(results: Path, project: Path) -> Path:
    """Generate pages from ``results`` and run ``mkdocs build --strict`` in a copy of the site's sources
    under ``project``; the built site."""
    src = site_sources(project)
    assert generator_main(["build", "--results", str(results), "--out", str(src / "docs" / "generated")]) == 0
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=src, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    assert "WARNING" not in build.stderr
    return src / "site"


@pytest.mark.parametrize("measured", ["pipeline_results", pytest.param("quick_results", marks=pytest.mark.slow)])
def test_site_builds_strictly_from_measured_results(
    measured: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The whole pipeline for real: every compared framework measured in child processes, and a
    study, then the pages generated and built strictly. The fast tests measure a few runs; the slow
    ones the whole quick profile."""
    results: Path = request.getfixturevalue(measured)
    docs = check_measured(results)
    assert {doc["run"]["framework"] for doc in docs} >= set(COMPARED)
    site = build_site(results, tmp_path / "project")
    home = (site / "index.html").read_text()
    assert 'href="generated/versions.html" class="md-nav__link' not in home  # one release each: nothing to show
    assert (site / "generated" / "versions.html").is_file()  # though the page is built, and links to it work
    assert "by its primary mode, the fastest against the next" in home
    performance = (site / "generated" / "performance.html").read_text()
    assert 'href="workloads/mlp.html"' in performance  # the overview links each workload's own page
    workload = (site / "generated" / "workloads" / "mlp.html").read_text()
    assert "Primary modes, the fastest framework against the next" in workload
    assert 'class="fg-chart"' in workload
    assert 'id="code-size"' in (site / "generated" / "usability.html").read_text()  # the study's section
    machine_id = next(results.iterdir()).name
    assert (site / "generated" / "machines" / f"{machine_id}.html").is_file()
    published = site / "generated" / "results" / machine_id
    assert list(published.glob("mlp.pytorch-*.eager.cpu.json"))
    assert len(list(published.glob("studies/codesize.*.json"))) == len(COMPARED)
    for page in site.rglob("*.html"):  # nothing is loaded from another host
        text = page.read_text()
        assert "fonts.googleapis" not in text
        assert 'src="http' not in text and 'href="https://fonts' not in text


HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)> [link](javascript:alert(3)) "};alert(4);//'


def plant(doc: dict[str, Any], node: Any = None) -> int:
    """Put HOSTILE in every string field of ``doc`` that stays valid with it; returns how many."""
    node = doc if node is None else node
    planted = 0
    items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
    for key, value in items:
        if isinstance(value, str):
            node[key] = HOSTILE
            if results_model.check_document(copy.deepcopy(doc))[1]:
                node[key] = value  # an enum or pattern field: the schema refuses it anyway
            else:
                planted += 1
        elif isinstance(value, dict | list):
            planted += plant(doc, value)
    return planted


def test_hostile_text_in_any_field_renders_inert(tmp_path: Path) -> None:
    docs = golden_docs()
    docs[0]["settings"]["env"] = {"OMP_NUM_THREADS": "2"}
    docs[0]["machine"]["gpus"] = [{"name": "GPU", "driver": "1", "memory_bytes": 1}]
    failed = make_result("mlp", "tensorflow", "eager", status="failed", error="x")
    docs = [d for d in docs if d["run"]["mode"] != "eager" or d["run"]["framework"] != "tensorflow"] + [failed]
    planted = sum(plant(doc) for doc in docs)
    assert planted >= 8 * 5  # cpu model, OS, versions, case names, ... in each file
    site = build_site(write_results(tmp_path / "results", docs), tmp_path / "project")
    pages = {p: p.read_text() for p in site.rglob("*.html")}
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in text for text in pages.values())
    assert unsafe_markup(site, marker="") == {}  # no handler, javascript: value or script calling alert at all


def test_same_results_give_byte_identical_pages(golden: Path, tmp_path: Path) -> None:
    first, second = build_site(golden, tmp_path / "a"), build_site(golden, tmp_path / "b")
    pages = sorted(p.relative_to(first) for p in first.rglob("*") if p.suffix in {".html", ".json", ".svg", ".js"})
    assert len(pages) > 20
    assert pages == sorted(
        p.relative_to(second) for p in second.rglob("*") if p.suffix in {".html", ".json", ".svg", ".js"}
    )
    for page in pages:
        assert (first / page).read_bytes() == (second / page).read_bytes(), page
