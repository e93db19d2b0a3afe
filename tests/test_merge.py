"""Merging results from several machines: untrusted input checked, placed by content, clashes kept apart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from generator.__main__ import main as generator_main
from generator.pages import formatting, render
from generator.read import corpus, load, provenance
from tests.conftest import ROOT, make_result, write_results

LAPTOP, SERVER = "laptop-4cpu", "server-16cpu"
MLP = "mlp.pytorch-1.0.eager.cpu.json"


def machine_docs(machine_id: str, scale: float = 1.0, **fields: Any) -> list[dict[str, Any]]:
    spread = [-2.0, -1.0, 0.0, 1.0, 2.0] * 4
    return [
        make_result("mlp", "pytorch", "eager", [scale * 1000 + d for d in spread], machine_id=machine_id, **fields),
        make_result("mlp", "tensorflow", "function", [scale * 900 + d for d in spread], machine_id=machine_id,
                    **fields),
        make_result("matmul", "pytorch", "eager", [scale * 100 + d for d in spread], machine_id=machine_id, **fields),
    ]  # fmt: skip


def merge(capsys: pytest.CaptureFixture[str], *args: Path | str) -> tuple[int, list[str]]:
    code = generator_main(["merge", *map(str, args)])
    return code, capsys.readouterr().out.splitlines()


def pages(results: Path, out: Path) -> dict[str, str]:
    render.build(corpus.load_corpus(results), out)
    return {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.md")}


def performance(site: dict[str, str]) -> str:
    """The performance pages together (one page, or one per machine)."""
    return "\n".join(page for name, page in sorted(site.items()) if name.startswith("performance"))


def test_two_machines_merge_into_one_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    laptop = write_results(tmp_path / "laptop-artifact", machine_docs(LAPTOP))  # a results folder
    server = write_results(tmp_path / "server-artifact", machine_docs(SERVER, scale=3)) / SERVER  # a machine folder
    dest = tmp_path / "results"
    code, out = merge(capsys, laptop, server, "--into", dest)
    assert code == 0
    assert out == [f"6 merged, 0 already there, 0 clashes, 0 bad, into {dest}"]
    names = sorted(p.name for p in (laptop / LAPTOP).iterdir())
    assert sorted(p.name for p in (dest / LAPTOP).glob("*.json")) == names
    assert sorted(p.name for p in (dest / SERVER).glob("*.json")) == names
    assert json.loads((dest / SERVER / MLP).read_text()) == machine_docs(SERVER, scale=3)[0]

    site = pages(dest, tmp_path / "generated")
    assert {f"machines/{LAPTOP}.md", f"machines/{SERVER}.md"} <= set(site)
    assert f"]({LAPTOP}.md)" in site["machines/index.md"]  # each machine is named by its record and links its page
    assert f"]({SERVER}.md)" in site["machines/index.md"]
    assert f"](machines/{LAPTOP}.md)" in performance(site)
    assert f"](machines/{SERVER}.md)" in performance(site)

    code, out = merge(capsys, laptop, server, "--into", dest)  # again: nothing new, nothing touched
    assert (code, out) == (0, [f"0 merged, 6 already there, 0 clashes, 0 bad, into {dest}"])


def test_a_clash_is_reported_and_the_result_there_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dest = write_results(tmp_path / "results", machine_docs(LAPTOP))
    before = (dest / LAPTOP / MLP).read_bytes()
    other = write_results(tmp_path / "other", [make_result(samples=[5.0, 6.0, 7.0], machine_id=LAPTOP)])
    code, out = merge(capsys, other, "--into", dest)
    assert code == 1
    assert out == [
        f"{other / LAPTOP / MLP}: CLASH, not merged: the same run (mlp/pytorch/eager/cpu on {LAPTOP}) as "
        f"{dest / LAPTOP / MLP}, with different numbers; that one is kept. To take this one instead, delete the "
        "kept file and merge again, or re-measure with `nox -s measure -- --only 'mlp/pytorch/eager/cpu' --redo`",
        f"0 merged, 0 already there, 1 clashes, 0 bad, into {dest}",
    ]
    assert (dest / LAPTOP / MLP).read_bytes() == before


def test_two_sources_that_disagree_clash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = write_results(tmp_path / "first", [make_result(machine_id=LAPTOP)])
    second = write_results(tmp_path / "second", [make_result(samples=[5.0, 6.0, 7.0], machine_id=LAPTOP)])
    same = write_results(tmp_path / "same", [make_result(machine_id=LAPTOP)])
    dest = tmp_path / "results"
    code, out = merge(capsys, first, second, same, "--into", dest)
    assert code == 1
    assert out[0].startswith(f"{second / LAPTOP / MLP}: CLASH, not merged: the same run (mlp/pytorch/eager/cpu on ")
    assert f" as {first / LAPTOP / MLP} (merged first, into {dest / LAPTOP / MLP}), with different numbers" in out[0]
    assert out[1] == f"1 merged, 1 already there, 1 clashes, 0 bad, into {dest}"
    assert json.loads((dest / LAPTOP / MLP).read_text())["rounds"][0]["measurements"][0]["samples"] == [
        100.0,
        101.0,
        99.0,
    ]


def test_bad_files_are_reported_and_never_copied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_results(tmp_path / "artifact", [make_result(machine_id=LAPTOP)])
    shutil.copy(ROOT / "tests" / "invalid" / "missing-field.json", source / LAPTOP / "cnn.pytorch-1.0.eager.cpu.json")
    shutil.copy(ROOT / "tests" / "invalid" / "not-json.json", source / "broken.json")
    (source / LAPTOP / "notes.txt").write_text("not a result")  # ignored: not .json
    (source / LAPTOP / ".mlp.json.tmp.json").write_text("{")  # ignored: a dot file
    (source / ".git").mkdir()
    (source / ".git" / "x.json").write_text("{")  # ignored: in a dot folder
    dest = tmp_path / "results"
    code, out = merge(capsys, source, "--into", dest)
    assert code == 1
    assert out[0].startswith(f"{source / 'broken.json'}: not valid JSON (")
    assert out[1].startswith(f"{source / LAPTOP / 'cnn.pytorch-1.0.eager.cpu.json'}: machine: 'cpu_model' is a ")
    assert out[1].endswith("; not merged")
    assert out[2] == f"1 merged, 0 already there, 0 clashes, 2 bad, into {dest}"
    assert [p.relative_to(dest).as_posix() for p in sorted(dest.rglob("*.json"))] == [f"{LAPTOP}/{MLP}"]


def test_symbolic_links_are_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = write_results(tmp_path / "outside", [make_result("cnn", machine_id=SERVER)])
    source = write_results(tmp_path / "artifact", [make_result(machine_id=LAPTOP)])
    (source / LAPTOP / "cnn.json").symlink_to(outside / SERVER / "cnn.pytorch-1.0.eager.cpu.json")
    (source / SERVER).symlink_to(outside / SERVER, target_is_directory=True)
    dest = tmp_path / "results"
    code, out = merge(capsys, source, "--into", dest)
    assert code == 1
    assert out == [
        f"{source / SERVER}: a symbolic link; not followed, copy what it points to instead",
        f"{source / LAPTOP / 'cnn.json'}: a symbolic link; not followed, copy the file itself instead",
        f"1 merged, 0 already there, 0 clashes, 2 bad, into {dest}",
    ]
    assert not (dest / SERVER).exists()


def test_a_misplaced_file_lands_where_its_content_says(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "download"
    (source / "wrong-machine").mkdir(parents=True)
    (source / "wrong-machine" / "mlp.pytorch-2.13.0_cpu.eager.cpu.json").write_text(
        json.dumps(make_result("cnn", machine_id=SERVER, version="2.11.0+cu130"))
    )
    dest = tmp_path / "results"
    code, out = merge(capsys, source, "--into", dest)
    assert (code, out) == (0, [f"1 merged, 0 already there, 0 clashes, 0 bad, into {dest}"])
    assert [p.relative_to(dest).as_posix() for p in dest.rglob("*.json")] == [
        f"{SERVER}/cnn.pytorch-2.11.0_cu130.eager.cpu.json"
    ]
    merge(capsys, dest, "--into", dest)  # the merged folder passes the name checks
    assert generator_main(["check", *map(str, load.result_files(dest))]) == 0


def test_a_source_that_is_not_a_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = generator_main(["merge", str(tmp_path / "missing"), "--into", str(tmp_path / "results")])
    assert code == 1
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'missing'}: not a folder; give results folders or machine folders to merge\n"
    )
    assert not (tmp_path / "results").exists()


def test_untrusted_strings_merge_and_are_escaped_on_every_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = "<script>alert(1)</script>"
    source = write_results(tmp_path / "artifact", machine_docs(SERVER, cpu_model=hostile))
    dest = tmp_path / "results"
    code, _ = merge(capsys, source, "--into", dest)
    assert code == 0
    site = pages(dest, tmp_path / "generated")
    for name, page in site.items():
        assert "<script" not in page, name
    escaped = formatting.text(hostile)
    assert escaped.startswith("&lt;script&gt;")
    assert escaped in site[f"machines/{SERVER}.md"]
    assert escaped in site["machines/index.md"]
    # pages that name the machine as a reader reads it keep only a hardware name's characters, escaped
    assert formatting.text(provenance.plain(hostile)) in performance(site)
