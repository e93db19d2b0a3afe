"""Claims checked: popular statements about frameworks, each judged on every machine.

Each claim in ``data/claims.toml`` says which framework it expects to come out better, which
it says that one beats (its rule compares these alone), and holds a rule that picks the
measured evidence (see ``generator.judge.evidence``). On each machine the rule's items vote (where
the rule is a list of rules, each rule votes with the majority of its own items), each with its
own call, which the vote never changes: the claim is supported when most votes favour the framework it
expects, contradicted when most favour another, "equivalent" when most find the frameworks
equivalent, "too uncertain to call" when most are uncertain or single readings ("too few
processes to call" when most are single readings), "mixed" otherwise, and "not measured
here" when the machine has no such results.

Where more frameworks are registered than a claim names, the same rule is also run over all of
them, as context: the page shows what it finds beside the verdict, which it never changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict

from generator.judge import evidence, evidence_kinds
from generator.pages import escape
from generator.read import rules
from measurements import UserError
from measurements.frameworks import COMPARED
from measurements.results import ROOT

CLAIMS_PATH = ROOT / "data" / "claims.toml"
CORRECTION = (
    "a Bonferroni correction over the pairs of frameworks of each case (family-wise error at 5% per case), the "
    "one every page applies to the same comparison"
)
CLAIM_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
        "claim": {"type": "string", "minLength": 10},
        "expects": rules.FRAMEWORK,
        "against": {"type": "array", "minItems": 1, "uniqueItems": True, "items": rules.FRAMEWORK},
        "test": {"type": "string", "minLength": 10},
        "made_in": {"type": "array", "items": {"type": "string", "pattern": "^https://[^\\s\"'<>()\\[\\]{}\\\\`]+$"}},
        "note": {"type": "string"},
        "rule": rules.RULE,
    },
    "required": ["id", "claim", "expects", "against", "test", "made_in", "rule"],
    "additionalProperties": False,
}


class ClaimFields(TypedDict):
    """What a claim says, in data/claims.toml and in claims.json alike."""

    id: str
    claim: str
    expects: str
    against: list[str]
    test: str
    made_in: list[str]
    rule: rules.Rules


class ClaimTable(ClaimFields):
    """One ``[[claim]]`` of data/claims.toml, as CLAIM_SCHEMA checks it."""

    note: NotRequired[str]


@dataclass(frozen=True)
class Claim:
    id: str
    claim: str  # the claim in one sentence, as it is commonly made
    expects: str  # the framework the claim says comes out better
    against: tuple[str, ...]  # the frameworks it says it beats
    test: str  # how the rule tests it, in words
    made_in: tuple[str, ...]  # pages that make the claim
    rule: rules.Rules
    note: str = ""  # what to know about where the claim is made

    @property
    def frameworks(self) -> tuple[str, ...]:
        """The frameworks the claim is about: its rule compares these alone."""
        return (self.expects, *self.against)

    @property
    def others(self) -> tuple[str, ...]:
        """The compared frameworks the claim does not name."""
        return tuple(fw for fw in COMPARED if fw not in self.frameworks)


@dataclass(frozen=True)
class Checked:
    """One claim on one machine."""

    claim: Claim
    machine: str
    verdict: str
    items: tuple[evidence.Item, ...]
    # the same rule over every compared framework, where the claim names fewer (never part of the verdict)
    context: tuple[evidence.Item, ...] = ()
    context_status: str = ""
    measured_others: tuple[str, ...] = ()  # the frameworks outside the claim that its test finds results of

    @property
    def unmeasured_others(self) -> tuple[str, ...]:
        return tuple(fw for fw in self.claim.others if fw not in self.measured_others)

    @property
    def context_figures(self) -> tuple[evidence.Item, ...]:
        """The context's comparisons in which a framework outside the claim takes part."""
        return tuple(i for i in self.context if set(i.sides) & set(self.measured_others))


def load_claims(path: Path = CLAIMS_PATH) -> list[Claim]:
    name = rules.display(path)
    claims: list[Claim] = []
    for index, entry in enumerate(rules.entries(rules.read_toml(path), path, "claim"), start=1):
        where = rules.where(f"{name}: claim {index}", entry)
        fix = "see the first claim in the file for the fields a claim needs"
        table = rules.checked(CLAIM_SCHEMA, entry, where, fix, ClaimTable)
        rules.check_rule(table["rule"], where)
        for url in table["made_in"]:
            if escape.url(url) is None:
                raise UserError(f"{where}: made_in {url!r} is not a plain https URL; give the page's https:// "
                                "address (a host, and no spaces, quotes, brackets or parentheses)")  # fmt: skip
        if table["expects"] in table["against"]:
            raise UserError(f"{where}: against names {table['expects']!r}, the framework it expects to win; "
                            "list only the frameworks the claim says it beats")  # fmt: skip
        if any(c.id == table["id"] for c in claims):
            raise UserError(f"{where}: the id {table['id']!r} is used twice; give each claim its own id")
        claims.append(Claim(table["id"], table["claim"], table["expects"], tuple(table["against"]), table["test"],
                            tuple(table["made_in"]), table["rule"], table.get("note", "")))  # fmt: skip
    return claims


