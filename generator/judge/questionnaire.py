"""The questionnaire behind Decide: every combination of answers worked out, how they resolve
(``Calibration``), and ``decide.json``, which the Decide page reads.

The questionnaire narrows the evidence to the answers (``Scope``): the hardware answer picks the
machine and keeps only comparisons measured on that hardware (a GPU answer never reads a CPU
figure), and the model answer drops comparisons of other models. Each answer selects use cases;
a use case counts once (at the largest weight that selects it), and only where it speaks about
the hardware answered. Where no machine measured anything on that hardware, the answer is "not
measured on hardware like yours", with what would measure it. Every combination of answers is
worked out here, once, so the browser and ``python -m generator recommend`` give the same answer.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import TypedDict, TypeVar

from generator.judge import evidence
from generator.judge.decide import (
    Decided,
    Machines,
    ReasonJson,
    Recommendation,
    Scope,
    VerdictJson,
    only_framework,
    reason_json,
    unmeasured_frameworks,
    verdict_json,
)
from generator.judge.ruling import (
    NOT_MEASURED,
    NOT_MEASURED_HERE,
    Signal,
    Verdict,
    Votes,
    by_priority,
    decision,
    not_measured,
    pair_outcomes,
    rings,
    ruled_out_words,
)
from generator.judge.usecases import HARDWARE_WORDS, Option, Question, Rules
from generator.read import provenance
from generator.read.studies import and_list
from measurements import UserError
from measurements.frameworks import COMPARED, label


@dataclass
class Answer(Decided):
    """What the questionnaire concludes for one combination of answers."""

    answers: dict[str, str]  # question id -> option id
    hardware: str
    machine: str | None
    verdict: Verdict
    use_cases: list[tuple[str, float]]  # (use case id, weight): each selected use case once
    verdicts: list[Recommendation]  # each of them in the answers' scope
    experience: str | None
    note: str  # what else to know: the team's experience, or what is not known on this hardware
    provenance: provenance.Provenance | None
    measure: str = ""  # for hardware nothing here measured: how to measure it
    elsewhere: tuple[tuple[str, str], ...] = ()  # (machine, framework): one framework alone measured on the hardware

    @property
    def facts(self) -> list[Signal]:
        return [f for r in self.verdicts for f in r.facts]


def chosen_options(chosen: dict[str, str], known: Rules) -> list[Option]:
    """The options answered. A question left out selects nothing and narrows nothing (every model,
    say), except the hardware, which every verdict depends on."""
    found = []
    for question in known.questions:
        if question.id not in chosen:
            if any(o.hardware for o in question.options):
                ids = ", ".join(o.id for o in question.options)
                raise UserError(f"no answer to {question.id!r}, and every verdict depends on the hardware; give "
                                f"--answer {question.id}=OPTION ({ids})")  # fmt: skip
            continue
        option = next((o for o in question.options if o.id == chosen[question.id]), None)
        if option is None:
            ids = ", ".join(o.id for o in question.options)
            raise UserError(f"{question.id}: no option {chosen[question.id]!r}; use one of {ids}")
        found.append(option)
    return found


def _use_case_votes(measured: list[tuple[Recommendation, float]],
                    band: float | None = None) -> list[tuple[float, str | None, list[evidence.Item]]]:  # fmt: skip
    """Each measured use case's outcome on each pair as a vote, at the weight the answers give it."""
    found: Votes = []
    for r, w in measured:
        pairs = r.verdict.pairs if band is None else list(pair_outcomes(r.votes(band=band)).values())
        found += [(w, p.outcome, list(p.items)) for p in pairs]
    return found


