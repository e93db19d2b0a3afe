"""Recommendations over any number of frameworks: measured scores decide, curated facts inform, a
call needs enough comparisons, and every answer stays inside the scope it was measured in."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from generator import corpus, decide, evidence
from measurements import UserError
from measurements.frameworks import COMPARED, FRAMEWORK_LABELS
from measurements.results import RESULTS_DIR

THREE = ("alpha", "beta", "gamma")
SETTINGS = decide.Settings(prefer_at=0.25, equivalent_at=0.5, min_comparisons=3, untested_factor=0.5)


@pytest.fixture
def three(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three compared frameworks, as a registry with a third one would give."""
    monkeypatch.setattr(decide, "COMPARED", THREE)
    monkeypatch.setattr(decide, "label", str.capitalize)


def measured(winners: Sequence[str | None], weight: float = 1.0, call: str = "equivalent") -> decide.Signal:
    """A measured signal over tested comparisons won by ``winners`` (None: ``call``, equivalent by default)."""
    items = [evidence.Item(f"comparison {i}", w, "detail", (f"f{i}.json",), tested=True,
                           call="favours" if w else call) for i, w in enumerate(winners)]  # fmt: skip
    top = evidence.leader([i.vote for i in items])
    favours = top if top in THREE else None  # as evidence.favoured, over the fake registry
    return decide.Signal("measured", "speed", weight, favours, "status", items, decide.win_shares([items], favours))


def curated(favours: str, weight: float = 1.0) -> decide.Signal:
    return decide.Signal("curated", "a fact", weight, favours, f"favours {favours}")


def recommend(signals: list[decide.Signal], monkeypatch: pytest.MonkeyPatch) -> decide.Recommendation:
    monkeypatch.setattr(decide, "signals_for", lambda *_: signals)
    use_case = decide.UseCase("case", "A case", "What it is.", ())
    known: Any = SimpleNamespace(settings=SETTINGS, model_sources=frozenset())
    return decide.recommend(use_case, SimpleNamespace(id="m-1", docs={}), known)  # type: ignore[arg-type]


@pytest.mark.usefixtures("three")
def test_measurements_decide_and_a_curated_fact_never_moves_a_score(monkeypatch: pytest.MonkeyPatch) -> None:
    assert decide.rings() == ["prefer Alpha", "prefer Beta", "prefer Gamma", "equivalent", "too uncertain to call",
                              "not measured", "not measured on hardware like yours"]  # fmt: skip
    r = recommend([measured(["gamma"] * 4, 2), curated("alpha", 5)], monkeypatch)
    assert r.scores == pytest.approx({"alpha": 0.0, "beta": 0.0, "gamma": 1.0})  # the fact weighs nothing
    assert (r.ring, r.verdict.leader, r.margin) == ("prefer Gamma", "gamma", 1.0)
    assert r.confidence == "medium"  # high from the measurement alone, a level lower for the fact against it
    assert [c.about for c in r.verdict.caveats] == ["a fact"]
    r = recommend([measured(["gamma"] * 4, 2), curated("gamma", 5)], monkeypatch)
    assert (r.ring, r.confidence, r.verdict.caveats) == ("prefer Gamma", "high", [])  # a fact for it adds nothing
    r = recommend([curated("alpha", 5)], monkeypatch)
    assert (r.ring, r.confidence) == ("not measured", None)  # a fact alone turns nothing
    # a signal's backing of a framework is its lead over the best of the others
    split = measured(["beta", "beta", "beta", "alpha"])
    assert split.backing("beta", SETTINGS) == pytest.approx(0.5)
    assert split.backing("alpha", SETTINGS) == 0.0
    # a signal with no majority points nowhere, whatever its minority says
    assert measured(["alpha", "beta", "gamma"]).shares == {"alpha": 0.0, "beta": 0.0, "gamma": 0.0}


@pytest.mark.usefixtures("three")
def test_a_call_needs_enough_comparisons_and_equivalence_its_own_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    r = recommend([measured(["beta", "beta"])], monkeypatch)  # leads by 1.0, on two comparisons
    assert r.ring == "too uncertain to call" and r.confidence is None
    assert "only 2 comparisons favour it; a call needs at least 3" in r.verdict.why
    assert [i.what for i in r.reasons()] == ["comparison 0", "comparison 1"]  # shown, either way
    r = recommend([measured([None, None, None, "beta"])], monkeypatch)  # 3 of 4 equivalent
    assert (r.ring, r.confidence) == ("equivalent", "high")
    assert len(r.verdict.backing) == 3
    r = recommend([measured([None, None, None, None], call="uncertain")], monkeypatch)
    assert r.ring == "too uncertain to call"
    assert r.counts == "all 4 comparisons too uncertain to call"
    r = recommend([measured(["alpha"] * 3 + [None] * 2)], monkeypatch)
    assert r.counts == "3 of 5 comparisons favour Alpha, 2 equivalent"


def test_a_tie_is_no_lead_and_the_registry_order_breaks_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decide, "COMPARED", THREE)
    assert decide.standing({"alpha": 0.4, "beta": 0.4, "gamma": 0.1}) == ("alpha", 0.0)
    assert decide.standing({"gamma": 0.9}) == ("gamma", 0.9)
    # a lead of exactly prefer_at reaches it, whatever the float noise of the mean
    assert SETTINGS.prefer_at > 0.7 - 0.45  # the float difference falls short
    assert decide.standing({"alpha": 0.7, "beta": 0.45}) == ("alpha", SETTINGS.prefer_at)


