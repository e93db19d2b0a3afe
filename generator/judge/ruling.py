"""A verdict from the votes on each pair of frameworks: the decision procedure.

Measurements decide; curated facts inform. A decision rests on **pairs of frameworks**: every
comparison (``generator.judge.evidence``) is of one pair, and no pair is dropped. For each pair, each
measured signal votes with the majority of its comparisons of that pair (a framework ahead,
equivalent within the margin δ, too uncertain, single readings); a framework whose votes hold
more than half of the weight of the signals that measured the pair is **ahead**, and the other
is **ruled out**, with the comparison that shows it. The outcome is one of:

- "prefer X": every other framework is ruled out;
- "X or Y": the frameworks still in contention, where some are ruled out;
- "equivalent": nothing is ruled out and every pair is equivalent within δ;
- "too uncertain to call": nothing is ruled out and some pair is not within δ;
- "not measured": nothing compares the frameworks for it on the hardware it speaks about.

δ is ``[settings] margin`` (``stats.margin``): the difference a team would switch frameworks
for. Each comparison keeps its own interval and call, made once under its one correction
(``stats.pairwise``); the votes never change them. Each outcome also says whether it changes
with δ halved or doubled, and, for a pair too uncertain to call, about how many processes a side
would settle it. A curated fact never moves an outcome; one that favours a framework the
measurements rule out is named beside it as a caveat. The team's experience never moves an
outcome either: among the frameworks still in contention it chooses, labelled as the team's choice.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from generator.analyse import stats
from generator.judge import evidence
from generator.read.studies import and_list
from measurements.frameworks import COMPARED, label

EQUIVALENT = "equivalent"
UNCERTAIN = "too uncertain to call"
NOT_MEASURED = "not measured"
NOT_MEASURED_HERE = "not measured on hardware like yours"


@dataclass
class Signal:
    """One reason behind a recommendation, with where it comes from."""

    kind: str  # "measured" or "curated"
    about: str
    weight: float
    favours: str | None  # a curated fact's framework; a measured signal's, where it rules all others out
    status: str  # what its pairs say, in words ("PyTorch ahead of TensorFlow; ..."), or a fact's "favours X"
    items: list[evidence.Item] = field(default_factory=list)
    claim: str | None = None  # the claim's id, where the signal is a claim
    sources: tuple[str, ...] = ()  # a curated fact's pages
    groups: list[list[evidence.Item]] = field(default_factory=list)  # its items, a group per rule

    @property
    def measured(self) -> list[evidence.Item]:
        """Its comparisons, less any this machine cannot test (too few cores, say)."""
        return [i for i in self.items if i.call != "untestable"]

    @property
    def counts(self) -> str:
        return count_words(self.measured)

    @property
    def reason(self) -> str:
        if self.kind == "curated":
            return f"{self.about} (a curated fact, shown beside the verdict; it does not decide it)"
        if not self.items:
            return f"{self.about}: not measured on this hardware"
        return f"{self.about}: {self.status}" + (f" ({self.counts})" if self.measured else "")

    def votes(self, weight: float = 1.0, band: float | None = None) -> Votes:
        """This signal's vote on each pair of frameworks (``pair_votes``), at ``weight`` × its own weight."""
        return pair_votes(self.groups, weight * self.weight, band)


def _vote(groups: list[list[evidence.Item]], pair: frozenset[str], band: float | None) -> str | None:
    """What comparisons grouped by rule say of one pair of frameworks: a framework (ahead),
    "equivalent", "uncertain", "single", "mixed"; None where none compares the pair (or none this
    machine can test). Each rule of a list votes with the majority of its own items
    (``evidence.votes``). ``band`` judges the timing comparisons at another margin."""
    found = [[_at(i, band) for i in group if i.pair == pair and i.call != "untestable"] for group in groups]
    found = [group for group in found if group]
    if not found:
        return None
    if len(found) == 1:
        return evidence.leader(evidence.votes(found)) or "mixed"
    weight: Counter[str] = Counter(evidence.votes(found))  # each rule of a list once, as claims count them
    return _weighted(weight, sorted(pair))