def answer(chosen: dict[str, str], known: Rules, machines: Machines) -> Answer:
    """The decision for a set of answers, from the use cases they select that speak about the
    hardware answered, each once, in the answers' scope: each use case's outcome on each pair of
    frameworks votes, at the weight the answers give it (``decision``)."""
    options = chosen_options(chosen, known)
    hardware = next((o.hardware for o in options if o.hardware), "cpu")
    measure = next((o.measure for o in options if o.hardware), "")
    model = next((o for o in options if o.sources), None)
    scope = Scope(hardware, model.id if model else None, frozenset(model.sources if model else ()), known.model_sources)
    by_id = {u.id: u for u in known.use_cases}
    weights: dict[str, float] = {}
    left_out: list[str] = []  # an answer's use cases, none of which speaks about the hardware answered
    for o in options:
        for u in o.use_cases:
            if hardware in by_id[u].hardware:
                weights[u] = max(weights.get(u, 0.0), o.weight)
        if o.use_cases and not any(hardware in by_id[u].hardware for u in o.use_cases):
            left_out += [by_id[u].title for u in o.use_cases if by_id[u].title not in left_out]
    experience = next((o.experience for o in options if o.experience), None)
    verdicts = [machines.verdict(by_id[u], scope) for u in weights]
    measured = [(r, weights[r.use_case.id]) for r in verdicts if r.measured]
    machine = machines.for_hardware(hardware)
    on = machine.id if machine else None
    if not measured:
        if not machines.measures(hardware):
            alone = tuple((m.id, one) for m in machines.machines.values() if (one := only_framework(m, hardware)))
            why = _not_known_here(alone, hardware, {m.id: m.name for m in machines.machines.values()}) + "".join(
                unmeasured_frameworks(machines.machines[m], hardware) for m, _ in alone
            )
            return Answer(dict(chosen), hardware, on, not_measured(NOT_MEASURED_HERE, why), list(weights.items()),
                          verdicts, experience, _experience_note(experience, None), None, measure, alone)  # fmt: skip
        why = "none of the use cases these answers select compares the frameworks for this kind of model"
        return Answer(dict(chosen), hardware, on, not_measured(NOT_MEASURED, why), list(weights.items()), verdicts,
                      experience, _experience_note(experience, None), None)  # fmt: skip
    facts_beside = [f for r in verdicts for f in r.facts]
    verdict = decision(
        _use_case_votes(measured), facts_beside, lambda band: _use_case_votes(measured, band), by_priority
    )
    docs = machine.docs if machine else {}
    found = provenance.of_files([f for r, _ in measured for i in r.items for f in i.files], docs)
    counts = {u: f" (which these answers weigh {w:g}×)" if w != 1 else "" for u, w in weights.items()}
    gaps = [f"{r.use_case.title}{counts[r.use_case.id]}" for r in verdicts if not r.measured]
    if gaps:
        # lower-case the first letter of a word, never of an acronym ("MLPs" stays, "Convolutional" does not)
        first = model.label.split(" ", 1)[0] if model else ""
        lowered = first[:1].lower() + first[1:] if first[1:2].islower() else first
        kind = f" for {lowered}{model.label[len(first) :]}" if model else ""
        verdict.why += f". Nothing here measures {and_list(gaps)}{kind}: the outcome covers the rest only"
    if left_out:
        verdict.why += (
            f". Left out: {and_list(left_out)}, which speak{'s' if len(left_out) == 1 else ''} about other hardware"
        )
    verdict.why += unmeasured_frameworks(machine, hardware)
    note = _experience_note(experience, verdict)
    return Answer(dict(chosen), hardware, on, verdict, list(weights.items()), verdicts, experience, note, found)


def _not_known_here(alone: tuple[tuple[str, str], ...], hardware: str, names: dict[str, str]) -> str:
    """What these results know, and do not, about ``hardware`` nothing here compares the frameworks on:
    ``alone`` holds each (machine, framework) that measured one framework alone there; ``names``, each
    machine's name."""
    words = HARDWARE_WORDS[hardware]
    if alone:
        where = "; ".join(f"{one} alone was measured on the machine {names.get(m, m)}" for m, one in alone)
        return (f"no two frameworks were measured on {words} here, so nothing compares them ({where}: its own "
                "figures are on that machine's Performance page, with no verdict)")  # fmt: skip
    return f"nothing in these results was measured on {words}"


def _experience_note(experience: str | None, verdict: Verdict | None) -> str:
    """What the team's experience adds: among the frameworks still in contention it chooses, and
    that choice is labelled as the team's, never as a measured verdict."""
    if experience is None:
        return ""
    known = label(experience)
    if verdict is None or verdict.ring in (NOT_MEASURED, NOT_MEASURED_HERE):
        return f"The team knows {known}; nothing measured here compares it for these answers."
    if experience in verdict.ruled_out:
        others = and_list([label(fw) for fw in verdict.contenders]) if verdict.contenders else "another framework"
        return (f"The team knows {known}, which the measurements rule out here: "
                f"{ruled_out_words(experience, verdict.ruled_out[experience])}. Weigh that against the cost "
                f"of learning {others}.")  # fmt: skip
    if len(verdict.contenders) > 1:
        return (
            f"Your team's choice, not a measured verdict: {known}, which the team already knows, is still in "
            f"contention, so experience picks it among {and_list([label(fw) for fw in verdict.contenders])}."
        )
    return f"The team already knows {known}, which the measurements favour too."


