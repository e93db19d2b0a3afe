"""Recommendations over any number of frameworks: per-framework scores, the leader's margin, and the
rings of the two-framework design of old on the committed results."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from generator import corpus, decide, evidence
from measurements import UserError, frameworks
from measurements.results import RESULTS_DIR

THREE = ("alpha", "beta", "gamma")
SETTINGS = decide.Settings(prefer_at=0.25, experience_nudge=0.2, curated_factor=0.25, untested_factor=0.5)


@pytest.fixture
def three(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three compared frameworks, as a registry with a third one would give."""
    monkeypatch.setattr(decide, "COMPARED", THREE)
    monkeypatch.setattr(decide, "label", str.capitalize)


def measured(winners: Sequence[str | None], weight: float = 1.0) -> decide.Signal:
    """A measured signal over comparisons won by ``winners`` (None: equivalent), each tested."""
    items = [evidence.Item("a comparison", w, "detail", tested=True, call="favours" if w else "equivalent")
             for w in winners]  # fmt: skip
    top = evidence.leader([i.vote for i in items])
    favours = top if top in THREE else None  # as evidence.favoured, over the fake registry
    return decide.Signal("measured", "speed", weight, favours, "status", items, decide.win_shares([items], favours))


def curated(favours: str, weight: float = 1.0) -> decide.Signal:
    shares = {fw: float(fw == favours) for fw in THREE}
    return decide.Signal("curated", "a fact", weight, favours, f"favours {favours}", shares=shares)


def recommend(
    signals: list[decide.Signal], monkeypatch: pytest.MonkeyPatch, name: str = "case"
) -> decide.Recommendation:
    monkeypatch.setattr(decide, "signals_for", lambda *_: signals)
    use_case = decide.UseCase(name, "A case", "What it is.", ())
    known: Any = SimpleNamespace(settings=SETTINGS)
    return decide.recommend(use_case, SimpleNamespace(id="m-1"), known)  # type: ignore[arg-type]


@pytest.mark.usefixtures("three")
def test_with_three_frameworks_the_leading_score_picks_the_ring(monkeypatch: pytest.MonkeyPatch) -> None:
    assert decide.rings() == ["prefer Alpha", "prefer Beta", "prefer Gamma", "either"]
    r = recommend([measured(["gamma", "gamma", "gamma", "beta"], 2), curated("alpha")], monkeypatch)
    assert r.scores == pytest.approx({"alpha": 1 / 3, "beta": 1 / 6, "gamma": 0.5})
    assert (r.leader, r.ring) == ("gamma", "either")
    assert r.margin == pytest.approx(1 / 6)  # below prefer_at
    assert r.confidence_share == pytest.approx(0.0)  # nothing found the three equivalent
    r = recommend([measured(["gamma"] * 4, 2), curated("alpha")], monkeypatch)
    assert (r.leader, r.ring) == ("gamma", "prefer Gamma")
    assert r.margin == pytest.approx(1 / 3)
    assert r.confidence_share == pytest.approx(2 / 3)  # the measured signal backs it all the way; the fact not at all
    assert r.scores["beta"] == 0.0
    # a signal's backing of a framework is its lead over the best of the others
    split = measured(["beta", "beta", "beta", "alpha"])
    assert split.backing("beta", SETTINGS) == pytest.approx(0.5)
    assert split.backing("alpha", SETTINGS) == 0.0
    assert split.backing("gamma", SETTINGS) == 0.0
    # a signal with no majority points nowhere, whatever its minority says
    assert measured(["alpha", "beta", "gamma"]).shares == {"alpha": 0.0, "beta": 0.0, "gamma": 0.0}


@pytest.mark.usefixtures("three")
def test_with_three_frameworks_an_answer_nudges_the_framework_the_team_knows(monkeypatch: pytest.MonkeyPatch) -> None:
    option = decide.Option("all", "Everything", ("one", "two"))
    known: Any = SimpleNamespace(settings=SETTINGS, questions=(
        decide.Question("cases", "Which?", (option,)),
        decide.Question("experience", "Known?", tuple(decide.Option(fw, fw, experience=fw) for fw in THREE)),
    ))  # fmt: skip
    one = recommend([measured(["alpha"] * 4)], monkeypatch, "one")  # prefer Alpha, high
    two = recommend([measured(["beta"] * 3 + ["gamma"])], monkeypatch, "two")  # prefer Beta by 0.5, medium
    found = decide.every_answer(known, {"one": one, "two": two})
    assert found["all/alpha"].scores == pytest.approx({"alpha": 0.7, "beta": 0.375, "gamma": 0.125})
    assert (found["all/alpha"].leader, found["all/alpha"].ring) == ("alpha", "prefer Alpha")  # leads by 0.325
    assert (found["all/beta"].leader, found["all/beta"].ring) == ("beta", "either")  # the nudge: leads by 0.075
    assert (found["all/gamma"].leader, found["all/gamma"].ring) == ("alpha", "either")
    assert found["all/gamma"].margin == pytest.approx(0.125)
    table = decide.questionnaire_json(known, [one, two])
    assert table["frameworks"] == {"alpha": "Alpha", "beta": "Beta", "gamma": "Gamma"}
    assert table["answers"]["all/beta"] == ["either", "high", {"alpha": 0.5, "beta": 0.575, "gamma": 0.125}, 0.075,
                                            ["one", "two"], "beta"]  # fmt: skip


