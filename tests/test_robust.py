"""Hostile results files: check, build and merge judge each file alone. None of them crashes,
hangs, or makes a command lose or mis-write data; the good files beside them still go through."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generator.__main__ import main as generator_main
from generator.pages import render
from generator.read import load
from generator.read import merge as merge_results
from generator.read.corpus import load_corpus
from measurements import results as results_model
from measurements.results import Result
from tests.conftest import MACHINE, ROOT, make_result, performance_guide, write_results
from tests.test_merge import merge

INVALID = ROOT / "tests" / "invalid"
GOOD = "mlp.pytorch-1.0.eager.cpu.json"
# each class of hostile file, as it lies in a machine folder beside good results
HOSTILE = {
    "deep-nesting.json": "nested far too deeply for a results file",  # json.loads recursed out of stack
    "nested-too-deep.json": "nested more than 32 deep",  # parses, but the checks recurse
    "v1-wrong-type.json": "measurements[0].samples: 5 is not of type 'array'",  # the migration assumed a list
    "v1-wrong-types.json": "import_s[0]: {'a': 1} is not of type 'number'",
    "duplicate-key.json": "the key 'schema_version' appears twice in one object",
}
STUDY = "studies/deep-nesting.json"  # the study loader reads the same way


def cli(*args: Path | str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """``python -m generator ARGS`` in a child, so that a hang fails the test instead of the suite."""
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def good_docs() -> list[dict[str, Any]]:
    spread = [-2.0, -1.0, 0.0, 1.0, 2.0] * 4
    return [
        make_result("mlp", "pytorch", "eager", [1000 + d for d in spread]),
        make_result("mlp", "tensorflow", "function", [900 + d for d in spread]),
    ]


@dataclass
class Corpus:
    results: Path
    out: Path
    merged: Path
    check: subprocess.CompletedProcess[str]
    build: subprocess.CompletedProcess[str]
    merge: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Good results with every hostile file beside them, run through check, build and merge once."""
    base = tmp_path_factory.mktemp("hostile")
    results = write_results(base / "results", good_docs())
    for name in HOSTILE:
        shutil.copy(INVALID / name, results / MACHINE / name)
    (results / MACHINE / "studies").mkdir()
    shutil.copy(INVALID / "deep-nesting.json", results / MACHINE / STUDY)
    files = sorted(results.glob("*/*.json")) + sorted(results.glob("*/studies/*.json"))
    out, merged = base / "out", base / "merged"
    return Corpus(results, out, merged, cli("check", *files), cli("build", "--results", results, "--out", out),
                  cli("merge", results, "--into", merged))  # fmt: skip


def output(run: subprocess.CompletedProcess[str]) -> str:
    return run.stdout + run.stderr


def test_no_command_prints_a_traceback_and_the_good_files_go_through(corpus: Corpus) -> None:
    for run in (corpus.check, corpus.build, corpus.merge):
        assert "Traceback" not in output(run), output(run)
    assert corpus.check.returncode == 1
    assert corpus.check.stderr.splitlines()[-1] == f"{len(HOSTILE) + 3} files checked, {len(HOSTILE) + 1} with problems"
    assert corpus.build.returncode == 0
    assert "Generated pages for 1 machines from 2 results files" in corpus.build.stdout
    assert (corpus.out / "results" / MACHINE / GOOD).is_file()
    merged = sorted(p.name for p in (corpus.merged / MACHINE).glob("*.json"))
    assert merged == [GOOD, "mlp.tensorflow-1.0.function.cpu.json"]


@pytest.mark.parametrize("name", [*sorted(HOSTILE), STUDY])
def test_each_hostile_file_is_one_line_naming_it(corpus: Corpus, name: str) -> None:
    path = corpus.results / MACHINE / name
    said = HOSTILE.get(name, HOSTILE["deep-nesting.json"])
    assert any(line.startswith(f"{path}: {said}") for line in corpus.check.stdout.splitlines())
    assert any(line.startswith(f"{path}: {said}") and line.endswith("; not merged")
               for line in corpus.merge.stdout.splitlines())  # fmt: skip
    if name != STUDY:  # the build names study files on the Usability page only
        assert any(line.startswith(f"error: {path}: {said}") for line in corpus.build.stderr.splitlines())


def test_merge_prints_its_summary_after_files_that_crashed_the_checks(corpus: Corpus) -> None:
    assert corpus.merge.returncode == 1
    summary = f"2 merged, 0 already there, 0 clashes, {len(HOSTILE) + 1} bad, into {corpus.merged}"
    assert corpus.merge.stdout.splitlines()[-1] == summary


