"""What the site publishes besides pages: claims.json, recommendations.json, decide.json and
the snippets to embed, with what the Claims, Decide, Embed and Home pages show of them."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jinja2

from generator import claims, decide, escape, evidence, facts, provenance
from generator.performance import MachineReport, performance_page
from measurements.frameworks import COMPARED, FRAMEWORK_LABELS
from measurements.results import ROOT


def site_base() -> str:
    """Where the site is published (``FG_SITE_URL``, else ``site_url`` in mkdocs.yml), ending in "/";
    empty where neither is set."""
    found = os.environ.get("FG_SITE_URL", "")
    if not found:
        match = re.search(r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE)
        found = match.group(1).strip("'\"") if match else ""
    if not escape.url(found, schemes=("https", "http")):
        return ""  # not a plain address: the links stay relative
    return found if found.endswith("/") else found + "/"


def write_json(path: Path, document: dict[str, Any], *, compact: bool = False) -> None:
    """A JSON file for readers (indented) or for the browser (``compact``: the questionnaire's table)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shape: dict[str, Any] = {"separators": (",", ":")} if compact else {"indent": 1}
    # strict JSON: a NaN or an infinity here is a bug upstream, which fails the build rather than
    # publish a file that no strict parser (nor the questionnaire's JSON.parse) reads
    written = json.dumps(document, ensure_ascii=False, allow_nan=False, **shape)
    path.write_text(written + "\n")


def guidance(machines: dict[str, evidence.Machine], reference: str | None, reports: list[MachineReport],
             env: jinja2.Environment, out: Path) -> dict[str, Any]:  # fmt: skip
    """Claims on every machine and the recommendations on the ``reference`` machine: the JSON
    files, the snippets to embed, and what the Claims, Decide, Embed and Home pages show."""
    shown = [r.id for r in reports]
    order = [m for m in [reference, *shown, *machines] if m in machines]
    order = list(dict.fromkeys(order))  # the reference first, then the machines as the guides list them
    ordered = {m: machines[m] for m in order}
    known = decide.load_rules()  # with the claims and facts it names, each file read and checked once
    claim_list = list(known.claims)
    checked = claims.check_all(claim_list, ordered)
    write_json(out / "claims.json", claims.to_json(checked))
    machine_id = order[0] if order else None
    judged = decide.Machines(known, ordered, machine_id)
    recommendations = judged.all() if machine_id else []
    answers = decide.every_answer(known, judged) if recommendations else {}  # no results: nothing to answer from
    versions = [
        f"{FRAMEWORK_LABELS[s['framework']['name']]} {s['framework']['version']}"
        for s in (reports[0].software if reports else [])
        if s["framework"]["name"] in COMPARED and s["framework"]["version"]
    ]  # plain text: the snippets are Markdown for another site, written as they are
    write_json(out / "recommendations.json", decide.to_json(known, recommendations, versions))
    pages = {r.id: performance_page(r, reports).removesuffix(".md") + ".html" for r in reports}
    write_json(out / "decide.json", decide.questionnaire_json(known, judged, answers, pages), compact=True)
    base = site_base()
    docs = {f: d for m in judged.machines.values() for f, d in m.docs.items()}
    measured_on = provenance.of_files([f for r in recommendations for i in r.items for f in i.files], docs)
    snippet = env.get_template("snippet.md.j2")
    snippets = {r.use_case.id: snippet.render(r=r, base=base, hardware_words=decide.HARDWARE_WORDS)
                for r in recommendations}  # fmt: skip
    (out / "embed").mkdir(parents=True, exist_ok=True)
    for use_case, written in snippets.items():
        (out / "embed" / f"{use_case}.md.txt").write_text(written)
    if recommendations:
        (out / "embed" / "all.md.txt").write_text(env.get_template("snippet-table.md.j2").render(
            recommendations=recommendations, base=base, machine_id=machine_id, measured_on=measured_on,
            hardware_words=decide.HARDWARE_WORDS))  # fmt: skip
    counts = [(v, sum(c.verdict == v for c in checked if c.machine == machine_id)) for v in evidence.VERDICTS]
    claimed = [m for m in order if any(c.verdict != "not measured here" for c in checked if c.machine == m)]
    return {
        "machine_ids": order, "judged_machines": claimed, "claim_list": claim_list,
        "checked": {(c.claim.id, c.machine): c for c in checked},
        "recommendations": recommendations, "machine_id": machine_id, "settings": known.settings,
        "facts": list(known.facts), "fact_frameworks": facts.columns(known.facts),
        "questions": known.questions, "titles": {u.id: u.title for u in known.use_cases}, "base": base,
        "calibration": decide.calibration(known, answers), "hardware_words": decide.HARDWARE_WORDS,
        "equivalent": decide.EQUIVALENT, "uncertain": decide.UNCERTAIN, "not_measured": decide.NOT_MEASURED,
        "not_measured_here": decide.NOT_MEASURED_HERE,
        "measured_on": measured_on,
        "claim_counts": [(v, n) for v, n in counts if n],
        "example": recommendations[0] if recommendations else None,
        "example_snippet": snippets[recommendations[0].use_case.id] if recommendations else "",
    }  # fmt: skip