def test_a_tie_is_either_and_the_registry_order_breaks_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decide, "COMPARED", THREE)
    assert decide.standing({"alpha": 0.4, "beta": 0.4, "gamma": 0.1}) == ("alpha", 0.0)
    assert decide.standing({"gamma": 0.9}) == ("gamma", 0.9)
    assert decide.standing({}) == ("alpha", 0.0)
    # a lead of exactly prefer_at reaches it, whatever the float noise of the mean
    assert SETTINGS.prefer_at > 0.7 - 0.45  # the float difference falls short
    assert decide.standing({"alpha": 0.7, "beta": 0.45}) == ("alpha", SETTINGS.prefer_at)


def old_ring(score: float, settings: decide.Settings) -> str:
    """The ring of the two-framework design: a signed score, +1 PyTorch .. -1 TensorFlow."""
    if score >= settings.prefer_at:
        return "prefer PyTorch"
    return "prefer TensorFlow" if score <= -settings.prefer_at else "either"


@pytest.mark.parametrize("machine", sorted(p.name for p in RESULTS_DIR.iterdir() if p.is_dir()))
def test_on_the_committed_results_two_frameworks_give_the_rings_of_the_signed_score(machine: str) -> None:
    assert frameworks.COMPARED == ("pytorch", "tensorflow")
    known = decide.load_rules()
    found = decide.recommend_all(known, corpus.load_corpus(RESULTS_DIR).machines[machine])
    old: dict[str, float] = {}
    for r in found:
        total = sum(s.weight for s in r.signals)
        signed = sum(s.weight * (s.share("pytorch") - s.share("tensorflow")) for s in r.signals) / total
        old[r.use_case.id] = signed
        assert r.ring == old_ring(signed, known.settings), r.use_case.id
        assert r.margin == pytest.approx(abs(signed))
    by_id = {r.use_case.id: r for r in found}
    nudge = {"pytorch": 1, "tensorflow": -1}
    for key, a in decide.every_answer(known, by_id).items():
        total = sum(w for _, w in a.use_cases)
        signed = sum(w * old[u] for u, w in a.use_cases) / total if total else 0.0
        signed = max(-1.0, min(1.0, signed + nudge.get(a.experience or "", 0) * known.settings.experience_nudge))
        assert a.ring == old_ring(signed, known.settings), key


def test_favours_and_experience_must_name_a_compared_framework(tmp_path: Path) -> None:
    text = decide.DECIDE_PATH.read_text()
    assert 'favours = "tensorflow"' in text and 'experience = "pytorch"' in text
    bad = tmp_path / "decide.toml"
    bad.write_text(text.replace('favours = "tensorflow"', 'favours = "numpy"', 1))
    with pytest.raises(UserError, match=r"signal \d+: favours: 'numpy' is not a compared framework; use the id") as e:
        decide.load_rules(bad)
    assert "\n" not in str(e.value) and str(bad) in str(e.value)
    bad.write_text(text.replace('experience = "pytorch"', 'experience = "jax"'))
    with pytest.raises(UserError, match=r"question \d+ \(experience\): option 'pytorch': experience: 'jax' is not"):
        decide.load_rules(bad)


def test_every_combination_still_has_an_answer_with_scores_for_each_framework(golden: Path) -> None:
    known = decide.load_rules()
    machine = next(iter(corpus.load_corpus(golden).machines.values()))
    found = decide.recommend_all(known, machine)
    document = decide.to_json(known, found, [])
    assert document["rings"] == ["prefer PyTorch", "prefer TensorFlow", "either"]
    assert all(set(u["scores"]) == {"pytorch", "tensorflow"} and "margin" in u for u in document["use_cases"])
    answers = decide.questionnaire_json(known, found)["answers"]
    assert len(answers) == len(list(itertools.product(*(q.options for q in known.questions))))
    assert all(a[0] in document["rings"] and set(a[2]) == {"pytorch", "tensorflow"} for a in answers.values())
