"""The usability and ecosystem studies summed up per machine: the error gallery's scores, the
length of messages, lines of code, noise at import, and the sentences that say what they found.

Every sentence here is computed from the findings; no framework is named here.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, cast

from generator.pages.escape import text
from generator.read.load import median
from generator.read.studies import MachineStudies, and_list, first_in_full, in_registry_order
from measurements.findings import (
    CodeSizeFinding,
    DebuggingFinding,
    ErrorFinding,
    ExportFinding,
    InstallFinding,
    LibrariesFinding,
    NoiseFinding,
    PeakFinding,
)
from measurements.frameworks import label
from measurements.results import ROOT


def count(values: Iterable[bool | None]) -> tuple[int, int]:
    """(how many are true, how many are known): a null means "not applicable"."""
    known = [v for v in values if v is not None]
    return sum(known), len(known)


@dataclass
class Score:
    criterion: str
    counts: dict[str, tuple[int, int]]  # framework -> (met, out of), in registry order


ERROR_CRITERIA = {  # what the error gallery scores, and the finding each is read from
    "Raises an error (rather than running on)": "raised",  # counted from "silent"
    "The traceback's deepest frame is the user's own line": "user_frame_last",
    "The message names the offending shapes (where shapes are the mistake)": "names_shapes",
    "The message names the offending dtypes (where dtypes are the mistake)": "names_dtypes",
}
MEETS: dict[str, Callable[[ErrorFinding], bool | None]] = {  # whether a mistake meets a criterion, by its key
    "raised": lambda f: not f["silent"],
    "user_frame_last": lambda f: f["user_frame_last"],
    "names_shapes": lambda f: f["names_shapes"],
    "names_dtypes": lambda f: f["names_dtypes"],
}


def error_scores(ms: MachineStudies) -> list[Score]:
    """The error gallery scored per criterion, for each framework: how many mistakes meet it (the
    mistakes every framework tried, where each of them applied)."""
    rows = [found for _, found in ms.both("errors") if all(f.get("applicable", True) for f in found.values())]
    if not rows:
        return []
    items = {fw: cast(list[ErrorFinding], [found[fw] for found in rows]) for fw in rows[0]}
    return [
        Score(criterion, {fw: count(map(MEETS[key], found)) for fw, found in items.items()})
        for criterion, key in ERROR_CRITERIA.items()
    ]


def message_lengths(ms: MachineStudies) -> dict[str, float | None]:
    """The median length of the error messages each framework gave, silent mistakes left out."""
    found = {fw: cast(list[ErrorFinding], list(r.findings.values())) for fw, r in ms.ordered("errors") if r.ok}
    return {
        fw: median([float(f["message_chars"]) for f in items if f.get("silent") is False])
        for fw, items in found.items()
    }


def code_totals(ms: MachineStudies) -> dict[str, tuple[int, int]]:
    """Lines and tokens of every workload together, per framework."""
    found = {fw: cast(list[CodeSizeFinding], list(r.findings.values())) for fw, r in ms.ordered("codesize") if r.ok}
    return {fw: (sum(f["lines"] for f in items), sum(f["tokens"] for f in items)) for fw, items in found.items()}


def over_fewest(lines: dict[str, int]) -> tuple[str, dict[str, float]] | None:
    """The framework with the fewest lines (the first in registry order of those tied), and each other
    framework's lines over its lines; None with fewer than two frameworks or when the fewest is none."""
    if len(lines) < 2:
        return None
    fewest = min(in_registry_order(lines), key=lambda fw: lines[fw])
    if not lines[fewest]:
        return None
    return fewest, {fw: n / lines[fewest] for fw, n in lines.items() if fw != fewest}


def repository_file(path: str) -> Path | None:
    """A file that a study names, when it is a file of this repository (resolved, links followed,
    outside any hidden folder); None for anything else: an absolute path, "..", a link out."""
    repository = ROOT.resolve()
    try:
        found = (repository / path).resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL byte
        return None
    if not found.is_relative_to(repository) or found == repository:
        return None
    if any(part.startswith(".") for part in found.relative_to(repository).parts) or not found.is_file():
        return None
    return found


def code_outside(finding: CodeSizeFinding) -> list[str]:
    """The paths a code-size finding names that are not files of this repository (never read)."""
    return [part["path"] for part in finding["files"] if repository_file(part["path"]) is None]


def code_is_current(finding: CodeSizeFinding) -> bool:
    """Whether the files counted are still what the repository holds (so they can be shown)."""
    for part in finding["files"]:
        path = repository_file(part["path"])
        if path is None or hashlib.sha256(path.read_bytes()).hexdigest() != part["sha256"]:
            return False
    return True


def noise_totals(ms: MachineStudies) -> dict[str, dict[str, int]]:
    """Distinct Python warnings (by category) and log lines (by level) over all workflows."""
    return {
        fw: dict(sorted(Counter(entry["kind"] for entry in entries).items()))
        for fw, entries in noise_messages(ms).items()
    }


class NoiseMessage(TypedDict):
    """A distinct warning or log line, and how many workflows printed it."""

    kind: str  # a warning's category, or "log <level>"
    source: str
    message: str
    workflows: int