def test_the_build_names_left_out_files_under_the_results_folder(corpus: Corpus) -> None:
    pages = {p: p.read_text() for p in corpus.out.rglob("*") if p.suffix in {".md", ".json", ".html"}}
    for page, text in pages.items():
        assert str(corpus.results) not in text, page  # no local path is published
    performance = performance_guide(corpus.out).replace("\\", "")  # Markdown escapes taken off
    for name in HOSTILE:
        assert f"{MACHINE}/{name}: " in performance
    usability = pages[corpus.out / "usability.md"].replace("\\", "")
    assert f"{MACHINE}/{STUDY}: " in usability


def test_a_fifo_is_skipped_not_read(tmp_path: Path) -> None:
    """Opening a FIFO for reading waits for a writer; the commands would hang for ever."""
    results = write_results(tmp_path / "results", good_docs()[:1])
    fifo = results / MACHINE / "fifo.json"
    os.mkfifo(fifo)
    (results / MACHINE / "studies").mkdir()
    study_fifo = results / MACHINE / "studies" / "fifo.json"
    os.mkfifo(study_fifo)
    check = cli("check", results / MACHINE / GOOD, fifo, study_fifo, timeout=60)
    assert "Traceback" not in output(check)
    lines = check.stdout.splitlines()
    assert lines[0] == f"{fifo}: not a regular file (a folder, FIFO, socket or device); skipped"
    assert lines[1].startswith(f"{study_fifo}: not a regular file")
    assert check.stderr.splitlines()[-1] == "3 files checked, 2 with problems"
    build = cli("build", "--results", results, "--out", tmp_path / "out", timeout=120)
    assert "Traceback" not in output(build)
    assert f"error: {fifo}: not a regular file" in build.stderr
    assert "from 1 results files" in build.stdout


def test_a_directory_named_like_a_results_file_is_one_line(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results", good_docs()[:1])
    (results / MACHINE / "folder.json").mkdir()
    loaded = load.load_results(load.result_files(results))
    assert [p.name for p, _ in loaded.results] == [GOOD]
    assert loaded.problems == [f"{results / MACHINE / 'folder.json'}: not a regular file (a folder, FIFO, socket or "
                               "device); skipped"]  # fmt: skip


def test_a_duplicate_key_is_refused_wherever_it_is(tmp_path: Path) -> None:
    doc = make_result()
    text = json.dumps(doc).replace('"cpu_model": "Test CPU"', '"cpu_model": "Test CPU", "cpu_model": "Other CPU"')
    path = tmp_path / MACHINE / GOOD
    path.parent.mkdir()
    path.write_text(text)
    assert results_model.check_file(path) == (None, [
        "the key 'cpu_model' appears twice in one object (which one counts?); fix or delete it, or re-measure "
        "with `nox -s measure`"
    ])  # fmt: skip


# A failure nobody foresaw, in one file: it is left out with a line, and the rest go on.


def test_a_file_that_fails_to_summarise_is_left_out_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = write_results(tmp_path / "results", good_docs())
    rows = load.frame_rows

    def fragile(path: Path, doc: Result, results_dir: Path) -> list[dict[str, object]]:
        if path.name == GOOD:
            raise ZeroDivisionError("float division by zero\nin a summary")
        return rows(path, doc, results_dir)

    monkeypatch.setattr(load, "frame_rows", fragile)
    loaded = load.load_results(load.result_files(results))
    assert [p.name for p, _ in loaded.results] == ["mlp.tensorflow-1.0.function.cpu.json"]
    assert loaded.problems == [
        f"{results / MACHINE / GOOD}: cannot be checked (ZeroDivisionError: float division by zero in a summary); "
        "fix or delete it, or re-measure with `nox -s measure`, and report this as a bug in Framework Guide"
    ]


def test_check_goes_on_after_a_file_that_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    results = write_results(tmp_path / "results", good_docs())
    names = load.name_problems

    def fragile(path: Path, doc: Result, show: Any = str) -> list[str]:
        if path.name == GOOD:
            raise KeyError("machine")
        return names(path, doc)

    monkeypatch.setattr(load, "name_problems", fragile)
    code = generator_main(["check", *map(str, load.result_files(results))])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out.splitlines() == [f"{results / MACHINE / GOOD}: cannot be checked (KeyError: 'machine'); fix "
        "or delete it, or re-measure with `nox -s measure`, and report this as a bug in Framework Guide"]  # fmt: skip
    assert captured.err == "2 files checked, 1 with problems\n"


def test_merge_goes_on_after_a_file_that_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_results(tmp_path / "artifact", good_docs())
    check = results_model.check_file

    def fragile(path: Path) -> tuple[Result | None, list[str]]:
        if path.name == GOOD:
            raise RecursionError("maximum recursion depth exceeded")
        return check(path)

    timing = merge_results.Kind(fragile, results_model.expected_path, load.measured, results_model.run_label)
    monkeypatch.setattr(merge_results, "kind_of", lambda path: timing)
    dest = tmp_path / "results"
    assert merge(capsys, source, "--into", dest) == (
        1,
        [
            f"{source / MACHINE / GOOD}: cannot be checked (RecursionError: maximum recursion depth exceeded); fix or "
            "delete it, or re-measure with `nox -s measure`, and report this as a bug in Framework Guide; not merged",
            f"1 merged, 0 already there, 0 clashes, 1 bad, into {dest}",
        ],
    )


# Clashes are resolved by rule: the file named and placed for the run wins, whatever the sort order.


def clashing(results: Path, *places: str) -> list[Path]:
    """The good result written where the harness would, and a result of the same run with other
    numbers at each of ``places`` (under the results folder)."""
    write_results(results, [make_result()])
    paths = []
    for i, place in enumerate(places):
        path = results / place
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(make_result(samples=[10.0 + i, 11.0, 9.0])))
        paths.append(path)
    return paths


