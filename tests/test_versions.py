"""Releases side by side: the Versions page, "What changed", and the guides showing the newest."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from generator import load, versions
from tests.conftest import make_result, write_results
from tests.test_render import build

SPREAD = [-2.0, -1.0, 0.0, 1.0, 2.0] * 4


def around(median: float) -> list[float]:
    return [median + d * median / 1000 for d in SPREAD]


def two_releases(old_xla: float, new_xla: float, new_function: float = 700.0) -> Sequence[dict[str, object]]:
    """PyTorch 1.0 at 1000 samples/s (compile); TensorFlow 2.0 then 2.1, whose XLA mode moved."""
    return [
        make_result("mlp", "pytorch", "compile", around(1000), version="1.0"),
        make_result("mlp", "tensorflow", "function", around(700), version="2.0"),
        make_result("mlp", "tensorflow", "xla", around(old_xla), version="2.0"),
        make_result("mlp", "tensorflow", "function", around(new_function), version="2.1"),
        make_result("mlp", "tensorflow", "xla", around(new_xla), version="2.1"),
    ]


def machine_versions(tmp_path: Path, docs: Sequence[dict[str, object]]) -> versions.MachineVersions:
    results = write_results(tmp_path / "results", docs)
    loaded = load.load_results(load.result_files(results))
    frame = load.to_frame(loaded.results, results)
    return versions.machine_versions("test-cpu-4cpu", frame, tmp_path / "charts")


def test_a_release_that_got_faster_is_an_improvement_and_flips_the_verdict(tmp_path: Path) -> None:
    found = machine_versions(tmp_path, two_releases(old_xla=500, new_xla=2000))
    assert found.releases == {"pytorch": ["1.0"], "tensorflow": ["2.0", "2.1"]}
    (step,) = found.steps
    kinds = {c.mode: (c.kind, c.verdict) for c in step.changes}
    assert kinds == {"function": ("no meaningful change", "no meaningful difference"),
                     "xla": ("improvement", "4.00× faster")}  # fmt: skip
    (verdict,) = found.verdicts
    assert verdict.changed  # PyTorch was 2× faster than XLA at 500; XLA at 2000 is 2× faster than PyTorch
    # TensorFlow's fastest was tf.function before and XLA now: both are the reason
    assert [(c.mode, c.verdict) for c in verdict.why] == [("function", "no meaningful difference"),
                                                          ("xla", "4.00× faster")]  # fmt: skip
    assert found.previous == {"pytorch": "1.0", "tensorflow": "2.0"}
    assert found.current == {"pytorch": "1.0", "tensorflow": "2.1"}


def test_a_release_that_got_slower_is_a_regression(tmp_path: Path) -> None:
    found = machine_versions(tmp_path, two_releases(old_xla=900, new_xla=600, new_function=700))
    kinds = {c.mode: c.kind for c in found.steps[0].changes}
    assert kinds == {"function": "no meaningful change", "xla": "regression"}
    (verdict,) = found.verdicts
    assert not verdict.changed  # PyTorch was faster before and still is, by more


def test_versions_page_and_guides_show_the_newest_release(tmp_path: Path) -> None:
    docs = two_releases(old_xla=500, new_xla=2000)
    pages = build(write_results(tmp_path / "results", docs), tmp_path / "out")
    page = pages["versions.md"]
    assert "### What changed" in page
    assert "**1 of 1 headline verdicts changed**" in page
    assert "### TensorFlow 2\\.0 → 2\\.1" in page
    assert "**1 improvements**,\n**0 regressions**, 1 with no meaningful change." in page
    step_table = page[page.index("### TensorFlow 2\\.0") :]
    row = next(line for line in step_table.splitlines() if "| tf.function + XLA |" in line)
    assert "| 500 samples/s" in row and "| 2,000 samples/s" in row and "| **improvement** |" in row
    guide = pages["performance.md"]
    assert "tf.function + XLA is **2.00× faster** than torch.compile" not in guide  # PyTorch's side is stated
    assert "torch.compile is **2.00× slower** than tf.function + XLA" in guide  # the 2.1 figures, not 2.0's
    assert "TensorFlow 2\\.1" in guide


def test_one_release_each_has_no_trend(tmp_path: Path) -> None:
    docs = [
        make_result("mlp", "pytorch", "compile", around(1000)),
        make_result("mlp", "tensorflow", "xla", around(900)),
    ]
    found = machine_versions(tmp_path, docs)
    assert found.steps == [] and found.verdicts == []
    pages = build(write_results(tmp_path / "results", docs), tmp_path / "out")
    assert "Only one release of each framework is measured on this machine" in pages["versions.md"]
