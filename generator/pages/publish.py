"""What the site publishes besides pages: claims.json, recommendations.json, decide.json and
the snippets to embed, with what the Claims, Decide, Embed and Home pages show of them."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import jinja2

from generator.judge import claims, decide, evidence, questionnaire, ruling, usecases
from generator.pages import embed, escape
from generator.pages.performance import MachineReport, performance_page
from generator.read import facts, provenance
from measurements import UserError
from measurements.frameworks import COMPARED, FRAMEWORK_LABELS
from measurements.results import ROOT

# mkdocs.yml's site_url: an address, or "!ENV [VARIABLE, ..., default]" (MkDocs reads the first variable
# set, else the default); a comment may follow
SITE_URL_LINE = re.compile(r"^site_url:[ \t]*(.*?)(?:[ \t]+#.*)?$", re.MULTILINE)


@dataclass(frozen=True)
class SiteUrl:
    """Where the site is published, as MkDocs reads it from mkdocs.yml's ``site_url``: ``base`` ends in "/"
    (empty where mkdocs.yml sets none: links stay relative); ``source`` says where it came from, and
    ``default`` whether it is mkdocs.yml's fallback rather than a variable set for this build."""

    base: str
    source: str
    default: bool

    def describe(self) -> str:
        """One line for the build's output."""
        if not self.base:
            return f"Links to the site stay relative: {self.source}"
        return f"Links to the site start with {self.base} ({self.source})"


def _unquoted(value: str) -> str:
    value = value.strip()
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" else value


def _site_url_setting(config: str) -> tuple[list[str], str]:
    """The environment variables and the address (or default) of mkdocs.yml's ``site_url``."""
    found = SITE_URL_LINE.search(config)
    value = found.group(1).strip() if found else ""
    if not value.startswith("!ENV"):
        return [], _unquoted(value)
    rest = value.removeprefix("!ENV").strip()
    if not (rest.startswith("[") and rest.endswith("]")):
        return [_unquoted(rest)], ""
    items = [_unquoted(item) for item in rest[1:-1].split(",")]
    return (items[:-1], items[-1]) if len(items) > 1 else (items, "")


def _site_address(value: str, source: str, *, default: bool) -> SiteUrl:
    if not escape.url(value, schemes=("https", "http")):
        raise UserError(f"{source}: {value!r} is not a plain http(s) address such as https://example.org/guide/")
    return SiteUrl(value if value.endswith("/") else value + "/", source, default)


def site_url(config: Path = ROOT / "mkdocs.yml") -> SiteUrl:
    """Where the site is published, read as MkDocs reads it: mkdocs.yml's ``site_url``, through the
    environment variable it names (``FG_SITE_URL``), else its default. An address that is not a plain
    http(s) URL is refused, so that the snippets and MkDocs never disagree."""
    variables, address = _site_url_setting(config.read_text())
    for name in variables:
        if name in os.environ:
            return _site_address(os.environ[name], name, default=False)
    if not address:
        return SiteUrl("", "site_url is not set in mkdocs.yml", default=True)
    if variables:
        note = f"mkdocs.yml's default; set {' or '.join(variables)} to the address where the site is published"
        return _site_address(address, note, default=True)
    return _site_address(address, "site_url in mkdocs.yml", default=False)


