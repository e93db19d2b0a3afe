"""Studies: the launcher (outcomes, resuming), code counting, warning sorting, and the pages."""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from generator.analyse import study_usability
from generator.pages import render
from generator.read import corpus, studies
from measurements.findings import Found, MemoryFinding
from measurements.profiles import PROFILES
from measurements.results import ROOT
from measurements.studies import codesize, noise, registry, runner
from tests.conftest import MACHINE, performance_guide

STUDY_SCHEMA = json.loads((ROOT / "measurements" / "study.schema.json").read_text())


def study_doc(
    study: str, framework: str, findings: Sequence[Mapping[str, object]], status: str = "ok"
) -> dict[str, Any]:
    """A valid study result, as the launcher writes it."""
    return {
        "schema_version": 2, "study": study, "framework": framework,
        "run": {"started_at": "2026-11-27T03:00:00+00:00", "wall_s": 1.0, "command": "python -m measurements run"},
        "machine": {"id": MACHINE, "cpu_model": "Test CPU", "cpu_count": 4, "cpus_available": 4,
                    "memory_bytes": 8 * 2**30, "gpus": [], "os": "Linux 6.1", "arch": "x86_64"},
        "software": {"python": "CPython 3.11.7", "framework": {"name": framework, "version": "1.0"}},
        "outcome": {"status": status, "error": None if status == "ok" else "boom", "exit_code": 0},
        "findings": findings,
    }  # fmt: skip


def write_study(results: Path, doc: dict[str, Any]) -> Path:
    path = results / MACHINE / "studies" / f"{doc['study']}.{doc['framework']}-1.0.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def test_code_counts_leave_out_comments_docstrings_and_blank_lines() -> None:
    source = (
        '"""Module docstring."""\nimport os\n\n\ndef f(x):\n    """Doc."""\n    # a comment\n    return "".join(x)\n'
    )
    assert codesize.count(source) == (3, 15)  # import os / def f(x): / return "".join(x)


def test_code_size_counts_this_projects_own_files() -> None:
    found = {f["id"]: f for f in codesize.run("pytorch")}
    assert set(found) == set(codesize.WORKLOADS)
    paths = [p["path"] for p in found["mlp"]["files"]]
    assert paths == ["measurements/workloads/mlp/pytorch.py", "measurements/workloads/shared/pytorch.py"]
    assert found["mlp"]["lines"] == sum(p["lines"] for p in found["mlp"]["files"]) > 10
    assert [p["path"] for p in found["matmul"]["files"]] == ["measurements/workloads/matmul/pytorch.py"]


def test_stderr_is_sorted_into_warnings_and_log_lines() -> None:
    stderr = (
        "/venv/lib/python3.11/site-packages/torch/_inductor/x.py:12: UserWarning: odd thing\n"
        "  warnings.warn(\n"
        "/venv/lib/python3.11/site-packages/torch/_inductor/x.py:12: UserWarning: odd thing\n"
        "I0000 00:00:1764211201.123456   12345 cpu_feature_guard.cc:210] This TensorFlow binary is optimized\n"
        "2026-11-27 02:12:01.123456: I tensorflow/core/util/port.cc:153] oneDNN custom operations are on.\n"
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "W1127 03:22:11.123000 12345 /venv/lib/python3.11/site-packages/torch/_logging/_internal.py:1345] [2/0] odd\n"
    )
    found = noise.sort_lines(stderr)
    assert found["python_warnings"] == [
        {"category": "UserWarning", "message": "odd thing", "source": "torch/_inductor/x.py"}
    ]  # the repeat counts once
    assert [(x["level"], x["message"], x["source"]) for x in found["log_lines"]] == [
        ("info", "This TensorFlow binary is optimized", "cpu_feature_guard.cc:210"),
        ("info", "oneDNN custom operations are on.", "port.cc:153"),
        ("other", "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR", "stderr"),
        ("warning", "[2/0] odd", "torch/_logging/_internal.py:1345"),
    ]


def test_plan_names_studies_and_the_quick_profile_leaves_out_the_slow_ones() -> None:
    everything = runner.plan()
    assert "study/codesize/pytorch" in [r.key for r in everything]
    quick = runner.plan(profile=PROFILES["quick"])
    assert {r.study for r in quick} <= {s.name for s in registry().values() if s.quick}
    assert "study/noise/pytorch" not in [r.key for r in quick]
    assert [r.key for r in runner.plan(["study/noise/*"], PROFILES["quick"])] == [
        "study/noise/pytorch", "study/noise/tensorflow", "study/noise/jax",
    ]  # fmt: skip


