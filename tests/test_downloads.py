"""What a reader downloads: per-process values in results.csv, the raw samples and the studies as
CSV files of their own, the case's model, task and batch as columns, and files a spreadsheet
opens as written (a byte-order mark, no formulas)."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pytest

from generator.pages import downloads, render
from generator.read import corpus, load, studies
from measurements.findings import LimitedFinding, MemoryFinding, PipelineFinding, ServingFinding
from measurements.results import RESULTS_DIR, ROOT, Result, StudyFile
from measurements.studies import registry as study_registry
from tests.conftest import MACHINE, make_result, write_results

AMD = "amd-epyc-2cpu"


def read_csv(path: Path) -> list[dict[str, str]]:
    """A CSV file as a spreadsheet that honours the byte-order mark reads it."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def three_processes() -> dict[str, Any]:
    """A run of three processes, each with its own first call and peak memory."""
    doc = make_result("mlp", "pytorch", "eager", [10.0, 11.0, 20.0, 21.0, 30.0, 31.0], processes=3)
    m = doc["measurements"][0]
    m["case"] = "784-512-512-10 batch 64 ×2 → done"
    m["params"] = {"layers": [784, 512, 512, 10], "batch_size": 64, "dtype": "float32", "task": "train"}
    for one, first_call_s, peak, import_s in zip(
        doc["rounds"], [0.5, 0.25, 0.125], [300_000_001, 300_000_002, 300_000_003], [1.0, 2.0, 3.0], strict=True
    ):
        one.update(peak_rss_bytes=peak, import_s=import_s)
        one["measurements"][0]["first_call_s"] = first_call_s
    return doc


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """The downloads of a corpus of one three-process run."""
    results = write_results(tmp_path / "results", [three_processes()])
    found = corpus.load_corpus(results)
    out = tmp_path / "out"
    downloads.write(MACHINE, found.everything, {}, out, found.studies.get(MACHINE))
    return out / "results" / MACHINE


def test_each_process_row_carries_that_process_own_first_call_and_memory(written: Path) -> None:
    rows = read_csv(written / "results.csv")
    assert [r["process"] for r in rows] == ["1", "2", "3"]
    assert [r["process_median"] for r in rows] == ["10.5", "20.5", "30.5"]
    assert [r["first_call_s"] for r in rows] == ["0.5", "0.25", "0.125"]
    assert [r["peak_rss_bytes"] for r in rows] == ["300000001", "300000002", "300000003"]  # whole bytes
    assert [r["import_s"] for r in rows] == ["1.0", "2.0", "3.0"]


def test_model_task_and_batch_are_columns_and_the_count_is_not_called_samples(written: Path) -> None:
    rows = read_csv(written / "results.csv")
    assert {(r["model"], r["task"], r["batch_size"], r["dtype"]) for r in rows} == {("mlp", "train", "64", "float32")}
    assert "samples" not in rows[0] and [r["n_samples"] for r in rows] == ["2", "2", "2"]


def test_the_csv_files_open_in_a_spreadsheet_as_written(written: Path) -> None:
    for name in ("results.csv", "samples.csv"):
        raw = (written / name).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), name  # the byte-order mark
    assert read_csv(written / "results.csv")[0]["case"] == "784-512-512-10 batch 64 ×2 → done"


def test_the_raw_samples_are_a_file_of_their_own(written: Path) -> None:
    rows = read_csv(written / "samples.csv")
    assert [(r["process"], r["sample"], r["value"]) for r in rows] == [
        ("1", "1", "10.0"), ("1", "2", "11.0"), ("2", "1", "20.0"), ("2", "2", "21.0"), ("3", "1", "30.0"),
        ("3", "2", "31.0"),
    ]  # fmt: skip
    assert {r["unit"] for r in rows} == {"samples/s"}


def test_a_workload_names_the_model_it_trains() -> None:
    assert downloads.model_of("resnet50_infer", {}) == "resnet50"
    assert downloads.model_of("mlp_infer", {}) == "mlp"
    assert downloads.model_of("gemm", {}) == "gemm"
    assert downloads.model_of("digits", {"model": "cnn"}) == "cnn"


def test_text_that_a_spreadsheet_would_run_is_neutralised() -> None:
    doc = three_processes()
    doc["measurements"][0]["case"] = "=HYPERLINK(1)"
    frame = load.to_frame([(Path("r") / MACHINE / "x.json", cast(Result, doc))], Path("r"))
    row = dict(zip(downloads.COLUMNS, downloads.rows(frame)[0], strict=True))
    assert row["case"] == "'=HYPERLINK(1)"


# The studies, from the committed results


@pytest.fixture(scope="module")
def committed(tmp_path_factory: pytest.TempPathFactory) -> tuple[studies.MachineStudies, list[dict[str, str]]]:
    """The reference machine's studies, and its studies.csv."""
    found, _ = studies.load_studies(RESULTS_DIR)
    out = tmp_path_factory.mktemp("downloads")
    written = downloads.write(AMD, pd.DataFrame(), {}, out, found[AMD])
    assert written.studies_csv == f"results/{AMD}/studies.csv"
    assert (out / written.studies_csv).read_bytes().startswith(b"\xef\xbb\xbf")
    return found[AMD], read_csv(out / written.studies_csv)


def figures(rows: list[dict[str, str]], study: str, framework: str, finding: str, quantity: str) -> list[str]:
    return [r["value"] for r in rows if (r["study"], r["framework"], r["finding"], r["quantity"])
            == (study, framework, finding, quantity)]  # fmt: skip