def noise_messages(ms: MachineStudies) -> dict[str, list[NoiseMessage]]:
    """Each distinct warning or log line per framework, with how many workflows printed it."""
    found: dict[str, list[NoiseMessage]] = {}
    for fw, r in ms.ordered("noise"):
        if not r.ok:
            continue
        lines: dict[tuple[str, str], NoiseMessage] = {}
        for f in cast(list[NoiseFinding], list(r.findings.values())):
            items = [(w["category"], w["source"], w["message"]) for w in f["python_warnings"]] + [
                (f"log {x['level']}", x["source"], x["message"]) for x in f["log_lines"]
            ]
            for kind, source, message in items:
                entry = lines.setdefault(
                    (kind, message), {"kind": kind, "source": source, "message": message, "workflows": 0}
                )
                entry["workflows"] += 1
        found[fw] = sorted(lines.values(), key=lambda e: (-e["workflows"], e["kind"], e["message"]))
    return found


def _every(n: int) -> str:
    return "both" if n == 2 else f"all {n} frameworks"


def _per_framework(score: Score) -> str:
    """A score in words, each framework named: 3 of 10 (A) and 2 of 9 (B)."""
    return and_list(f"{met} of {out_of} ({label(fw)})" for fw, (met, out_of) in score.counts.items())


def usability_verdicts(ms: MachineStudies) -> list[str]:
    """What the usability studies found, in words, from the findings only: each framework in turn."""
    found = []
    scores = error_scores(ms)
    if scores:
        raised, user, shapes, dtypes = scores
        fws = list(raised.counts)
        n = raised.counts[fws[0]][1]
        said = first_in_full(fws, lambda fw: f"{label(fw)} raised an error for {raised.counts[fw][0]}",
                             lambda fw: f"{label(fw)} for {raised.counts[fw][0]}")  # fmt: skip
        found.append(
            f"Of {n} common mistakes tried in {_every(len(fws))}, {said}; the rest ran on, some harmlessly (see each "
            f"mistake). The traceback ended at the user's own line in {_per_framework(user)}; the message named the "
            f"offending shapes in {_per_framework(shapes)}; the dtypes in {_per_framework(dtypes)}."
        )
    tools = ms.both("debugging")
    if tools:
        fws = list(tools[0][1])
        worked = {fw: sum(cast(DebuggingFinding, found_by[fw])["works"] for _, found_by in tools) for fw in fws}
        said = first_in_full(fws, lambda fw: f"{worked[fw]} worked in {label(fw)}",
                             lambda fw: f"{worked[fw]} in {label(fw)}")  # fmt: skip
        found.append(f"Of {len(tools)} debugging techniques tried, {said}.")
    totals = code_totals(ms)
    ratios = over_fewest({fw: lines for fw, (lines, _) in totals.items()})
    if ratios:  # a study that counted nothing has no ratio
        fewest, others = ratios
        sizes = and_list(f"{lines} lines ({tokens:,} tokens) in {label(fw)}" for fw, (lines, tokens) in totals.items())
        times = and_list(
            f"{label(fw)} {ratio:.2f} times as many" if totals[fw][0] != totals[fewest][0] else f"{label(fw)} as many"
            for fw, ratio in others.items()
        )
        found.append(
            f"The same workloads take {sizes} in this project: {label(fewest)} needs "
            f"{'fewer' if len(totals) == 2 else 'the fewest'} lines, {times}."
        )
    noise = noise_totals(ms)
    if len(noise) >= 2:
        said = first_in_full(noise, lambda fw: f"{label(fw)} wrote {sum(noise[fw].values())} distinct warnings or "
                             "log lines to stderr", lambda fw: f"{label(fw)} {sum(noise[fw].values())}")  # fmt: skip
        found.append(f"Running every workload once in every mode, {said}.")
    return found


def ecosystem_verdicts(ms: MachineStudies) -> list[str]:
    """What the ecosystem studies found, in words, from the findings only: each framework in turn."""
    found = []
    install = {fw: cast(InstallFinding, r.findings["install"]) for fw, r in ms.ordered("install")
               if r.ok and "install" in r.findings}  # fmt: skip
    if len(install) >= 2:
        sizes = first_in_full(
            install,
            lambda fw: (
                f"{label(fw)} takes {install[fw]['installed_bytes'] / 2**20:,.0f} MiB in "
                f"{install[fw]['distributions']} distributions"
            ),
            lambda fw: (
                f"{label(fw)} {install[fw]['installed_bytes'] / 2**20:,.0f} MiB in {install[fw]['distributions']}"
            ),
        )
        imports = and_list(f"{f['import_warm_s']:.2f} s" for f in install.values())
        found.append(f"Installed into an empty environment, {sizes}; a later `import` takes {imports}.")
    export = {fw: cast(list[ExportFinding], list(r.findings.values())) for fw, r in ms.ordered("export") if r.ok}
    if export:
        parts = []
        for fw, items in export.items():
            worked = [i for i in items if i["success"]]
            failed = sorted(
                {f"{text(i['path'])} ({text(i['model'])}, at {text(i['stage'])})" for i in items if not i["success"]}
            )
            said = f"{label(fw)}: {len(worked)} of {len(items)} export paths worked end to end"
            parts.append(said + (f"; failed: {', '.join(failed)}" if failed else ""))
        found.append(
            "Exporting the MLP and the CNN and running the artifact with parity checked: " + ". ".join(parts) + "."
        )
    return found


class Libraries(TypedDict):
    frameworks: dict[str, LibrariesFinding]
    peak: PeakFinding | None


def libraries(ms: MachineStudies | None) -> Libraries:
    """The libraries study: each framework's finding, and the CPU's peak (the same in every file)."""
    found: Libraries = {"frameworks": {}, "peak": None}
    for fw, r in ms.ordered("libraries") if ms else []:
        if r.ok:
            found["frameworks"][fw] = cast(LibrariesFinding, r.findings.get("libraries", {}))
            found["peak"] = found["peak"] or cast(PeakFinding | None, r.findings.get("peak"))
    return found