def test_the_questionnaire_can_recommend_every_registered_framework() -> None:
    prefer = [r for r in decide.rings() if r.startswith("prefer ")]
    assert prefer == [f"prefer {FRAMEWORK_LABELS[fw]}" for fw in COMPARED] and "prefer JAX" in prefer
    leader, margin = decide.standing({"jax": 0.9, "pytorch": 0.3, "tensorflow": 0.0})
    assert leader == "jax" and margin == pytest.approx(0.6)


def test_a_scope_keeps_the_hardware_answered_and_the_model_chosen() -> None:
    scope = decide.Scope("gpu", "cnn", frozenset({"cnn", "serving"}), frozenset({"cnn", "serving", "mlp", "memory"}))
    item = evidence.Item("x", None, "d")
    assert not scope.keeps(item)  # measured on a CPU
    assert scope.keeps(evidence.Item("x", None, "d", source="cnn", hardware="gpu"))
    assert not scope.keeps(evidence.Item("x", None, "d", source="mlp", hardware="gpu"))  # another model's
    assert scope.keeps(evidence.Item("x", None, "d", source="errors", hardware="gpu"))  # about no one model
    assert decide.Scope("gpu").keeps(evidence.Item("x", None, "d", source="mlp", hardware="gpu"))  # every model


@pytest.fixture(scope="module")
def committed() -> tuple[decide.Rules, decide.Machines, dict[str, decide.Answer]]:
    known = decide.load_rules()
    found = corpus.load_corpus(RESULTS_DIR)
    machines = decide.Machines(known, found.machines, found.reference())
    return known, machines, decide.every_answer(known, machines)


def test_every_combination_of_answers_draws_only_on_evidence_inside_its_answers(
    committed: tuple[decide.Rules, decide.Machines, dict[str, decide.Answer]],
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
            assert a.ring == decide.NOT_MEASURED_HERE, key
            assert "To measure it: `nox -s measure`" in a.note


def test_no_call_rests_on_fewer_comparisons_than_the_stated_minimum(
    committed: tuple[decide.Rules, decide.Machines, dict[str, decide.Answer]],
) -> None:
    known, machines, answers = committed
    calls = [a for a in answers.values() if a.ring.startswith("prefer") or a.ring == decide.EQUIVALENT]
    # with three frameworks the committed results make no call at all (each comparison is the best against the
    # best of the others, corrected over all of them); the synthetic tests above make calls, and this holds for any
    for a in calls:
        assert len({(i.what, i.files) for i in a.verdict.backing}) >= known.settings.min_comparisons
        assert a.provenance is not None and a.provenance.machines[0].startswith("amd-epyc-2cpu (AMD EPYC, 2 cores")
    for r in machines.all():
        if r.ring.startswith("prefer") or r.ring == decide.EQUIVALENT:
            assert len(r.verdict.backing) >= known.settings.min_comparisons, r.use_case.id
    table = decide.calibration(known, answers)
    assert sum(n for _, n in table.outcomes) == len(answers)
    assert table.least >= known.settings.min_comparisons if calls else table.least == 0


def test_a_cpu_answer_names_the_machine_models_versions_and_dates(
    committed: tuple[decide.Rules, decide.Machines, dict[str, decide.Answer]],
) -> None:
    _, _, answers = committed
    a = answers["server/cpu/cnn/fits/neither/training-speed"]
    assert a.provenance is not None
    text = a.provenance.text
    assert text.startswith(
        "Measured on amd-epyc-2cpu (AMD EPYC, 2 cores, no GPU) with JAX 0.10.2, PyTorch 2.13.0+cpu, "
    )
    assert "TensorFlow 2.21.0" in text and "ResNet-50 (large), 25.6M parameters" in text
    assert "Transformer" not in text  # the CNN answer rests on CNN comparisons only


def test_an_answer_may_leave_questions_out_but_not_the_hardware(
    committed: tuple[decide.Rules, decide.Machines, dict[str, decide.Answer]],
) -> None:
    known, machines, _ = committed
    a = decide.answer({"hardware": "gpu", "priority": "training-speed"}, known, machines)
    assert a.ring == decide.NOT_MEASURED_HERE
    assert [u for u, _ in a.use_cases] == ["gpu-training", "gpu-inference"]
    with pytest.raises(UserError, match=r"no answer to 'hardware', and every verdict depends on the hardware"):
        decide.answer({"priority": "memory"}, known, machines)


def test_favours_and_experience_must_name_a_compared_framework(tmp_path: Path) -> None:
    text = decide.DECIDE_PATH.read_text()
    assert 'favours = "tensorflow"' in text and 'experience = "pytorch"' in text
    bad = tmp_path / "decide.toml"
    bad.write_text(text.replace('favours = "tensorflow"', 'favours = "numpy"', 1))
    with pytest.raises(UserError, match=r"signal \d+: favours: 'numpy' is not a compared framework; use the id") as e:
        decide.load_rules(bad)
    assert "\n" not in str(e.value) and str(bad) in str(e.value)
    bad.write_text(text.replace('experience = "pytorch"', 'experience = "mxnet"'))
    with pytest.raises(UserError, match=r"question \d+ \(experience\): option 'pytorch': experience: 'mxnet' is not"):
        decide.load_rules(bad)
    bad.write_text(text.replace('hardware = "gpu"\n', "", 1))
    with pytest.raises(UserError, match=r"'hardware' is a dependency of 'measure'"):
        decide.load_rules(bad)
