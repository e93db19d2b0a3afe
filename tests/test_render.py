"""The generator on a golden corpus: exact checks of the rendered pages."""

from __future__ import annotations

from pathlib import Path

from generator import load, render
from generator.__main__ import main as generator_main
from tests.conftest import golden_docs, make_result, write_results


def build(results: Path, out: Path) -> dict[str, str]:
    render.build(load.load_results(load.result_files(results)), results, out)
    return {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.md")}


def test_performance_page_states_the_known_answer(golden: Path, tmp_path: Path) -> None:
    pages = build(golden, tmp_path / "out")
    page = pages["performance.md"]
    assert (
        "**Fastest against fastest:** torch.compile is **2.00× faster** than tf.function + XLA\n"
        "(2,000 against 1,000 samples/s;\n"
    ) in page
    assert "This machine's ceiling is **100 GFLOP/s**" in page
    training = page[page.index("## MLP classifier, training step") : page.index("## MLP classifier, inference")]
    speed, cost = (line for line in training.splitlines() if line.startswith("| torch.compile |"))
    cells = [c.strip() for c in speed.strip("|").split("|")]
    assert cells[1] == "2,000"  # median
    assert cells[4] == "2.00× faster"
    assert cells[5].endswith(", p < 0.001")
    cells = [c.strip() for c in cost.strip("|").split("|")]
    assert cells[1] == "8.0%"  # 2000 samples/s × 4 MFLOP = 8 GFLOP/s of a 100 GFLOP/s ceiling
    assert cells[2:4] == ["1.5 s", "2.5 s"]  # set-up, first call
    assert cells[4:6] == ["300 MiB", "200 MiB"]
    assert cells[7] == "[json](results/test-cpu-4cpu/mlp.pytorch-1.0.compile.cpu.json)"


def test_latency_lower_is_faster_with_percentiles(golden: Path, tmp_path: Path) -> None:
    page = build(golden, tmp_path / "out")["performance.md"]
    assert (
        "**Fastest against fastest:** torch.compile is **2.00× faster** than tf.function + XLA\n(0.4 against 0.8 ms;\n"
    ) in page
    assert "| Mode | Median ms | 95% interval | p90 | p99 | CV |" in page
    row = next(line for line in page.splitlines() if line.startswith("| TF eager | 2 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3:5] == ["2.02", "2.02"]  # p90 and p99 of 1.98, 1.99, 2, 2.01, 2.02 (four times each)
    assert cells[6] == "5.00× slower"


def test_equal_modes_read_no_meaningful_difference(golden: Path, tmp_path: Path) -> None:
    page = build(golden, tmp_path / "out")["performance.md"]
    # PyTorch eager (median 1000) against tf.function + XLA (median 1000)
    row = next(line for line in page.splitlines() if line.startswith("| PyTorch eager |"))
    assert "| no meaningful difference | 1.00 (" in row


def test_home_headline_and_results_copies(golden: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    pages = build(golden, out)
    headline = pages["partials/headline.md"]
    assert (
        "PyTorch's fastest path (torch.compile) is **2.00× faster** than TensorFlow's (tf.function + XLA)" in headline
    )
    assert "Matrix-multiply" not in headline  # the ceiling is context, not a verdict
    assert (out / "results" / "test-cpu-4cpu" / "mlp.tensorflow-1.0.xla.cpu.json").is_file()
    assert (out / "assets" / "vega-bundle.js").stat().st_size > 100_000
    svgs = sorted(p.name for p in (out / "charts").glob("*.svg"))
    assert "test-cpu-4cpu-mlp-784-512-512-10-batch-256-speed.svg" in svgs
    assert all((out / "charts" / n.replace(".svg", ".vl.json")).is_file() for n in svgs)


def test_machine_page_shows_the_fingerprint(golden: Path, tmp_path: Path) -> None:
    page = build(golden, tmp_path / "out")["machines/test-cpu-4cpu.md"]
    assert "| CPU | Test CPU (x86\\_64) |" in page
    assert "| Memory | 8,192 MiB |" in page
    assert "| Ceiling | 100 GFLOP/s (PyTorch eager, n=1024) |" in page


def test_failed_runs_and_parity_failures_are_shown(tmp_path: Path) -> None:
    docs = [
        make_result("mlp", "pytorch", "eager", [100.0] * 5, parity_passed=False),
        make_result("mlp", "tensorflow", "xla", status="failed", error="Traceback ...\nRuntimeError: XLA exploded"),
    ]
    page = build(write_results(tmp_path / "results", docs), tmp_path / "out")["performance.md"]
    assert "✗ not within tolerance" in page
    assert '!!! warning "Parity failed"' in page
    assert "- **tf.function + XLA** on cpu: failed" in page
    assert "RuntimeError: XLA exploded" in page


def test_untrusted_text_is_inert(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script> [x](javascript:alert(2)) **bold**"
    docs = [make_result(cpu_model=hostile), make_result(framework="tensorflow", mode="xla", status="failed",
                                                        error=hostile)]  # fmt: skip
    pages = build(write_results(tmp_path / "results", docs), tmp_path / "out")
    for page in pages.values():
        assert "<script>" not in page
        assert "](javascript:" not in page
    assert "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in pages["machines/test-cpu-4cpu.md"]


def test_build_command_reports_bad_files_and_goes_on(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    results = write_results(tmp_path / "results", golden_docs())
    (results / "test-cpu-4cpu" / "zz.json").write_text("{")
    assert generator_main(["build", "--results", str(results), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"error: {results / 'test-cpu-4cpu' / 'zz.json'}: not valid JSON" in err
    page = (tmp_path / "out" / "performance.md").read_text()
    assert "Results files left out" in page
    assert "2.00× faster" in page


def test_accuracy_parity_is_judged_within_one_point(tmp_path: Path) -> None:
    docs = [
        make_result("digits", "pytorch", "eager", curve=[80.0, 94.0, 97.0, 98.5]),
        make_result("digits", "tensorflow", "function", curve=[81.0, 95.5, 96.0, 97.9]),
    ]
    page = build(write_results(tmp_path / "results", docs), tmp_path / "out")["performance.md"]
    assert "**Accuracy parity holds:** after 4 epochs the\nframeworks' test accuracies are 0.6 points apart" in page
    row = next(line for line in page.splitlines() if line.startswith("| PyTorch eager | 98.5% |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:5] == ["98.5", "3", "1.5 s"]  # per round; epochs and training time to 95%
    assert "digits-mlp-64-512-512-10-curve.svg" in page

    docs[1] = make_result("digits", "tensorflow", "function", curve=[60.0, 70.0, 80.0, 90.0])
    page = build(write_results(tmp_path / "worse", docs), tmp_path / "out2")["performance.md"]
    assert "**Accuracy parity does not hold:**" in page and "8.5 points apart" in page
    row = next(line for line in page.splitlines() if line.startswith("| tf.function | 90.0% |"))
    assert "| not reached | not reached |" in row


def test_summary_states_who_is_faster_from_the_figures(golden: Path, tmp_path: Path) -> None:
    page = build(golden, tmp_path / "out")["performance.md"]
    assert (
        "On this machine (MLP classifier, training step), comparing each framework's fastest mode: "
        "PyTorch is faster at 784\\-512\\-512\\-10 batch 256 (2.00×)."
    ) in page
    assert (
        "The first, compiling step: torch.compile takes 2.5 s after 1.5 s of set-up; "
        "tf.function + XLA takes 2.5 s after 50 ms of set-up (at"
    ) in page
    assert "peak at 300 MiB (torch.compile) and 300 MiB (tf.function + XLA)" in page

    docs = golden_docs()
    docs[4] = make_result("mlp", "tensorflow", "xla", [4000.0 + d for d in (-2, -1, 0, 1, 2) * 4])
    page = build(write_results(tmp_path / "tf", docs), tmp_path / "out2")["performance.md"]
    assert "TensorFlow is faster at 784\\-512\\-512\\-10 batch 256 (2.00×)." in page

    docs[4] = make_result("mlp", "tensorflow", "xla", [2010.0 + d for d in (-2, -1, 0, 1, 2) * 4])
    page = build(write_results(tmp_path / "even", docs), tmp_path / "out3")["performance.md"]
    assert "there is no meaningful difference at 784\\-512\\-512\\-10 batch 256." in page


def test_summary_reports_whether_channels_last_helps(tmp_path: Path) -> None:
    spread = [-2.0, -1.0, 0.0, 1.0, 2.0] * 4
    docs = [
        make_result("cnn", "pytorch", "eager", [1000 + d for d in spread]),
        make_result("cnn", "pytorch", "channels_last", [1500 + d for d in spread]),
        make_result("cnn", "tensorflow", "function", [1200 + d for d in spread]),
    ]
    page = build(write_results(tmp_path / "results", docs), tmp_path / "out")["performance.md"]
    assert "PyTorch is faster at 784\\-512\\-512\\-10 batch 256 (1.25×)" in page
    assert "the `channels_last` memory format, against its default layout: 1.50× faster at" in page


def test_no_comparison_mixes_profiles(tmp_path: Path) -> None:
    """A quick-profile run beside standard-profile runs of the same workload is left out and
    named; the section says which profile its figures come from."""
    standard = make_result("mlp", "pytorch", "eager", [100.0, 101.0, 99.0])
    quick = make_result("mlp", "tensorflow", "eager", [500.0, 501.0, 499.0])
    quick["run"]["profile"] = "quick"
    quick_only = make_result("matmul", "pytorch", "eager", [50.0, 51.0, 49.0])
    quick_only["run"]["profile"] = "quick"
    results = write_results(tmp_path / "results", [standard, quick, quick_only])
    frame, left_out = load.one_profile(load.to_frame(load.load_results(load.result_files(results)).results, results))
    assert set(zip(frame["workload"], frame["profile"], strict=True)) == {("mlp", "standard"), ("matmul", "quick")}
    assert len(left_out) == 1 and left_out[0].startswith(
        "test-cpu-4cpu/mlp.tensorflow-1.0.eager.cpu.json: measured with the quick"
    )
    page = build(results, tmp_path / "out")["performance.md"]
    assert "Results of a smaller profile left out" in page
    assert "501" not in page  # TensorFlow's quick figures are not compared with PyTorch's standard ones
    assert "Measured with the standard profile." in page and "Measured with the quick profile." in page
