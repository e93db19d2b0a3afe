"""The generator on a golden corpus: exact checks of the rendered pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.__main__ import main as generator_main
from generator.pages import render
from generator.read import corpus, load
from tests.conftest import golden_docs, make_result, measured, performance_guide, write_results


def build(results: Path, out: Path) -> dict[str, str]:
    render.build(corpus.load_corpus(results), out)
    pages = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.md")}
    pages["performance.md"] = performance_guide(out)  # the overview and each workload's page
    return pages


def test_performance_page_states_the_known_answer(golden: Path, tmp_path: Path) -> None:
    pages = build(golden, tmp_path / "out")
    page = pages["performance.md"]
    assert re.search(
        re.escape(
            "**Primary modes, the fastest framework against the next:** PyTorch eager is **2.00× faster** than "
            "tf.function\n(2,000 against 1,000 samples/s, geometric means of the process medians;\n"
            "ratio 2.00, 95% interval 1.98–2.02, detects "
        )
        + r"1\.0\d×, p < 0\.001; measured apart, not interleaved\)\.\n\n",  # the fixture's rounds name no round
        page,
    )  # the primary modes are fixed in advance: one pair, nothing chosen, nothing to correct for
    # each primary mode against its framework's other modes, as secondary results
    assert (
        "Each framework's primary mode, against its other modes (secondary results): PyTorch eager, PyTorch's "
        "primary mode: equivalent within ±20% against torch.compile; tf.function, TensorFlow's primary mode: 2.00× "
        "faster than TF eager, equivalent within ±20% against tf.function + XLA."
    ) in page
    assert "This machine's measured ceiling is **100 GFLOP/s**" in page and "not a limit" in page
    training = page[
        page.index("# MLP classifier (small), training step\n") : page.index("# MLP classifier (small), inference\n")
    ]
    speed, cost = (line for line in training.splitlines() if line.startswith("| PyTorch eager |"))
    cells = [c.strip() for c in speed.strip("|").split("|")]
    assert cells[1] == "2,000"  # the median of the process medians
    assert cells[2] == "1,980–2,020"  # its interval over the 5 processes (±1% apart)
    assert cells[4] == "5"  # processes
    assert cells[5] == "2.00× faster (primary)"
    assert cells[6].endswith(", p < 0.001; measured apart, not interleaved")
    cells = [c.strip() for c in cost.strip("|").split("|")]
    assert cells[1] == "8.0%"  # 2000 samples/s × 4 MFLOP = 8 GFLOP/s of a 100 GFLOP/s ceiling
    assert cells[2:4] == ["50 ms", "50 ms"]  # set-up, first call
    assert cells[4:6] == ["300 MiB", "200 MiB"]
    assert cells[7] == "[json](../results/test-cpu-4cpu/mlp.pytorch-1.0.eager.cpu.json)"  # from workloads/


@pytest.fixture
def performance(golden: Path, tmp_path: Path) -> str:
    """The golden corpus's Performance guide: the overview and each workload's page."""
    return build(golden, tmp_path / "out")["performance.md"]


def test_latency_lower_is_faster_with_percentiles(performance: str) -> None:
    page = performance
    assert (
        "**Primary modes, the fastest framework against the next:** PyTorch eager is **2.00× faster** than "
        "tf.function\n(0.4 against 0.8 ms, geometric means of the process medians;\n"
    ) in page
    assert "| Mode | ms (geometric mean of process medians) | 95% interval | p90 | p99 | CV | Processes |" in page
    row = next(line for line in page.splitlines() if line.startswith("| TF eager | 2 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3:5] == ["2.019", "2.022"]  # p90 and p99 of the samples (the slowest process: 2.018 to 2.022)
    assert cells[7] == "5.00× slower (secondary)"  # 2 ms against 0.4 ms: slower, though its figure is the larger


def test_latency_and_throughput_read_in_the_same_direction(performance: str) -> None:
    """The golden corpus makes PyTorch eager twice as fast as tf.function both in training
    throughput (samples/s, higher is faster) and in inference latency (ms, lower is faster): both
    read the same, with a ratio above 1, on the Performance page and at a glance."""
    page = performance
    glance = [line for line in page.splitlines() if line.startswith("| [MLP classifier")]
    assert len(glance) == 2
    for line in glance:
        assert "| PyTorch eager: " in line and "| tf.function: " in line
        assert "| **2.00× faster** (ratio 2.00, 95% interval 1.98–2.02" in line
    verdicts = re.findall(r"\*\*Primary modes, the fastest framework against the next:\*\* (.*)\n", page)
    assert verdicts[:2] == ["PyTorch eager is **2.00× faster** than tf.function"] * 2  # training, inference


def test_equal_modes_read_equivalent_without_a_p_value(performance: str) -> None:
    page = performance
    # torch.compile (median 1900) against tf.function (median 1000)... and, where equal, the matmul ceiling:
    # PyTorch eager (median 100) against TF eager (90) and NumPy (80), three frameworks, one correction
    row = next(line for line in page.splitlines() if line.startswith("| PyTorch eager | 100 |"))
    assert (
        "| equivalent within ±20% (primary) | ratio 1.11, 95% interval 1.09–1.13, detects 1.02×, Bonferroni over 3 "
        "comparisons; measured apart, not interleaved |" in row
    )
    assert "p <" not in row and "p =" not in row


def test_home_headline_and_results_copies(golden: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    pages = build(golden, out)
    headline = pages["partials/headline.md"]
    assert "PyTorch **2.00× faster** than TensorFlow (95% interval 1.98–2.02×)." in headline
    assert "p < 0.001" in headline.split("??? note")[1]  # the p-value in the folded details, not in the line
    assert "Matrix-multiply" not in headline  # the ceiling is context, not a verdict
    assert (out / "results" / "test-cpu-4cpu" / "mlp.tensorflow-1.0.xla.cpu.json").is_file()
    assert (out / "assets" / "vega-bundle.js").stat().st_size > 100_000
    svgs = sorted(p.name for p in (out / "charts").glob("*.svg"))
    assert any(re.fullmatch(r"test-cpu-4cpu-mlp-784-512-512-10-batch-256-speed-[0-9a-f]{12}\.svg", n) for n in svgs)
    assert all((out / "charts" / n.replace(".svg", ".vl.json")).is_file() for n in svgs)


def test_machine_page_shows_the_fingerprint(golden: Path, tmp_path: Path) -> None:
    page = build(golden, tmp_path / "out")["machines/test-cpu-4cpu.md"]
    assert "| CPU | Test CPU (x86\\_64) |" in page
    assert "| Memory | 8,192 MiB |" in page
    assert "| Measured ceiling | 100 GFLOP/s (PyTorch eager, n=1024) |" in page


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
    page = performance_guide(tmp_path / "out")
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
    assert re.search(r"digits-mlp-64-512-512-10-curve-[0-9a-f]{12}\.svg", page)

    docs[1] = make_result("digits", "tensorflow", "function", curve=[60.0, 70.0, 80.0, 90.0])
    page = build(write_results(tmp_path / "worse", docs), tmp_path / "out2")["performance.md"]
    assert "**Accuracy parity does not hold:**" in page and "8.5 points apart" in page
    row = next(line for line in page.splitlines() if line.startswith("| tf.function | 90.0% |"))
    assert "| not reached | not reached |" in row


def test_summary_states_who_is_faster_from_the_figures(performance: str, tmp_path: Path) -> None:
    page = performance
    assert (
        "On this machine (MLP classifier (small), training step), comparing every pair of frameworks by their "
        "primary modes: PyTorch is faster than TensorFlow at 784\\-512\\-512\\-10 batch 256 (2.00×)."
    ) in page
    assert (
        "The first, compiling step: torch.compile takes 2.5 s after 1.5 s of set-up; "
        "tf.function + XLA takes 2.5 s after 50 ms of set-up (at"
    ) in page
    assert "peak at 300 MiB (PyTorch eager) and 300 MiB (tf.function)" in page

    docs = golden_docs()
    docs[3] = measured("mlp", "tensorflow", "function", 4000)
    page = build(write_results(tmp_path / "tf", docs), tmp_path / "out2")["performance.md"]
    assert "TensorFlow is faster than PyTorch at 784\\-512\\-512\\-10 batch 256 (2.00×)." in page

    docs[3] = measured("mlp", "tensorflow", "function", 2010)
    page = build(write_results(tmp_path / "even", docs), tmp_path / "out3")["performance.md"]
    assert "PyTorch and TensorFlow: equivalent within ±20% at 784\\-512\\-512\\-10 batch 256." in page

    # two processes each, 30% apart within each framework: the interval is far too wide to tell
    docs[0] = make_result("mlp", "pytorch", "eager", [1700.0] * 4 + [2300.0] * 4, processes=2)
    docs[3] = make_result("mlp", "tensorflow", "function", [1650.0] * 4 + [2250.0] * 4, processes=2)
    page = build(write_results(tmp_path / "wide", docs), tmp_path / "out4")["performance.md"]
    assert "PyTorch and TensorFlow: too uncertain to call at 784\\-512\\-512\\-10 batch 256." in page

    docs[0] = make_result("mlp", "pytorch", "eager", [4000.0] * 4)  # one process: a single reading
    page = build(write_results(tmp_path / "one", docs), tmp_path / "out5")["performance.md"]
    assert "too few processes to call (1 against 2) at 784\\-512\\-512\\-10 batch 256." in page
    assert "PyTorch eager and tf.function: **too few processes to call (1 against 2)**" in page


def test_summary_reports_whether_channels_last_helps(tmp_path: Path) -> None:
    docs = [
        measured("cnn", "pytorch", "eager", 1000),
        measured("cnn", "pytorch", "channels_last", 1500),
        measured("cnn", "tensorflow", "function", 1200),
    ]
    page = build(write_results(tmp_path / "results", docs), tmp_path / "out")["performance.md"]
    assert "TensorFlow is faster than PyTorch at 784\\-512\\-512\\-10 batch 256 (1.20×)" in page
    assert "PyTorch eager, channels_last against PyTorch eager: 1.50× faster at" in page


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


CALLS_WITHOUT_P = ("equivalent within", "too uncertain to call", "too few processes to call")
P_VALUE = re.compile(r"\bp\s*[<=]\s*0?\.\d")


def comparisons(page: str) -> list[str]:
    """A page cut into the pieces that each hold one comparison: table rows, list items, paragraphs."""
    return [piece for block in re.split(r"\n\s*\n", page) for piece in re.split(r"\n(?=\s*(?:- |\| ))", block)]


def test_no_page_shows_a_p_value_beside_an_equivalent_or_uncertain_call(tmp_path: Path) -> None:
    """Every outcome on one site: faster, equivalent (the golden corpus), too uncertain to call
    (the CNN, two processes 10% apart a side) and too few processes (the Transformer, one each)."""
    docs = [
        *golden_docs(),
        make_result("cnn", "pytorch", "eager", [95.0] * 4 + [105.0] * 4, processes=2),
        make_result("cnn", "tensorflow", "function", [92.0] * 4 + [108.0] * 4, processes=2),
        make_result("transformer", "pytorch", "eager", [50.0] * 4),
        make_result("transformer", "tensorflow", "function", [40.0] * 4),
    ]
    pages = build(write_results(tmp_path / "results", docs), tmp_path / "out")
    seen = dict.fromkeys(CALLS_WITHOUT_P, 0)
    for name, page in pages.items():
        for piece in comparisons(page):
            calls = [c for c in CALLS_WITHOUT_P if c in piece]
            if not calls or "× faster" in piece or "× slower" in piece:
                continue  # no such call here, or a difference shares the piece (its p-value may stand)
            assert not P_VALUE.search(piece), f"{name}: {piece}"
            for c in calls:
                seen[c] += 1
    assert all(n >= 2 for n in seen.values()), seen  # each call was found, on the pages checked
    assert P_VALUE.search(pages["performance.md"])  # and p-values are shown, beside calls of a difference


def test_machines_read_by_their_hardware_and_a_missing_framework_as_not_installed(tmp_path: Path) -> None:
    gpu = make_result("mlp", "pytorch", "eager", [100.0, 101.0, 99.0, 100.0], machine_id="box-16cpu-h100",
                      cpu_model="Intel(R) Xeon(R) Processor", processes=2)  # fmt: skip
    gpu["machine"].update(cpu_count=16, cpus_available=16, gpus=[{"name": "NVIDIA H100 80GB HBM3", "driver": "580",
                                                                 "memory_bytes": 85520809984}])  # fmt: skip
    gpu["software"]["framework"]["build"] = {"cudnn": 91900, "threads": 16}
    missing = make_result("mlp", "tensorflow", "function", machine_id="box-16cpu-h100", status="unavailable",
                          error="TensorFlow is not installed: No module named 'tensorflow'", version="")  # fmt: skip
    missing["machine"] = gpu["machine"]
    missing["software"]["framework"]["version"] = None
    pages = build(write_results(tmp_path / "results", [gpu, missing]), tmp_path / "out")
    machine = pages["machines/box-16cpu-h100.md"]
    assert machine.startswith("# Intel Xeon, 16 cores, NVIDIA H100 80 GB\n")
    assert "cudnn: 9.19.0 (91900); threads: 16" in machine and "91,900" not in machine
    assert "not installed on this machine" in machine
    workload = pages["performance.md"]
    assert "TensorFlow is not installed on this machine" in workload and "No module named" not in workload
    assert "box-16cpu-h100" not in re.sub(r"\]\([^)]*\)", "]", workload)  # the id names files and links only
