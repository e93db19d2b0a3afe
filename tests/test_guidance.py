"""Claims checked, recommendations and the questionnaire: verdicts follow the results, both ways."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from generator import __main__ as cli
from generator import claims, decide, evidence, render
from generator.load import load_results, result_files
from measurements import UserError
from tests.conftest import golden_docs, make_result, write_results
from tests.test_studies import study_doc, write_study

SPREAD = [-2.0, -1.0, 0.0, 1.0, 2.0] * 4


def swapped(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The golden results with the frameworks' MLP figures exchanged: TensorFlow's best is now
    twice as fast as PyTorch's, in training throughput and in inference latency."""
    fastest = {"mlp": (2000.0, 1000.0, 1.0), "mlp_infer": (0.4, 0.8, 0.01)}  # winner, loser, spread scale
    out = []
    for doc in docs:
        run = doc["run"]
        if run["workload"] in fastest and run["framework"] in ("pytorch", "tensorflow"):
            win, lose, scale = fastest[run["workload"]]
            value = win if run["framework"] == "tensorflow" and run["mode"] == "xla" else lose
            out.append(make_result(run["workload"], run["framework"], run["mode"], [value + d * scale for d in SPREAD]))
        else:
            out.append(doc)
    return out


def memory_findings(mib: float, saved_mib: float | None = None) -> list[dict[str, Any]]:
    """The memory study at three widths, training and inference (and, given ``saved_mib``, inference
    from a saved model), each that many MiB above the imported framework at width 256."""
    tasks = {"train": mib, "infer": mib, **({"saved": saved_mib} if saved_mib is not None else {})}
    return [
        {"id": f"{task}-w{w}-b256", "task": task, "width": w, "batch": 256, "mode": "eager", "parameters": w * w,
         "parameter_bytes": 4 * w * w, "outcome": "ok", "error": None, "after_import_rss_bytes": 100 * 2**20,
         "peak_rss_bytes": int((100 + size * w / 256) * 2**20)}
        for task, size in tasks.items() for w in (256, 1024, 2048)
    ]  # fmt: skip


def pipeline_findings(
    framework: str, rate: float, peak_mib: float, uncached: float | None = None
) -> list[dict[str, Any]]:
    """The pipeline study at two sizes: PyTorch's DataLoader with 2 workers, or tf.data with its cache
    (and without, at ``uncached`` samples/s, where given)."""
    configs = {"workers2": rate} if framework == "pytorch" else {"cache": rate, "no-cache": uncached or rate}
    return [
        {"id": f"{config}-n{n}", "config": config, "title": config, "images": n, "outcome": "ok", "error": None,
         "samples": [speed + d for d in SPREAD], "peak_pss_bytes": int(peak_mib * 2**20 * n / 1000),
         "decoded_bytes": n * 64 * 64 * 3}
        for config, speed in configs.items() for n in (1000, 10000)
    ]  # fmt: skip


def verdicts(results: Path) -> dict[str, str]:
    machines, _ = evidence.machines(results)
    return {c.claim.id: c.verdict for c in claims.check_all(claims.load_claims(), machines)}


def test_the_claims_file_holds_the_ten_claims_each_with_a_valid_rule() -> None:
    found = claims.load_claims()
    assert len(found) == 10
    assert len({c.id for c in found}) == 10
    assert {c.expects for c in found} == {"pytorch", "tensorflow"}


def test_a_speed_claim_follows_the_results_both_ways(tmp_path: Path) -> None:
    pytorch_wins = write_results(tmp_path / "a", golden_docs())  # torch.compile twice TensorFlow's best
    tensorflow_wins = write_results(tmp_path / "b", swapped(golden_docs()))
    assert verdicts(pytorch_wins)["tensorflow-trains-faster"] == "contradicted"
    assert verdicts(tensorflow_wins)["tensorflow-trains-faster"] == "supported"


def test_a_claim_without_its_results_is_not_measured_here(golden: Path) -> None:
    found = verdicts(golden)
    assert found["tensorflow-less-inference-memory"] == "not measured here"
    assert found["tfdata-tfrecord-large-datasets"] == "not measured here"
    assert found["static-graphs-faster-for-large-models"] == "not measured here"  # no CNN or Transformer results


