"""The data-pipeline study: its data set, timing, launching and killing, the generator's rows and the page."""

from __future__ import annotations

import json
import re
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from generator.analyse import study_systems
from generator.pages import render
from generator.read import corpus, studies
from measurements.findings import DecodeCheck, PipelineFinding
from measurements.studies import pipeline, registry
from tests.conftest import MACHINE, performance_guide
from tests.test_studies import STUDY_SCHEMA, distributed_findings, study_doc, write_study

GIB = 2**30


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_the_study_is_registered_as_a_performance_study_of_minutes() -> None:
    study = registry()["pipeline"]
    assert (study.group, study.quick, study.frameworks) == ("performance", False, ("pytorch", "tensorflow", "jax"))
    assert [(c.framework, c.id) for c in pipeline.CONFIGURATIONS] == [
        ("pytorch", "workers0"), ("pytorch", "workers1"), ("pytorch", "workers2"),
        ("tensorflow", "no-cache"), ("tensorflow", "cache"),
        ("jax", "grain-workers0"), ("jax", "grain-workers1"), ("jax", "grain-workers2"),
    ]  # fmt: skip


def test_sizes_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pipeline.SIZES_ENV, raising=False)
    assert pipeline.sizes_from_env() == pipeline.DEFAULT_SIZES
    monkeypatch.setenv(pipeline.SIZES_ENV, "1000, 20_000,")
    assert pipeline.sizes_from_env() == (1000, 20_000)
    for bad in ("ten", "0", ","):
        monkeypatch.setenv(pipeline.SIZES_ENV, bad)
        with pytest.raises(ValueError, match=pipeline.SIZES_ENV):
            pipeline.sizes_from_env()


def test_epochs_chunks_shards_and_sizes_follow_the_data_set() -> None:
    assert [pipeline.epochs_for(n) for n in (1000, 2000, 10_000, 100_000)] == [11, 11, 6, 6]
    assert [pipeline.chunk_batches(n) for n in (100, 1000, 10_000, 100_000)] == [1, 1, 9, 10]
    assert [pipeline.shard_count(n) for n in (10, 1000, 2500, 100_000)] == [2, 2, 3, 100]
    assert pipeline.decoded_bytes(1000) == 1000 * 64 * 64 * 3


def test_the_data_set_is_seeded_photo_like_jpeg_files_hashed_as_read_back(tmp_path: Path) -> None:
    from PIL import Image

    manifest = pipeline.generate_dataset(tmp_path / "a", 30)
    items = pipeline.list_images(tmp_path / "a" / "images")
    assert [Path(p).stem for p, _ in items] == [f"{i:07d}" for i in range(30)]
    assert all(Path(p).parent.name == str(label) and 0 <= label < pipeline.CLASSES for p, label in items)
    sizes = [Path(p).stat().st_size for p, _ in items]
    assert manifest["bytes"] == sum(sizes) and all(1000 < s < 8000 for s in sizes)  # a few KB, like a small photo
    assert manifest["sha256"] == pipeline.content_hash((label, Path(p).read_bytes()) for p, label in items)
    assert manifest["check_labels"] == [label for _, label in items[: pipeline.CHECK_IMAGES]]
    with Image.open(items[0][0]) as image:
        assert (image.format, image.size, image.mode) == ("JPEG", (64, 64), "RGB")
        pixels = np.asarray(image, np.float32)
    assert np.abs(np.diff(pixels, axis=1)).mean() < 20  # smooth, not noise (about 85 for uniform noise)
    reference = np.load(tmp_path / "a" / "reference.npy")
    assert reference.shape == (pipeline.CHECK_IMAGES, 64, 64, 3) and np.array_equal(reference[0], pixels)
    assert pipeline.generate_dataset(tmp_path / "b", 30)["sha256"] == manifest["sha256"]  # seeded
    assert pipeline.generate_dataset(tmp_path / "c", 30, seed=1)["sha256"] != manifest["sha256"]


