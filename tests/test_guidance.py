"""Claims checked, recommendations and the questionnaire: verdicts follow the results, both ways."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from generator import __main__ as cli
from generator.judge import claims, decide, evidence, evidence_kinds, questionnaire, usecases
from generator.pages import render
from generator.read import corpus
from measurements import UserError
from tests.conftest import PROCESSES, golden_docs, measured, processes, write_results
from tests.test_studies import study_doc, write_study


def swapped(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The golden results with the frameworks' MLP figures exchanged: TensorFlow's primary mode is
    now twice as fast as PyTorch's, in training throughput and in inference latency."""
    fastest = {"mlp": (2000.0, 1000.0, 1.0), "mlp_infer": (0.4, 0.8, 0.001)}  # winner, loser, spread scale
    out = []
    for doc in docs:
        run = doc["run"]
        if run["workload"] in fastest and run["framework"] in ("pytorch", "tensorflow"):
            win, lose, scale = fastest[run["workload"]]
            value = win if run["framework"] == "tensorflow" and run["mode"] == "function" else lose
            out.append(measured(run["workload"], run["framework"], run["mode"], value, scale))
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
    framework: str, rate: float, peak_mib: float, uncached: float | None = None, replicated: bool = True
) -> list[dict[str, Any]]:
    """The pipeline study at two sizes: PyTorch's DataLoader with 2 workers, or tf.data with its cache
    (and without, at ``uncached`` samples/s, where given); each configuration measured in
    ``PROCESSES`` fresh processes where ``replicated`` (with its samples per process, as a
    replicated study records them), else in one."""
    configs = {"workers2": rate} if framework == "pytorch" else {"cache": rate, "no-cache": uncached or rate}

    def samples(speed: float) -> dict[str, Any]:
        if not replicated:
            return {"samples": [speed - 1, speed, speed + 1]}
        pooled = processes(speed)
        return {"samples_per_process": [pooled[i : i + 4] for i in range(0, 4 * PROCESSES, 4)]}

    return [
        {"id": f"{config}-n{n}", "config": config, "title": config, "images": n, "outcome": "ok", "error": None,
         "peak_pss_bytes": int(peak_mib * 2**20 * n / 1000), "decoded_bytes": n * 64 * 64 * 3, **samples(speed)}
        for config, speed in configs.items() for n in (1000, 10000)
    ]  # fmt: skip


def verdicts(results: Path) -> dict[str, str]:
    machines = corpus.load_corpus(results).machines
    return {c.claim.id: c.verdict for c in claims.check_all(claims.load_claims(), machines)}


def test_the_claims_file_holds_the_ten_claims_each_with_a_valid_rule() -> None:
    found = claims.load_claims()
    assert len(found) == 10
    assert len({c.id for c in found}) == 10
    assert {c.expects for c in found} == {"pytorch", "tensorflow"}


def test_a_speed_claim_follows_the_results_both_ways(tmp_path: Path) -> None:
    pytorch_wins = write_results(tmp_path / "a", golden_docs())  # PyTorch eager twice tf.function
    tensorflow_wins = write_results(tmp_path / "b", swapped(golden_docs()))
    assert verdicts(pytorch_wins)["tensorflow-trains-faster"] == "contradicted"
    assert verdicts(tensorflow_wins)["tensorflow-trains-faster"] == "supported"


def test_a_claim_without_its_results_is_not_measured_here(golden: Path) -> None:
    found = verdicts(golden)
    assert found["tensorflow-less-inference-memory"] == "not measured here"
    assert found["tfdata-tfrecord-large-datasets"] == "not measured here"
    assert found["static-graphs-faster-for-large-models"] == "not measured here"  # no ResNet-50 or encoder results


def checked(results: Path) -> dict[str, claims.Checked]:
    machines = corpus.load_corpus(results).machines
    return {c.claim.id: c for c in claims.check_all(claims.load_claims(), machines)}


def test_memory_claims_rest_on_single_readings_and_carry_no_verdict_either_way(golden: Path) -> None:
    """A memory study that measured each size in one process: its readings are shown, and carry no
    verdict, however far apart (fairness rule 8)."""
    write_study(golden, study_doc("memory", "pytorch", memory_findings(100)))
    for tensorflow in (50, 300):
        write_study(golden, study_doc("memory", "tensorflow", memory_findings(tensorflow)))
        found = checked(golden)
        for claim in ("tensorflow-less-inference-memory", "tensorflow-more-training-memory"):
            assert found[claim].verdict == "too few processes to call"
            assert all(i.winner is None and i.call == "single" for i in found[claim].items)
    item = found["tensorflow-more-training-memory"].items[0]
    assert item.detail == (
        "PyTorch 200 MiB against TensorFlow 400 MiB for the whole process, the framework's own runtime included "
        "(geometric means over the processes): too few processes to call (1 against 1), no verdict (TensorFlow ÷ "
        "PyTorch memory 2.00)"
    )