def test_a_replicated_study_interleaves_its_frameworks_and_reverses_every_other_round() -> None:
    pt, tf = runner.StudyRun("memory", "pytorch"), runner.StudyRun("memory", "tensorflow")
    assert runner.rounds([pt, tf], 3) == [pt, tf, tf, pt, pt, tf]
    assert {registry()[name].processes for name in ("pipeline", "memory", "serving")} == {3}
    assert registry()["distributed"].processes == 5  # launches, to count failures


def test_findings_of_several_processes_merge_by_id_and_keep_every_reading() -> None:
    one: list[Found] = [{"id": "a", "outcome": "ok", "error": None, "samples": [1.0, 2.0], "peak": 10, "width": 8}]
    two: list[Found] = [{"id": "a", "outcome": "ok", "error": None, "samples": [3.0], "peak": 30, "width": 8}]
    three: list[Found] = [
        {"id": "a", "outcome": "failed", "error": "boom", "peak": 20, "width": 8},
        {"id": "b", "outcome": "ok"},
    ]
    merged = runner.merge_findings([one, two])
    assert merged == [{"id": "a", "outcome": "ok", "error": None, "samples_per_process": [[1.0, 2.0], [3.0]],
                       "peak": 10, "width": 8, "per_process": {"peak": [10, 30]},
                       "fresh_processes": 2, "outcome_per_process": ["ok", "ok"]}]  # fmt: skip
    a, b = runner.merge_findings([one, two, three])
    assert a["outcome"] == "failed" and str(a["error"]).startswith("failed in 1 of 3 processes")
    assert "boom" in str(a["error"])
    assert a["per_process"] == {"peak": [10, 30, 20]} and a["peak"] == 20  # the lower median: a measured value
    assert "samples_per_process" not in a  # a process without samples: no interval over processes
    assert b["fresh_processes"] == 1 and runner.merge_findings([one]) == one
    assert a["outcome_per_process"] == ["ok", "ok", "failed"]
    report, code = runner.merge_reports(
        [({"status": "ok", "error": None, "findings": one}, 0), ({"status": "crashed", "error": "x"}, -9)]
    )
    assert report["status"] == "crashed" and code == -9 and str(report["error"]).startswith("1 of 2 processes failed")
    assert report["findings"] == one


@pytest.mark.slow
def test_studies_run_in_child_processes_keep_results_and_record_faults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jsonschema

    runs = runner.plan(["study/codesize/*"])
    monkeypatch.setenv("FG_INJECT_FAULT", "study/codesize/tensorflow=hang")
    first = runner.run_all(runs, tmp_path, timeout_s=20)
    assert [r["outcome"]["status"] for r in first] == ["ok", "timeout", "ok"]  # PyTorch, TensorFlow, JAX
    for path in tmp_path.glob("*/studies/*.json"):
        jsonschema.validate(json.loads(path.read_text()), STUDY_SCHEMA)
    assert first[0]["findings"][0]["id"] == "mlp"
    monkeypatch.delenv("FG_INJECT_FAULT")
    again = runner.run_all(runs, tmp_path, timeout_s=20)
    assert again[0]["run"] == first[0]["run"]  # kept, not measured again
    assert again[1]["outcome"]["status"] == "timeout"  # kept too: --redo measures it again
    redone = runner.run_all(runs, tmp_path, redo=True, timeout_s=60)
    assert [r["outcome"]["status"] for r in redone] == ["ok", "ok", "ok"]