def test_epochs_are_timed_whole_and_in_chunks_with_cpu_over_the_steady_ones() -> None:
    cpu = iter([10.0, 10.5])
    timed = pipeline.time_epochs(lambda: [[0] * 4, [0] * 4, [0] * 2], len, epochs=3, chunk=2, cpu_s=lambda: next(cpu))
    assert timed.epoch_images == [10, 10, 10] and timed.steady_images == 20
    assert len(timed.epoch_s) == 3 and all(r > 0 for r in timed.rates)
    assert len(timed.chunks) == 2  # one full chunk of 2 batches in each of epochs 2 and 3
    assert timed.steady_cpu_s == 0.5


def test_the_decoding_check_finds_the_largest_pixel_difference() -> None:
    reference = np.zeros((2, 2, 2, 3), np.uint8)
    decoded = [np.zeros((2, 2, 3), np.uint8), np.full((2, 2, 3), 255, np.uint8)]
    assert pipeline.max_abs_diff(decoded, reference) == 255.0  # no uint8 wrap-around


def test_a_hang_is_killed_with_its_workers_and_its_memory_was_polled(tmp_path: Path) -> None:
    # like a DataLoader: the child forks a worker, then both hang
    code = "import os, time; x = bytearray(50 * 2**20); os.fork(); time.sleep(60)"
    before = {p.pid for p in psutil.Process().children(recursive=True)}  # e.g. multiprocessing's resource tracker
    start = time.monotonic()
    result = pipeline.launch(python(code), tmp_path, timeout_s=2, poll_s=0.05)
    assert result.status == "timeout" and time.monotonic() - start < 10
    assert result.other_cpu_s is not None and result.other_cpu_s >= 0
    assert result.error is not None and result.error.startswith("no result after 2 s; killed it and its workers")
    assert result.peak_processes == 2 and result.peak_pss_bytes is not None and result.peak_pss_bytes > 50 * 2**20

    def left() -> list[int]:  # what the launch started and is still running
        return [p.pid for p in psutil.Process().children(recursive=True) if p.pid not in before]

    deadline = time.monotonic() + 5  # killed processes leave the tree once reaped, later on a loaded machine
    while left() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left() == []


def test_a_kill_is_a_crash_that_names_the_out_of_memory_killer(tmp_path: Path) -> None:
    result = pipeline.launch(python("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"), tmp_path, 30)
    assert result.status == "crashed" and result.error is not None
    assert result.error.startswith("killed by SIGKILL (SIGKILL: what the kernel's out-of-memory killer sends)")


def test_a_child_that_raises_is_failed_and_one_that_reports_is_ok(tmp_path: Path) -> None:
    write = "from measurements.launch import report; report({0})"
    failed = {"status": "failed", "error": "Traceback ...\nValueError: no"}
    result = pipeline.launch(python(write.format(repr(failed))), tmp_path, 30)
    assert (result.status, result.error) == ("failed", "Traceback ...\nValueError: no")
    killed = "RuntimeError: DataLoader worker (pid 7) is killed by signal: Killed."
    worker_killed = {"status": "failed", "error": killed}
    assert pipeline.launch(python(write.format(repr(worker_killed))), tmp_path, 30).status == "crashed"
    ok = {"status": "ok", "error": None, "found": {"samples": [1.0]}}
    result = pipeline.launch(python(write.format(repr(ok))), tmp_path, 30)
    assert (result.status, result.report) == ("ok", {"samples": [1.0]})


