"""The standard profile's budget: it measures every workload and study a verdict reads (and of the
pipeline and serving studies what the verdicts compare), and ``python -m measurements list
--estimate`` sums a profile's minutes from earlier results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.analyse import study_systems
from generator.judge import claims, usecases
from generator.read import rules
from generator.read.studies import load_studies
from measurements import estimate, harness
from measurements.__main__ import main
from measurements.profiles import PROFILES, VERDICT_PIPELINE, VERDICT_STUDIES, VERDICT_WORKLOADS, PipelinePlan
from measurements.studies import pipeline, runner, serving

ROOT = Path(__file__).resolve().parents[1]
# the studies each kind of evidence reads (generator/judge/evidence_kinds.py)
STUDIES_OF = {"memory": ("memory",), "distributed": ("distributed",), "serving": ("serving",),
              "usability": ("debugging", "errors"), "codesize": ("codesize",)}  # fmt: skip


def every_rule() -> list[rules.Rule]:
    found = usecases.load_rules()
    listed: list[rules.Rules] = [c.rule for c in claims.load_claims()]
    listed += [s["rule"] for u in found.use_cases for s in u.signals if "rule" in s]
    return [one for r in listed for one in (r if isinstance(r, list) else [r])]


def test_the_standard_profile_measures_every_workload_and_study_a_verdict_reads() -> None:
    read = every_rule()
    workloads = {w for r in read if r["evidence"] == "speed" for w in r["workloads"]}
    assert workloads == set(VERDICT_WORKLOADS)
    studies = {s for r in read if r["evidence"] == "pipeline" for s in [r.get("study", "pipeline")]}
    studies |= {s for r in read for s in STUDIES_OF.get(r["evidence"], ())}
    assert studies == set(VERDICT_STUDIES)
    standard = PROFILES["standard"]
    assert {r.workload for r in harness.plan(["cpu"], profile=standard)} == set(VERDICT_WORKLOADS)
    assert {s.study for s in runner.plan(profile=standard)} == set(VERDICT_STUDIES)
    assert {s.study for s in runner.plan(profile=PROFILES["full"])} > set(VERDICT_STUDIES)  # the full: every one
    assert "gemm/pytorch/eager/cpu" in [r.key for r in harness.plan(["cpu"], profile=PROFILES["full"])]


def test_the_standard_pipeline_plan_keeps_what_the_pipeline_verdicts_compare() -> None:
    assert VERDICT_PIPELINE.sizes == (max(pipeline.DEFAULT_SIZES),)
    for rule in every_rule():
        if rule["evidence"] != "pipeline" or rule.get("study", "pipeline") != "pipeline":
            continue
        assert rule.get("sizes", "largest") == "largest"  # all sizes would need every size measured
        for config in pipeline.CONFIGURATIONS:  # every configuration a rule counts is measured
            counted = rule.get("configs", {}).get(config.framework)
            if counted is None or config.id in counted:
                assert config.id in VERDICT_PIPELINE.configurations.get(config.framework, (config.id,)), config
    chosen = pipeline.settings_for(VERDICT_PIPELINE)
    assert chosen.sizes == (100_000,) and chosen.epochs(100_000) == 2
    assert {c.id for c in chosen.configurations if c.framework == "tensorflow"} == {"no-cache"}
    assert {c.id for c in chosen.configurations if c.framework == "pytorch"} == {"workers0", "workers1", "workers2"}
    assert pipeline.settings_for(None).epochs(100_000) == pipeline.epochs_for(100_000) == 6  # the full profile's


def test_the_standard_serving_plan_leaves_out_exactly_the_paths_no_verdict_compares() -> None:
    machines, _ = load_studies(ROOT / "results")
    rows = study_systems.serving_rows(machines["amd-epyc-2cpu"])
    assert rows
    for row in rows:  # the committed results' runtimes: a shared one is never a framework's win
        path = next(p for p in serving.PATHS if p.framework == row.framework and p.title == row.path)
        assert path.shared == (not study_systems.native(row)), row.path
    kept = {p.title for fw in ("pytorch", "tensorflow", "jax") for p in serving.paths_of(fw, PROFILES["standard"])}
    assert kept == {p.title for p in serving.PATHS if not p.shared}
    assert len(serving.paths_of("pytorch", PROFILES["full"])) == 3


def test_the_pipeline_data_set_is_generated_once_and_checked_by_its_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(pipeline.CACHE_ENV, str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    made = pipeline.dataset(tmp_path / "a", 20)
    again = pipeline.dataset(tmp_path / "b", 20)
    assert again == made  # the kept copy, not generated again (its generation time is the first's)
    first = sorted((tmp_path / "a" / "images").rglob("*.jpg"))[0]
    kept = tmp_path / "cache" / f"n20-seed{pipeline.SEED}" / "images" / first.relative_to(tmp_path / "a" / "images")
    assert kept.stat().st_ino == first.stat().st_ino  # linked, not copied
    kept.unlink()
    kept.write_bytes(b"not the image")  # a kept copy that no longer hashes to its manifest's is made again
    assert pipeline.dataset(tmp_path / "c", 20)["sha256"] == made["sha256"]
    assert (tmp_path / "c" / "images" / first.relative_to(tmp_path / "a" / "images")).read_bytes() != b"not the image"


def _result(folder: Path, workload: str, framework: str, mode: str, walls: list[float] | int, wall_s: float,
            profile: str = "standard") -> None:  # fmt: skip
    rounds: list[dict[str, Any]] | int = [{"wall_s": w} for w in walls] if isinstance(walls, list) else walls
    doc = {"run": {"profile": profile, "wall_s": wall_s, "started_at": "2026-12-01T00:00:00+00:00"}, "rounds": rounds}
    (folder / f"{workload}.{framework}-1.0.{mode}.cpu.json").write_text(json.dumps(doc))


def test_the_estimate_sums_each_run_and_study_from_earlier_wall_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "m"
    (folder / "studies").mkdir(parents=True)
    _result(folder, "mlp", "pytorch", "eager", [10.0, 20.0], 30.0)  # round records: their mean, 15 s
    _result(folder, "resnet50", "pytorch", "eager", 3, 180.0)  # a count of rounds (version 2): 60 s each
    _result(folder, "cnn", "pytorch", "eager", [1.0], 1.0, profile="quick")  # other sizes: unknown
    finding = {"images": 100_000, "config": "workers0", "epochs": 6, "epoch_s": [10.0] * 6,
               "per_process": {"wall_s": [70.0, 70.0], "generate_s": [30.0, 30.0]}}  # fmt: skip
    small = {"images": 1_000, "config": "workers0", "epochs": 11, "epoch_s": [0.1] * 11, "wall_s": 5.0,
             "generate_s": 1.0, "fresh_processes": 2}  # fmt: skip
    # the processes' 140 s and 10 s, their generation 60 s and 2 s, and 20 s of the rest
    study = {"run": {"wall_s": 140.0 + 10.0 + 60.0 + 2.0 + 20.0, "started_at": "2026-12-01T00:00:00+00:00"},
             "findings": [small, finding]}  # fmt: skip
    (folder / "studies" / "pipeline.pytorch-1.0.json").write_text(json.dumps(study))
    standard = PROFILES["standard"]
    runs = harness.plan(["cpu"], ["mlp/pytorch/eager/cpu", "resnet50/pytorch/*", "cnn/pytorch/eager/*"], standard)
    plan = PipelinePlan(sizes=(100_000,), steady_epochs=1, configurations={})
    parts = estimate.estimate(runs, runner.plan(["study/pipeline/pytorch"]), standard, folder)
    by = {p.key: (p.first_s, p.most_s) for p in parts}
    assert by["mlp/pytorch/eager/cpu"] == (15.0 * 5, 15.0 * 7)  # to the first look, and to the cap
    assert by["resnet50/pytorch/eager/cpu"] == (60.0 * 5, 60.0 * 5)  # the large models: one look
    assert by["cnn/pytorch/eager/cpu"] == (None, None)
    # 2 processes of 70 s less 4 epochs of 10 s, and half of the 20 s left over (one size of two kept)
    assert estimate.pipeline_s(study, plan, "pytorch") == (2 * (70.0 - 40.0) + 10.0, {100_000: 30.0})
    assert by["study/pipeline/pytorch"] == (70.0, 70.0)
    assert by["study/pipeline (data sets, generated once)"] == (30.0, 30.0)
    assert main(["list", "--profile", "standard", "--estimate", "--results", str(tmp_path), "--machine", "m",
                 "--only", "mlp/pytorch/eager/cpu", "--only", "cnn/pytorch/eager/cpu"]) == 0  # fmt: skip
    shown = capsys.readouterr().out
    assert "1.2    1.8  mlp/pytorch/eager/cpu" in shown
    assert "?      ?  cnn/pytorch/eager/cpu (no earlier result at these sizes)" in shown
    assert "1.2    1.8  total (1 unknown, not counted)" in shown
