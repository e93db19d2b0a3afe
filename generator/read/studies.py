"""Study results (usability, ecosystem): load, validate, and sum up for the guides.

Study files live in ``results/<machine>/studies/``; each holds one study of one framework
release. The guides show each machine's newest release of each framework, as the
Performance guide does. Every sentence here is computed from the findings. No framework is
named here: the frameworks of a study are those in its results, in the registry's order
(``measurements.frameworks.REGISTRY``), and every figure per framework is keyed by its id.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from generator.analyse import stats
from generator.analyse.compare import Comparison, Summary, compare, each_alone, summarise
from generator.pages.escape import text
from generator.read.load import SAFE_NAME, folder_problem, median, relative_file, version_key
from measurements import results
from measurements.frameworks import DISTRIBUTIONS, REGISTRY, label
from measurements.results import ROOT, AnyResult, StudyFile, finding_rounds, scaling_efficiency, study_path
from measurements.studies import Study, registry

T = TypeVar("T")
StudyClaim = tuple[Path, StudyFile]  # a study file and what it holds


def check_study(path: Path, keep: dict[Path, bytes] | None = None) -> tuple[StudyFile | None, list[str]]:
    """Read and validate one study file, of a registered study (``results.check_study``)."""
    return results.check_study(path, registry(), keep)


def expected_path(doc: StudyFile, results_dir: Path) -> Path:
    """Where the launcher writes this study result."""
    return study_path(results_dir, doc["machine"]["id"], doc["study"], doc["framework"],
                      doc["software"]["framework"]["version"])  # fmt: skip


def measured(doc: StudyFile) -> tuple[str, str]:
    """What a study found: two files of one study that differ here are a clash."""
    return doc["outcome"]["status"], json.dumps(doc["findings"], sort_keys=True)


def run_label(doc: StudyFile) -> str:
    return f"study/{doc['study']}/{doc['framework']}"


def study_files(results_dir: Path) -> list[Path]:
    return sorted(results_dir.glob("*/studies/*.json"))


def in_registry_order(framework_ids: Iterable[str]) -> list[str]:
    """Framework ids in the order the registry lists them (any it does not know last, by name)."""
    position = {fw: index for index, fw in enumerate(REGISTRY)}
    return sorted(framework_ids, key=lambda fw: (position.get(fw, len(position)), fw))


def and_list(parts: Iterable[str]) -> str:
    """Words joined as prose: "a", "a and b", "a, b and c"."""
    items = list(parts)
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def first_in_full(items: Iterable[T], full: Callable[[T], str], short: Callable[[T], str]) -> str:
    """``and_list`` of the items, the first written in full and the rest in short: "PyTorch wrote 3
    warnings, TensorFlow 5 and JAX 1"."""
    return and_list(full(item) if i == 0 else short(item) for i, item in enumerate(items))


@dataclass
class StudyResult:
    """One study of one framework release on one machine."""

    study: Study
    framework: str
    version: str | None
    doc: StudyFile
    file: str  # under the results folder

    @property
    def ok(self) -> bool:
        return bool(self.doc["outcome"]["status"] == "ok")

    @property
    def findings(self) -> dict[str, dict[str, Any]]:
        return {f["id"]: f for f in self.doc["findings"]}

    @property
    def label(self) -> str:
        return f"{label(self.framework)} {self.version or ''}".strip()


