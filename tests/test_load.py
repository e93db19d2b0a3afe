"""Results files: validation, one-line errors naming file and field, good files still load."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import cast

import pytest

from generator.__main__ import main as generator_main
from generator.read import load
from measurements import results as results_model
from measurements.findings import ServingFinding
from tests.conftest import ROOT, make_result, write_results

INVALID = ROOT / "tests" / "invalid"

EXPECTED = {
    "not-json.json": "not valid JSON",
    "empty.json": "is empty",
    "top-level-list.json": "top level is a JSON list, not an object",
    "missing-field.json": "machine: 'cpu_model' is a required property",
    "newer-version.json": "schema_version: 99 is newer than this Framework Guide reads (3); update Framework Guide",
    "too-old-version.json": "schema_version: 0 is too old to migrate; re-measure with `nox -s measure`",
    "infinite-time.json": "measurements[0].first_call_s[0]: inf is not a finite number",
    "rounds-do-not-add-up.json": "measurements[0].samples_per_round: does not add up to the 3 samples in 1 rounds",
    "unknown-framework.json": "run.framework: 'mxnet' is not one of ['pytorch', 'tensorflow', 'jax', 'numpy']",
    "unknown-mode.json": "run.mode: mlp has no pytorch mode 'turbo'",
    "wrong-type.json": "measurements[0].samples[0]: 'fast' is not of type 'number'",
    "nan-sample.json": "not valid JSON (NaN is not a number JSON allows)",
    "negative-sample.json": "measurements[0].samples[0]: -5.0 is less than or equal to the minimum of 0",
    "duplicate-key.json": "the key 'schema_version' appears twice in one object",
    "deep-nesting.json": "nested far too deeply for a results file",
    "nested-too-deep.json": "nested more than 32 deep, far deeper than a results file",
    "v1-wrong-type.json": "measurements[0].samples: 5 is not of type 'array'",
    "v1-wrong-types.json": "import_s[0]: {'a': 1} is not of type 'number'",
    "unknown-workload.json": (
        "run.workload: unknown workload 'resnet9000'; known workloads: cnn, cnn_infer, conv2d, digits, encoder, "
        "encoder_infer, gemm, matmul, mlp, mlp_infer, resnet50, resnet50_infer, transformer, transformer_infer"
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_gets_a_problem_naming_the_field(name: str) -> None:
    doc, problems = results_model.check_file(INVALID / name)
    assert doc is None
    assert EXPECTED[name] in problems[0]


def test_every_invalid_file_is_covered() -> None:
    assert sorted(p.name for p in INVALID.glob("*.json")) == sorted(EXPECTED)


def test_a_valid_document_passes() -> None:
    doc, problems = results_model.check_document(make_result())
    assert problems == []
    assert doc is not None


def test_an_ok_run_without_measurements_is_refused() -> None:
    doc = make_result()
    doc["measurements"] = []
    _, problems = results_model.check_document(doc)
    assert problems and problems[0].startswith("measurements: [] should be non-empty")


def test_bad_files_do_not_stop_good_ones(tmp_path: Path) -> None:
    results = write_results(tmp_path, [make_result(), make_result(framework="tensorflow", mode="function")])
    for name in EXPECTED:
        shutil.copy(INVALID / name, results / "test-cpu-4cpu" / name)
    loaded = load.load_results(load.result_files(results))
    assert len(loaded.results) == 2
    assert len(loaded.problems) == len(EXPECTED)
    for problem in loaded.problems:
        assert "\n" not in problem
        assert problem.startswith(str(results / "test-cpu-4cpu"))


def test_an_older_version_is_migrated() -> None:
    doc, problems = results_model.check_file(ROOT / "tests" / "old" / "v1-skipped.json")
    assert problems == []
    assert doc is not None
    assert doc["schema_version"] == 3
    assert doc["outcome"]["status"] == "unavailable"
    assert doc["rounds"] == [
        {"import_s": 1.0, "peak_rss_bytes": 300 * 2**20, "after_import_rss_bytes": 200 * 2**20, "measurements": []}
    ]


def test_an_older_version_with_samples_is_migrated_into_one_round() -> None:
    doc, problems = results_model.check_file(ROOT / "tests" / "old" / "v1-ok.json")
    assert problems == []
    assert doc is not None
    [one] = doc["rounds"]
    assert (one["measurements"][0]["samples"], one["measurements"][0]["first_call_s"]) == ([1000.0, 1010.0, 990.0], 2.5)


def test_an_absurdly_large_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as f:
        f.truncate(results_model.MAX_FILE_BYTES + 1)
    _, problems = results_model.check_file(path)
    assert problems[0].startswith("10 MiB is far too large for a results file")


def test_a_copy_of_a_run_keeps_the_first_and_says_the_copy_can_go(tmp_path: Path) -> None:
    results = write_results(tmp_path, [make_result()])
    copy = results / "test-cpu-4cpu" / "zz-copy.json"
    shutil.copy(results / "test-cpu-4cpu" / "mlp.pytorch-1.0.eager.cpu.json", copy)
    loaded = load.load_results(load.result_files(results))
    assert [p.name for p, _ in loaded.results] == ["mlp.pytorch-1.0.eager.cpu.json"]
    shown = results / "test-cpu-4cpu" / "mlp.pytorch-1.0.eager.cpu.json"
    assert loaded.problems == [
        f"{copy}: a copy of {shown} (the same run, the same numbers), which is shown; delete this copy"
    ]


def test_a_clash_of_different_numbers_for_one_run_is_called_a_clash(tmp_path: Path) -> None:
    results = write_results(tmp_path, [make_result()])
    clash = results / "test-cpu-4cpu" / "zz-other.json"
    clash.write_text(json.dumps(make_result(samples=[50.0, 51.0, 49.0])))
    loaded = load.load_results(load.result_files(results))
    shown = results / "test-cpu-4cpu" / "mlp.pytorch-1.0.eager.cpu.json"
    assert [p for p, _ in loaded.results] == [shown]
    assert loaded.problems == [
        f"{clash}: CLASH with {shown}: the same run (mlp/pytorch/eager/cpu on test-cpu-4cpu) with different "
        f"numbers; {shown} is shown. Keep the one you trust and delete the other, or re-measure with "
        "`nox -s measure -- --only 'mlp/pytorch/eager/cpu' --redo`"
    ]


def test_a_different_outcome_is_a_clash_too(tmp_path: Path) -> None:
    results = write_results(tmp_path, [make_result()])
    failed = results / "test-cpu-4cpu" / "zz-failed.json"
    failed.write_text(json.dumps(make_result(status="failed", error="boom")))
    loaded = load.load_results(load.result_files(results))
    assert len(loaded.problems) == 1
    assert loaded.problems[0].startswith(f"{failed}: CLASH with ")


def test_other_versions_of_a_run_are_not_duplicates(tmp_path: Path) -> None:
    results = write_results(tmp_path, [make_result(), make_result(version="2.0", samples=[1.0, 2.0, 3.0])])
    loaded = load.load_results(load.result_files(results))
    assert (len(loaded.results), loaded.problems) == (2, [])


def test_a_hostile_file_name_is_refused(tmp_path: Path) -> None:
    results = write_results(tmp_path, [make_result()])
    odd = results / "test-cpu-4cpu" / "x) [y](javascript:alert(1)).json"
    shutil.copy(results / "test-cpu-4cpu" / "mlp.pytorch-1.0.eager.cpu.json", odd)
    loaded = load.load_results(load.result_files(results))
    assert len(loaded.results) == 1
    assert loaded.problems == [f"{odd}: not a results file name (letters, digits, '.', '_', '-'); rename it"]


def test_check_command_names_file_and_field(capsys: pytest.CaptureFixture[str]) -> None:
    code = generator_main(["check", str(INVALID / "missing-field.json"), str(INVALID / "newer-version.json")])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0].startswith(f"{INVALID / 'missing-field.json'}: machine: 'cpu_model' is a required property")
    assert out[1].startswith(f"{INVALID / 'newer-version.json'}: schema_version: 99 is newer")


def test_check_command_passes_good_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = write_results(tmp_path, [make_result(), make_result("cnn")])
    assert generator_main(["check", *map(str, load.result_files(results))]) == 0
    assert capsys.readouterr().out == ""


def test_check_command_reports_a_clash_and_a_copy_between_the_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each file is named and placed for its run (in two results folders), so no rule says which
    one a build would show: all are reported as left out, with the same numbers or not."""
    mine = write_results(tmp_path / "mine", [make_result(), make_result("cnn")])
    theirs = write_results(tmp_path / "theirs", [make_result(samples=[1.0, 2.0, 3.0]), make_result("cnn")])
    code = generator_main(["check", *map(str, load.result_files(theirs) + load.result_files(mine))])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    mlp, cnn = "test-cpu-4cpu/mlp.pytorch-1.0.eager.cpu.json", "test-cpu-4cpu/cnn.pytorch-1.0.eager.cpu.json"

    def left_out(path: Path, other: Path, run: str, numbers: str, name: str) -> str:
        return (
            f"{path}: left out: {other} claims the same run ({run} on test-cpu-4cpu) with {numbers}, and more "
            f"than one of them is named and placed for it. Keep the one you trust as {name} and delete the others"
        )

    assert out == [
        left_out(mine / cnn, theirs / cnn, "cnn/pytorch/eager/cpu", "the same numbers", cnn),
        left_out(theirs / cnn, mine / cnn, "cnn/pytorch/eager/cpu", "the same numbers", cnn),
        left_out(mine / mlp, theirs / mlp, "mlp/pytorch/eager/cpu", "different numbers", mlp),
        left_out(theirs / mlp, mine / mlp, "mlp/pytorch/eager/cpu", "different numbers", mlp),
    ]