def test_usability_page_shows_code_sizes_and_scores_mistakes(golden: Path, tmp_path: Path) -> None:
    results = tmp_path / "with-studies"
    shutil.copytree(golden, results)
    for framework in ("pytorch", "tensorflow"):
        write_study(results, study_doc("codesize", framework, codesize.run(framework)))
    hostile = "shape (3, 4)\n``` \n<script>alert(1)</script>"
    mistakes = {
        "pytorch": [{"id": "shape", "title": "Shape mismatch", "mistake": "Wrong width.", "silent": False,
                     "error_type": "RuntimeError", "message": hostile, "message_chars": 40, "user_frame_last": False,
                     "names_shapes": True, "names_dtypes": None, "snippet": "x = 1", "snippet_lines": 1}],
        "tensorflow": [{"id": "shape", "title": "Shape mismatch", "mistake": "Wrong width.", "silent": True,
                        "error_type": None, "message": None, "message_chars": 0, "user_frame_last": None,
                        "names_shapes": None, "names_dtypes": None, "what_happened": "loss was nan",
                        "snippet": "x = 1", "snippet_lines": 1}],
    }  # fmt: skip
    for framework, findings in mistakes.items():
        write_study(results, study_doc("errors", framework, findings))
    out = tmp_path / "out"
    render.build(corpus.load_corpus(results), out)
    page = (out / "usability.md").read_text()
    torch_lines = sum(f["lines"] for f in codesize.run("pytorch"))
    assert f"take {torch_lines} lines" in page
    assert "| Raises an error (rather than running on) | 1 of 1 | 0 of 1 |" in page
    assert "| The message names the offending shapes (where shapes are the mistake) | 1 of 1 | 0 of 0 |" in page
    assert "silent: `loss was nan`" in page  # what the program printed, as code
    assert "    ````text\n" in page  # a fence longer than the message's own backticks
    assert "<script>" not in page.replace("````text\n    shape (3, 4)\n    ``` \n    <script>", "")
    assert (out / "results" / MACHINE / "studies" / "errors.pytorch-1.0.json").is_file()


@pytest.fixture
def third_framework(monkeypatch: pytest.MonkeyPatch) -> str:
    """A third compared framework in the registry, as JAX will arrive: data only, no code naming it."""
    from measurements import frameworks

    jax = frameworks.Framework("jax", "JAX", ("jax",), {"jit": "jax.jit"}, "#2f9e44", "jit")
    monkeypatch.setitem(frameworks.REGISTRY, "jax", jax)
    monkeypatch.setitem(frameworks.FRAMEWORK_LABELS, "jax", "JAX")
    monkeypatch.setitem(frameworks.MODE_LABELS, ("jax", "jit"), "jax.jit")
    monkeypatch.setattr(frameworks, "COMPARED", (*frameworks.COMPARED, "jax"))
    return "jax"


def three_frameworks_studies(results: Path) -> None:
    """Error, debugging and code-size studies of PyTorch, TensorFlow and the third framework, written in
    the order that is not the registry's."""
    mistake = {"id": "shape", "title": "Shape mismatch", "mistake": "Wrong width.", "silent": False,
               "error_type": "ValueError", "message": "bad shape (3, 4)", "message_chars": 16,
               "user_frame_last": True, "names_shapes": True, "names_dtypes": None, "snippet_lines": 1}  # fmt: skip
    tool = {"id": "print", "title": "print inside the model", "works": True, "observed": "printed"}
    for n, framework in reversed(list(enumerate(("pytorch", "tensorflow", "jax"), start=1))):
        silent = {"silent": True, "what_happened": "ran on", "error_type": None, "message": None, "message_chars": 0,
                  "user_frame_last": None, "names_shapes": None}  # fmt: skip
        silent = silent if framework == "tensorflow" else {}
        write_study(results, study_doc("errors", framework, [{**mistake, "snippet": f"x = {n}", **silent}]))
        write_study(results, study_doc("debugging", framework, [{**tool, "works": framework != "pytorch"}]))
        code = {"id": "mlp", "lines": 10 * n, "tokens": 50 * n, "files": []}
        write_study(results, study_doc("codesize", framework, [code]))