def every_answer(known: Rules, machines: Machines) -> dict[str, Answer]:
    """Every combination of answers, keyed by the option ids in question order joined with "/"."""
    found = {}
    for combination in itertools.product(*(q.options for q in known.questions)):
        chosen = {q.id: o.id for q, o in zip(known.questions, combination, strict=True)}
        found["/".join(o.id for o in combination)] = answer(chosen, known, machines)
    return found


@dataclass
class Calibration:
    """How every combination of answers resolves: counts per outcome, and per answer of each question."""

    total: int
    outcomes: list[tuple[str, int]]  # ring, how many combinations end in it
    by_question: list[tuple[Question, list[tuple[Option, Counter[str]]]]]
    least: int  # the fewest independent comparisons any decided answer rests on
    drivers: list[tuple[str, str, int]]  # (ring, use case title, how many combinations of that ring it agreed with)
    alike: list[Question]  # questions whose every answer resolves the same way
    decided: int = 0  # combinations that rule a framework out or call equivalence
    decided_cpu: tuple[int, int] = (0, 0)  # the same among the CPU answers: (decided, all)


def calibration(known: Rules, answers: dict[str, Answer]) -> Calibration:
    outcomes = Counter(a.ring for a in answers.values())
    by_question = []
    for index, question in enumerate(known.questions):
        per = [(o, Counter(a.ring for key, a in answers.items() if key.split("/")[index] == o.id))
               for o in question.options]  # fmt: skip
        by_question.append((question, per))
    calls = [a for a in answers.values() if a.verdict.decides]
    least = min((len(a.verdict.backing) for a in calls), default=0)
    titles = {u.id: u.title for u in known.use_cases}
    agreeing: Counter[tuple[str, str]] = Counter()
    for a in calls:
        for r in a.verdicts:
            if r.ring == a.ring:
                agreeing[a.ring, titles[r.use_case.id]] += 1
    drivers = [(ring, title, n) for (ring, title), n in agreeing.most_common()]
    ordered = [(ring, outcomes[ring]) for ring in rings() if outcomes[ring]]
    alike = [
        q
        for q, per in by_question
        if len(per) > 1 and all(counted == per[0][1] for _, counted in per) and not any(o.experience for o in q.options)
    ]  # experience never moves an outcome, by design
    cpu = [a for a in answers.values() if a.hardware == "cpu"]
    return Calibration(len(answers), ordered, by_question, least, drivers, alike, len(calls),
                       (sum(a.verdict.decides for a in cpu), len(cpu)))  # fmt: skip


class UseCaseRingJson(TypedDict):
    id: str
    title: str
    ring: str


class FactJson(TypedDict):
    about: str
    favours: str | None
    sources: list[str]


class AnswerJson(VerdictJson):
    """One answer as ``recommend --json`` prints it."""

    hardware: str
    machine: str | None
    use_cases: list[UseCaseRingJson]
    reasons: list[ReasonJson]
    facts: list[FactJson]
    caveats: list[str]
    measure: str | None
    measured_on: provenance.ProvenanceJson | None
    experience: str | None
    note: str


class QuestionJson(TypedDict):
    id: str
    text: str
    options: list[dict[str, str]]  # each option's id and label


class QuestionnaireJson(TypedDict):
    """``decide.json`` (see ``questionnaire_json``)."""

    schema_version: int
    frameworks: dict[str, str]
    questions: list[QuestionJson]
    titles: dict[str, str]
    verdicts: list[tuple[str, str]]
    reasons: list[str]
    notes: list[str]
    scopes: list[str]
    whys: list[str]
    facts: list[tuple[str, tuple[str, ...]]]
    mores: list[str]
    measures: list[str]
    elsewheres: list[tuple[tuple[str, str], ...]]
    answers: dict[str, PackedAnswer]


