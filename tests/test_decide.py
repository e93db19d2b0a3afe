"""Decisions over any number of frameworks: pairs of frameworks decide, each framework ruled out
names its evidence, curated facts and the team's experience never move an outcome, and every
answer stays inside the scope it was measured in."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from generator.analyse import stats
from generator.judge import decide, evidence, questionnaire, ruling, usecases
from generator.read import corpus
from measurements import UserError
from measurements.frameworks import COMPARED, FRAMEWORK_LABELS
from measurements.results import RESULTS_DIR

THREE = ("alpha", "beta", "gamma")


@pytest.fixture
def three(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three compared frameworks, as a registry with a third one would give."""
    for module in (ruling, questionnaire):
        monkeypatch.setattr(module, "COMPARED", THREE)
    for module in (ruling, decide, questionnaire):
        monkeypatch.setattr(module, "label", str.capitalize)


def item(a: str, b: str, winner: str | None, call: str = "equivalent", n: int = 0) -> evidence.Item:
    """A tested comparison of the pair (a, b): won by ``winner``, or else ``call``."""
    return evidence.Item(f"comparison {n} of {a} and {b}", winner, "detail", (f"f{n}{a}{b}.json",), tested=True,
                         call="favours" if winner else call, sides=(a, b))  # fmt: skip


def measured(items: Sequence[evidence.Item], weight: float = 1.0) -> ruling.Signal:
    return ruling.Signal("measured", "speed", weight, None, "status", list(items), groups=[list(items)])


def curated(favours: str, weight: float = 1.0) -> ruling.Signal:
    return ruling.Signal("curated", "a fact", weight, favours, f"favours {favours}")


def recommend(signals: list[ruling.Signal], monkeypatch: pytest.MonkeyPatch) -> decide.Recommendation:
    monkeypatch.setattr(decide, "signals_for", lambda *_: signals)
    use_case = usecases.UseCase("case", "A case", "What it is.", ())
    known: Any = SimpleNamespace(model_sources=frozenset())
    machine = SimpleNamespace(id="m-1", docs={}, unmeasured=lambda hardware: {})
    return decide.recommend(use_case, machine, known)  # type: ignore[arg-type]


@pytest.mark.usefixtures("three")
def test_every_pair_decides_and_the_one_behind_is_ruled_out_with_its_evidence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ruling.rings() == ["prefer Alpha", "prefer Beta", "prefer Gamma", "Alpha or Beta", "Alpha or Gamma",
                              "Beta or Gamma", "equivalent", "too uncertain to call", "not measured",
                              "not measured on hardware like yours"]  # fmt: skip
    # gamma is behind both; alpha against beta shows no direction: a set, and gamma is ruled out
    r = recommend([measured([item("alpha", "gamma", "alpha"), item("beta", "gamma", "beta"),
                             item("alpha", "beta", None, "uncertain")]), curated("gamma", 5)], monkeypatch)  # fmt: skip
    assert r.ring == "Alpha or Beta" and r.verdict.contenders == ["alpha", "beta"]
    assert list(r.verdict.ruled_out) == ["gamma"] and r.verdict.ruled_out["gamma"].ahead == "alpha"
    # a count's item has no interval: its own words name it
    assert r.verdict.why.startswith("Gamma is ruled out: comparison 0 of alpha and gamma: detail")
    assert [c.about for c in r.verdict.caveats] == ["a fact"]  # a fact for a ruled-out framework is named, not counted
    assert r.reasons()[0].what == "comparison 0 of alpha and gamma"  # what rules it out comes first
    # the leader of the leader-against-runner-up rule would hide gamma's pair; here no pair is dropped
    assert {tuple(p.pair) for p in r.verdict.pairs} == {("alpha", "beta"), ("alpha", "gamma"), ("beta", "gamma")}
    # every other framework behind one: a call
    r = recommend([measured([item("alpha", "beta", "alpha"), item("alpha", "gamma", "alpha"),
                             item("beta", "gamma", None)])], monkeypatch)  # fmt: skip
    assert r.ring == "prefer Alpha" and set(r.verdict.ruled_out) == {"beta", "gamma"}
    # a fact alone decides nothing
    assert recommend([curated("alpha", 5)], monkeypatch).ring == "not measured"