def test_the_memory_study_is_a_row_per_process(committed: tuple[studies.MachineStudies, list[dict[str, str]]]) -> None:
    ms, rows = committed
    finding = cast(MemoryFinding, ms.get("memory")["pytorch"].findings["train-w256-b256"])
    peaks = figures(rows, "memory", "pytorch", "train-w256-b256", "peak_rss_bytes")
    assert peaks == [str(b) for b in finding["per_process"]["peak_rss_bytes"]]
    mine = [r for r in rows if r["finding"] == "train-w256-b256" and r["quantity"] == "peak_rss_bytes"]
    assert {(r["model"], r["task"], r["batch_size"], r["width"], r["unit"]) for r in mine} == {
        ("mlp", "train", "256", "256", "bytes")
    }
    assert [r["process"] for r in mine if r["framework"] == "pytorch"] == ["1", "2", "3"]


def test_the_serving_study_gives_each_process_its_latency(
    committed: tuple[studies.MachineStudies, list[dict[str, str]]],
) -> None:
    ms, rows = committed
    finding = cast(ServingFinding, ms.get("serving")["pytorch"].findings["aoti-cnn"])
    own = finding["latency_samples_per_process"]  # each process's own samples, as the file keeps them
    expected = [str(statistics.median(p)) for p in own]
    assert figures(rows, "serving", "pytorch", "aoti-cnn", "median_latency_ms") == expected
    assert len(expected) == 3
    clients = figures(rows, "serving", "pytorch", "aoti-cnn", "clients16_requests_per_s")
    assert clients == [str(v) for v in finding["per_process"]["clients16_requests_per_s"]]
    row = next(r for r in rows if r["finding"] == "aoti-cnn" and r["quantity"] == "median_latency_ms")
    assert (row["model"], row["batch_size"], row["unit"], row["n_samples"]) == ("cnn", "64", "ms", "200")


def test_the_pipeline_studies_give_each_process_its_throughput(
    committed: tuple[studies.MachineStudies, list[dict[str, str]]],
) -> None:
    ms, rows = committed
    for study in ("pipeline", "pipeline_limit"):
        result = ms.get(study)["pytorch"]
        finding = cast(PipelineFinding, result.doc["findings"][0])
        own = finding["samples_per_process"]
        speeds = figures(rows, study, "pytorch", finding["id"], "median_samples_per_s")
        assert speeds == [str(statistics.median(p)) for p in own], study
        assert len(speeds) == 3
    limited = cast(LimitedFinding, ms.get("pipeline_limit")["pytorch"].doc["findings"][0])
    charged = figures(rows, "pipeline_limit", "pytorch", limited["id"], "peak_charged_bytes")
    assert charged == [str(launch["peak_charged_bytes"]) for launch in limited["launches"]]
    assert {r["study"] for r in rows} == {"memory", "serving", "pipeline", "pipeline_limit", "distributed"}


def test_a_study_finding_that_failed_is_a_row_with_its_outcome() -> None:
    doc = {"machine": {"id": MACHINE}, "findings": [{"id": "train-w8192-b8192", "task": "train", "width": 8192,
           "batch": 8192, "outcome": "timeout", "error": "ran past 600 s", "peak_rss_bytes": None}]}  # fmt: skip
    result = studies.StudyResult(
        study_registry()["memory"], "pytorch", "1.0", cast(StudyFile, doc), f"{MACHINE}/studies/m.json"
    )
    ms = studies.MachineStudies(MACHINE, {"memory": {"pytorch": result}})
    (row,) = downloads.study_rows(MACHINE, ms)
    found = dict(zip(downloads.STUDY_COLUMNS, row, strict=True))
    assert (found["finding"], found["quantity"], found["value"], found["outcome"]) == ("train-w8192-b8192", "", "",
                                                                                       "timeout")  # fmt: skip


def test_untrusted_study_text_cannot_run_as_a_formula() -> None:
    doc = {"machine": {"id": MACHINE}, "findings": [{"id": "x", "path": "=cmd|' /C calc'!A0", "model": "@SUM(1)",
           "outcome": "ok", "per_process": {"+evil_ms": [1.0], "latency_p50_ms": "not a list"},
           "launches": 5}]}  # fmt: skip
    result = studies.StudyResult(
        study_registry()["serving"], "pytorch", "1.0", cast(StudyFile, doc), f"{MACHINE}/studies/s.json"
    )
    ms = studies.MachineStudies(MACHINE, {"serving": {"pytorch": result}})
    (row,) = downloads.study_rows(MACHINE, ms)
    found = dict(zip(downloads.STUDY_COLUMNS, row, strict=True))
    assert (found["title"], found["model"], found["quantity"]) == ("'=cmd|' /C calc'!A0", "'@SUM(1)", "'+evil_ms")


# What the pages say the downloads hold


def test_home_does_not_call_the_process_medians_raw_samples() -> None:
    home = (ROOT / "docs" / "index.md").read_text()
    assert "raw samples in a results file you can download" not in home
    assert "generated/embed.md#downloads" in home


def test_the_embed_page_says_which_file_holds_what(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results", [three_processes()])
    out = tmp_path / "generated"
    render.build(corpus.load_corpus(results), out)
    embed = (out / "embed.md").read_text()
    section = embed[embed.index("## Downloads") :]
    for name in ("results.csv", "samples.csv", "studies.csv", "process_median", "n_samples", "byte-order mark"):
        assert name in section, name
    assert f"(results/{MACHINE}/samples.csv)" in section
    assert f"(results/{MACHINE}/studies.csv)" not in section  # this machine has no studies
    assert (out / "results" / MACHINE / "samples.csv").is_file()