def test_check_command_reports_a_name_or_folder_that_belies_the_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    renamed = tmp_path / "results" / "test-cpu-4cpu" / "mlp.pytorch-2.13.0_cpu.eager.cpu.json"
    moved = tmp_path / "results" / "another-machine" / "mlp.pytorch-1.0.eager.cpu.json"
    for path, doc in ((renamed, make_result("cnn")), (moved, make_result(version="1.0", samples=[5.0]))):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))
    code = generator_main(["check", str(renamed), str(moved)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out == [
        f"{moved}: measured on machine test-cpu-4cpu, not in a folder of that name; move it to "
        "results/test-cpu-4cpu/ (or use `python -m generator merge`)",
        f"{renamed}: named for another run, it holds cnn.pytorch-1.0.eager.cpu; rename it to "
        "cnn.pytorch-1.0.eager.cpu.json",
    ]


def test_build_strict_refuses_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = write_results(tmp_path / "results", [make_result()])
    shutil.copy(INVALID / "not-json.json", results / "test-cpu-4cpu" / "broken.json")
    code = generator_main(["build", "--results", str(results), "--out", str(tmp_path / "out"), "--strict"])
    err = capsys.readouterr().err
    assert code == 1
    assert "broken.json: not valid JSON" in err
    assert "--strict" in err


def test_a_version_2_file_becomes_one_record_per_round() -> None:
    """Version 2 pooled the rounds' samples with a count per round; read, each round is a record of its own."""
    old = ROOT / "results" / "amd-epyc-2cpu" / "mlp.pytorch-2.13.0_cpu.eager.cpu.json"
    pooled = json.loads(old.read_text())
    assert pooled["schema_version"] == 2
    doc, problems = results_model.check_file(old)
    assert problems == [] and doc is not None
    m = pooled["measurements"][0]
    assert [len(r["measurements"][0]["samples"]) for r in doc["rounds"]] == m["samples_per_round"]
    assert [s for r in doc["rounds"] for s in r["measurements"][0]["samples"]] == m["samples"]
    assert [r["import_s"] for r in doc["rounds"]] == pooled["import_s"]
    assert [r["measurements"][0]["first_call_s"] for r in doc["rounds"]] == m["first_call_s"]


def test_a_version_2_file_whose_readings_do_not_match_its_rounds_is_refused(tmp_path: Path) -> None:
    """A reading listed for fewer rounds than there are cannot be given to its round: the file is left out."""
    doc = json.loads((ROOT / "results" / "amd-epyc-2cpu" / "mlp.pytorch-2.13.0_cpu.eager.cpu.json").read_text())
    doc["import_s"] = doc["import_s"][:2]
    _, problems = results_model.check_document(doc)
    assert problems == [
        "schema_version: 2 cannot be migrated (ValueError: import_s has 2 entries for 5 rounds); "
        f"{results_model.REMEASURE}"
    ]


def test_a_study_file_of_version_1_keeps_each_process_samples(tmp_path: Path) -> None:
    path = ROOT / "results" / "amd-epyc-2cpu" / "studies" / "serving.pytorch-2.13.0_cpu.json"
    old = json.loads(path.read_text())["findings"][0]
    doc, problems = results_model.check_study(path, ["serving"])
    assert problems == [] and doc is not None and doc["schema_version"] == 2
    found = cast(ServingFinding, doc["findings"][0])
    assert "latency_samples" not in found and "latency_samples_per_round" not in found
    assert [len(p) for p in found["latency_samples_per_process"]] == old["latency_samples_per_round"]
    assert [s for p in found["latency_samples_per_process"] for s in p] == old["latency_samples"]
    bad = json.loads(path.read_text())
    bad["findings"][0]["latency_samples_per_round"] = [1, 2]
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    _, problems = results_model.check_study(tmp_path / "bad.json", ["serving"])
    assert problems[0].startswith("schema_version: 1 cannot be migrated (ValueError: latency_samples_per_round")