@dataclass
class MachineStudies:
    machine: str
    results: dict[str, dict[str, StudyResult]] = field(default_factory=dict)  # study -> framework -> newest

    def get(self, study: str) -> dict[str, StudyResult]:
        return self.results.get(study, {})

    def ordered(self, study: str) -> list[tuple[str, StudyResult]]:
        """(framework, result) for every framework with a result of the study, completed or not, in registry order."""
        found = self.get(study)
        return [(fw, found[fw]) for fw in in_registry_order(found)]

    def frameworks(self, study: str) -> list[str]:
        """The frameworks whose study completed, in registry order."""
        return [fw for fw, r in self.ordered(study) if r.ok]

    def both(self, study: str) -> list[tuple[str, dict[str, dict[str, Any]]]]:
        """(id, {framework: its finding}) for each item found by every framework whose study completed (all of
        them, not two: the name is older than the third framework), in the first framework's order, each mapping in
        registry order; nothing where fewer than two completed (there is nothing to set side by side)."""
        frameworks = self.frameworks(study)
        if len(frameworks) < 2:
            return []
        found = {fw: self.get(study)[fw].findings for fw in frameworks}
        first = found[frameworks[0]]
        return [(i, {fw: found[fw][i] for fw in frameworks}) for i in first if all(i in found[fw] for fw in frameworks)]


def load_studies(
    results_dir: Path, keep: dict[Path, bytes] | None = None
) -> tuple[dict[str, MachineStudies], list[str]]:
    """Each machine's newest study results per framework; and one line per bad file. The bytes of
    each file read are put in ``keep`` (see ``results.read_json``)."""
    found, problems = read_studies(results_dir, keep)
    return group_studies(found, results_dir, problems), problems


def read_studies(results_dir: Path, keep: dict[Path, bytes] | None = None) -> tuple[list[StudyClaim], list[str]]:
    """Every valid study file under ``results_dir``, and one line per bad one."""
    found: list[StudyClaim] = []
    problems = []
    for path in study_files(results_dir):
        if not SAFE_NAME.fullmatch(path.name):
            problems.append(f"{path}: not a results file name (letters, digits, '.', '_', '-'); rename it")
            continue
        folder = folder_problem(path)
        if folder is not None:
            problems.append(f"{path}: {folder}")
            continue
        doc, bad = check_study(path, keep)
        if doc is None:
            more = f" (and {len(bad) - 1} more problems)" if len(bad) > 1 else ""
            problems.append(f"{path}: {bad[0]}{more}")
            continue
        found.append((path, doc))
    return found, problems


def group_studies(found: list[StudyClaim], results_dir: Path, problems: list[str]) -> dict[str, MachineStudies]:
    """Each machine's newest study results per framework, of the valid files ``found``; a line in
    ``problems`` for each file left out.

    Of several files of the same study, framework and release on one machine, the one that lies
    where the launcher writes it wins; when none does, all are left out (as for timing runs,
    ``load.resolve_clashes``): a file's place in the sort order never decides."""
    machines: dict[str, MachineStudies] = {}
    claimants: dict[tuple[str, ...], list[StudyClaim]] = {}
    for path, doc in found:
        key = (doc["machine"]["id"], doc["study"], doc["framework"], doc["software"]["framework"]["version"] or "")
        claimants.setdefault(key, []).append((path, doc))
    for group in claimants.values():
        kept = _placed_claimant(group, results_dir, problems)
        if kept is None:
            continue
        path, doc = kept
        machine = machines.setdefault(doc["machine"]["id"], MachineStudies(doc["machine"]["id"]))
        result = StudyResult(registry()[doc["study"]], doc["framework"], doc["software"]["framework"]["version"], doc,
                             relative_file(path, results_dir))  # fmt: skip
        by_framework = machine.results.setdefault(doc["study"], {})
        earlier = by_framework.get(doc["framework"])
        if earlier is None or version_key(result.version) > version_key(earlier.version):
            by_framework[doc["framework"]] = result
    return machines


def _placed_claimant(group: list[StudyClaim], results_dir: Path, problems: list[str]) -> StudyClaim | None:
    """The one file of a group that claims the same study result; the others are reported."""
    if len(group) == 1:
        return group[0]
    placed = [(p, d) for p, d in group if p.resolve() == expected_path(d, results_dir).resolve()]
    which = run_label(group[0][1])
    if len(placed) == 1:
        kept = placed[0]
        for path, doc in group:
            if path != kept[0]:
                same = measured(doc) == measured(kept[1])
                problems.append(
                    f"{path}: {'a copy' if same else 'a CLASH'} of {kept[0]} ({which}), which lies where the "
                    f"study writes it and is shown; delete {path.name}"
                )
        return kept
    names = ", ".join(str(p) for p, _ in group)
    problems.append(
        f"{names}: the same study ({which}) in {len(group)} files, none of them alone where the study writes it; "
        f"all are left out. Keep the one you trust at {expected_path(group[0][1], results_dir)} and delete the others"
    )
    return None