def replicated(findings: list[dict[str, Any]], spread: tuple[float, ...] = (0.99, 1.0, 1.01)) -> list[dict[str, Any]]:
    """The memory study's findings as the runner merges three fresh processes: each peak's readings
    under ``per_process`` (spread by the factors given), the lower median in its place."""
    found = []
    for f in findings:
        base, peak = f["after_import_rss_bytes"], f["peak_rss_bytes"]
        readings = [int(base + (peak - base) * k) for k in spread]
        found.append({**f, "peak_rss_bytes": sorted(readings)[1], "per_process": {"peak_rss_bytes": readings},
                      "fresh_processes": len(spread)})  # fmt: skip
    return found


def test_memory_claims_measured_in_three_processes_are_judged_with_less_as_better(golden: Path) -> None:
    """Three processes a side: each size's peak memory has an interval over them, and the framework
    that uses less wins the comparison, read as "less memory"."""
    write_study(golden, study_doc("memory", "pytorch", replicated(memory_findings(100))))
    write_study(golden, study_doc("memory", "tensorflow", replicated(memory_findings(300))))
    found = checked(golden)
    assert found["tensorflow-more-training-memory"].verdict == "supported"  # PyTorch uses less
    assert found["tensorflow-less-inference-memory"].verdict == "contradicted"
    item = found["tensorflow-more-training-memory"].items[0]
    assert item.winner == "pytorch" and item.call == "favours" and item.ratio is not None
    # the whole process: 100 MiB after import, then 100 and 300 MiB more at width 256
    assert item.ratio.n_a == item.ratio.n_b == 3 and 1.9 < item.ratio.ratio < 2.1
    assert "PyTorch against TensorFlow: 2.00× less memory, by 97–103% (95% interval 1.97–2.03×" in item.detail
    write_study(golden, study_doc("memory", "tensorflow", replicated(memory_findings(101))))
    found = checked(golden)  # 1% apart: inside the band, but three processes are too few to say equivalent
    assert found["tensorflow-more-training-memory"].verdict in ("too uncertain to call", "equivalent")


def item(winner: str | None, call: str = "favours") -> evidence.Item:
    return evidence.Item("a comparison", winner, "detail", call=call)


def test_each_rule_of_a_list_votes_once_whatever_the_number_of_its_comparisons() -> None:
    many_for_pytorch = [item("pytorch")] * 5
    one_for_tensorflow = [item("tensorflow")]
    assert evidence.votes([many_for_pytorch, one_for_tensorflow]) == ["pytorch", "tensorflow"]
    assert evidence.verdict([many_for_pytorch, one_for_tensorflow], "tensorflow") == "mixed"
    assert evidence.verdict([many_for_pytorch + one_for_tensorflow], "tensorflow") == "contradicted"  # one rule
    assert evidence.verdict([[item("tensorflow")], [item("tensorflow"), item(None, "uncertain")]], "tensorflow") == (
        "mixed"  # the second rule has no majority: it votes "mixed"
    )


def test_a_claim_verdict_tells_equivalent_from_uncertain_and_single_readings() -> None:
    assert evidence.verdict([[item(None, "equivalent")] * 3], "pytorch") == "equivalent"
    assert evidence.verdict([[item(None, "uncertain")] * 2 + [item(None, "single")]], "pytorch") == (
        "too uncertain to call"
    )
    assert evidence.verdict([[item(None, "single")] * 2 + [item("pytorch")]], "pytorch") == "too few processes to call"
    assert evidence.verdict([[item(None, "equivalent"), item(None, "uncertain")]], "pytorch") == "mixed"
    assert evidence.verdict([], "pytorch") == "not measured here"


def test_a_claim_counts_its_comparisons_calls_and_never_changes_one(golden: Path) -> None:
    """tensorflow-trains-faster votes over every training case: each item keeps the call of its own
    interval, the one the Performance guide and Decide show for the same pair."""
    found = checked(golden)["tensorflow-trains-faster"]
    (clear,) = found.items
    assert clear.call == "favours" and clear.winner == "pytorch"
    machine = next(iter(corpus.load_corpus(golden).machines.values()))
    case = next(c for c in machine.cases if c.workload.name == "mlp")
    assert case.modes.pairwise is not None
    assert clear.ratio == case.modes.pairwise.ratio("pytorch", "tensorflow")  # the very same comparison
    marginal = dataclasses.replace(clear.ratio, low=1.01, high=1.9, outcome="faster")
    still = evidence_kinds.tested_item("a", "f", marginal, ("pytorch", "tensorflow"), ())
    assert still.call == "favours"  # still called


