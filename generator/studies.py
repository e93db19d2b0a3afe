"""Study results (usability, ecosystem): load, validate, and sum up for the guides.

Study files live in ``results/<machine>/studies/``; each holds one study of one framework
release. The guides show each machine's newest release of each framework, as the
Performance guide does. Every sentence here is computed from the findings.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from generator.compare import Comparison, Summary, compare, summarise
from generator.escape import text
from generator.load import REMEASURE, SAFE_NAME, median, read_json, relative_file, version_key
from measurements.frameworks import FRAMEWORK_LABELS
from measurements.results import ROOT, study_path
from measurements.studies import Study, registry

SCHEMA_PATH = ROOT / "measurements" / "study.schema.json"
FRAMEWORKS = ("pytorch", "tensorflow")


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        json.loads(SCHEMA_PATH.read_text()), format_checker=jsonschema.FormatChecker()
    )


def check_study(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """Read and validate one study file; returns (document, problems naming the field)."""
    doc, problems = read_json(path)
    if problems:
        return None, problems
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    problems = [f"{'.'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}; {REMEASURE}" for e in errors]
    if not problems and doc["study"] not in registry():
        problems = [f"study: unknown study {doc['study']!r} (known: {', '.join(registry())}); {REMEASURE}"]
    return (None, problems) if problems else (doc, [])


def expected_path(doc: dict[str, Any], results_dir: Path) -> Path:
    """Where the launcher writes this study result."""
    return study_path(results_dir, doc["machine"]["id"], doc["study"], doc["framework"],
                      doc["software"]["framework"]["version"])  # fmt: skip


def measured(doc: dict[str, Any]) -> tuple[Any, ...]:
    """What a study found: two files of one study that differ here are a clash."""
    return doc["outcome"]["status"], json.dumps(doc["findings"], sort_keys=True)


def run_label(doc: dict[str, Any]) -> str:
    return f"study/{doc['study']}/{doc['framework']}"


def study_files(results_dir: Path) -> list[Path]:
    return sorted(results_dir.glob("*/studies/*.json"))


@dataclass
class StudyResult:
    """One study of one framework release on one machine."""

    study: Study
    framework: str
    version: str | None
    doc: dict[str, Any]
    file: str  # under the results folder

    @property
    def ok(self) -> bool:
        return bool(self.doc["outcome"]["status"] == "ok")

    @property
    def findings(self) -> dict[str, dict[str, Any]]:
        return {f["id"]: f for f in self.doc["findings"]}

    @property
    def label(self) -> str:
        return f"{FRAMEWORK_LABELS[self.framework]} {self.version or ''}".strip()


@dataclass
class MachineStudies:
    machine: str
    results: dict[str, dict[str, StudyResult]] = field(default_factory=dict)  # study -> framework -> newest

    def get(self, study: str) -> dict[str, StudyResult]:
        return self.results.get(study, {})

    def both(self, study: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """(id, PyTorch's finding, TensorFlow's finding) for each item both studies found, in order."""
        found = self.get(study)
        if not all(fw in found and found[fw].ok for fw in FRAMEWORKS):
            return []
        theirs = found["tensorflow"].findings
        return [(i, f, theirs[i]) for i, f in found["pytorch"].findings.items() if i in theirs]


def load_studies(results_dir: Path) -> tuple[dict[str, MachineStudies], list[str]]:
    """Each machine's newest study results per framework; and one line per bad file.

    Of several files of the same study, framework and release on one machine, the one that lies
    where the launcher writes it wins; when none does, all are left out (as for timing runs,
    ``load.resolve_clashes``): a file's place in the sort order never decides."""
    machines: dict[str, MachineStudies] = {}
    problems = []
    claimants: dict[tuple[str, ...], list[tuple[Path, dict[str, Any]]]] = {}
    for path in study_files(results_dir):
        if not SAFE_NAME.fullmatch(path.name):
            problems.append(f"{path}: not a results file name (letters, digits, '.', '_', '-'); rename it")
            continue
        doc, found = check_study(path)
        if doc is None:
            more = f" (and {len(found) - 1} more problems)" if len(found) > 1 else ""
            problems.append(f"{path}: {found[0]}{more}")
            continue
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
    return machines, problems