@pytest.mark.usefixtures("three")
def test_equivalence_uncertainty_and_abstention(monkeypatch: pytest.MonkeyPatch) -> None:
    every = [item(a, b, None) for a, b in itertools.combinations(THREE, 2)]
    r = recommend([measured(every)], monkeypatch)
    assert r.ring == "equivalent" and "every pair is equivalent within ±20%" in r.verdict.why
    uncertain = [item(a, b, None, "uncertain") for a, b in itertools.combinations(THREE, 2)]
    r = recommend([measured(uncertain)], monkeypatch)
    assert r.ring == "too uncertain to call" and not r.verdict.decides
    assert r.counts == "all 3 comparisons too uncertain to call"
    # a signal that shows no direction abstains; one that does decides the pair
    r = recommend([measured([item("alpha", "beta", "alpha")], 2), measured([item("alpha", "beta", None, "uncertain")],
                                                                            2)], monkeypatch)  # fmt: skip
    assert r.ring == "prefer Alpha"
    # within one signal, a pair follows the majority of its comparisons: one clear of three does not decide
    r = recommend([measured([item("alpha", "beta", "alpha", n=0), item("alpha", "beta", None, "uncertain", 1),
                             item("alpha", "beta", None, "uncertain", 2)])], monkeypatch)  # fmt: skip
    assert r.ring == "too uncertain to call"
    # two signals that disagree: no framework holds more than half
    r = recommend([measured([item("alpha", "beta", "alpha")]), measured([item("alpha", "beta", "beta")])], monkeypatch)
    assert r.ring == "too uncertain to call"


@pytest.mark.usefixtures("three")
def test_heavier_answers_decide_first(monkeypatch: pytest.MonkeyPatch) -> None:
    heavy = (4.0, "alpha", [item("alpha", "beta", "alpha", n=1)])
    light = [(1.0, "beta", [item("alpha", "beta", "beta", n=2)]), (1.0, "beta", [item("alpha", "beta", "beta", n=3)])]
    assert ruling.by_priority([heavy, *light])[frozenset(THREE[:2])].outcome == "alpha"  # never outvoted
    assert ruling.pair_outcomes([(1.0, "alpha", heavy[2]), *light])[frozenset(THREE[:2])].outcome == "beta"
    open_pair = (4.0, "uncertain", [item("alpha", "beta", None, "uncertain", n=4)])
    assert ruling.by_priority([open_pair, *light])[frozenset(THREE[:2])].outcome == "beta"  # lighter ones fill it


def test_the_questionnaire_can_recommend_every_registered_framework() -> None:
    prefer = [r for r in ruling.rings() if r.startswith("prefer ")]
    assert prefer == [f"prefer {FRAMEWORK_LABELS[fw]}" for fw in COMPARED] and "prefer JAX" in prefer


def test_a_scope_keeps_the_hardware_answered_and_the_model_chosen() -> None:
    scope = decide.Scope("gpu", "cnn", frozenset({"cnn", "serving"}), frozenset({"cnn", "serving", "mlp", "memory"}))
    item = evidence.Item("x", None, "d")
    assert not scope.keeps(item)  # measured on a CPU
    assert scope.keeps(evidence.Item("x", None, "d", source="cnn", hardware="gpu"))
    assert not scope.keeps(evidence.Item("x", None, "d", source="mlp", hardware="gpu"))  # another model's
    assert scope.keeps(evidence.Item("x", None, "d", source="errors", hardware="gpu"))  # about no one model
    assert decide.Scope("gpu").keeps(evidence.Item("x", None, "d", source="mlp", hardware="gpu"))  # every model


@pytest.fixture(scope="module")
def committed() -> tuple[usecases.Rules, decide.Machines, dict[str, questionnaire.Answer]]:
    known = usecases.load_rules()
    found = corpus.load_corpus(RESULTS_DIR)
    machines = decide.Machines(known, found.machines, found.reference())
    return known, machines, questionnaire.every_answer(known, machines)