def test_data_pipeline_claims_follow_a_replicated_pipeline_study_both_ways(golden: Path) -> None:
    write_study(golden, study_doc("pipeline", "pytorch", pipeline_findings("pytorch", 1000, 500)))
    write_study(golden, study_doc("pipeline", "tensorflow", pipeline_findings("tensorflow", 3000, 900)))
    found = verdicts(golden)
    assert found["tfdata-tfrecord-large-datasets"] == "supported"
    # running out of memory is judged under a memory limit only: the unlimited study does not speak to it
    assert found["pytorch-out-of-memory-large-datasets"] == "not measured here"
    write_study(golden, study_doc("pipeline", "pytorch", pipeline_findings("pytorch", 4000, 2000)))
    found = verdicts(golden)
    assert found["tfdata-tfrecord-large-datasets"] == "contradicted"
    assert found["pytorch-out-of-memory-large-datasets"] == "not measured here"
    write_study(golden, study_doc("pipeline", "pytorch", pipeline_findings("pytorch", 1000, 500)))
    write_study(golden, study_doc("pipeline", "tensorflow", pipeline_findings("tensorflow", 3000, 900, uncached=1000)))
    # faster only with the in-memory cache, which assumes the data fit in memory: the claim leaves it out
    assert verdicts(golden)["tfdata-tfrecord-large-datasets"] == "equivalent"
    # the study as measured so far, one process per configuration: single readings, no verdict
    write_study(golden, study_doc("pipeline", "pytorch", pipeline_findings("pytorch", 1000, 500, replicated=False)))
    write_study(golden, study_doc("pipeline", "tensorflow", pipeline_findings("tensorflow", 3000, 900,
                                                                                replicated=False)))  # fmt: skip
    assert verdicts(golden)["tfdata-tfrecord-large-datasets"] == "too few processes to call"


def test_a_bad_rule_stops_with_one_line_naming_the_file_the_claim_and_the_field(tmp_path: Path) -> None:
    text = claims.CLAIMS_PATH.read_text().replace('workloads = ["mlp", "cnn", "transformer"]', 'workloads = ["mlpp"]')
    bad = tmp_path / "claims.toml"
    bad.write_text(text)
    with pytest.raises(UserError) as error:
        claims.load_claims(bad)
    message = str(error.value)
    assert "claims.toml: claim 2 (tensorflow-trains-faster): rule.0: workloads.0: 'mlpp' is not one of" in message
    assert "\n" not in message
    bad.write_text(text.replace('evidence = "speed"', 'evidence = "vibes"', 1))
    with pytest.raises(UserError, match=r"claim 1 .*rule.evidence: 'vibes' is not a kind of evidence; use one of"):
        claims.load_claims(bad)


def test_a_decision_rule_naming_an_unknown_claim_stops_the_build(tmp_path: Path) -> None:
    bad = tmp_path / "decide.toml"
    bad.write_text(usecases.DECIDE_PATH.read_text().replace('claim = "tensorflow-trains-faster"', 'claim = "nope"'))
    with pytest.raises(UserError, match=r"use case 2 \(cpu-training\): signal 1: no claim 'nope' in data/claims.toml"):
        usecases.load_rules(bad)


def recommendations(results: Path) -> dict[str, decide.Recommendation]:
    machine = next(iter(corpus.load_corpus(results).machines.values()))
    return {r.use_case.id: r for r in decide.recommend_all(usecases.load_rules(), machine)}


def test_a_recommendation_follows_the_results_both_ways(tmp_path: Path) -> None:
    pytorch_wins = recommendations(write_results(tmp_path / "a", golden_docs()))["mlp-models"]
    assert pytorch_wins.ring == "prefer PyTorch"
    ruled_out = "TensorFlow is ruled out: PyTorch 2.00× faster, by 98–102% (95% interval"
    assert pytorch_wins.verdict.why.startswith(ruled_out)
    assert pytorch_wins.counts == "2 of 2 comparisons favour PyTorch"
    tensorflow_wins = recommendations(write_results(tmp_path / "b", swapped(golden_docs())))["mlp-models"]
    assert tensorflow_wins.ring == "prefer TensorFlow"


def test_curated_facts_alone_and_missing_evidence_read_not_measured(golden: Path) -> None:
    found = recommendations(golden)
    assert found["browser"].ring == "not measured"  # a curated fact alone
    assert [f.about for f in found["browser"].facts] == [found["browser"].signals[0].about]  # shown beside it
    assert found["gpu-training"].ring == "not measured"
    assert found["gpu-training"].machine is None  # no machine measured a GPU
    assert found["gpu-training"].verdict.why == "no machine in these results measured a GPU"