def _measured_for(claim: Claim, machine: evidence.Machine, framework: str) -> bool:
    """Whether the claim's test finds results of ``framework`` (one it does not name) on ``machine``:
    it compares that framework with one the claim names."""
    return any(evidence_kinds.groups(claim.rule, machine, (framework, named)) for named in claim.frameworks)


def check_all(claims: list[Claim], machines: dict[str, evidence.Machine]) -> list[Checked]:
    """Every claim on every machine, in the file's order, machines in the order given."""
    found = []
    for claim in claims:
        for machine in machines.values():
            picked = evidence_kinds.groups(claim.rule, machine, claim.frameworks)
            items = tuple(item for group in picked for item in group)
            context: tuple[evidence.Item, ...] = ()
            status = ""
            # a framework outside the claim is measured for its test where the test compares it with one it names
            measured = tuple(fw for fw in claim.others if _measured_for(claim, machine, fw))
            if measured:
                every = evidence_kinds.groups(claim.rule, machine, COMPARED)
                context, status = tuple(item for group in every for item in group), evidence.status(every)
            found.append(Checked(claim, machine.id, evidence.verdict(picked, claim.expects), items, context, status,
                                 measured))  # fmt: skip
    return found


class ComparisonJson(TypedDict):
    """A comparison over processes in the published JSON: speed of ``a`` ÷ speed of ``b``."""

    a: str
    b: str
    ratio: float
    low: float | None
    high: float | None
    processes: list[int]
    outcome: str
    corrected_for: int
    p: float | None
    margin: float
    looks: int  # the planned looks of a result replicated until decided, corrected for too
    minimum_detectable_ratio: float | None  # the smallest ratio its interval calls with 80% power
    rounds: str | None  # "together" (paired by round), "measured apart" (no round shared); None: not recorded


class ItemJson(TypedDict):
    """One piece of evidence in ``claims.json`` and ``recommendations.json``."""

    what: str
    favours: str | None
    call: str
    detail: str
    figures: str
    tested: bool
    files: list[str]
    comparison: NotRequired[ComparisonJson]


class ContextJson(TypedDict):
    """The same rule over every compared framework, beside a claim's verdict (which it never changes)."""

    frameworks: list[str]
    not_measured: list[str]
    status: str
    items: list[ItemJson]


class MachineVerdictJson(TypedDict):
    verdict: str
    items: list[ItemJson]
    context: NotRequired[ContextJson]


class ClaimJson(ClaimFields):
    note: str
    machines: dict[str, MachineVerdictJson]  # machine id -> the claim's verdict there


class ClaimsJson(TypedDict):
    """``claims.json``."""

    schema_version: int
    verdicts: list[str]
    correction: str
    claims: list[ClaimJson]


def to_json(checked: list[Checked]) -> ClaimsJson:
    """``claims.json``: each claim, its rule, and its verdict with the evidence on each machine."""
    claims: dict[str, ClaimJson] = {}
    for c in checked:
        entry = claims.setdefault(c.claim.id, {
            "id": c.claim.id, "claim": c.claim.claim, "expects": c.claim.expects, "against": list(c.claim.against),
            "test": c.claim.test,
            "made_in": list(c.claim.made_in), "note": c.claim.note, "rule": c.claim.rule, "machines": {},
        })  # fmt: skip
        entry["machines"][c.machine] = {"verdict": c.verdict, "items": [item_json(i) for i in c.items]}
        if c.measured_others:  # the same rule over every compared framework, as context; it never changes the verdict
            entry["machines"][c.machine]["context"] = {
                "frameworks": list(COMPARED),
                "not_measured": list(c.unmeasured_others),
                "status": c.context_status,
                "items": [item_json(i) for i in c.context],
            }
    return {"schema_version": 1, "verdicts": list(evidence.VERDICTS), "correction": CORRECTION,
            "claims": list(claims.values())}  # fmt: skip


def _finite(value: float | None) -> float | None:
    """A bound for JSON: an unbounded interval (too wide for a float) is null."""
    return value if value is not None and math.isfinite(value) else None


def item_json(item: evidence.Item) -> ItemJson:
    found: ItemJson = {"what": item.what, "favours": item.winner, "call": item.call, "detail": item.detail,
                       "figures": item.figures,
             "tested": item.tested, "files": [f"results/{f}" for f in item.files]}  # fmt: skip
    r = item.ratio
    if r is not None:  # speed of sides[0] ÷ speed of sides[1]; a p-value only beside a call of a difference
        found["comparison"] = {
            "a": item.sides[0], "b": item.sides[1], "ratio": r.ratio, "low": _finite(r.low), "high": _finite(r.high),
            "processes": [r.n_a, r.n_b], "outcome": r.outcome, "corrected_for": r.family,
            "p": r.p_value if item.call == "favours" else None, "margin": round(r.band - 1, 6),
            "looks": r.looks, "minimum_detectable_ratio": _finite(r.detectable),
            "rounds": None if r.interleaved is None else "together" if r.interleaved else "measured apart",
        }  # fmt: skip
    return found