def test_every_combination_of_answers_draws_only_on_evidence_inside_its_answers(
    committed: tuple[usecases.Rules, decide.Machines, dict[str, questionnaire.Answer]],
) -> None:
    known, _, answers = committed
    assert len(answers) == len(list(itertools.product(*(q.options for q in known.questions))))
    by_id = {u.id: u for u in known.use_cases}
    hardware_of = {o.id: o.hardware for q in known.questions for o in q.options if o.hardware}
    models = {o.id: set(o.sources) for q in known.questions for o in q.options if o.sources}
    model_sources = set().union(*models.values())
    for key, a in answers.items():
        chosen = dict(zip([q.id for q in known.questions], key.split("/"), strict=True))
        hardware, model = hardware_of[chosen["hardware"]], models[chosen["model"]]
        ids = [u for u, _ in a.use_cases]
        assert len(ids) == len(set(ids)), key  # no use case counts twice
        for u in ids:
            assert hardware in by_id[u].hardware, (key, u)  # every use case speaks about the hardware answered
        cited = [i for r in a.verdicts for s in r.signals for i in s.items] + a.verdict.backing + a.reasons()
        for item in cited:
            assert item.hardware == hardware, (key, item.what)  # a GPU answer never reads a CPU figure
            assert item.source not in model_sources or item.source in model, (key, item.what)
        if hardware != "cpu":  # the committed results compare the frameworks on one 2-core CPU only
            assert a.ring == ruling.NOT_MEASURED_HERE, key
            assert "`nox -s measure`" in a.measure and "nox" not in a.verdict.why
        if hardware == "gpu":  # the H100 machine's PyTorch-only figures are named, and linked from the page
            assert [fw for _, fw in a.elsewhere] == ["PyTorch"] and "PyTorch alone was measured" in a.verdict.why


def test_every_decision_rests_on_its_comparisons_and_names_what_it_rests_on(
    committed: tuple[usecases.Rules, decide.Machines, dict[str, questionnaire.Answer]],
) -> None:
    known, _, answers = committed
    for a in answers.values():
        if a.verdict.decides:
            assert a.verdict.backing, a.answers
            assert a.provenance is not None and a.provenance.machines[0].startswith("AMD EPYC, 2 cores")
        for fw, p in a.verdict.ruled_out.items():
            assert p.behind == fw and p.evidence is not None and p.evidence.winner == p.ahead
    table = questionnaire.calibration(known, answers)
    assert sum(n for _, n in table.outcomes) == len(answers)


def test_most_cpu_answers_decide_on_the_committed_results(
    committed: tuple[usecases.Rules, decide.Machines, dict[str, questionnaire.Answer]],
) -> None:
    """At least 60% of the CPU answer combinations rule a framework out or call equivalence, and at
    most a third of the measured use cases read too uncertain to call."""
    known, machines, answers = committed
    decided, cpu = questionnaire.calibration(known, answers).decided_cpu
    assert cpu == 576 and decided / cpu >= 0.6, (decided, cpu)
    measured = [r for r in machines.all() if r.measured]
    assert sum(r.ring == ruling.UNCERTAIN for r in measured) * 3 <= len(measured)
    by_id = {r.use_case.id: r for r in machines.all()}
    assert "tensorflow" in by_id["cpu-inference-batch-1"].verdict.ruled_out
    assert by_id["low-memory"].verdict.ruled_out.get("tensorflow") is not None
    assert by_id["low-memory"].verdict.ruled_out["tensorflow"].ahead == "pytorch"


def test_the_tensorflow_teams_latency_answer_rules_tensorflow_out(
    committed: tuple[usecases.Rules, decide.Machines, dict[str, questionnaire.Answer]],
) -> None:
    _, _, answers = committed
    for model in ("mlp", "cnn"):
        a = answers[f"server/cpu/{model}/fits/tensorflow/latency"]
        assert "tensorflow" in a.verdict.ruled_out, model
        assert a.note.startswith("The team knows TensorFlow, which the measurements rule out here"), a.note
        assert "batch 1" in a.reasons()[0].what  # a latency question cites latency comparisons first
    kept = answers["server/cpu/mlp/fits/pytorch/latency"]
    assert "pytorch" in kept.verdict.contenders
    if len(kept.verdict.contenders) > 1:
        assert kept.note.startswith("Your team's choice, not a measured verdict")


