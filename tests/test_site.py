"""Measure -> generate -> ``mkdocs build --strict``: the whole pipeline on real quick results."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.__main__ import main as generator_main
from tests.conftest import ROOT


@pytest.mark.slow
def test_site_builds_strictly_from_measured_results(quick_results: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "docs", project / "docs", ignore=shutil.ignore_patterns("generated"))
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    assert generator_main(["build", "--results", str(quick_results), "--out", str(project / "docs" / "generated")]) == 0
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=project, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    assert "WARNING" not in build.stderr
    site = project / "site"
    home = (site / "index.html").read_text()
    assert "PyTorch&rsquo;s fastest path" in home or "PyTorch's fastest path" in home
    performance = (site / "generated" / "performance.html").read_text()
    assert "Fastest against fastest" in performance
    assert 'class="fg-chart"' in performance
    machine_id = next(quick_results.iterdir()).name
    assert (site / "generated" / "machines" / f"{machine_id}.html").is_file()
    assert (site / "generated" / "results" / machine_id / "mlp.pytorch.eager.cpu.json").is_file()
    for page in site.rglob("*.html"):  # nothing is loaded from another host
        text = page.read_text()
        assert "fonts.googleapis" not in text
        assert 'src="http' not in text and 'href="https://fonts' not in text