def test_a_file_named_for_its_run_wins_over_a_misnamed_one_sorted_first(tmp_path: Path) -> None:
    results = tmp_path / "results"
    (misnamed,) = clashing(results, f"{MACHINE}/a-first.json")
    shown = results / MACHINE / GOOD
    loaded = load.load_results(load.result_files(results))
    assert [p for p, _ in loaded.results] == [shown]
    misnamed_doc, shown_doc = results_model.check_file(misnamed)[0], results_model.check_file(shown)[0]
    assert misnamed_doc is not None and shown_doc is not None
    assert loaded.problems == [load.duplicate_problem(misnamed, misnamed_doc, shown, shown_doc)]
    assert loaded.problems[0].startswith(f"{misnamed}: CLASH with {shown}: ")


def test_a_file_in_its_machine_folder_wins_over_a_misplaced_one(tmp_path: Path) -> None:
    results = tmp_path / "results"
    (misplaced,) = clashing(results, f"a-machine/{GOOD}")  # the right name in the wrong folder, sorted first
    loaded = load.load_results(load.result_files(results))
    assert [p for p, _ in loaded.results] == [results / MACHINE / GOOD]
    assert loaded.problems[0].startswith(f"{misplaced}: CLASH with {results / MACHINE / GOOD}: ")


def test_when_no_file_is_named_for_the_run_all_are_left_out(tmp_path: Path) -> None:
    results = tmp_path / "results"
    first, second = clashing(results, f"{MACHINE}/a.json", f"{MACHINE}/b.json")
    (results / MACHINE / GOOD).unlink()
    loaded = load.load_results(load.result_files(results))
    assert loaded.results == []
    ending = (
        "claims the same run (mlp/pytorch/eager/cpu on test-cpu-4cpu) with different numbers, and none is named "
        f"and placed for it. Keep the one you trust as {MACHINE}/{GOOD} and delete the others"
    )
    assert loaded.problems == [f"{first}: left out: {second} {ending}", f"{second}: left out: {first} {ending}"]
    assert loaded.left_out(results) == [
        f"{MACHINE}/a.json: left out: {MACHINE}/b.json {ending}",
        f"{MACHINE}/b.json: left out: {MACHINE}/a.json {ending}",
    ]