def test_answers_say_whether_halving_or_doubling_the_margin_changes_them(
    committed: tuple[usecases.Rules, decide.Machines, dict[str, questionnaire.Answer]],
) -> None:
    _, machines, answers = committed
    for r in machines.all():
        if r.measured:
            assert r.verdict.sensitivity.startswith(("The same with the margin halved", "With the margin halved"))
    assert any("processes a side" in a.verdict.settle for a in answers.values() if a.ring == ruling.UNCERTAIN)
    assert json.loads(json.dumps(questionnaire.answer_json(next(iter(answers.values())))))["ring"]


def test_a_cpu_answer_names_the_machine_models_versions_and_dates(
    committed: tuple[usecases.Rules, decide.Machines, dict[str, questionnaire.Answer]],
) -> None:
    _, _, answers = committed
    a = answers["server/cpu/cnn/fits/neither/training-speed"]
    assert a.provenance is not None
    text = a.provenance.text
    assert text.startswith("Measured on AMD EPYC, 2 cores, with JAX 0.10.2, PyTorch 2.13.0+cpu, ")
    assert "TensorFlow 2.21.0" in text and "ResNet-50 (large), 25.6M parameters" in text
    assert "Transformer" not in text  # the CNN answer rests on CNN comparisons only


def test_an_answer_may_leave_questions_out_but_not_the_hardware(
    committed: tuple[usecases.Rules, decide.Machines, dict[str, questionnaire.Answer]],
) -> None:
    known, machines, _ = committed
    a = questionnaire.answer({"hardware": "gpu", "priority": "training-speed"}, known, machines)
    assert a.ring == ruling.NOT_MEASURED_HERE
    assert [u for u, _ in a.use_cases] == ["gpu-training", "gpu-inference"]
    with pytest.raises(UserError, match=r"no answer to 'hardware', and every verdict depends on the hardware"):
        questionnaire.answer({"priority": "memory"}, known, machines)


def test_favours_and_experience_must_name_a_compared_framework(tmp_path: Path) -> None:
    text = usecases.DECIDE_PATH.read_text()
    assert 'favours = "tensorflow"' in text and 'experience = "pytorch"' in text
    bad = tmp_path / "decide.toml"
    bad.write_text(text.replace('favours = "tensorflow"', 'favours = "numpy"', 1))
    with pytest.raises(UserError, match=r"signal \d+: favours: 'numpy' is not a compared framework; use the id") as e:
        usecases.load_rules(bad)
    assert "\n" not in str(e.value) and str(bad) in str(e.value)
    bad.write_text(text.replace('experience = "pytorch"', 'experience = "mxnet"'))
    with pytest.raises(UserError, match=r"question \d+ \(experience\): option 'pytorch': experience: 'mxnet' is not"):
        usecases.load_rules(bad)
    bad.write_text(text.replace('hardware = "gpu"\n', "", 1))
    with pytest.raises(UserError, match=r"'hardware' is a dependency of 'measure'"):
        usecases.load_rules(bad)


def test_option_ids_sources_and_the_number_of_combinations_are_checked(tmp_path: Path) -> None:
    text = usecases.DECIDE_PATH.read_text()
    bad = tmp_path / "decide.toml"
    bad.write_text(text.replace('id = "tensorflow"\nlabel', 'id = "pytorch"\nlabel', 1))
    with pytest.raises(UserError, match=r"question \d+ \(experience\): the option id 'pytorch' is used twice") as e:
        usecases.load_rules(bad)
    assert "\n" not in str(e.value)
    bad.write_text(
        text.replace('sources = ["https://pytorch.org/serve/README.html"', 'sources = ["https://x.example"', 1)
    )
    with pytest.raises(UserError, match=r"source 'https://x.example' is not one of the fact's sources"):
        usecases.load_rules(bad)
    many = "".join(
        f'\n[[question]]\nid = "extra-{i}"\ntext = "Extra question {i}?"\n'
        + "".join(f'[[question.option]]\nid = "o{j}"\nlabel = "Option {j}"\n' for j in range(4))
        for i in range(6)
    )
    bad.write_text(text + many)  # 1,728 × 4⁶ combinations: refused, not worked out for days
    with pytest.raises(UserError, match=r"7,077,888 combinations of answers, more than Decide works out \(20,000\)"):
        usecases.load_rules(bad)
    assert usecases.load_rules().settings.margin == stats.margin() == 0.2