def finding(config: str, title: str, images: int, samples: list[float], outcome: str = "ok",
            peak_mib: float = 500, **more: Any) -> dict[str, Any]:  # fmt: skip
    """A finding as the study writes it (a failed one has no figures)."""
    ok = outcome == "ok"
    return {
        "id": f"{config}-n{images}", "config": config, "title": title, "images": images, "epochs": 4,
        "batch_size": 128, "outcome": outcome, "error": None if ok else "Traceback\nMemoryError: <no room>",
        "dataset_bytes": images * 1900, "decoded_bytes": images * 12288, "dataset_sha256": "ab" * 32,
        "prepare_s": 0.5, "first_epoch_samples_per_s": statistics.median(samples) * 0.8 if ok else None,
        "second_epoch_samples_per_s": statistics.median(samples) if ok else None, "samples": samples if ok else [],
        "cpu_ms_per_sample": 0.15 if ok else None, "peak_pss_bytes": int(peak_mib * 2**20) if ok else None,
        "after_import_pss_bytes": 200 * 2**20, "same_content": True,
        "decode_check": {"images": 8, "max_abs_diff": 0.0, "labels_match": True, "accurate_dct_max_abs_diff": None},
        **more,
    }  # fmt: skip


SPREAD = [-2.0, -1.0, 0.0, 1.0, 2.0]


def pipeline_docs(tf_outcome: str = "ok") -> list[dict[str, Any]]:
    torch = [
        finding(
            "workers0", "DataLoader, no workers", 1000, [6000 + d for d in SPREAD], peak_mib=230, other_cpu_share=0.01
        ),
        finding(
            "workers2", "DataLoader, 2 *workers*", 1000, [5000 + d for d in SPREAD], peak_mib=330, other_cpu_share=0.25
        ),
        finding("workers0", "DataLoader, no workers", 100_000, [6500 + d for d in SPREAD], peak_mib=240),
        finding("workers2", "DataLoader, 2 *workers*", 100_000, [], outcome="timeout"),
    ]
    check = {"images": 8, "max_abs_diff": 5.0, "labels_match": True, "accurate_dct_max_abs_diff": 0.0}
    tf = [
        finding("cache", "tf.data, cache", 1000, [12000 + d for d in SPREAD], peak_mib=600, decode_check=check),
        finding("cache", "tf.data, cache", 100_000, [13000 + d for d in SPREAD], tf_outcome, peak_mib=1800,
                decode_check=check),
    ]  # fmt: skip
    return [study_doc("pipeline", "pytorch", torch), study_doc("pipeline", "tensorflow", tf)]


def machine_studies(tmp_path: Path, docs: list[dict[str, Any]]) -> studies.MachineStudies:
    for doc in docs:
        write_study(tmp_path, doc)
    by_machine, problems = studies.load_studies(tmp_path)
    assert problems == []
    return by_machine[MACHINE]


def test_the_study_writes_findings_the_schema_accepts() -> None:
    import jsonschema

    for doc in pipeline_docs():
        jsonschema.validate(doc, STUDY_SCHEMA)


def test_pipeline_rows_set_the_best_of_each_framework_against_the_other(tmp_path: Path) -> None:
    small, large = study_systems.pipeline_rows(machine_studies(tmp_path, pipeline_docs()))
    assert (small.images, large.images) == (1000, 100_000)
    assert [(e.framework, e.finding["config"]) for e in small.entries] == [
        ("pytorch", "workers0"), ("pytorch", "workers2"), ("tensorflow", "cache"),
    ]  # fmt: skip
    assert small.best["pytorch"].finding["config"] == "workers0" and small.best["tensorflow"].title == "tf.data, cache"
    assert small.headline is not None and (small.headline.framework, small.headline.versus_framework) == (
        "tensorflow", "pytorch",
    )  # the fastest framework's best against the best of the others  # fmt: skip
    assert small.comparison is not None and small.comparison.ratio == pytest.approx(2.0)
    assert small.best["tensorflow"].versus == small.comparison  # its row and the headline: one comparison
    # one process per configuration: a single reading, no interval and no verdict
    assert not small.comparison.enough_processes and small.comparison.outcome == "uncertain"
    summary = small.entries[0].summary
    assert summary is not None and summary.median == 6000 and (summary.processes, summary.low) == (1, None)
    assert large.entries[1].summary is None and large.best["pytorch"].finding["config"] == "workers0"
    assert small.entries[1].versus is not None and small.entries[1].versus.ratio == pytest.approx(5000 / 12000)
    assert large.entries[1].versus is None  # it timed out
    assert large.entries[0].versus is not None and large.entries[0].versus.ratio == pytest.approx(0.5)
    growth = study_systems.pipeline_growth([small, large])
    assert [(a.finding["id"], b.finding["id"]) for a, b in growth] == [
        ("workers0-n1000", "workers0-n100000"), ("cache-n1000", "cache-n100000"),
    ]  # workers2 completed at one size only  # fmt: skip
    assert large.memory_bytes == 8 * GIB and large.memory_share == pytest.approx(100_000 * 12288 / (8 * GIB))
    assert small.same_content is True and large.dataset_bytes == 190_000_000
    assert small.decode_diff == {"pytorch": 0.0, "tensorflow": 5.0} and small.accurate_diff == {"tensorflow": 0.0}