def pair_votes(groups: list[list[evidence.Item]], weight: float = 1.0, band: float | None = None) -> Votes:
    """One signal's vote (``_vote``) on each pair of the compared frameworks, with the pair's
    comparisons this machine can test."""
    found: Votes = []
    for two in itertools.combinations(COMPARED, 2):
        pair = frozenset(two)
        items = [i for group in groups for i in group if i.pair == pair and i.call != "untestable"]
        found.append((weight, _vote(groups, pair, band), items))
    return found


def _at(item: evidence.Item, band: float | None) -> evidence.Item:
    """The item judged at another margin (its interval unchanged); counts keep their threshold."""
    if band is None or item.ratio is None:
        return item
    ratio = item.ratio.at(band)
    call = evidence.call_of(ratio)
    winner = (item.sides[0] if ratio.outcome == "faster" else item.sides[1]) if call == "favours" else None
    return replace(item, ratio=ratio, call=call, winner=winner)


def rings() -> list[str]:
    """Every outcome: one framework, each set of frameworks still in contention (the registry's
    order), then the rest."""
    sets = [" or ".join(label(fw) for fw in chosen) for size in range(2, len(COMPARED))
            for chosen in itertools.combinations(COMPARED, size)]  # fmt: skip
    return [f"prefer {label(fw)}" for fw in COMPARED] + sets + [EQUIVALENT, UNCERTAIN, NOT_MEASURED, NOT_MEASURED_HERE]


ItemKey = tuple[str, tuple[str, ...], str, frozenset[str]]  # see ``item_key``


def item_key(item: evidence.Item) -> ItemKey:
    """One independent comparison: the same comparison cited by two signals or use cases counts once."""
    return item.what, item.files, item.figures or item.detail, item.pair


def _strength(item: evidence.Item) -> tuple[bool, bool, float]:
    """How strongly a comparison speaks: calls before the rest, tested ones first, then by the size
    of the difference."""
    r = item.ratio
    size = abs(math.log(r.ratio)) if r is not None and r.ratio > 0 and item.call == "favours" else 0.0
    return item.call in ("favours", "equivalent"), item.tested, size


def count_words(items: list[evidence.Item]) -> str:
    """Comparisons in words: "12 of 21 comparisons favour PyTorch, 5 equivalent, 4 too uncertain to call"."""
    n = len(items)
    if not n:
        return "no comparisons"
    # a call inside the machine's noise floor votes as uncertain, and is counted apart: its interval excludes 1
    votes = Counter("floor" if i.ratio is not None and i.ratio.within_floor else i.vote for i in items)
    won = sorted((fw for fw in COMPARED if votes[fw]), key=lambda fw: -votes[fw])  # the most first
    parts = [f"{votes[fw]} favour{'s' if votes[fw] == 1 else ''} {label(fw)}" for fw in won]
    parts += [f"{votes[v]} {words}" for v, words in (("equivalent", "equivalent"),
              ("uncertain", "too uncertain to call"), ("floor", "within the noise floor"),
              ("single", "single readings")) if votes[v]]  # fmt: skip
    comparisons = f"comparison{'s' if n != 1 else ''}"
    if len(parts) == 1 and not any(votes[fw] for fw in COMPARED):
        return (
            f"all {n} {comparisons} {parts[0].split(' ', 1)[1]}"
            if n > 1
            else f"1 comparison, {parts[0].split(' ', 1)[1]}"
        )
    if not any(votes[fw] for fw in COMPARED):
        return f"{n} {comparisons}: {', '.join(parts)}"
    count, said = parts[0].split(" ", 1)
    return ", ".join([f"{count} of {n} {comparisons} {said}", *parts[1:]])


Votes = list[tuple[float, str | None, list[evidence.Item]]]  # (weight, vote on a pair or None, the pair's items)