def count(items: list[dict[str, Any]], key: str) -> tuple[int, int]:
    """(how many have ``key`` true, how many have it at all): a null means "not applicable"."""
    known = [item[key] for item in items if item.get(key) is not None]
    return sum(bool(v) for v in known), len(known)


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


def error_scores(ms: MachineStudies) -> list[Score]:
    """The error gallery scored per criterion, for each framework: how many mistakes meet it (the
    mistakes every framework tried, where each of them applied)."""
    rows = [found for _, found in ms.both("errors") if all(f.get("applicable", True) for f in found.values())]
    if not rows:
        return []
    items = {fw: [found[fw] for found in rows] for fw in rows[0]}
    first, *others = ERROR_CRITERIA.items()
    raised = {fw: count([{"raised": not f["silent"]} for f in found], "raised") for fw, found in items.items()}
    scores = [Score(first[0], raised)]
    for criterion, key in others:
        scores.append(Score(criterion, {fw: count(found, key) for fw, found in items.items()}))
    return scores


def message_lengths(ms: MachineStudies) -> dict[str, float | None]:
    """The median length of the error messages each framework gave, silent mistakes left out."""
    return {
        fw: median([float(f["message_chars"]) for f in r.findings.values() if f.get("silent") is False])
        for fw, r in ms.ordered("errors")
        if r.ok
    }


def code_totals(ms: MachineStudies) -> dict[str, tuple[int, int]]:
    """Lines and tokens of every workload together, per framework."""
    return {
        fw: (sum(f["lines"] for f in r.findings.values()), sum(f["tokens"] for f in r.findings.values()))
        for fw, r in ms.ordered("codesize")
        if r.ok
    }


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


def code_outside(finding: dict[str, Any]) -> list[str]:
    """The paths a code-size finding names that are not files of this repository (never read)."""
    return [part["path"] for part in finding["files"] if repository_file(part["path"]) is None]


def code_is_current(finding: dict[str, Any]) -> bool:
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