def test_pipeline_rows_without_the_other_framework_compare_nothing(tmp_path: Path) -> None:
    torch, tf = pipeline_docs()
    tf["findings"][1]["dataset_sha256"] = "cd" * 32
    (small, large) = study_systems.pipeline_rows(
        machine_studies(tmp_path, [torch, {**tf, "findings": tf["findings"][1:]}])
    )
    assert small.comparison is None and small.same_content is None and "tensorflow" not in small.best
    assert large.same_content is False
    assert study_systems.pipeline_rows(studies.MachineStudies(MACHINE)) == []


def test_the_pipeline_section_comes_before_distributed_with_tables_charts_and_links(
    golden: Path, tmp_path: Path
) -> None:
    results = tmp_path / "with-pipeline"
    shutil.copytree(golden, results)
    for doc in pipeline_docs(tf_outcome="crashed"):
        write_study(results, doc)
    write_study(results, study_doc("distributed", "pytorch", distributed_findings([500.0 + d for d in SPREAD])))
    out = tmp_path / "out"
    render.build(corpus.load_corpus(results), out)
    page = performance_guide(out)
    assert page.index("## Data pipelines { #data-pipelines }") < page.index("## Distributed data-parallel")
    assert "### 1,000 images { #data-pipelines-1000 }" in page and "### 100,000 images" in page
    assert "The largest data set here, 100,000 images, takes 1,171.9 MiB decoded" in page
    assert "(64 × 64 × 3 bytes an image): 14.3% of this machine's 8,192 MiB of memory, and 181.2 MiB as JPEG" in page
    row = next(line for line in page.splitlines() if line.startswith("| PyTorch: DataLoader, no workers (fastest) |"))
    single = "too few processes to call (1 against 1) (ratio {}, 1 against 1 processes: no interval) |"
    assert row.endswith(
        "| 6,000 (1 process, no interval) | 4,800 | 6,000 | 0.150 | 230 MiB | 500 ms | " + single.format("0.50")
    )
    tf_row = next(line for line in page.splitlines() if line.startswith("| TensorFlow: tf\\.data, cache (fastest) |"))
    assert tf_row.endswith("| 600 MiB | 500 ms | " + single.format("2.00"))
    assert ("Peak memory of the process tree from 1,000 to 100,000 images: PyTorch, DataLoader, no workers: "
            "230 MiB to 240 MiB.") in page  # the others completed at one size only  # fmt: skip
    assert "| PyTorch: DataLoader, 2 \\*workers\\* | 5,000 (" in page  # text from the results is escaped
    assert "| PyTorch: DataLoader, 2 \\*workers\\* | **timed out** | n/a | n/a | n/a | n/a | 500 ms |" in page
    assert (
        "**Fastest against fastest:** TensorFlow's tf\\.data, cache (12,000 samples/s) against PyTorch's "
        "DataLoader, no workers (6,000 samples/s): **too few processes to call (1 against 1)** (ratio 2.00"
    ) in page
    assert "- TensorFlow, tf\\.data, cache: crashed: MemoryError: &lt;no room&gt;" in page
    assert "Every framework read the same content" in page
    assert "- PyTorch, DataLoader, 2 \\*workers\\*: other processes used 25.0% of the machine's CPU time" in page
    assert "- PyTorch, DataLoader, no workers: other" not in page
    assert ("TensorFlow's pipeline differs by up to 5 levels of 255 (decode_jpeg's default, faster inverse DCT; "
            'with dct_method="INTEGER_ACCURATE" the largest difference is 0)') in page  # fmt: skip
    assert "PyTorch's pipeline matches it exactly" in page
    assert "Data: [PyTorch 1\\.0](results/test-cpu-4cpu/studies/pipeline.pytorch-1.0.json)" in page
    for chart in ("throughput", "memory"):
        (spec_file,) = (out / "charts").glob(f"{MACHINE}-pipeline-{chart}-*.vl.json")
        spec = json.loads(spec_file.read_text())
        assert spec["encoding"]  # one process each: a plain chart, no interval layer
        if chart == "throughput":  # one process each: no error bars, and the axis says so
            assert "layer" not in spec and spec["encoding"]["y"]["title"].endswith("one process each (no interval)")
        assert spec_file.with_name(spec_file.name.replace(".vl.json", ".svg")).is_file()
    assert re.search(rf"charts/{MACHINE}-pipeline-throughput-[0-9a-f]{{12}}\.svg", page)