def test_memory_claims_follow_the_memory_study_both_ways(golden: Path) -> None:
    write_study(golden, study_doc("memory", "pytorch", memory_findings(100)))
    write_study(golden, study_doc("memory", "tensorflow", memory_findings(50)))
    assert verdicts(golden)["tensorflow-less-inference-memory"] == "supported"
    write_study(golden, study_doc("memory", "tensorflow", memory_findings(300)))
    found = verdicts(golden)
    assert found["tensorflow-less-inference-memory"] == "contradicted"
    assert found["tensorflow-more-training-memory"] == "supported"
    write_study(golden, study_doc("memory", "tensorflow", memory_findings(104)))  # within the 10% threshold
    assert verdicts(golden)["tensorflow-less-inference-memory"] == "no meaningful difference"


def test_each_rule_of_a_list_votes_once_whatever_the_number_of_its_comparisons(golden: Path) -> None:
    write_study(golden, study_doc("memory", "pytorch", memory_findings(100, saved_mib=100)))
    write_study(golden, study_doc("memory", "tensorflow", memory_findings(300, saved_mib=50)))
    assert verdicts(golden)["tensorflow-less-inference-memory"] == "mixed"  # in process: PyTorch; saved: TensorFlow
    write_study(golden, study_doc("memory", "tensorflow", memory_findings(50, saved_mib=50)))
    assert verdicts(golden)["tensorflow-less-inference-memory"] == "supported"


def test_data_pipeline_claims_follow_the_pipeline_study_both_ways(golden: Path) -> None:
    write_study(golden, study_doc("pipeline", "pytorch", pipeline_findings("pytorch", 1000, 500)))
    write_study(golden, study_doc("pipeline", "tensorflow", pipeline_findings("tensorflow", 3000, 900)))
    found = verdicts(golden)
    assert found["tfdata-tfrecord-large-datasets"] == "supported"
    assert found["pytorch-out-of-memory-large-datasets"] == "contradicted"  # PyTorch needs less, and completes
    write_study(golden, study_doc("pipeline", "pytorch", pipeline_findings("pytorch", 4000, 2000)))
    found = verdicts(golden)
    assert found["tfdata-tfrecord-large-datasets"] == "contradicted"
    assert found["pytorch-out-of-memory-large-datasets"] == "supported"
    write_study(golden, study_doc("pipeline", "pytorch", pipeline_findings("pytorch", 1000, 500)))
    write_study(golden, study_doc("pipeline", "tensorflow", pipeline_findings("tensorflow", 3000, 900, uncached=1000)))
    assert verdicts(golden)["tfdata-tfrecord-large-datasets"] == "mixed"  # faster only with the in-memory cache


def test_a_bad_rule_stops_with_one_line_naming_the_file_the_claim_and_the_field(tmp_path: Path) -> None:
    text = claims.CLAIMS_PATH.read_text().replace('workloads = ["mlp", "cnn", "transformer"]', 'workloads = ["mlpp"]')
    bad = tmp_path / "claims.toml"
    bad.write_text(text)
    with pytest.raises(UserError) as error:
        claims.load_claims(bad)
    message = str(error.value)
    assert "claims.toml: claim 2 (tensorflow-trains-faster): rule: workloads.0: 'mlpp' is not one of" in message
    assert "\n" not in message
    bad.write_text(text.replace('evidence = "speed"', 'evidence = "vibes"', 1))
    with pytest.raises(UserError, match=r"claim 1 .*rule.evidence: 'vibes' is not a kind of evidence; use one of"):
        claims.load_claims(bad)


def test_a_decision_rule_naming_an_unknown_claim_stops_the_build(tmp_path: Path) -> None:
    bad = tmp_path / "decide.toml"
    bad.write_text(decide.DECIDE_PATH.read_text().replace('claim = "tensorflow-trains-faster"', 'claim = "nope"'))
    with pytest.raises(UserError, match=r"use case 2 \(cpu-training\): signal 1: no claim 'nope' in data/claims.toml"):
        decide.load_rules(bad)


def recommendations(results: Path) -> dict[str, decide.Recommendation]:
    machine = next(iter(evidence.machines(results)[0].values()))
    return {r.use_case.id: r for r in decide.recommend_all(decide.load_rules(), machine)}