def test_check_resolves_a_clash_as_the_build_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results"
    (misnamed,) = clashing(results, f"{MACHINE}/a-first.json")
    shown = results / MACHINE / GOOD
    assert generator_main(["check", *map(str, load.result_files(results))]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{misnamed}: named for another run, it holds mlp.pytorch-1.0.eager.cpu; rename it")
    assert out[1].startswith(f"{misnamed}: CLASH with {shown}: ")
    assert len(out) == 2  # the name, and the clash


# merge --into never writes through a symbolic link, nor anywhere outside the target folder.


def test_merge_does_not_follow_a_linked_machine_folder_out_of_the_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_results(tmp_path / "artifact", [make_result(), make_result(machine_id="other-2cpu")])
    dest, outside = tmp_path / "results", tmp_path / "outside"
    outside.mkdir()
    dest.mkdir()
    (dest / MACHINE).symlink_to(outside, target_is_directory=True)
    assert merge(capsys, source, "--into", dest) == (
        1,
        [
            f"{source / MACHINE / GOOD}: {dest / MACHINE} is a symbolic link, and merge never writes through one; "
            "replace it with a real folder (or delete it) and merge again; not merged",
            f"1 merged, 0 already there, 0 clashes, 1 bad, into {dest}",
        ],
    )
    assert list(outside.iterdir()) == []  # not even a lock file
    assert (dest / "other-2cpu" / GOOD).is_file()


def test_merge_does_not_write_through_a_linked_studies_folder_or_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_studies import study_doc, write_study

    source = tmp_path / "artifact"
    write_study(source, study_doc("codesize", "pytorch", []))
    write_results(source, [make_result()])
    dest, outside = tmp_path / "results", tmp_path / "outside"
    outside.mkdir()
    (dest / MACHINE).mkdir(parents=True)
    (dest / MACHINE / "studies").symlink_to(outside, target_is_directory=True)
    (dest / MACHINE / GOOD).symlink_to(outside / GOOD)  # a dangling link: writing would create the file outside
    code, out = merge(capsys, source, "--into", dest)
    assert code == 1
    assert out[0].startswith(f"{source / MACHINE / GOOD}: {dest / MACHINE / GOOD} is a symbolic link, and merge ")
    assert "replace it with a real file" in out[0]
    assert out[1].startswith(f"{source / MACHINE / 'studies' / 'codesize.pytorch-1.0.json'}: "
                             f"{dest / MACHINE / 'studies'} is a symbolic link")  # fmt: skip
    assert out[2] == f"0 merged, 0 already there, 0 clashes, 2 bad, into {dest}"
    assert list(outside.iterdir()) == []


def test_merge_does_not_write_a_lock_through_a_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_results(tmp_path / "artifact", [make_result()])
    dest, precious = tmp_path / "results", tmp_path / "precious.txt"
    precious.write_text("keep me")
    (dest / MACHINE).mkdir(parents=True)
    (dest / MACHINE / ".lock").symlink_to(precious)
    assert generator_main(["merge", str(source), "--into", str(dest)]) == 1
    assert f"{dest / MACHINE / '.lock'} is a symbolic link" in capsys.readouterr().out
    assert precious.read_text() == "keep me"


# build --out empties only a folder that a build made.


def test_build_refuses_to_empty_a_folder_it_did_not_make(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = write_results(tmp_path / "results", good_docs())
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("months of work")
    code = generator_main(["build", "--results", str(results), "--out", str(out)])
    assert code == 1
    assert capsys.readouterr().err == (
        f"error: {out}: not made by `python -m generator build` (it has no .framework-guide-generated), so it is "
        f"not emptied; give --out a new or empty folder, or delete {out} yourself\n"
    )
    assert (out / "chapter1.tex").read_text() == "months of work"


def test_build_marks_its_folder_and_rebuilds_it(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results", good_docs())
    out = tmp_path / "out"
    out.mkdir()  # empty: nothing to lose
    for _ in range(2):
        assert generator_main(["build", "--results", str(results), "--out", str(out)]) == 0
        assert (out / ".framework-guide-generated").is_file()
        assert (out / "performance.md").is_file()


def test_build_refuses_a_file_as_its_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = write_results(tmp_path / "results", good_docs())
    out = tmp_path / "notes.txt"
    out.write_text("mine")
    assert generator_main(["build", "--results", str(results), "--out", str(out)]) == 1
    assert capsys.readouterr().err.startswith(f"error: {out}: not a folder")
    assert out.read_text() == "mine"


def test_the_default_folder_from_before_the_mark_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/generated/ is ignored by git and holds only generated pages: one built before folders
    were marked is emptied as before."""
    results = write_results(tmp_path / "results", good_docs())
    out = tmp_path / "docs" / "generated"
    out.mkdir(parents=True)
    (out / "performance.md").write_text("old page")
    for name in ("mkdocs.yml", "pyproject.toml"):  # the build reads its settings there
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.setattr(render, "ROOT", tmp_path)
    render.build(load_corpus(results), out)
    assert (out / ".framework-guide-generated").is_file()
    assert "old page" not in (out / "performance.md").read_text()
    assert re.search(r"mlp", (out / "performance.md").read_text())