def noise_messages(ms: MachineStudies) -> dict[str, list[dict[str, Any]]]:
    """Each distinct warning or log line per framework, with how many workflows printed it."""
    found: dict[str, list[dict[str, Any]]] = {}
    for fw, r in ms.ordered("noise"):
        if not r.ok:
            continue
        lines: dict[tuple[str, str], dict[str, Any]] = {}
        for f in r.findings.values():
            items = [(w["category"], w) for w in f["python_warnings"]] + [
                (f"log {x['level']}", x) for x in f["log_lines"]
            ]
            for kind, item in items:
                entry = lines.setdefault(
                    (kind, item["message"]),
                    {"kind": kind, "source": item["source"], "message": item["message"], "workflows": 0},
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
        worked = {fw: sum(bool(found_by[fw]["works"]) for _, found_by in tools) for fw in fws}
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
    install = {fw: r.findings["install"] for fw, r in ms.ordered("install") if r.ok and "install" in r.findings}
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
    export = {fw: list(r.findings.values()) for fw, r in ms.ordered("export") if r.ok}
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


@dataclass
class PipelineEntry:
    """One configuration of the data-pipeline study (a DataLoader, a tf.data pipeline) at one size."""

    framework: str
    finding: dict[str, Any]
    summary: Summary | None  # steady-state samples/s, where it completed
    file: str  # its results file, under the results folder
    versus: Comparison | None = None  # speed ÷ the fastest configuration of the other frameworks, at this size

    @property
    def title(self) -> str:
        return str(self.finding.get("title") or self.finding["config"])


@dataclass
class PipelineSize:
    """Every configuration of every framework at one data-set size, and the best of each against the others."""

    images: int
    dataset_bytes: int | None  # the JPEG files on disk
    decoded_bytes: int  # images × 64 × 64 × 3
    memory_bytes: int | None  # the machine's memory, from its fingerprint
    memory_share: float | None  # the decoded data set over the machine's memory
    entries: list[PipelineEntry]  # each framework's configurations, in the study's order
    best: dict[str, PipelineEntry]  # framework -> its fastest configuration
    headline: stats.Headline | None  # the fastest framework's best against the best of the others
    same_content: bool | None  # every framework read data with the same SHA-256 (None: not known)
    decode_diff: dict[str, float]  # framework -> largest pixel difference from Pillow's decoding
    accurate_diff: dict[str, float]  # the same with an accurate inverse DCT, where the study tried it
    checked_images: int  # how many images the decoding check compared

    @property
    def comparison(self) -> Comparison | None:
        return self.headline.comparison if self.headline else None


PIPELINE_OPTIONAL: dict[str, Any] = dict.fromkeys(
    ("title", "epochs", "error", "dataset_bytes", "prepare_s", "first_epoch_samples_per_s",
     "second_epoch_samples_per_s", "cpu_ms_per_sample", "peak_pss_bytes", "other_cpu_share", "same_content",
     "decode_check", "fresh_processes"),
)  # fmt: skip


def compared(speeds: dict[str, dict[str, list[float]]]) -> tuple[stats.Headline | None, stats.Pairwise | None]:
    """Every pair of frameworks of a study's comparison (``stats.pairwise``: each framework's fastest
    configuration, the choice paid for in the pairs' one correction), and the fastest framework
    against the fastest of the others, one of those pairs; (None, None) with fewer than two."""
    found = stats.pairwise(speeds)
    return (stats.leader(stats.headlines(found, speeds)), found) if found else (None, None)


def pipeline_rows(ms: MachineStudies, study: str = "pipeline") -> list[PipelineSize]:
    """The data-pipeline study (or ``pipeline_limit``, the same configurations under a memory limit) by
    size, smallest first: each configuration's steady samples/s with its interval over processes, and
    at each size the fastest framework's best configuration against the best of the others."""
    runs = {fw: r for fw, r in sorted(ms.get(study).items()) if r.ok}
    by_size: dict[int, list[PipelineEntry]] = {}
    memory: int | None = None
    for fw, r in runs.items():
        memory = memory or r.doc["machine"].get("memory_bytes")
        for found_here in r.doc["findings"]:
            f = {**PIPELINE_OPTIONAL, **found_here}  # the page reads these; a study may leave them out
            ok = f.get("outcome") == "ok" and bool(rounds_of(f))
            by_size.setdefault(int(f["images"]), []).append(
                PipelineEntry(fw, f, summarise(rounds_of(f)) if ok else None, r.file)
            )
    found = []
    for images, entries in sorted(by_size.items()):
        speeds: dict[str, dict[str, list[float]]] = {}
        for e in entries:
            if e.summary:
                speeds.setdefault(e.framework, {})[e.title] = speeds_of(e.finding, "samples/s")
        best = {
            fw: next(e for e in entries if e.framework == fw and e.title == stats.fastest(modes))
            for fw, modes in speeds.items()
        }
        headlines = stats.best_against_others(speeds)
        for e in entries:
            h = headlines.get(e.framework)
            if e.summary is None or h is None:
                continue
            if e.title == h.mode:  # its framework's fastest: the headline pair, corrected once for the family
                e.versus = h.comparison
            else:  # a secondary result: against the same opponent, at its own level
                e.versus = stats.compare(speeds[e.framework][e.title], speeds[h.versus_framework][h.versus_mode])
        # the generator's hash of the files, the same in every run; and what each pipeline read matched it
        hashes = {e.finding.get("dataset_sha256") for e in entries}
        read_back = [e.finding["same_content"] for e in entries if e.finding.get("same_content") is not None]
        several = len({e.framework for e in entries}) > 1
        same = (len(hashes) == 1 and None not in hashes and all(read_back)) if several and read_back else None
        diffs: dict[str, float] = {}
        accurate: dict[str, float] = {}
        checked = 0
        for e in entries:
            check = e.finding.get("decode_check") or {}
            checked = max(checked, int(check.get("images") or 0))
            for key, into in (("max_abs_diff", diffs), ("accurate_dct_max_abs_diff", accurate)):
                if check.get(key) is not None:
                    into[e.framework] = max(into.get(e.framework, 0.0), float(check[key]))
        decoded = int(entries[0].finding["decoded_bytes"])
        found.append(PipelineSize(
            images, entries[0].finding.get("dataset_bytes"), decoded, memory, decoded / memory if memory else None,
            entries, best, stats.leader(headlines), same, diffs, accurate, checked,
        ))  # fmt: skip
    return found


def pipeline_growth(sizes: list[PipelineSize]) -> list[tuple[PipelineEntry, PipelineEntry]]:
    """Each configuration at the smallest and at the largest size where it completed with a peak memory
    reading (configurations measured at one size only are left out)."""
    by_config: dict[tuple[str, str], list[PipelineEntry]] = {}
    for size in sizes:
        for e in size.entries:
            if e.finding.get("outcome") == "ok" and e.finding.get("peak_pss_bytes"):
                by_config.setdefault((e.framework, e.finding["config"]), []).append(e)
    return [(found[0], found[-1]) for found in by_config.values() if len(found) > 1]


@dataclass
class DistributedRow:
    """One configuration of the distributed study (one process, or two), in every framework."""

    id: str
    title: str
    findings: dict[str, dict[str, Any]]  # framework -> its finding
    summaries: dict[str, Summary]  # framework -> throughput, where it completed
    headline: stats.Headline | None  # the fastest framework against the fastest of the others
    pairs: stats.Pairwise | None = None  # every pair of frameworks (the headline is one of them)

    @property
    def comparison(self) -> Comparison | None:
        return self.headline.comparison if self.headline else None


SERVING_MEASURES = {  # measure -> (what it is, unit of the figure)
    "latency": ("batch-1 latency, one request at a time", "ms"),
    "throughput": ("throughput at the server batch", "samples/s"),
    "clients": ("requests/s with 16 concurrent clients", "requests/s"),
}


@dataclass
class ServingRow:
    """One deploy path of one framework: its figures over the study's processes."""

    framework: str
    path: str
    finding: dict[str, Any]
    file: str
    summaries: dict[str, Summary]  # measure -> its figure (latency in ms, the others per second)


def serving_speeds(finding: dict[str, Any], measure: str) -> list[float]:
    """A serving finding's process-level speeds for ``measure`` (latency turned into speed)."""
    if measure == "latency":
        return speeds_of(finding, "ms", "latency_samples")
    if measure == "throughput":
        return speeds_of(finding, "samples/s")
    return per_process(finding, "clients16_requests_per_s")


def serving_rows(ms: MachineStudies) -> list[ServingRow]:
    """Every deploy path of the serving study that completed with parity, in registry order."""
    rows = []
    for fw, r in ms.ordered("serving"):
        if not r.ok:
            continue
        for f in r.doc["findings"]:
            summaries = {}
            if f.get("outcome") == "ok":
                summaries["latency"] = summarise(rounds_of(f, "latency_samples"))
                summaries["throughput"] = summarise(rounds_of(f))
                clients = per_process(f, "clients16_requests_per_s")
                summaries["clients"] = summarise(each_alone(clients))
            rows.append(ServingRow(fw, f["path"], f, r.file, summaries))
    return rows


def serving_headline(
    rows: list[ServingRow], measure: str, frameworks: Iterable[str] | None = None
) -> stats.Headline | None:
    """The fastest framework's best native deploy path against the best of the others', for ``measure``."""
    return stats.leader(stats.best_against_others(serving_speeds_by_path(rows, measure, frameworks)))


def native(row: ServingRow) -> bool:
    """Whether a deploy path runs on its own framework's runtime (the finding's ``runtime`` names one
    of the framework's distributions), rather than on a shared one such as ONNX Runtime, or on
    another framework's (a jax2tf SavedModel served by TensorFlow)."""
    runtime = str(row.finding.get("runtime") or "").split(" ", 1)[0]
    return runtime in DISTRIBUTIONS.get(row.framework, ())


def serving_speeds_by_path(
    rows: list[ServingRow], measure: str, frameworks: Iterable[str] | None = None
) -> dict[str, dict[str, list[float]]]:
    """Framework -> native deploy path -> process speeds for ``measure``: what the verdicts compare
    (a shared runtime is shown on the page, and judged nowhere as a framework's win)."""
    chosen = set(frameworks) if frameworks is not None else None
    speeds: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        if row.summaries and native(row) and (chosen is None or row.framework in chosen):
            speeds.setdefault(row.framework, {})[row.path] = serving_speeds(row.finding, measure)
    return speeds


def libraries(ms: MachineStudies | None) -> dict[str, Any]:
    """The libraries study: each framework's finding, and the CPU's peak (the same in every file)."""
    found: dict[str, Any] = {"frameworks": {}, "peak": None}
    for fw, r in ms.ordered("libraries") if ms else []:
        if r.ok:
            found["frameworks"][fw] = r.findings.get("libraries", {})
            found["peak"] = found["peak"] or r.findings.get("peak")
    return found


def cores_needed(study: str) -> int:
    """The cores a machine needs for a verdict on ``study``: its registry entry's ``cores_needed``
    (1 where any machine will do)."""
    return registry()[study].cores_needed or 1


def machine_cores(doc: AnyResult) -> int:
    """The CPUs a results file's process could use (``cpus_available``, else the machine's count)."""
    machine = doc["machine"]
    return int(machine.get("cpus_available") or machine["cpu_count"])


def distributed_rows(ms: MachineStudies) -> list[DistributedRow]:
    """Each configuration's throughput per framework, and the fastest against the fastest of the others."""
    found = ms.get("distributed")
    runs = {fw: r.findings for fw, r in found.items() if r.ok}
    if not runs:
        return []
    ids = list(dict.fromkeys(i for findings in runs.values() for i in findings if i != "scaling"))
    rows = []
    for i in ids:
        per = {fw: findings[i] for fw, findings in runs.items() if i in findings}
        done = {fw: f for fw, f in per.items() if f.get("outcome") == "ok" and rounds_of(f)}
        summaries = {fw: summarise(rounds_of(f)) for fw, f in done.items()}
        title = next(iter(per.values())).get("title", i)
        each = {fw: {"": speeds_of(f, "samples/s")} for fw, f in done.items()}
        rows.append(DistributedRow(i, title, per, summaries, *compared(each)))
    return rows


def scaling(ms: MachineStudies) -> dict[str, dict[str, Any]]:
    """Each framework's scaling efficiency: two processes' throughput over one process with 2 threads
    and over twice one process with 1 thread, from the figures of the table (over every process)."""
    rows = distributed_rows(ms)
    found = {}
    for fw in dict.fromkeys(fw for row in rows for fw in row.findings):
        figures = {row.id: row.summaries[fw].median if fw in row.summaries else None for row in rows}
        found[fw] = {"efficiency": scaling_efficiency(figures)}
    return found


MEMORY_TASKS = {"train": "training", "infer": "inference, in-process", "saved": "inference, saved model"}
LESS_MEMORY = ("less memory", "more memory")  # how a comparison of memory reads (less is better)


def per_process(finding: dict[str, Any], key: str) -> list[float]:
    """A study finding's reading of ``key`` in each of its fresh processes (the one reading where
    the processes agreed, or where it ran in one)."""
    values = (finding.get("per_process") or {}).get(key)
    return [float(v) for v in values] if values else [float(finding[key])]


def memory_mib(finding: dict[str, Any]) -> list[float]:
    """A memory-study finding's whole-process peak (its high-water mark, the framework's own
    runtime included: what the user's machine pays for) in MiB, per process. This is the figure
    every memory comparison uses."""
    return [p / 2**20 for p in per_process(finding, "peak_rss_bytes")]


def import_mib(finding: dict[str, Any]) -> list[float]:
    """The process's resident memory right after importing the framework, in MiB, per process."""
    return [b / 2**20 for b in per_process(finding, "after_import_rss_bytes")]


def working_mib(finding: dict[str, Any]) -> list[float]:
    """The peak less the memory after import (the model, its data and the framework's working
    memory), in MiB, per process: shown beside the whole-process figure, never compared alone."""
    peaks, bases = memory_mib(finding), import_mib(finding)
    bases = bases if len(bases) == len(peaks) else bases[:1] * len(peaks)
    return [p - b for p, b in zip(peaks, bases, strict=True)]


def lower_is_better(values: dict[str, list[float]]) -> dict[str, list[float]]:
    """Readings where less is better (memory), as "speeds" for ``stats``: 1/value per process; a
    series with a reading at or below zero is left out."""
    return {key: [1 / v for v in vs] for key, vs in values.items() if vs and min(vs) > 0}


def memory_rows(ms: MachineStudies) -> list[dict[str, Any]]:
    """One row per (framework, size): the whole-process peak in MiB per process (``mib_per_process``)
    and their geometric mean (``mib``, the centre the comparisons use), beside it the memory after
    import (``import_mib``) and the rest (``working_mib``, peak less import), or the outcome."""
    rows = []
    for fw, r in sorted(ms.get("memory").items()):
        if not r.ok:
            continue
        for f in r.findings.values():
            ok = f["outcome"] == "ok" and f["peak_rss_bytes"] is not None and f["after_import_rss_bytes"] is not None
            values = memory_mib(f) if ok else []
            rows.append({**f, "framework": fw, "mib": stats.geometric_mean(values) if values else None,
                         "mib_per_process": values,
                         "import_mib": stats.geometric_mean(import_mib(f)) if ok else None,
                         "working_mib": statistics.median(working_mib(f)) if ok else None,
                         "parameter_mb": f["parameter_bytes"] / 1e6, "file": r.file,
                         "fresh_processes": f.get("fresh_processes", 1),
                         "task_label": MEMORY_TASKS.get(f["task"], f["task"])})  # fmt: skip
    return rows


@dataclass
class MemorySize:
    """One size of the memory study (task, width, batch) in every framework: working memory with its
    interval over processes, and the framework with the least against the least of the others."""

    task: str
    width: int
    batch: int
    parameter_bytes: int
    rows: dict[str, dict[str, Any]]  # framework -> its memory row
    summaries: dict[str, Summary]  # framework -> MiB over its processes, where measured
    headline: stats.Headline | None  # least memory against the least of the others (a ratio of 1/MiB)
    pairs: stats.Pairwise | None = None  # every pair of frameworks (the headline is one of them)

    @property
    def comparison(self) -> Comparison | None:
        return self.headline.comparison if self.headline else None


def memory_sizes(rows: list[dict[str, Any]]) -> list[MemorySize]:
    """The memory rows by size, in the rows' order."""
    by_size: dict[tuple[str, int, int, int], dict[str, dict[str, Any]]] = {}
    for row in rows:
        key = (row["task"], row["width"], row["batch"], row["parameter_bytes"])
        by_size.setdefault(key, {})[row["framework"]] = row
    found = []
    for key, per in by_size.items():
        measured = {fw: row["mib_per_process"] for fw, row in per.items() if row["mib_per_process"]}
        summaries = {fw: summarise(each_alone(values)) for fw, values in measured.items()}
        each = {fw: {"": speeds} for fw, speeds in lower_is_better(measured).items()}
        found.append(MemorySize(*key, per, summaries, *compared(each)))
    return found


def rounds_of(finding: dict[str, Any], key: str = "samples") -> list[list[float]]:
    """A study finding's samples, one list per fresh process (``results.finding_rounds``)."""
    return finding_rounds(finding, key)


def speeds_of(finding: dict[str, Any], unit: str, key: str = "samples") -> list[float]:
    """A study finding's process-level speeds (a latency turned into speed)."""
    return stats.process_speeds(rounds_of(finding, key), unit)


def latency_of(row: dict[str, Any] | None) -> list[list[float]]:
    """A memory row's latency samples (ms) per process, where its inference was timed; else none."""
    return rounds_of(row, "latency_samples") if row and row["outcome"] == "ok" else []


@dataclass
class LatencyRow:
    """One inference size (in-process or from a saved model): each framework's latency, and the
    fastest against the fastest of the others."""

    task: str
    width: int
    batch: int
    rows: dict[str, dict[str, Any]]  # framework -> its memory row
    summaries: dict[str, Summary]  # framework -> latency in ms, where timed
    headline: stats.Headline | None
    pairs: stats.Pairwise | None = None  # every pair of frameworks (the headline is one of them)

    @property
    def comparison(self) -> Comparison | None:
        return self.headline.comparison if self.headline else None


def memory_latency(rows: list[dict[str, Any]]) -> list[LatencyRow]:
    """The memory study's inference latencies, by size, in the rows' order."""
    sizes: dict[tuple[str, int, int], dict[str, dict[str, Any]]] = {}
    for row in rows:
        if row["task"] in ("infer", "saved"):
            sizes.setdefault((row["task"], row["width"], row["batch"]), {})[row["framework"]] = row
    found = []
    for (task, width, batch), per in sizes.items():
        timed = {fw: row for fw, row in per.items() if latency_of(row)}
        summaries = {fw: summarise(latency_of(row)) for fw, row in timed.items()}
        each = {fw: {"": speeds_of(row, "ms", "latency_samples")} for fw, row in timed.items()}
        found.append(LatencyRow(task, width, batch, per, summaries, *compared(each)))
    return found


@dataclass
class SavedRow:
    """Inference from a saved model against in-process inference, for one framework and size."""

    framework: str
    width: int
    batch: int
    in_process: dict[str, Any] | None  # the memory rows of the two tasks
    saved: dict[str, Any]
    latency: dict[str, Summary]  # "infer" and "saved" -> latency in ms, where timed
    comparison: Comparison | None  # the saved model's speed ÷ in-process (over 1: the saved model is faster)

    @property
    def memory_ratio(self) -> float | None:
        """The saved model's working memory over the in-process model's."""
        a, b = self.saved["mib"], (self.in_process or {}).get("mib")
        return a / b if a is not None and b else None


def saved_against_in_process(rows: list[dict[str, Any]]) -> list[SavedRow]:
    """Each saved-model size beside the in-process inference of the same framework and size."""
    in_process = {(r["framework"], r["width"], r["batch"]): r for r in rows if r["task"] == "infer"}
    found = []
    for saved in sorted((r for r in rows if r["task"] == "saved"), key=lambda r: (r["framework"], -r["batch"])):
        key = (saved["framework"], saved["width"], saved["batch"])
        here = in_process.get(key)
        samples = {"infer": latency_of(here), "saved": latency_of(saved)}
        summaries = {task: summarise(s) for task, s in samples.items() if s}
        comparison = compare(samples["saved"], samples["infer"], unit="ms") if len(summaries) == 2 else None
        found.append(SavedRow(*key, here, saved, summaries, comparison))
    return found