@dataclass(frozen=True)
class Pair:
    """What a decision found for one pair of frameworks."""

    pair: tuple[str, str]  # in the registry's order
    outcome: str  # the framework ahead, "equivalent", "uncertain" (with "mixed"), "single"
    items: tuple[evidence.Item, ...]  # its comparisons, the strongest first
    weight: str  # how the weighted votes fell, in words

    @property
    def ahead(self) -> str | None:
        return self.outcome if self.outcome in self.pair else None

    @property
    def behind(self) -> str | None:
        return None if self.ahead is None else next(fw for fw in self.pair if fw != self.ahead)

    @property
    def evidence(self) -> evidence.Item | None:
        """The comparison that shows the outcome best: the strongest of those that agree with it."""
        agree = [i for i in self.items if i.vote == self.outcome]
        return agree[0] if agree else None

    def words(self) -> str:
        a, b = (label(fw) for fw in self.pair)
        if self.ahead:
            return f"{label(self.ahead)} ahead of {label(self.behind or '')}"
        said = {"equivalent": f"equivalent within {stats.margin_words(stats.decision_band())}",
                "single": "single readings only"}.get(self.outcome, "too uncertain to call")  # fmt: skip
        return f"{a} and {b}: {said}"


def pair_outcomes(votes: Votes) -> dict[frozenset[str], Pair]:
    """The pairs from weighted votes (weight, vote on a pair or None, the pair's items), per pair.
    Votes that show no direction (too uncertain, single readings) abstain; of the rest (a
    framework, equivalent, or mixed), the framework that holds more than half of the weight is
    ahead; else "equivalent" where that holds more than half; else single readings where every
    vote rests on them; else too uncertain to call. Each vote is a majority of its own
    comparisons (``evidence.votes``), so one clear comparison among uncertain ones of the same
    signal does not decide."""
    found = {}
    seen = _ordered({fw for _, v, items in votes if v is not None and items for fw in items[0].pair})
    for a, b in itertools.combinations(seen, 2):
        pair = frozenset((a, b))
        cast = [(w, v, items) for w, v, items in votes if v is not None and items and items[0].pair == pair]
        if not cast:
            continue
        total = sum(w for w, _, _ in cast)
        weight: Counter[str] = Counter()
        for w, v, _ in cast:
            weight[str(v)] += w  # type: ignore[assignment]  # Counter's values are weights here, not counts
        outcome = _weighted(weight, [a, b])
        heaviest: dict[ItemKey, tuple[float, evidence.Item]] = {}
        for w, _, found_items in cast:  # an item cited by several votes counts at its heaviest
            for i in found_items:
                if item_key(i) not in heaviest or heaviest[item_key(i)][0] < w:
                    heaviest[item_key(i)] = (w, i)
        ranked = sorted(heaviest.values(), key=lambda wi: (wi[0], _strength(wi[1])), reverse=True)
        items = [i for _, i in ranked]  # the most heavily weighted question's comparisons first
        said = ", ".join(f"{_vote_words(v)} {w / total:.0%}" for v, w in weight.most_common())
        found[pair] = Pair((a, b), outcome, tuple(items), f"weighted votes: {said}")
    return found


def _ordered(frameworks: set[str]) -> list[str]:
    """Frameworks in the registry's order (any not registered after them, by name)."""
    return sorted(frameworks, key=lambda fw: (COMPARED.index(fw) if fw in COMPARED else len(COMPARED), fw))


def _weighted(weight: Counter[str], pair: list[str]) -> str:
    """One outcome from weighted votes on a pair: votes that show no direction (too uncertain,
    single readings) abstain; of the rest (a framework, equivalent, mixed), a framework or
    "equivalent" that holds more than half wins; else "single" where every vote is a single
    reading, else "uncertain"."""
    total = sum(weight.values())
    decisive = total - weight["uncertain"] - weight["single"]
    top = next((v for v in (*pair, "equivalent") if decisive and weight[v] * 2 > decisive), None)
    return top or ("single" if weight["single"] == total else "uncertain")


def _vote_words(vote: str) -> str:
    return {"uncertain": "too uncertain", "single": "single readings", "equivalent": "equivalent",
            "mixed": "mixed"}.get(vote) or label(vote)  # fmt: skip