def test_every_framework_with_a_study_is_scored_in_registry_order(tmp_path: Path, third_framework: str) -> None:
    three_frameworks_studies(tmp_path)
    machines, problems = studies.load_studies(tmp_path)
    assert problems == []
    ms = machines[MACHINE]
    assert ms.frameworks("errors") == ["pytorch", "tensorflow", third_framework]
    ((item, found),) = ms.both("errors")
    assert item == "shape" and list(found) == ms.frameworks("errors")
    raised = study_usability.error_scores(ms)[0]
    assert raised.counts == {"pytorch": (1, 1), "tensorflow": (0, 1), "jax": (1, 1)}
    assert study_usability.code_totals(ms) == {"pytorch": (10, 50), "tensorflow": (20, 100), "jax": (30, 150)}
    assert study_usability.over_fewest({"pytorch": 10, "tensorflow": 20, "jax": 30}) == ("pytorch", {"tensorflow": 2.0,
                                                                                          "jax": 3.0})  # fmt: skip
    assert (
        study_usability.over_fewest({"pytorch": 10}) is None
        and study_usability.over_fewest({"pytorch": 0, "jax": 3}) is None
    )
    said = study_usability.usability_verdicts(ms)
    assert said[0].startswith("Of 1 common mistakes tried in all 3 frameworks, PyTorch raised an error for 1, "
                              "TensorFlow for 0 and JAX for 1;")  # fmt: skip
    assert "user's own line in 1 of 1 (PyTorch), 0 of 0 (TensorFlow) and 1 of 1 (JAX)" in said[0]
    assert said[1] == "Of 1 debugging techniques tried, 0 worked in PyTorch, 1 in TensorFlow and 1 in JAX."
    assert said[2] == (
        "The same workloads take 10 lines (50 tokens) in PyTorch, 20 lines (100 tokens) in TensorFlow and 30 lines "
        "(150 tokens) in JAX in this project: PyTorch needs the fewest lines, TensorFlow 2.00 times as many and "
        "JAX 3.00 times as many."
    )
    doc = study_doc("errors", "tensorflow", [], status="crashed")
    write_study(tmp_path, doc)  # overwrites TensorFlow's: one framework fewer to compare, the others still are
    ms = studies.load_studies(tmp_path)[0][MACHINE]
    assert [fw for fw, _ in ms.ordered("errors")] == ["pytorch", "tensorflow", "jax"]
    assert ms.frameworks("errors") == ["pytorch", "jax"] and list(ms.both("errors")[0][1]) == ["pytorch", "jax"]


def test_a_third_framework_gets_its_own_column_on_the_usability_page_and_in_the_facts_table(
    golden: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, third_framework: str
) -> None:
    from generator.read import facts

    results = tmp_path / "with-studies"
    shutil.copytree(golden, results)
    three_frameworks_studies(results)
    out = tmp_path / "out"
    render.build(corpus.load_corpus(results), out)

    page = (out / "usability.md").read_text()
    assert "| Criterion | PyTorch | TensorFlow | JAX |\n|---|--:|--:|--:|\n" in page
    assert "| Raises an error (rather than running on) | 1 of 1 | 0 of 1 | 1 of 1 |" in page
    assert "| Median length of the message (characters) | 16 | n/a | 16 |" in page
    files = [f"results/{MACHINE}/studies/errors.{fw}-1.0.json" for fw in ("pytorch", "tensorflow", "jax")]
    assert f"Data: [PyTorch]({files[0]}), [TensorFlow]({files[1]}), [JAX]({files[2]})." in page
    assert "| Mistake | PyTorch | TensorFlow | JAX |\n|---|---|---|---|\n" in page
    tabs = [line for line in page.splitlines() if line.startswith("=== ")]
    assert tabs == ['=== "PyTorch"', '=== "TensorFlow"', '=== "JAX"']  # the mistake's snippets
    assert "x = 3" in page  # the third framework's snippet
    assert "| print inside the model | ✗ does not: `printed` | ✓ works: `printed` | ✓ works: `printed` |" in page
    header = (
        "| Workload | PyTorch: lines | tokens | over the fewest | TensorFlow: lines | tokens | over the fewest | JAX: "
    )
    assert header in page
    assert "| [mlp](code/mlp.md) | 10 | 50 | 1.00 | 20 | 100 | 2.00 | 30 | 150 | 3.00 |" in page
    code = (out / "code" / "mlp.md").read_text()  # the code, on a page of its own: the guide stays light
    assert [line for line in code.splitlines() if line.startswith("=== ")] == tabs
    assert r"with PyTorch 1\.0, TensorFlow 1\.0 and JAX 1\.0." in page  # labels and versions, escaped

    ecosystem = (out / "ecosystem.md").read_text()
    assert "| Topic | PyTorch | TensorFlow | JAX | Sources | As of |\n|---|---|---|---|---|---|\n" in ecosystem
    lines = ecosystem.splitlines()
    after = lines[lines.index("|---|---|---|---|---|---|") + 1 :]
    rows = list(itertools.takewhile(lambda line: line.startswith("| "), after))
    known = facts.load_facts(facts.FACTS_PATH)
    assert len(rows) == len(known)
    licence_row = next(row for row in rows if row.startswith("| Licence |"))
    assert "TensorFlow LICENSE file\\. | Apache License 2\\.0, as stated in the JAX LICENSE file\\. |" in licence_row
    without = sum("jax" not in f.frameworks for f in known)
    assert without and sum(row.count(" | – | ") for row in rows) == without  # no statement: a dash