def test_a_recommendation_follows_the_results_both_ways(tmp_path: Path) -> None:
    pytorch_wins = recommendations(write_results(tmp_path / "a", golden_docs()))["mlp-models"]
    assert (pytorch_wins.ring, pytorch_wins.confidence) == ("prefer PyTorch", "high")
    tensorflow_wins = recommendations(write_results(tmp_path / "b", swapped(golden_docs())))["mlp-models"]
    assert tensorflow_wins.ring == "prefer TensorFlow"


def test_confidence_is_low_where_evidence_is_curated_only_or_missing(golden: Path) -> None:
    found = recommendations(golden)
    assert (found["browser"].ring, found["browser"].confidence) == ("prefer TensorFlow", "low")  # a curated fact
    assert (found["gpu-training"].ring, found["gpu-training"].confidence) == ("either", "low")  # nothing measured
    assert found["gpu-training"].signals[0].status == "not measured here"


def test_every_combination_of_answers_has_an_answer_and_the_cli_gives_the_same(
    golden: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = decide.load_rules()
    found = recommendations(golden)
    table = decide.questionnaire_json(known, list(found.values()))
    assert len(table["answers"]) == len(list(itertools.product(*(q.options for q in known.questions))))
    chosen = {"deployment": "browser", "hardware": "cpu", "model": "mlp", "data": "fits", "experience": "pytorch",
              "priority": "latency"}  # fmt: skip
    key = "/".join(chosen[q.id] for q in known.questions)
    arguments = [f"--answer={q}={o}" for q, o in chosen.items()]
    assert cli.main(["recommend", "--results", str(golden), "--json", *arguments]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [printed["ring"], printed["confidence"], printed["score"]] == table["answers"][key][:3]
    assert printed["use_cases"] == ["browser", "cpu-training", "mlp-models", "cpu-inference-batch-1"]


def test_the_cli_prints_a_use_case_with_its_evidence_and_rejects_bad_input(
    golden: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["recommend", "--results", str(golden), "--use-case", "mlp-models"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MLPs and tabular models: prefer PyTorch (high confidence")
    assert "torch.compile" in out
    assert cli.main(["recommend", "--results", str(golden), "--use-case", "astrology"]) == 1
    assert "no use case 'astrology'; use one of: research-prototyping" in capsys.readouterr().err
    assert cli.main(["recommend", "--results", str(golden), "--answer", "deployment=moon"]) == 1
    assert "deployment: no option 'moon'; use one of server" in capsys.readouterr().err
    bad = next(golden.glob("*/mlp.pytorch-*.compile.cpu.json"))
    bad.write_text("{")
    assert cli.main(["recommend", "--results", str(golden), "--use-case", "mlp-models"]) == 0
    printed = capsys.readouterr()
    assert f"warning: {bad}: not valid JSON" in printed.err
    assert "PyTorch eager" in printed.out  # the verdict stands on what is left


def test_the_build_writes_the_guidance_pages_json_and_snippets(golden: Path, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    render.build(load_results(result_files(golden)), golden, out)
    for page in ("claims.md", "decide.md", "embed.md", "partials/verdicts.md"):
        assert (out / page).is_file(), page
    assert len(json.loads((out / "claims.json").read_text())["claims"]) == 10
    use_cases = json.loads((out / "recommendations.json").read_text())["use_cases"]
    snippet = (out / "embed" / "mlp-models.md.txt").read_text()
    assert snippet.startswith("**MLPs and tabular models: prefer PyTorch** (high confidence")
    snippets = {p.name.removesuffix(".md.txt") for p in (out / "embed").glob("*.md.txt")}
    assert snippets == {u["id"] for u in use_cases} | {"all"}
    assert "fg-decide" in (out / "decide.md").read_text()


def test_without_results_the_guidance_pages_say_so(tmp_path: Path) -> None:
    empty = tmp_path / "results"
    empty.mkdir()
    out = tmp_path / "generated"
    render.build(load_results(result_files(empty)), empty, out)
    assert "No results yet" in (out / "decide.md").read_text()
    assert "No results yet" in (out / "partials" / "verdicts.md").read_text()
    assert json.loads((out / "decide.json").read_text())["answers"] == {}
    assert all(c["machines"] == {} for c in json.loads((out / "claims.json").read_text())["claims"])