def write_json(path: Path, document: Mapping[str, object], *, compact: bool = False) -> None:
    """A JSON file for readers (indented) or for the browser (``compact``: the questionnaire's table)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # strict JSON: a NaN or an infinity here is a bug upstream, which fails the build rather than
    # publish a file that no strict parser (nor the questionnaire's JSON.parse) reads
    written = json.dumps(document, ensure_ascii=False, allow_nan=False, indent=None if compact else 1,
                         separators=(",", ":") if compact else None)  # fmt: skip
    path.write_text(written + "\n")


class Guidance(TypedDict):
    """What the Claims, Decide, Embed and Home pages show (template variables)."""

    machine_ids: list[str]  # the reference machine first, then the machines as the guides list them
    judged_machines: list[str]  # those with a claim measured
    claim_list: list[claims.Claim]
    checked: dict[tuple[str, str], claims.Checked]  # (claim id, machine) -> the claim there
    recommendations: list[decide.Recommendation]  # on the reference machine
    machine_id: str | None  # the reference machine
    settings: usecases.Settings
    facts: list[facts.Fact]
    fact_frameworks: list[str]
    questions: tuple[usecases.Question, ...]
    titles: dict[str, str]  # use case id -> its title
    base: str
    site: SiteUrl
    calibration: questionnaire.Calibration
    hardware_words: dict[str, str]
    equivalent: str
    uncertain: str
    not_measured: str
    not_measured_here: str
    measured_on: provenance.Provenance | None
    claim_counts: list[tuple[str, int]]  # (verdict, claims with it on the reference machine), where any
    example: decide.Recommendation | None
    example_snippet: str
    example_badge: tuple[str, str]


def guidance(machines: dict[str, evidence.Machine], reference: str | None, reports: list[MachineReport],
             env: jinja2.Environment, out: Path) -> Guidance:  # fmt: skip
    """Claims on every machine and the recommendations on the ``reference`` machine: the JSON
    files, the snippets to embed, and what the Claims, Decide, Embed and Home pages show."""
    shown = [r.id for r in reports]
    order = [m for m in [reference, *shown, *machines] if m in machines]
    order = list(dict.fromkeys(order))  # the reference first, then the machines as the guides list them
    ordered = {m: machines[m] for m in order}
    known = usecases.load_rules()  # with the claims and facts it names, each file read and checked once
    claim_list = list(known.claims)
    checked = claims.check_all(claim_list, ordered)
    write_json(out / "claims.json", claims.to_json(checked))
    machine_id = order[0] if order else None
    judged = decide.Machines(known, ordered, machine_id)
    recommendations = judged.all() if machine_id else []
    answers = questionnaire.every_answer(known, judged) if recommendations else {}  # no results: nothing to answer from
    versions = [
        f"{FRAMEWORK_LABELS[s['framework']['name']]} {s['framework']['version']}"
        for s in (reports[0].software if reports else [])
        if s["framework"]["name"] in COMPARED and s["framework"]["version"]
    ]  # plain text: the snippets are Markdown for another site, written as they are
    write_json(out / "recommendations.json", decide.to_json(known, recommendations, versions))
    pages = {r.id: performance_page(r, reports).removesuffix(".md") + ".html" for r in reports}
    write_json(out / "decide.json", questionnaire.questionnaire_json(known, judged, answers, pages), compact=True)
    site = site_url()
    base = site.base
    docs = {f: d for m in judged.machines.values() for f, d in m.docs.items()}
    measured_on = provenance.of_files([f for r in recommendations for i in r.items for f in i.files], docs)
    snippets = embed.write(recommendations, base, machine_id, measured_on, env, out)
    counts = [(v, sum(c.verdict == v for c in checked if c.machine == machine_id)) for v in evidence.VERDICTS]
    claimed = [m for m in order if any(c.verdict != "not measured here" for c in checked if c.machine == m)]
    return {
        "machine_ids": order, "judged_machines": claimed, "claim_list": claim_list,
        "checked": {(c.claim.id, c.machine): c for c in checked},
        "recommendations": recommendations, "machine_id": machine_id, "settings": known.settings,
        "facts": list(known.facts), "fact_frameworks": facts.columns(known.facts),
        "questions": known.questions, "titles": {u.id: u.title for u in known.use_cases}, "base": base, "site": site,
        "calibration": questionnaire.calibration(known, answers), "hardware_words": usecases.HARDWARE_WORDS,
        "equivalent": ruling.EQUIVALENT, "uncertain": ruling.UNCERTAIN, "not_measured": ruling.NOT_MEASURED,
        "not_measured_here": ruling.NOT_MEASURED_HERE,
        "measured_on": measured_on,
        "claim_counts": [(v, n) for v, n in counts if n],
        "example": recommendations[0] if recommendations else None,
        "example_snippet": snippets[recommendations[0].use_case.id] if recommendations else "",
        "example_badge": embed.badge_markup(base, recommendations[0].use_case.id, recommendations[0].use_case.title,
                                            recommendations[0].ring) if recommendations else ("", ""),
    }  # fmt: skip
