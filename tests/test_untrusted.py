"""Untrusted inputs, round three: a results file that `check` accepts can neither stop the build
nor falsify what another file shows; data files hold finite numbers; failures are loud."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.__main__ import main as generator_main
from generator.pages import charts, downloads, render
from generator.read import corpus, merge, rules
from measurements import UserError
from measurements import results as results_model
from measurements.environment import slug
from measurements.lock import exclusive
from tests.conftest import MACHINE, golden_docs, make_result, measured, write_results

SPREAD = [-2.0, -1.0, 0.0, 1.0, 2.0] * 4


def build(results: Path, out: Path) -> corpus.Corpus:
    found = corpus.load_corpus(results)
    render.build(found, out)
    return found


def left_out(found: corpus.Corpus) -> str:
    return "\n".join(found.problems)


# 1. Names the build makes are safe by construction


def with_case(doc: dict[str, Any], case: str) -> dict[str, Any]:
    doc["measurements"][0]["case"] = case
    return doc


def speed_specs(out: Path) -> dict[str, dict[str, Any]]:
    """Each speed chart's spec, by the case its title names."""
    found = {}
    for path in (out / "charts").glob("*-speed-*.vl.json"):
        spec = json.loads(path.read_text())
        found[spec["title"].split(": ", 1)[1]] = spec
    return found


def test_a_long_case_name_builds_with_a_bounded_chart_name(tmp_path: Path) -> None:
    case = "c" * 1000  # the longest the schema allows
    docs = [with_case(make_result("mlp", fw, mode, [900.0 + d for d in SPREAD]), case)
            for fw, mode in (("pytorch", "eager"), ("tensorflow", "function"))]  # fmt: skip
    assert all(results_model.check_document(doc)[1] == [] for doc in docs)
    out = tmp_path / "out"
    build(write_results(tmp_path / "results", docs), out)
    names = [p.name for p in (out / "charts").iterdir()]
    assert names
    assert max(map(len, names)) <= charts.MAX_READABLE + 13 + len(".vl.json")


def test_two_cases_that_read_alike_keep_their_own_charts(tmp_path: Path) -> None:
    """ "a b" and "a-b" make the same slug: each case's chart still shows its own numbers."""
    docs = [
        with_case(make_result("mlp", "pytorch", "eager", [1000.0 + d for d in SPREAD]), "size a b"),
        with_case(make_result("mlp", "tensorflow", "function", [10.0 + d for d in SPREAD]), "size a-b"),
    ]
    out = tmp_path / "out"
    build(write_results(tmp_path / "results", docs), out)
    specs = speed_specs(out)
    assert set(specs) == {"size a b", "size a-b"}
    medians = {case: [row["median"] for row in spec["datasets"][spec["data"]["name"]]] for case, spec in specs.items()}
    assert medians == {"size a b": [1000.0], "size a-b": [10.0]}


def chart_name(machine: str, case: str, median: float) -> str:
    """The file name the build gives a case's speed chart, as ``performance.case_charts`` makes it."""
    frame = charts.with_labels(pd.DataFrame([{"framework": "pytorch", "label": "PyTorch eager", "median": median,
                                              "low": median, "high": median}]))  # fmt: skip
    chart = charts.bar_chart(frame, "median", f"MLP: {case}", "samples/s", "low", "high")
    spec_text = json.dumps(chart.to_dict(validate=False), sort_keys=True)
    return charts.file_stem(f"{machine}-mlp-{slug(case)}-speed", spec_text) + ".vl.json"


def accepted(machine: str, case: str) -> bool:
    doc = with_case(make_result(machine_id=machine), case)
    return results_model.check_document(doc)[1] == []