@dataclass
class Verdict:
    """The outcome of a set of measured signals: a use case's, or an answer's over its use cases."""

    ring: str  # "prefer X", "X or Y", EQUIVALENT, UNCERTAIN, NOT_MEASURED or NOT_MEASURED_HERE
    contenders: list[str]  # the frameworks still in contention (all compared ones where nothing is ruled out)
    ruled_out: dict[str, Pair]  # framework -> the pair that rules it out (the first, in the registry's order)
    pairs: list[Pair]
    backing: list[evidence.Item]  # the comparisons the outcome rests on: those of its decided pairs
    strongest: list[evidence.Item]  # every comparison, the strongest first: the reasons shown
    caveats: list[Signal]  # curated facts that favour a framework the measurements rule out
    why: str  # a plain sentence on how the outcome came about
    sensitivity: str = ""  # whether the outcome changes with the margin halved or doubled
    settle: str = ""  # for an uncertain pair: about how many processes a side would settle it

    @property
    def decides(self) -> bool:
        """Whether it rules a framework out or calls equivalence."""
        return bool(self.ruled_out) or self.ring == EQUIVALENT

    @property
    def ruled_out_short(self) -> list[str]:
        """Each framework ruled out, in one short line from its own side: "TensorFlow 5.08× slower (95%
        interval 3.88–6.67×) at MLP classifier (small), inference, batch 1"."""
        found = []
        for fw, p in self.ruled_out.items():
            item = p.evidence
            if item is None or item.ratio is None:  # a count judged by a threshold, or a study's completion
                found.append(f"{label(fw)}: {label(p.ahead or '')} ahead" + (f" at {item.what}" if item else ""))
                continue
            r = item.ratio if item.sides[0] == fw else item.ratio.flipped()
            said, interval = stats.brief(r, item.terms)
            found.append(f"{label(fw)} {said}{f' ({interval})' if interval else ''} at {item.where or item.what}")
        return found


def ring_of(pairs: dict[frozenset[str], Pair]) -> tuple[str, list[str], dict[str, Pair]]:
    """The outcome of decided pairs: the frameworks some other framework is ahead of are ruled out;
    one left is a call, several a set, all of them pairwise equivalent "equivalent"."""
    measured = _ordered({fw for p in pairs for fw in p})
    ruled_out: dict[str, Pair] = {}
    for p in pairs.values():
        if p.behind and p.behind not in ruled_out:
            ruled_out[p.behind] = p
    ruled_out = {fw: ruled_out[fw] for fw in measured if fw in ruled_out}
    contenders = [fw for fw in measured if fw not in ruled_out]
    if not contenders:
        return UNCERTAIN, [], ruled_out
    if len(contenders) == 1:
        return f"prefer {label(contenders[0])}", contenders, ruled_out
    alike = all(pairs.get(frozenset(two)) and pairs[frozenset(two)].outcome == "equivalent"
                for two in itertools.combinations(contenders, 2))  # fmt: skip
    if alike and not ruled_out:
        return EQUIVALENT, contenders, ruled_out
    if ruled_out:
        return " or ".join(label(fw) for fw in contenders), contenders, ruled_out
    return UNCERTAIN, contenders, ruled_out


def ruled_out_words(fw: str, p: Pair) -> str:
    """ "TensorFlow is ruled out: PyTorch 5.08× faster (95% interval 3.88–6.67×, ...) at MLP ..., batch 1"."""
    item = p.evidence
    if item is None:
        return f"{label(fw)} is ruled out: {label(p.ahead or '')} is ahead"
    if item.ratio is None:  # a count judged by a threshold, or a study's completion
        return f"{label(fw)} is ruled out: {item.what}: {item.detail}"
    shown = stats.words(item.ratio, detail=True, terms=item.terms)
    return f"{label(fw)} is ruled out: {label(p.ahead or '')} {shown} at {item.what}"


def by_priority(votes: Votes) -> dict[frozenset[str], Pair]:
    """The pairs of an answer's use cases, heaviest first: a pair takes its outcome from the
    heaviest weight whose votes decide it (a framework ahead, or equivalent); lighter ones only
    decide what the heavier left open. What matters most to the reader is never outvoted by what
    matters less."""
    found: dict[frozenset[str], Pair] = {}
    for weight in sorted({w for w, _, _ in votes}, reverse=True):
        for pair, p in pair_outcomes([v for v in votes if v[0] == weight]).items():
            if pair not in found or (found[pair].outcome in ("uncertain", "single") and p.outcome != "single"):
                items = p.items if pair not in found else (*found[pair].items, *p.items)
                weighted = p.weight if pair not in found else f"{found[pair].weight}; then {p.weight}"
                found[pair] = Pair(p.pair, p.outcome, items, weighted)
    return found


