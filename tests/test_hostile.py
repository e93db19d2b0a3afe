"""The hostile corpus (tests/hostile.py) through every command: nothing crashes, hangs or
reaches a page as markup, and the good files still get through."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests import hostile

pytestmark = pytest.mark.slow  # builds a whole site from the corpus (about a minute)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    where = tmp_path_factory.mktemp("hostile")
    outputs = [p.stdout + p.stderr for p in hostile.build_site(where)]
    return where, outputs


def test_the_site_builds_from_the_hostile_corpus_without_a_traceback(corpus: tuple[Path, list[str]]) -> None:
    where, outputs = corpus
    for output in outputs:
        assert "Traceback" not in output, output[-3000:]
    assert (where / "src" / "site" / "index.html").is_file(), outputs


def test_no_payload_becomes_markup(corpus: tuple[Path, list[str]]) -> None:
    where, _ = corpus
    assert hostile.unsafe_markup(where / "src" / "site") == {}


def test_the_build_lists_what_it_left_out_by_relative_paths(corpus: tuple[Path, list[str]]) -> None:
    where, outputs = corpus
    left_out = outputs[0]
    for name in ("deep.json", "duplicate-keys.json", "v1-wrong-types.json", "fifo.json"):
        assert name in left_out, left_out[-3000:]
    site_text = "".join(p.read_text(errors="replace") for p in (where / "src" / "site").rglob("*.html"))
    assert str(where) not in site_text  # no absolute local path is published


def test_check_and_merge_judge_each_file_alone(corpus: tuple[Path, list[str]], tmp_path: Path) -> None:
    where, _ = corpus
    folder = where / "results" / hostile.MACHINE
    files = sorted(p for p in folder.rglob("*.json") if not p.is_symlink())
    checked = hostile.run(sys.executable, "-m", "generator", "check", *map(str, files), timeout=120)
    output = checked.stdout + checked.stderr
    assert "Traceback" not in output, output[-3000:]
    assert f"{len(files)} files checked" in output
    assert checked.returncode == 1  # the broken files are named
    merged = hostile.run(
        sys.executable, "-m", "generator", "merge", str(where / "results"), "--into", str(tmp_path), timeout=120
    )
    output = merged.stdout + merged.stderr
    assert "Traceback" not in output, output[-3000:]
    assert " merged, " in output.splitlines()[-1]  # the summary line is printed
    assert len(list((tmp_path / hostile.MACHINE).glob("*.json"))) >= 40  # the good files got through