MACHINE_IDS = st.from_regex(r"\A[a-z0-9]{1,30}(-[a-z0-9]{1,30}){0,3}\Z")
CASES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=1000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(MACHINE_IDS, CASES), st.tuples(MACHINE_IDS, CASES))
def test_any_accepted_machine_and_case_make_a_bounded_distinct_chart_name(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    names = []
    for machine, case in (first, second):
        if not accepted(machine, case):
            return
        name = chart_name(machine, case, 100.0)
        assert len(name.encode()) <= charts.MAX_READABLE + 13 + len(".vl.json") < 255
        assert "/" not in name and not name.startswith(".")
        names.append(name)
    assert (names[0] == names[1]) == (first == second)


@pytest.mark.parametrize("machine", sorted(results_model.RESERVED_IDS))
def test_a_reserved_machine_id_is_refused_by_check_merge_and_build(
    tmp_path: Path, machine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = make_result(machine_id=machine)
    assert results_model.check_document(doc)[1] == [results_model.machine_id_problem(machine)]
    assert f"{machine!r} is a name the site uses for its own pages or folders" in str(
        results_model.machine_id_problem(machine)
    )
    source = write_results(tmp_path / "source", [doc])
    (path,) = source.glob("*/*.json")
    assert generator_main(["check", str(path)]) == 1
    assert capsys.readouterr().out.startswith(f"{path}: ")
    result = merge.merge([source], tmp_path / "merged")
    assert not result.merged and result.bad[0].startswith(f"{path}: ")
    good = write_results(tmp_path / "results", [make_result()])
    write_results(good, [doc])
    found = build(good, tmp_path / "out")
    assert f"{machine}/{path.name}: " in left_out(found)
    assert f"]({MACHINE}.md)" in (tmp_path / "out" / "machines" / "index.md").read_text()  # still the Machines page


def test_a_folder_named_like_a_download_is_left_out_and_the_build_finishes(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results", [make_result(), make_result("mlp", "tensorflow", "function")])
    (results / f"{MACHINE}.zip").mkdir()
    (results / f"{MACHINE}.zip" / "mlp.pytorch-1.0.eager.cpu.json").write_text(json.dumps(make_result()))
    found = build(results, tmp_path / "out")
    assert f"{MACHINE}.zip/mlp.pytorch-1.0.eager.cpu.json: lies in a folder named" in left_out(found)
    assert zipfile.is_zipfile(tmp_path / "out" / "results" / f"{MACHINE}.zip")


# 2. Provenance: one fingerprint per machine, and no figure beyond the machine's ceiling


def test_merge_refuses_a_file_from_other_hardware(tmp_path: Path) -> None:
    into = write_results(tmp_path / "results", [make_result()])
    source = write_results(tmp_path / "theirs", [make_result("mlp", "tensorflow", "function", cpu_model="Big CPU")])
    result = merge.merge([source], into)
    assert result.merged == []
    (line,) = result.bad
    assert "measured on other hardware (Big CPU, 4 cores, 8 GiB, no GPU) than the other files of machine" in line
    assert line.endswith("; not merged") and "\n" not in line


def test_merge_into_a_new_folder_keeps_the_fingerprint_most_files_carry(tmp_path: Path) -> None:
    docs = [make_result(), make_result("mlp", "tensorflow", "function"), make_result("matmul", "numpy", "default",
                                                                                    cpu_model="Other CPU")]  # fmt: skip
    result = merge.merge([write_results(tmp_path / "theirs", docs)], tmp_path / "results")
    assert len(result.merged) == 2 and "Other CPU" in result.bad[0]


def test_the_build_leaves_out_a_file_from_other_hardware(tmp_path: Path) -> None:
    docs = golden_docs()
    docs.append(measured("mlp", "pytorch", "eager", 1_000_000, cpu_model="Forged CPU", version="9.0"))
    found = build(write_results(tmp_path / "results", docs), tmp_path / "out")
    assert "mlp.pytorch-9.0.eager.cpu.json: measured on other hardware (Forged CPU" in left_out(found)
    assert "9.0" not in set(found.frame["framework_version"])


def test_the_build_leaves_out_a_figure_far_beyond_the_machine_ceiling(tmp_path: Path) -> None:
    docs = golden_docs()  # matmul at 80-100 GFLOP/s; the MLP's training step is 4 MFLOP a sample
    docs.append(measured("mlp", "pytorch", "eager", 1349 * 2000, version="9.0"))  # same fingerprint, newer release
    found = build(write_results(tmp_path / "results", docs), tmp_path / "out")
    lines = [line for line in found.problems if "mlp.pytorch-9.0.eager.cpu.json" in line]
    assert len(lines) == 1 and "times the machine's measured ceiling on cpu" in lines[0]
    assert "9.0" not in set(found.frame["framework_version"])
    assert not any("mlp.pytorch-1.0" in line for line in found.problems)  # the real ones stay


def test_a_lower_precision_mode_may_pass_the_float32_ceiling_by_what_its_hardware_allows(tmp_path: Path) -> None:
    docs = golden_docs()  # matmul at 80-100 GFLOP/s (float32); the MLP's training step is 4 MFLOP a sample
    docs.append(measured("mlp", "pytorch", "bf16", 20 * 2000))  # about 20 times the ceiling: a bf16 GPU's share
    docs.append(measured("mlp", "pytorch", "bf16", 1349 * 2000, version="9.0"))  # beyond even bfloat16's
    found = build(write_results(tmp_path / "results", docs), tmp_path / "out")
    assert not any("mlp.pytorch-1.0.bf16" in line for line in found.problems)
    assert any("mlp.pytorch-9.0.bf16.cpu.json" in line and "measured ceiling" in line for line in found.problems)


# 3. Downloads from the validated bytes


def test_a_file_swapped_for_a_link_after_validation_is_published_as_validated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = write_results(tmp_path / "results", golden_docs())
    victim = results / MACHINE / "mlp.pytorch-1.0.eager.cpu.json"
    validated = victim.read_bytes()
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:secret\n")
    publish_files = render.published_files

    def swap(found: corpus.Corpus) -> list[str]:  # between validation and writing
        victim.unlink()
        victim.symlink_to(secret)
        return publish_files(found)

    monkeypatch.setattr(render, "published_files", swap)
    out = tmp_path / "out"
    build(results, out)
    assert victim.is_symlink()
    with zipfile.ZipFile(out / "results" / f"{MACHINE}.zip") as z:
        assert z.read(f"{MACHINE}/{victim.name}") == validated
        assert all(b"secret" not in z.read(name) for name in z.namelist())
    copy = out / "results" / MACHINE / victim.name
    assert not copy.is_symlink() and copy.read_bytes() == validated


def test_a_results_file_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results", golden_docs())
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps(make_result("mlp_infer", "pytorch", "eager")))
    (results / MACHINE / "linked.json").symlink_to(elsewhere)
    found = corpus.load_corpus(results)
    assert f"{MACHINE}/linked.json: a symbolic link; not followed" in left_out(found)


@pytest.mark.parametrize("name", ["a\\b/x.json", "../x/y.json", "/etc/x.json", "m/../x.json", "x.json", ".m/x.json"])
def test_a_zip_entry_name_is_checked(name: str) -> None:
    with pytest.raises(ValueError, match="not a results file's name"):
        downloads.entry_name(name)


def test_a_study_in_a_folder_with_a_backslash_is_left_out(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results", golden_docs())
    folder = results / "odd\\name" / "studies"
    folder.mkdir(parents=True)
    (folder / "usability.pytorch-1.0.json").write_text("{}")
    found = build(results, tmp_path / "out")
    assert "odd\\name/studies/usability.pytorch-1.0.json: lies in a folder named 'odd\\\\name'" in left_out(found)
    with zipfile.ZipFile(tmp_path / "out" / "results" / f"{MACHINE}.zip") as z:
        assert not any("\\" in name for name in z.namelist())


# 4. Data files hold finite numbers; the published JSON is strict


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "+nan"])
def test_a_data_file_with_a_non_finite_number_is_refused(tmp_path: Path, value: str) -> None:
    path = tmp_path / "decide.toml"
    path.write_text(f"[settings]\nprefer_at = 1.1\n\n[[use_cases]]\nid = 'x'\nrule = {{ min_ratio = {value} }}\n")
    with pytest.raises(UserError) as caught:
        rules.read_toml(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: use_cases.0.rule.min_ratio: ") and "is not a finite number" in message
    assert "\n" not in message


def refuse(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def test_the_published_json_files_are_strict_json(golden: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(golden, out)
    for name in ("recommendations.json", "claims.json", "decide.json"):
        json.loads((out / name).read_text(), parse_constant=refuse)


def test_writing_json_refuses_nan(tmp_path: Path) -> None:
    from generator.pages import publish

    with pytest.raises(ValueError, match="not JSON compliant"):
        publish.write_json(tmp_path / "x.json", {"ratio": float("nan")})
    assert not (tmp_path / "x.json").exists()


# 6. Loud failures


def test_build_prints_a_bad_study_file_and_strict_fails_on_it(
    golden: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (golden / MACHINE / "studies").mkdir()
    (golden / MACHINE / "studies" / "usability.pytorch-1.0.json").write_text("{}")
    assert generator_main(["build", "--results", str(golden), "--out", str(tmp_path / "out")]) == 0
    assert "studies/usability.pytorch-1.0.json: " in capsys.readouterr().err
    assert generator_main(["build", "--results", str(golden), "--out", str(tmp_path / "out"), "--strict"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: 1 bad results files (listed above) and --strict was given"
    )


def test_recommend_refuses_a_question_answered_twice(golden: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from generator.judge import usecases

    question = usecases.load_rules().questions[0]
    first, second = question.options[0].id, question.options[-1].id
    code = generator_main(["recommend", "--results", str(golden), "--answer", f"{question.id}={first}",
                           "--answer", f"{question.id}={second}"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert err == (f"error: --answer '{question.id}={second}': {question.id} is answered twice "
                   f"({question.id}={first} before); give one --answer for each question\n")  # fmt: skip


def test_a_second_build_into_the_same_out_is_refused(golden: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    found = corpus.load_corpus(golden)
    with exclusive(out), pytest.raises(UserError, match="another build is writing here"):
        render.build(found, out)
    render.build(found, out)  # the lock is released with the build that held it
    assert (out / ".lock").is_file() and (out / "performance.md").is_file()