def test_every_combination_of_answers_has_an_answer_and_the_cli_gives_the_same(
    golden: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    known = usecases.load_rules()
    found = corpus.load_corpus(golden)
    machines = decide.Machines(known, found.machines, found.reference())
    table = questionnaire.questionnaire_json(known, machines, questionnaire.every_answer(known, machines))
    assert len(table["answers"]) == len(list(itertools.product(*(q.options for q in known.questions))))
    chosen = {"deployment": "browser", "hardware": "cpu", "model": "mlp", "data": "fits", "experience": "pytorch",
              "priority": "latency"}  # fmt: skip
    key = "/".join(chosen[q.id] for q in known.questions)
    arguments = [f"--answer={q}={o}" for q, o in chosen.items()]
    assert cli.main(["recommend", "--results", str(golden), "--json", *arguments]) == 0
    printed = json.loads(capsys.readouterr().out)
    ring = table["answers"][key][0]
    # the browser, which counts three times, has nothing measured, and its curated fact favours TensorFlow
    assert printed["ring"] == ring == "prefer PyTorch" and printed["contenders"] == ["pytorch"]
    assert [r["framework"] for r in printed["ruled_out"]] == ["tensorflow"]
    assert printed["caveats"] == [f["about"] for f in printed["facts"]] != []
    assert table["whys"][table["answers"][key][5]] == printed["why"]
    assert [u["id"] for u in printed["use_cases"]] == ["browser", "cpu-training", "mlp-models", "cpu-inference-batch-1"]
    assert printed["note"] == "The team already knows PyTorch, which the measurements favour too."
    assert printed["measured_on"]["machines"] == ["Test CPU, 4 cores"]
    assert printed["measured_on"]["models"] == []  # the golden files record no model sizes


def test_the_cli_prints_a_use_case_with_its_evidence_and_rejects_bad_input(
    golden: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["recommend", "--results", str(golden), "--use-case", "mlp-models"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MLPs and tabular models: prefer PyTorch: TensorFlow is ruled out: PyTorch 2.00× faster")
    assert "PyTorch eager" in out and "The same with the margin halved (±10%) or doubled (±40%)." in out
    assert cli.main(["recommend", "--results", str(golden), "--use-case", "astrology"]) == 1
    assert "no use case 'astrology'; use one of: research-prototyping" in capsys.readouterr().err
    assert cli.main(["recommend", "--results", str(golden), "--answer", "deployment=moon"]) == 1
    assert "deployment: no option 'moon'; use one of server" in capsys.readouterr().err
    bad = next(golden.glob("*/mlp.pytorch-*.eager.cpu.json"))
    bad.write_text("{")
    assert cli.main(["recommend", "--results", str(golden), "--use-case", "mlp-models"]) == 0
    printed = capsys.readouterr()
    assert f"warning: {bad}: not valid JSON" in printed.err
    assert "torch.compile" in printed.out  # the verdict stands on what is left: the primary's stand-in


def test_the_build_writes_the_guidance_pages_json_and_snippets(
    golden: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FG_SITE_URL", raising=False)
    out = tmp_path / "generated"
    render.build(corpus.load_corpus(golden), out)
    for page in ("claims.md", "decide.md", "embed.md", "partials/verdicts.md", "partials/calibration.md"):
        assert (out / page).is_file(), page
    assert len(json.loads((out / "claims.json").read_text())["claims"]) == 10
    use_cases = json.loads((out / "recommendations.json").read_text())["use_cases"]
    snippet = (out / "embed" / "mlp-models.md.txt").read_text()
    ruled_out = "TensorFlow is ruled out: PyTorch 2.00× faster"
    assert snippet.startswith(f"**MLPs and tabular models: prefer PyTorch**: {ruled_out}")
    assert "Measured on Test CPU, 4 cores, with" in snippet  # clean text: no needless escapes
    assert "(http://127.0.0.1:8000/generated/decide.html#mlp-models)" in snippet  # absolute: mkdocs.yml's default
    snippets = {p.name.removesuffix(".md.txt") for p in (out / "embed").glob("*.md.txt")}
    assert snippets == {u["id"] for u in use_cases} | {"all"}
    assert "fg-decide" in (out / "decide.md").read_text()
    calibration = (out / "partials" / "calibration.md").read_text()
    assert "The questionnaire has 1,728 combinations of answers." in calibration
    assert "| not measured on hardware like yours | 1,152 | 67% |" in calibration  # GPU and several processes


def test_without_results_the_guidance_pages_say_so(tmp_path: Path) -> None:
    empty = tmp_path / "results"
    empty.mkdir()
    out = tmp_path / "generated"
    render.build(corpus.load_corpus(empty), out)
    assert "No results yet" in (out / "decide.md").read_text()
    assert "No results yet" in (out / "partials" / "verdicts.md").read_text()
    assert json.loads((out / "decide.json").read_text())["answers"] == {}
    assert all(c["machines"] == {} for c in json.loads((out / "claims.json").read_text())["claims"])