def test_a_bad_study_file_is_named_and_left_out(tmp_path: Path) -> None:
    good = write_study(tmp_path, study_doc("codesize", "pytorch", []))
    bad_doc = study_doc("codesize", "tensorflow", [])
    bad_doc["outcome"]["status"] = "splendid"
    bad = write_study(tmp_path, bad_doc)
    unknown = write_study(tmp_path, {**study_doc("codesize", "pytorch", []), "study": "astrology"})
    machines, problems = studies.load_studies(tmp_path)
    assert list(machines[MACHINE].get("codesize")) == ["pytorch"]
    assert any(p.startswith(f"{bad}: outcome.status: 'splendid' is not one of") for p in problems)
    assert any(p.startswith(f"{unknown}: study: unknown study 'astrology'") for p in problems)
    assert str(good) not in " ".join(problems)


def test_a_study_file_where_the_study_writes_it_wins_a_clash_with_a_misnamed_one(tmp_path: Path) -> None:
    placed = write_study(
        tmp_path, study_doc("codesize", "pytorch", [{"id": "mlp", "lines": 1, "tokens": 2, "files": []}])
    )
    misnamed = placed.with_name("aaa.json")  # sorts first
    other = study_doc("codesize", "pytorch", [{"id": "mlp", "lines": 9, "tokens": 9, "files": []}])
    misnamed.write_text(json.dumps(other))
    machines, problems = studies.load_studies(tmp_path)
    assert machines[MACHINE].get("codesize")["pytorch"].findings["mlp"]["lines"] == 1
    assert len(problems) == 1 and problems[0].startswith(f"{misnamed}: a CLASH of {placed}")


def test_study_files_none_of_them_placed_are_all_left_out(tmp_path: Path) -> None:
    placed = write_study(
        tmp_path, study_doc("codesize", "pytorch", [{"id": "mlp", "lines": 1, "tokens": 2, "files": []}])
    )
    placed.rename(placed.with_name("b.json"))
    placed.with_name("a.json").write_text(
        json.dumps(study_doc("codesize", "pytorch", [{"id": "mlp", "lines": 9, "tokens": 9, "files": []}]))
    )
    machines, problems = studies.load_studies(tmp_path)
    assert MACHINE not in machines or not machines[MACHINE].get("codesize")
    assert len(problems) == 1 and "all are left out" in problems[0]


def test_study_results_merge_and_clash_like_timing_runs(tmp_path: Path) -> None:
    from generator.read import merge

    first, second, into = tmp_path / "a", tmp_path / "b", tmp_path / "into"
    write_study(first, study_doc("codesize", "pytorch", [{"id": "mlp", "lines": 1, "tokens": 2, "files": []}]))
    write_study(second, study_doc("codesize", "pytorch", [{"id": "mlp", "lines": 9, "tokens": 9, "files": []}]))
    merged = merge.merge([first], into)
    assert [p.relative_to(into).as_posix() for p in merged.merged] == [f"{MACHINE}/studies/codesize.pytorch-1.0.json"]
    assert merge.merge([first], into).already  # the same findings: left alone
    clash = merge.merge([second], into)
    assert len(clash.clashes) == 1 and "CLASH" in clash.clashes[0] and "study/codesize/pytorch" in clash.clashes[0]
    kept = json.loads((into / MACHINE / "studies" / "codesize.pytorch-1.0.json").read_text())
    assert kept["findings"][0]["lines"] == 1