def decision(
    votes: Votes,
    curated: list[Signal],
    again: Callable[[float], Votes],
    combine: Callable[[Votes], dict[frozenset[str], Pair]] | None = None,
) -> Verdict:
    """The outcome from weighted votes on pairs (``combine``: ``pair_outcomes`` by default, a weighted
    majority); ``again(band)`` gives the same votes judged at another margin, to say whether
    halving or doubling it changes the outcome."""
    combine = combine or pair_outcomes
    pairs = combine(votes)
    ring, contenders, ruled_out = ring_of(pairs)
    items = sorted({item_key(i): i for p in pairs.values() for i in p.items}.values(), key=_strength, reverse=True)
    decided = [p for p in pairs.values() if p.ahead or p.outcome == "equivalent"]
    backing = sorted({item_key(i): i for p in decided for i in p.items if i.vote == p.outcome}.values(), key=_strength,
                     reverse=True)  # fmt: skip
    margin = stats.margin_words(stats.decision_band())
    if ring == UNCERTAIN and ruled_out:
        why = "the pairs disagree in a circle (" + "; ".join(p.words() for p in pairs.values()) + ")"
    elif ring == EQUIVALENT:
        why = f"any of {and_list([label(fw) for fw in contenders])}: every pair is equivalent within {margin}"
    elif ring == UNCERTAIN:
        why = (
            "nothing is ruled out and not every pair is within "
            + margin
            + ": "
            + "; ".join(p.words() for p in pairs.values())
        )
    else:
        said = [ruled_out_words(fw, p) for fw, p in ruled_out.items()]
        left = [pairs[frozenset(two)].words() for two in itertools.combinations(contenders, 2)
                if frozenset(two) in pairs]  # fmt: skip
        why = "; ".join(said + left)
    # the ruled-out frameworks' evidence first, then the strongest of the rest
    first = [p.evidence for p in ruled_out.values() if p.evidence is not None]
    strongest = list({item_key(i): i for i in [*first, *(backing or items)]}.values())
    caveats = [c for c in curated if c.favours in ruled_out]
    half, double = (ring_of(combine(again(1 + stats.margin() * f)))[0] for f in (0.5, 2.0))
    if half == ring and double == ring:
        sensitivity = (
            f"The same with the margin halved (±{stats.margin() * 50:.0f}%) or doubled (±{stats.margin() * 200:.0f}%)."
        )
    else:
        sensitivity = (f"With the margin halved (±{stats.margin() * 50:.0f}%): {half}; doubled "
                       f"(±{stats.margin() * 200:.0f}%): {double}.")  # fmt: skip
    settle = _settle([p for p in pairs.values() if p.outcome == "uncertain" and set(p.pair) <= set(contenders)])
    return Verdict(ring, contenders, ruled_out, list(pairs.values()), backing, strongest, caveats, why, sensitivity,
                   settle)  # fmt: skip


def _settle(uncertain: list[Pair]) -> str:
    """How many processes a side would settle each uncertain pair, at its comparisons' measured
    spread (the median over its uncertain comparisons over processes)."""
    said = []
    for p in uncertain:
        needed = [n for i in p.items if i.ratio is not None and (n := i.ratio.processes_to_settle()) is not None]
        if needed:
            n = int(statistics.median(needed))
            a, b = (label(fw) for fw in p.pair)
            said.append(f"{a} against {b}: about {n} processes a side (the profile runs "
                        f"{min(min(i.ratio.n_a, i.ratio.n_b) for i in p.items if i.ratio)})")  # fmt: skip
    return ("To settle it at the measured spread: " + "; ".join(said) + ".") if said else ""


def not_measured(ring: str, why: str) -> Verdict:
    return Verdict(ring, [], {}, [], [], [], [], why)