def _placed_claimant(
    group: list[tuple[Path, dict[str, Any]]], results_dir: Path, problems: list[str]
) -> tuple[Path, dict[str, Any]] | None:
    """The one file of a group that claims the same study result; the others are reported."""
    if len(group) == 1:
        return group[0]
    placed = [(p, d) for p, d in group if p.resolve() == expected_path(d, results_dir).resolve()]
    label = run_label(group[0][1])
    if len(placed) == 1:
        kept = placed[0]
        for path, doc in group:
            if path != kept[0]:
                same = measured(doc) == measured(kept[1])
                problems.append(
                    f"{path}: {'a copy' if same else 'a CLASH'} of {kept[0]} ({label}), which lies where the "
                    f"study writes it and is shown; delete {path.name}"
                )
        return kept
    names = ", ".join(str(p) for p, _ in group)
    problems.append(
        f"{names}: the same study ({label}) in {len(group)} files, none of them alone where the study writes it; "
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
    pytorch: tuple[int, int]  # (met, out of)
    tensorflow: tuple[int, int]


ERROR_CRITERIA = {  # what the error gallery scores, and the finding each is read from
    "Raises an error (rather than running on)": "raised",  # counted from "silent"
    "The traceback's deepest frame is the user's own line": "user_frame_last",
    "The message names the offending shapes (where shapes are the mistake)": "names_shapes",
    "The message names the offending dtypes (where dtypes are the mistake)": "names_dtypes",
}


def error_scores(ms: MachineStudies) -> list[Score]:
    """The error gallery scored per criterion, for each framework: how many mistakes meet it."""
    rows = [(i, p, t) for i, p, t in ms.both("errors") if p.get("applicable", True) and t.get("applicable", True)]
    if not rows:
        return []
    torch_items, tf_items = [p for _, p, _ in rows], [t for _, _, t in rows]
    raised = [{"raised": not f["silent"]} for f in torch_items], [{"raised": not f["silent"]} for f in tf_items]
    first, *others = ERROR_CRITERIA.items()
    scores = [Score(first[0], count(raised[0], "raised"), count(raised[1], "raised"))]
    for criterion, key in others:
        scores.append(Score(criterion, count(torch_items, key), count(tf_items, key)))
    return scores


def message_lengths(ms: MachineStudies) -> dict[str, float | None]:
    """The median length of the error messages each framework gave, silent mistakes left out."""
    return {
        fw: median([float(f["message_chars"]) for f in r.findings.values() if f.get("silent") is False])
        for fw, r in ms.get("errors").items()
        if r.ok
    }


def code_totals(ms: MachineStudies) -> dict[str, tuple[int, int]]:
    """Lines and tokens of every workload together, per framework."""
    return {
        fw: (sum(f["lines"] for f in r.findings.values()), sum(f["tokens"] for f in r.findings.values()))
        for fw, r in ms.get("codesize").items()
        if r.ok
    }


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
    for fw, r in ms.get("noise").items():
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


def usability_verdicts(ms: MachineStudies) -> list[str]:
    """What the usability studies found, in words, from the findings only."""
    found = []
    scores = error_scores(ms)
    if scores:
        raised, user, shapes, dtypes = scores
        n = raised.pytorch[1]
        found.append(
            f"Of {n} common mistakes tried in both, PyTorch raised an error for {raised.pytorch[0]} and TensorFlow for "
            f"{raised.tensorflow[0]}; the rest ran on, some harmlessly (see each mistake). The traceback ended at "
            f"the user's own line in {user.pytorch[0]} of {user.pytorch[1]} (PyTorch) and {user.tensorflow[0]} of "
            f"{user.tensorflow[1]} "
            f"(TensorFlow); the message named the offending shapes in {shapes.pytorch[0]} of {shapes.pytorch[1]} "
            f"and {shapes.tensorflow[0]} of {shapes.tensorflow[1]}, the dtypes in {dtypes.pytorch[0]} of "
            f"{dtypes.pytorch[1]} and {dtypes.tensorflow[0]} of {dtypes.tensorflow[1]}."
        )
    tools = ms.both("debugging")
    if tools:
        torch_ok, tf_ok = sum(bool(p["works"]) for _, p, _ in tools), sum(bool(t["works"]) for _, _, t in tools)
        found.append(
            f"Of {len(tools)} debugging techniques tried, {torch_ok} worked in PyTorch and {tf_ok} in TensorFlow."
        )
    totals = code_totals(ms)
    if len(totals) == 2 and totals["tensorflow"][0]:  # a study that counted nothing has no ratio
        (torch_lines, torch_tokens), (tf_lines, tf_tokens) = totals["pytorch"], totals["tensorflow"]
        found.append(
            f"The same workloads take {torch_lines} lines ({torch_tokens:,} tokens) in PyTorch and {tf_lines} lines "
            f"({tf_tokens:,} tokens) in TensorFlow in this project: a ratio of {torch_lines / tf_lines:.2f}."
        )
    noise = noise_totals(ms)
    if len(noise) == 2:
        found.append(
            f"Running every workload once in every mode, PyTorch wrote {sum(noise['pytorch'].values())} distinct "
            f"warnings or log lines to stderr and TensorFlow {sum(noise['tensorflow'].values())}."
        )
    return found


def ecosystem_verdicts(ms: MachineStudies) -> list[str]:
    """What the ecosystem studies found, in words, from the findings only."""
    found = []
    install = {fw: r.findings["install"] for fw, r in ms.get("install").items() if r.ok and "install" in r.findings}
    if "pytorch" in install and "tensorflow" in install:
        t, f = install["pytorch"], install["tensorflow"]
        found.append(
            f"Installed into an empty environment, PyTorch takes {t['installed_bytes'] / 2**20:,.0f} MiB in "
            f"{t['distributions']} distributions and TensorFlow {f['installed_bytes'] / 2**20:,.0f} MiB in "
            f"{f['distributions']}; a later `import` takes {t['import_warm_s']:.2f} s and {f['import_warm_s']:.2f} s."
        )
    export = {fw: list(r.findings.values()) for fw, r in ms.get("export").items() if r.ok}
    if export:
        parts = []
        for fw, items in sorted(export.items()):
            worked = [i for i in items if i["success"]]
            failed = sorted(
                {f"{text(i['path'])} ({text(i['model'])}, at {text(i['stage'])})" for i in items if not i["success"]}
            )
            said = f"{FRAMEWORK_LABELS[fw]}: {len(worked)} of {len(items)} export paths worked end to end"
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
    versus: Comparison | None = None  # speed ÷ the other framework's fastest configuration's, at this size

    @property
    def title(self) -> str:
        return str(self.finding.get("title") or self.finding["config"])


@dataclass
class PipelineSize:
    """Every configuration of both frameworks at one data-set size, and the best of each against the other."""

    images: int
    dataset_bytes: int | None  # the JPEG files on disk
    decoded_bytes: int  # images × 64 × 64 × 3
    memory_bytes: int | None  # the machine's memory, from its fingerprint
    memory_share: float | None  # the decoded data set over the machine's memory
    entries: list[PipelineEntry]  # PyTorch's configurations, then TensorFlow's, in the study's order
    best: dict[str, PipelineEntry]  # framework -> its configuration with the highest median samples/s
    comparison: (
        Comparison | None
    )  # PyTorch's best against TensorFlow's best, speed ÷ speed (over 1: PyTorch's is faster)
    same_content: bool | None  # both frameworks read data with the same SHA-256 (None: not known)
    decode_diff: dict[str, float]  # framework -> largest pixel difference from Pillow's decoding
    accurate_diff: dict[str, float]  # the same with an accurate inverse DCT, where the study tried it (TensorFlow)
    checked_images: int  # how many images the decoding check compared


PIPELINE_OPTIONAL: dict[str, Any] = dict.fromkeys(
    ("title", "epochs", "error", "dataset_bytes", "prepare_s", "first_epoch_samples_per_s",
     "second_epoch_samples_per_s", "cpu_ms_per_sample", "peak_pss_bytes", "other_cpu_share", "same_content",
     "decode_check"),
)  # fmt: skip


def pipeline_rows(ms: MachineStudies) -> list[PipelineSize]:
    """The data-pipeline study by size, smallest first: each configuration's steady samples/s with its
    interval, and at each size the best PyTorch configuration against the best TensorFlow one."""
    runs = {fw: r for fw, r in sorted(ms.get("pipeline").items()) if r.ok}
    by_size: dict[int, list[PipelineEntry]] = {}
    memory: int | None = None
    for fw, r in runs.items():
        memory = memory or r.doc["machine"].get("memory_bytes")
        for found_here in r.doc["findings"]:
            f = {**PIPELINE_OPTIONAL, **found_here}  # the page reads these; a study may leave them out
            ok = f.get("outcome") == "ok" and bool(f.get("samples"))
            by_size.setdefault(int(f["images"]), []).append(
                PipelineEntry(fw, f, summarise(f["samples"], per_round(f)) if ok else None, r.file)
            )
    found = []
    for images, entries in sorted(by_size.items()):
        best: dict[str, PipelineEntry] = {}
        medians: dict[str, float] = {}
        for e in entries:
            if e.summary and e.summary.median > medians.get(e.framework, 0.0):
                best[e.framework], medians[e.framework] = e, e.summary.median
        both = "pytorch" in best and "tensorflow" in best
        comparison = _compare(best["pytorch"].finding, best["tensorflow"].finding, "samples/s") if both else None
        for e in entries:
            other = best.get("tensorflow" if e.framework == "pytorch" else "pytorch")
            if e.summary and other:
                e.versus = _compare(e.finding, other.finding, "samples/s")
        # the generator's hash of the files, the same in both runs; and what each pipeline read matched it
        hashes = {e.finding.get("dataset_sha256") for e in entries}
        read_back = [e.finding["same_content"] for e in entries if e.finding.get("same_content") is not None]
        two = len({e.framework for e in entries}) == 2
        same = (len(hashes) == 1 and None not in hashes and all(read_back)) if two and read_back else None
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
            entries, best, comparison, same, diffs, accurate, checked,
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
    """One configuration of the distributed study (one process, or two), in both frameworks."""

    id: str
    title: str
    findings: dict[str, dict[str, Any]]  # framework -> its finding
    summaries: dict[str, Summary]  # framework -> throughput, where it completed
    comparison: Comparison | None  # PyTorch's speed ÷ TensorFlow's, where both completed


def distributed_rows(ms: MachineStudies) -> list[DistributedRow]:
    """Each configuration's throughput per framework, and PyTorch against TensorFlow."""
    found = ms.get("distributed")
    runs = {fw: r.findings for fw, r in found.items() if r.ok}
    if not runs:
        return []
    ids = list(dict.fromkeys(i for findings in runs.values() for i in findings if i != "scaling"))
    rows = []
    for i in ids:
        per = {fw: findings[i] for fw, findings in runs.items() if i in findings}
        summaries = {
            fw: summarise(f["samples"], per_round(f))
            for fw, f in per.items()
            if f.get("outcome") == "ok" and f.get("samples")
        }
        both = "pytorch" in summaries and "tensorflow" in summaries
        comparison = _compare(per["pytorch"], per["tensorflow"], "samples/s") if both else None
        title = next(iter(per.values())).get("title", i)
        rows.append(DistributedRow(i, title, per, summaries, comparison))
    return rows


def scaling(ms: MachineStudies) -> dict[str, dict[str, Any]]:
    """Each framework's "scaling" finding (efficiency of two processes), where measured."""
    return {fw: r.findings["scaling"] for fw, r in ms.get("distributed").items() if r.ok and "scaling" in r.findings}


MEMORY_TASKS = {"train": "training", "infer": "inference, in-process", "saved": "inference, saved model"}


def memory_rows(ms: MachineStudies) -> list[dict[str, Any]]:
    """One row per (framework, size): working memory (peak less after-import) in MiB, or the outcome."""
    rows = []
    for fw, r in sorted(ms.get("memory").items()):
        if not r.ok:
            continue
        for f in r.findings.values():
            ok = f["outcome"] == "ok" and f["peak_rss_bytes"] is not None and f["after_import_rss_bytes"] is not None
            mib = (f["peak_rss_bytes"] - f["after_import_rss_bytes"]) / 2**20 if ok else None
            rows.append({**f, "framework": fw, "mib": mib, "parameter_mb": f["parameter_bytes"] / 1e6, "file": r.file,
                         "task_label": MEMORY_TASKS.get(f["task"], f["task"])})  # fmt: skip
    return rows


def per_round(finding: dict[str, Any], key: str = "samples_per_round") -> list[int] | None:
    """How many of a study finding's samples came from each fresh process, where the study
    records it; else None: the samples are one process (a single reading, no interval)."""
    counts = finding.get(key)
    return [int(c) for c in counts] if isinstance(counts, list) and counts else None


def _compare(a: dict[str, Any], b: dict[str, Any], unit: str) -> Comparison:
    """Two study findings' samples, speed of A ÷ speed of B, over their processes."""
    return compare(a["samples"], b["samples"], per_round(a), per_round(b), unit=unit)


def latency_rounds(row: dict[str, Any] | None) -> list[int] | None:
    """A memory row's latency samples per process, where the study records it."""
    return per_round(row, "latency_samples_per_round") if row and row["outcome"] == "ok" else None


def latency_of(row: dict[str, Any] | None) -> list[float]:
    """A memory row's latency samples (ms), where its inference was timed; else none."""
    return list(row.get("latency_samples") or []) if row and row["outcome"] == "ok" else []


@dataclass
class LatencyRow:
    """One inference size (in-process or from a saved model): each framework's latency, and TensorFlow's
    against PyTorch's."""

    task: str
    width: int
    batch: int
    rows: dict[str, dict[str, Any]]  # framework -> its memory row
    summaries: dict[str, Summary]  # framework -> latency in ms, where timed
    comparison: Comparison | None  # TensorFlow's speed ÷ PyTorch's (over 1: TensorFlow is faster)


def memory_latency(rows: list[dict[str, Any]]) -> list[LatencyRow]:
    """The memory study's inference latencies, paired by size, in the rows' order."""
    pairs: dict[tuple[str, int, int], dict[str, dict[str, Any]]] = {}
    for row in rows:
        if row["task"] in ("infer", "saved"):
            pairs.setdefault((row["task"], row["width"], row["batch"]), {})[row["framework"]] = row
    found = []
    for (task, width, batch), per in pairs.items():
        samples = {fw: latency_of(row) for fw, row in per.items()}
        rounds = {fw: latency_rounds(row) for fw, row in per.items()}
        summaries = {fw: summarise(s, rounds[fw]) for fw, s in sorted(samples.items()) if s}
        both = "pytorch" in summaries and "tensorflow" in summaries
        comparison = (
            compare(samples["tensorflow"], samples["pytorch"], rounds["tensorflow"], rounds["pytorch"], unit="ms")
            if both
            else None
        )
        found.append(LatencyRow(task, width, batch, per, summaries, comparison))
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
        rounds = {"infer": latency_rounds(here), "saved": latency_rounds(saved)}
        summaries = {task: summarise(s, rounds[task]) for task, s in samples.items() if s}
        comparison = (
            compare(samples["saved"], samples["infer"], rounds["saved"], rounds["infer"], unit="ms")
            if len(summaries) == 2
            else None
        )
        found.append(SavedRow(*key, here, saved, summaries, comparison))
    return found
