"""Releases side by side: the Versions page, "What changed", and the guides showing the newest."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from generator.analyse import versions
from generator.read import load
from tests.conftest import make_result, measured, write_results
from tests.test_render import build


def around(workload: str, framework: str, mode: str, median: float, version: str = "1.0") -> dict[str, object]:
    """A run of 5 processes around ``median`` (see ``tests.conftest.processes``)."""
    return measured(workload, framework, mode, median, median / 1000, version=version)


def two_releases(old_xla: float, new_xla: float, new_function: float = 700.0) -> Sequence[dict[str, object]]:
    """PyTorch 1.0 at 1000 samples/s (compile); TensorFlow 2.0 then 2.1, whose XLA mode moved."""
    return [
        around("mlp", "pytorch", "compile", 1000, "1.0"),
        around("mlp", "tensorflow", "function", 700, "2.0"),
        around("mlp", "tensorflow", "xla", old_xla, "2.0"),
        around("mlp", "tensorflow", "function", new_function, "2.1"),
        around("mlp", "tensorflow", "xla", new_xla, "2.1"),
    ]


def machine_versions(tmp_path: Path, docs: Sequence[dict[str, object]]) -> versions.MachineVersions:
    results = write_results(tmp_path / "results", docs)
    loaded = load.load_results(load.result_files(results))
    frame = load.to_frame(loaded.results, results)
    return versions.machine_versions("test-cpu-4cpu", frame, tmp_path / "charts")


def test_a_release_that_got_faster_is_an_improvement_and_flips_the_verdict(tmp_path: Path) -> None:
    found = machine_versions(tmp_path, two_releases(old_xla=500, new_xla=2000, new_function=2000))
    assert found.releases == {"pytorch": ["1.0"], "tensorflow": ["2.0", "2.1"]}
    (step,) = found.steps
    kinds = {c.mode: (c.kind, c.verdict) for c in step.changes}
    assert kinds == {"function": ("improvement", "2.86× faster"), "xla": ("improvement", "4.00× faster")}
    (verdict,) = found.verdicts
    assert verdict.changed  # PyTorch was 1.43× faster than tf.function; tf.function at 2000 is 2× faster than PyTorch
    assert (verdict.before.framework, verdict.before.verdict) == ("pytorch", "1.43× faster")
    assert (verdict.after.framework, verdict.after.verdict) == ("tensorflow", "2.00× faster")  # from the faster side
    # TensorFlow's primary mode, tf.function, is the reason (its other modes are secondary)
    assert [(c.mode, c.verdict) for c in verdict.why] == [("function", "2.86× faster")]
    assert found.previous == {"pytorch": "1.0", "tensorflow": "2.0"}
    assert found.current == {"pytorch": "1.0", "tensorflow": "2.1"}


def test_a_release_that_got_slower_is_a_regression(tmp_path: Path) -> None:
    found = machine_versions(tmp_path, two_releases(old_xla=900, new_xla=600, new_function=700))
    kinds = {c.mode: c.kind for c in found.steps[0].changes}
    assert kinds == {"function": "no change", "xla": "regression"}
    (verdict,) = found.verdicts
    assert not verdict.changed  # PyTorch was faster before and still is, by more


def test_versions_page_and_guides_show_the_newest_release(tmp_path: Path) -> None:
    docs = two_releases(old_xla=500, new_xla=2000, new_function=2000)
    pages = build(write_results(tmp_path / "results", docs), tmp_path / "out")
    page = pages["versions.md"]
    assert page.startswith("# Versions")  # two releases measured: the page is in the navigation
    assert "### What changed" in page
    assert "**1 of 1 headline verdicts changed**" in page
    assert "### TensorFlow 2\\.0 → 2\\.1" in page
    assert (
        "**2 improvements**,\n**0 regressions**, 0 with no change (equivalent within ±5%),\n0 too uncertain to call."
    ) in page
    step_table = page[page.index("### TensorFlow 2\\.0") :]
    row = next(line for line in step_table.splitlines() if "| tf.function + XLA |" in line)
    assert "| 500 samples/s" in row and "| 2,000 samples/s" in row and "| **improvement** |" in row
    guide = pages["performance.md"]
    # the headline reads from the faster side, with the 2.1 figures (not 2.0's, where PyTorch was faster)
    assert "**Primary modes, the fastest framework against the next:** tf.function is **2.00× faster** than " in guide
    assert "is **1.43× faster**" not in guide
    assert "TensorFlow 2\\.1" in guide


def test_one_release_each_has_no_trend(tmp_path: Path) -> None:
    docs = [around("mlp", "pytorch", "compile", 1000), around("mlp", "tensorflow", "xla", 900)]
    found = machine_versions(tmp_path, docs)
    assert found.steps == [] and found.verdicts == []
    pages = build(write_results(tmp_path / "results", docs), tmp_path / "out")
    assert "Only one release of each framework is measured on this machine" in pages["versions.md"]
    assert pages["versions.md"].startswith("---\nnavigation: false  #")  # nothing to show: out of the navigation


def test_a_page_that_asks_leaves_the_navigation(tmp_path: Path) -> None:
    """generator/pages/navigation.py, the MkDocs hook: a page whose front matter says ``navigation: false``
    leaves the navigation at any depth; the others stay, in order."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files
    from mkdocs.structure.nav import get_navigation

    from generator.pages import navigation

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in {"index.md": "# Home\n", "versions.md": "---\nnavigation: false\n---\n# Versions\n",
                       "other.md": "# Other\n", "old.md": "---\nnavigation: false\n---\n# Old\n"}.items():  # fmt: skip
        (docs / name).write_text(text)
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\nnav:\n  - Home: index.md\n  - Versions: versions.md\n  - Part:\n    - other.md\n    - old.md\n"
    )
    config = load_config(str(tmp_path / "mkdocs.yml"))
    files = get_files(config)
    nav = navigation.on_nav(get_navigation(files, config), config, files)
    assert [page.file.src_uri for page in nav.pages] == ["index.md", "other.md"]
    assert [item.title for item in nav.items] == ["Home", "Part"] and len(nav.items[1].children) == 1


def test_a_release_measured_in_one_process_has_too_few_to_call(tmp_path: Path) -> None:
    """Older results with one process per run: each change is a single reading, with no verdict."""
    docs = [
        make_result("mlp", "pytorch", "compile", [1000.0, 1001.0], version="1.0"),
        make_result("mlp", "tensorflow", "xla", [500.0, 501.0], version="2.0"),
        make_result("mlp", "tensorflow", "xla", [2000.0, 2001.0], version="2.1"),
    ]
    found = machine_versions(tmp_path, docs)
    (change,) = found.steps[0].changes
    assert (change.kind, change.verdict) == ("too few processes to call", "too few processes to call (1 against 1)")
    (verdict,) = found.verdicts
    assert not verdict.changed  # neither headline was called, so none changed