def measured_at_tiny_size(found: PipelineFinding, config: str) -> DecodeCheck:
    """What a configuration measured at the tests' tiny size (300 images, 11 epochs) holds in every
    framework: it completed, with ten steady samples, a peak above its memory after import, the data
    set's own content read and the right labels; its decoding check, for the framework's own."""
    assert found["outcome"] == "ok", found["error"]
    assert (found["id"], found["images"], found["epochs"]) == (f"{config}-n300", 300, 11)
    samples, check, peak, base = found["samples"], found["decode_check"], found["peak_pss_bytes"], found[
        "after_import_pss_bytes"]  # fmt: skip
    assert samples is not None and check is not None and peak is not None and base is not None
    assert len(samples) == 10 and all(s > 0 for s in samples)
    assert (found["first_epoch_samples_per_s"] or 0) > 0 and (found["cpu_ms_per_sample"] or 0) > 0
    assert peak > base > 50 * 2**20
    assert found["same_content"] is True and check["labels_match"] is True
    return check


@pytest.mark.slow
@pytest.mark.parametrize("config", ["workers2", "cache"])
def test_one_tiny_size_is_measured_in_fresh_processes(
    config: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = next(c for c in pipeline.CONFIGURATIONS if c.id == config)
    settings = pipeline.Settings(sizes=(300,), timeout_s=120, prepare_timeout_s=120, configurations=(chosen,))
    monkeypatch.setenv(pipeline.DIR_ENV, str(tmp_path))
    (found,) = pipeline.findings(chosen.framework, settings)
    check = measured_at_tiny_size(found, config)
    assert check["max_abs_diff"] is not None and check["max_abs_diff"] <= (0 if chosen.framework == "pytorch" else 10)
    if chosen.framework == "pytorch":
        assert found["peak_processes"] == 3 and found["workers"] == 2 and found["worker_threads"] == 1
    else:
        dataset = found["dataset_bytes"]
        assert found["shards"] == 2 and (found["prepare_s"] or 0) > 0
        assert dataset is not None and found["records_bytes"] > dataset
        assert check["accurate_dct_max_abs_diff"] == 0
    assert found["threads"] >= 1 and list(tmp_path.iterdir()) == []  # the data is gone
    json.dumps(found, allow_nan=False)