def test_the_build_fails_on_a_curated_fact_without_a_source(
    golden: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.read import facts
    from measurements import UserError

    bad = tmp_path / "facts.toml"
    bad.write_text(
        '[[fact]]\ntopic = "Licence"\ncategory = "project"\nframeworks.pytorch = "BSD"\n'
        'frameworks.tensorflow = "Apache"\n'
        "sources = []\nas_of = 2026-11-27\n"
    )
    monkeypatch.setattr(facts, "FACTS_PATH", bad)
    with pytest.raises(UserError, match=r'facts\.toml: fact 1 \("Licence"\)'):
        render.build(corpus.load_corpus(golden), tmp_path / "out")


def distributed_findings(two_processes: list[float], outcome: str = "ok") -> list[dict[str, Any]]:
    def config(id_: str, title: str, processes: int, samples: list[float], result: str = "ok") -> dict[str, Any]:
        return {"id": id_, "title": title, "processes": processes, "threads_per_process": 2 // processes,
                "global_batch": 256, "outcome": result, "error": None if result == "ok" else "no result after 60 s",
                "setup_s": 3.0, "samples": samples if result == "ok" else [], "parity": None}  # fmt: skip

    return [
        config("single-2-threads", "One process, 2 threads", 1, [1000.0 + d for d in (-2, -1, 0, 1, 2)] * 4),
        config("two-processes", "Two processes, 1 thread each", 2, two_processes, outcome),
        {
            "id": "scaling",
            "efficiency": {"vs_single": None if outcome != "ok" else 0.5, "vs_linear": None},
        },
    ]


def test_distributed_section_compares_frameworks_and_records_a_hang(golden: Path, tmp_path: Path) -> None:
    results = tmp_path / "with-distributed"
    shutil.copytree(golden, results)
    write_study(results, study_doc("distributed", "pytorch", distributed_findings([500.0 + d for d in (-2, 0, 2)] * 4)))
    write_study(results, study_doc("distributed", "tensorflow", distributed_findings([], outcome="timeout")))
    out = tmp_path / "out"
    render.build(corpus.load_corpus(results), out)
    page = performance_guide(out)
    assert "## Distributed data-parallel, two processes on one machine" in page
    row = next(line for line in page.splitlines() if line.startswith("| Two processes, 1 thread each |"))
    assert "| 500 (" in row and "| **timed out** |" in row
    single = next(line for line in page.splitlines() if line.startswith("| One process, 2 threads |"))
    # one process per framework: a single reading a side, with no interval and no verdict
    assert single.endswith(
        "| 1,000 (1 process, no interval) | 3 s | PyTorch against TensorFlow: **too few processes to call (1 against "
        "1)** (ratio 1.00, 1 against 1 processes: no interval) |"
    )
    assert "TensorFlow, Two processes, 1 thread each: timed out: no result after 60 s" in page
    assert (
        "PyTorch's scaling efficiency: two data\\-parallel processes, 1 thread each reach 0.50 of one process, "
        "2 threads, and n/a of 2 times one process, 1 thread (1 would be perfect scaling)" in page
    )


def test_memory_section_puts_each_framework_in_its_column(golden: Path, tmp_path: Path) -> None:
    results = tmp_path / "with-memory"
    shutil.copytree(golden, results)
    for framework, used in (("pytorch", 100), ("tensorflow", 300)):
        finding = {"id": "infer-w256-b256", "task": "infer", "width": 256, "batch": 256, "mode": "eager",
                   "parameters": 269_322, "parameter_bytes": 1_077_288, "outcome": "ok", "error": None,
                   "after_import_rss_bytes": 200 * 2**20, "peak_rss_bytes": (200 + used) * 2**20,
                   "per_process": {"peak_rss_bytes": [(200 + used + d) * 2**20 for d in (-1, 0, 1)]},
                   "fresh_processes": 3}  # fmt: skip
        write_study(results, study_doc("memory", framework, [finding]))
    out = tmp_path / "out"
    render.build(corpus.load_corpus(results), out)
    page = performance_guide(out)
    row = next(line for line in page.splitlines() if line.startswith("| inference, in\\-process | 256 | 256 |"))
    # the whole process is compared (200 MiB after import, then 100 or 300 more), its split shown beside it
    assert row.startswith(
        "| inference, in\\-process | 256 | 256 | 1.077 MB | 300 (297.5–302.5); import 200 + model "
        "and data 100 | 500 (497.5–502.5); import 200 + model and data 300 |"
    )
    assert "| PyTorch against TensorFlow: **1.67× less memory** (ratio 1.67, 95% interval" in row
    assert len(list((out / "charts").glob(f"{MACHINE}-memory-by-size-*.svg"))) == 1


def memory_finding(task: str, used_mib: float, latencies: list[float], **more: Any) -> dict[str, Any]:
    """A memory finding at width 256, batch 256, as the study writes it."""
    found = {"id": f"{task}-w256-b256", "task": task, "width": 256, "batch": 256, "mode": "eager",
             "parameters": 269_322, "parameter_bytes": 1_077_288, "outcome": "ok", "error": None,
             "after_import_rss_bytes": 200 * 2**20, "peak_rss_bytes": int((200 + used_mib) * 2**20)}  # fmt: skip
    if task != "train":
        found |= {"latency_ms": sorted(latencies)[len(latencies) // 2] if latencies else None,
                  "latency_samples": latencies}  # fmt: skip
    if task == "saved":
        found |= {"path": "torch-export", "saved_with": "torch.export.export + torch.export.save",
                  "artifact_bytes": 1_100_000, "load_s": 0.9, "runtime": "torch", "max_abs_diff": 0.0}  # fmt: skip
    return {**found, **more}


def test_memory_section_sets_a_saved_model_beside_in_process_inference(golden: Path, tmp_path: Path) -> None:
    results = tmp_path / "with-saved"
    shutil.copytree(golden, results)
    spread = [-0.02, -0.01, 0.0, 0.01, 0.02] * 6  # 30 calls, as the study times
    torch_findings = [
        memory_finding("train", 100, []),
        memory_finding("infer", 20, [1.0 + d for d in spread]),
        memory_finding("saved", 110, [1.5 + d for d in spread]),
    ]
    tf_findings = [
        memory_finding("train", 150, []),
        memory_finding("infer", 40, [2.0 + d for d in spread]),
        memory_finding("saved", 20, [], outcome="failed", error="Traceback\nOSError: <no saved_model.pb>",
                       latency_ms=None, max_abs_diff=None, peak_rss_bytes=None),
    ]  # fmt: skip
    write_study(results, study_doc("memory", "pytorch", torch_findings))
    write_study(results, study_doc("memory", "tensorflow", tf_findings))
    out = tmp_path / "out"
    render.build(corpus.load_corpus(results), out)
    page = performance_guide(out)
    lines = page.splitlines()
    # the memory table: a row per task, the saved model's failure named with its escaped error
    assert (
        "| inference, saved model | 256 | 256 | 1.077 MB | 310 (1 process, no interval); import 200 + model and "
        "data 110 | **failed** | – |" in page
    )
    failure = "- TensorFlow, inference, saved model, width 256, batch 256: failed: OSError: "
    assert failure + "&lt;no saved\\_model\\.pb&gt;" in page
    # saved against in-process, per framework
    assert "### Inference from a saved model against in-process" in page
    torch_row = next(line for line in lines if line.startswith("| PyTorch | 256 | 256 |"))
    # one process each (as the study measures now): single readings, the saved model's speed ÷ in-process
    assert (
        "| 220 MiB | 310 MiB (1.41×) | 1 (1 process, no interval) | 1.5 (1 process, no interval) | "
        "**too few processes to call (1 against 1)** (ratio 0.67, 1 against 1 processes: no interval) |"
    ) in torch_row
    assert torch_row.endswith("| 0.0e+00 |")
    tf_row = next(line for line in lines if line.startswith("| TensorFlow | 256 | 256 |"))
    assert tf_row == "| TensorFlow | 256 | 256 | 240 MiB | **failed** | 2 (1 process, no interval) | n/a | – | n/a |"
    # latency, the fastest framework's speed ÷ the other's: in-process both timed, saved model only PyTorch
    assert "### Inference latency, framework against framework" in page
    infer_row = next(line for line in lines if line.startswith("| inference, in\\-process | 256 | 256 | 1 ("))
    assert infer_row.endswith(
        "| PyTorch against TensorFlow: **too few processes to call (1 against 1)** (ratio 2.00, 1 against 1 "
        "processes: no interval) |"
    )
    assert "| inference, saved model | 256 | 256 | 1.5 (1 process, no interval) | **failed** | – |" in page
    (spec_file,) = (out / "charts").glob(f"{MACHINE}-memory-by-size-*.vl.json")
    spec = json.loads(spec_file.read_text())
    shapes = spec["encoding"]["shape"]["scale"]
    assert shapes["domain"] == ["training", "inference, in-process", "inference, saved model"]
    assert shapes["range"] == ["circle", "square", "triangle-up"]


def test_memory_sizes_and_parameter_counts() -> None:
    from measurements.studies import memory

    assert memory.parameters(256) == 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10
    found = memory.sizes()
    # training and inference in-process over both sweeps; from a saved model at each width, at two batches;
    # in-process inference at batch 1 too, to set beside it
    sweeps = 2 * (len(memory.WIDTHS) + len(memory.BATCHES) - 1)
    assert len(found) == len(set(found)) == sweeps + 3 * len(memory.WIDTHS)
    assert ("train", memory.FIXED_WIDTH, memory.FIXED_BATCH) in found
    for width in memory.WIDTHS:
        for batch in (memory.FIXED_BATCH, memory.SERVING_BATCH):
            assert ("saved", width, batch) in found and ("infer", width, batch) in found


def test_a_saved_model_that_fails_to_save_is_recorded_and_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    from measurements.studies import memory

    calls: list[list[str]] = []

    def child(arguments: list[str], directory: Path) -> tuple[dict[str, Any] | None, str, str | None]:
        calls.append(arguments)
        if "save" in arguments:
            return None, "failed", "Traceback\nRuntimeError: cannot save"
        timed = {"after_import_rss_bytes": 1, "peak_rss_bytes": 2, "latency_ms": 1.0, "latency_samples": [1.0]}
        return timed, "ok", None

    monkeypatch.setattr(memory, "child", child)
    monkeypatch.setattr(memory, "sizes", lambda: [("saved", 64, 1), ("infer", 64, 1)])
    saved, infer = memory.run("tensorflow")
    assert [a[a.index("--task") + 1 :] for a in calls] == [["saved", "--step", "save"], ["infer"]]
    assert saved["outcome"] == "failed" and saved["error"] == "saving the model: Traceback\nRuntimeError: cannot save"
    assert saved["path"] == "savedmodel" and saved["peak_rss_bytes"] is None and saved["latency_samples"] == []
    assert infer["outcome"] == "ok" and infer["latency_samples"] == [1.0] and "max_abs_diff" not in infer


@pytest.mark.slow
def test_memory_of_one_size_is_read_in_a_fresh_process(tmp_path: Path) -> None:
    import sys

    from measurements.launch import launch

    command = [sys.executable, "-m", "measurements.studies.memory", "--framework", "pytorch", "--task", "train",
               "--width", "64", "--batch", "32", "--dir", str(tmp_path)]  # fmt: skip
    found = launch(command, cwd=tmp_path, timeout_s=120).report
    assert found is not None
    peak, after_import = found["peak_rss_bytes"], found["after_import_rss_bytes"]
    assert isinstance(peak, int) and isinstance(after_import, int)
    assert peak >= after_import > 50 * 2**20  # torch itself is resident


def check_saved_model(found: MemoryFinding) -> None:
    """A memory-study finding of a model saved in one process and loaded and timed in another: its
    memory, latency and outputs, and an artifact that holds the weights (4 bytes each at least)."""
    from measurements.studies import memory

    assert found["outcome"] == "ok", found["error"]
    peak, base, artifact = found["peak_rss_bytes"], found["after_import_rss_bytes"], found["artifact_bytes"]
    assert peak is not None and base is not None and artifact is not None
    assert peak >= base > 50 * 2**20
    assert len(found["latency_samples"] or []) == memory.LATENCY_CALLS and (found["latency_ms"] or 0) > 0
    assert found["max_abs_diff"] is not None and found["max_abs_diff"] < 1e-5  # the same model, the same outputs
    assert artifact > 4 * memory.parameters(64)


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_a_saved_model_is_loaded_and_timed_in_a_fresh_process(framework: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from measurements.studies import memory

    monkeypatch.setattr(memory, "sizes", lambda: [("saved", 64, 2)])  # saved in one process, loaded in another
    (found,) = memory.run(framework)
    check_saved_model(found)
    assert found["path"] == memory.steps(framework).SAVED_PATH