# an answer as decide.json packs it: [ring, use cases, reasons, note, scope, why, facts, more, measure,
# elsewhere], each but the ring an index (or indexes) into one of the tables
PackedAnswer = tuple[str, list[int], list[int], int, int, int, list[int], int, int, int]


def answer_json(a: Answer) -> AnswerJson:
    """One answer as ``recommend --json`` prints it."""
    return {
        **verdict_json(a.verdict), "hardware": a.hardware, "machine": a.machine,
        "use_cases": [{"id": r.use_case.id, "title": r.use_case.title, "ring": r.ring} for r in a.verdicts],
        "reasons": [reason_json(i) for i in a.reasons()],
        "facts": [{"about": f.about, "favours": f.favours, "sources": list(f.sources)} for f in a.facts],
        "caveats": [c.about for c in a.verdict.caveats], "measure": a.measure or None,
        "measured_on": a.provenance.to_json() if a.provenance else None, "experience": a.experience, "note": a.note,
    }  # fmt: skip


K = TypeVar("K")


def _index(table: dict[K, int], value: K) -> int:
    """Where ``value`` is in ``table``, a table of texts each stored once: added at its end where it is new."""
    return table.setdefault(value, len(table))


def questionnaire_json(known: Rules, machines: Machines, answers: dict[str, Answer],
                       pages: dict[str, str] | None = None) -> QuestionnaireJson:  # fmt: skip
    """``decide.json``: the questions, the frameworks' labels, and the answer to every combination
    (the page looks it up) as ``[ring, use cases, reasons, note, scope, why, facts, more, measure,
    elsewhere]``.
    Each text is stored once: the use cases are indexes into ``verdicts`` (``[id, ring]``), the
    reasons into ``reasons``, the note into ``notes``, the scope into ``scopes``, how the outcome
    came about into ``whys``, the curated facts beside it into ``facts`` (``[text, [source URLs]]``),
    how sure it is (the margin halved or doubled, and what would settle it) into ``mores``, and
    what would measure hardware nothing here measured into ``measures``, and the machines that
    measured one framework alone on that hardware into ``elsewheres`` (``[[text, page]]``, the page
    of that machine's figures from ``pages``, machine -> its Performance page)."""
    verdicts: dict[tuple[str, str], int] = {}
    reasons: dict[str, int] = {}
    notes: dict[str, int] = {}
    scopes: dict[str, int] = {}
    whys: dict[str, int] = {}
    facts: dict[tuple[str, tuple[str, ...]], int] = {}
    mores: dict[str, int] = {}
    measures: dict[str, int] = {}
    elsewheres: dict[tuple[tuple[str, str], ...], int] = {}
    names = {m.id: m.name for m in machines.machines.values()}
    packed: dict[str, PackedAnswer] = {}
    for key, a in answers.items():
        cases = [_index(verdicts, (r.use_case.id, r.ring)) for r in a.verdicts]
        said = [_index(reasons, f"{i.what}: {i.detail}") for i in a.reasons()]
        scope = _index(scopes, a.provenance.text if a.provenance else "")
        shown = list(dict.fromkeys(_index(facts, (f.about, f.sources)) for f in a.facts))
        more = _index(mores, " ".join(t for t in (a.verdict.sensitivity, a.verdict.settle) if t))
        alone = tuple((f"{fw}'s figures on {names.get(m, m)}, with no verdict", (pages or {}).get(m, ""))
                      for m, fw in a.elsewhere)  # fmt: skip
        packed[key] = (a.ring, cases, said, _index(notes, a.note), scope, _index(whys, a.verdict.why), shown,
                       more, _index(measures, a.measure), _index(elsewheres, alone))  # fmt: skip
    return {
        "schema_version": 4,
        "frameworks": {fw: label(fw) for fw in COMPARED},
        "questions": [{"id": q.id, "text": q.text, "options": [{"id": o.id, "label": o.label} for o in q.options]}
                      for q in known.questions],
        "titles": {u.id: u.title for u in known.use_cases},
        # tuples become JSON arrays
        "verdicts": list(verdicts), "reasons": list(reasons), "notes": list(notes), "scopes": list(scopes),
        "whys": list(whys), "facts": list(facts), "mores": list(mores), "measures": list(measures),
        "elsewheres": list(elsewheres),
        "answers": packed,
    }  # fmt: skip
