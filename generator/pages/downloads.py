"""What a reader downloads beside the pages, per machine: ``results.csv`` (a row per fresh process
of each timing run: its samples' median and its own first call and memory), ``samples.csv`` (every
raw sample of those runs), ``studies.csv`` (the memory, serving, pipeline and distributed studies:
a row per figure of each fresh process) and a zip of its results files; and the line that says
what a table was measured on.

The CSV files are UTF-8 with a byte-order mark, so that a spreadsheet opened without choosing an
encoding reads "×" and "→" as written; text a spreadsheet would run as a formula is neutralised."""

from __future__ import annotations

import csv
import re
import statistics
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from generator.read import provenance
from generator.read.studies import MachineStudies, StudyResult
from measurements import catalog
from measurements.results import AnyResult, finding_rounds

# what a case is, as columns of their own (from the catalog and the measurement's ``params``)
CASE = ("machine", "workload", "model", "task", "batch_size", "dtype", "case", "framework", "framework_version",
        "mode", "device", "profile", "metric", "unit")  # fmt: skip
# each fresh process's own readings, from the run's per-round lists
PROCESS_READINGS = ("first_call_s", "warmup_s", "prepare_s", "import_s", "peak_rss_bytes", "after_import_rss_bytes",
                    "device_peak_bytes")  # fmt: skip
COLUMNS = (*CASE, "process", "n_samples", "process_median", "parity_passed", *PROCESS_READINGS, "file")
SAMPLE_COLUMNS = (*CASE, "process", "sample", "value", "file")
STUDY_COLUMNS = ("machine", "study", "framework", "framework_version", "finding", "title", "model", "task",
                 "batch_size", "width", "images", "process", "quantity", "value", "unit", "n_samples", "outcome",
                 "file")  # fmt: skip
STUDIES = ("memory", "serving", "pipeline", "pipeline_limit", "distributed")  # what memory and serving claims rest on
# a study's figures that a page reads, where a finding records one reading rather than one per process
FIGURES = {
    "memory": ("peak_rss_bytes", "after_import_rss_bytes", "latency_ms", "load_s", "artifact_bytes"),
    "serving": tuple(f"{who}_{what}" for who in ("latency", "clients1", "clients4", "clients16")
                     for what in ("requests_per_s", "p50_ms", "p99_ms") if not (who == "latency" and what[0] == "r")),
    "pipeline": ("first_epoch_samples_per_s", "second_epoch_samples_per_s", "peak_pss_bytes", "after_import_pss_bytes",
                 "cpu_ms_per_sample", "other_cpu_share", "build_s", "prepare_s", "wall_s"),
    "pipeline_limit": ("peak_charged_bytes",),
    "distributed": ("setup_s", "median"),
}  # fmt: skip
STUDY_MODEL = {"memory": "mlp", "distributed": "mlp"}  # the project's MLP; serving names its model
STUDY_TASK = {"serving": "serve", "distributed": "train"}  # memory names its task
SAMPLES = {"samples": ("median_samples_per_s", "samples/s"), "latency_samples": ("median_latency_ms", "ms")}
UNITS = {"load_1m_before": "load average", "other_cpu_share": "share", "cpu_ms_per_sample": "ms/sample",
         "steps_per_sample": "steps", "warmup_steps": "steps", "oom_kills": "count", "median": "samples/s"}  # fmt: skip
SUFFIXES = (("_bytes", "bytes"), ("_requests_per_s", "requests/s"), ("_samples_per_s", "samples/s"), ("_ms", "ms"),
            ("_s", "s"))  # fmt: skip
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run a cell that starts so


def cell(value: object) -> object:
    """A CSV cell from a results file: text that a spreadsheet would read as a formula is quoted
    with a leading apostrophe; missing values are empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, str) and value.startswith(FORMULA):
        return "'" + value
    return value


def number(value: object) -> int | float | None:
    """A reading from an untrusted file: a number (an integer stays one), else nothing."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def text(value: object) -> str | None:
    """Text from an untrusted file (a name, an outcome), else nothing."""
    return value if isinstance(value, str) else None


def nth(values: object, i: int) -> object:
    """The ``i``-th process's entry of a per-round list, or nothing where the list is short."""
    return values[i] if isinstance(values, list) and i < len(values) else None


def model_of(workload: str, params: Mapping[str, object]) -> str:
    """The model a case runs, named by its training workload (``resnet50_infer`` runs ``resnet50``;
    an operation names itself); the accuracy runs name theirs in ``params``."""
    if isinstance(params.get("model"), str):
        return str(params["model"])
    found = catalog.WORKLOADS.get(workload)
    if found is None:
        return workload
    package = found.package or found.name
    trained = [w.name for w in catalog.WORKLOADS.values() if (w.package or w.name) == package and w.task == "train"]
    return trained[0] if trained else found.name


def case_cells(run: Any) -> list[object]:
    """The ``CASE`` columns of a run's row of the frame."""
    params = run.params if isinstance(run.params, dict) else {}
    found = catalog.WORKLOADS.get(run.workload)
    described = {"model": model_of(run.workload, params), "task": found.task if found else params.get("task"),
                 "batch_size": number(params.get("batch_size")), "dtype": params.get("dtype")}  # fmt: skip
    return [cell(described[c] if c in described else getattr(run, c, None)) for c in CASE]


def rows(frame: pd.DataFrame) -> list[list[object]]:
    """A row per fresh process of each run: its samples' count and median (in the metric's own
    unit) and that process's own readings (first call, memory, ...)."""
    found = []
    for run in frame[frame.status == "ok"].itertuples(index=False):
        described = case_cells(run)
        readings = run.per_process if isinstance(run.per_process, dict) else {}
        for i, own in enumerate(run.samples or []):
            median = float(np.median(own)) if own else None
            own_readings = [cell(number(nth(readings.get(r), i))) for r in PROCESS_READINGS]
            found.append([*described, i + 1, len(own), cell(median), cell(run.parity_passed), *own_readings,
                          cell(run.file)])  # fmt: skip
    return found


def sample_rows(frame: pd.DataFrame) -> list[list[object]]:
    """A row per raw sample of each run, with its process and its place in that process."""
    found: list[list[object]] = []
    for run in frame[frame.status == "ok"].itertuples(index=False):
        described = case_cells(run)
        for i, own in enumerate(run.samples or []):
            found.extend([*described, i + 1, j + 1, cell(number(v)), cell(run.file)] for j, v in enumerate(own))
    return found


def unit_of(key: str) -> str:
    """A study figure's unit, from its name (``peak_rss_bytes``: bytes; ``p99_ms``: ms; ...)."""
    return UNITS.get(key) or next((unit for end, unit in SUFFIXES if key.endswith(end)), "")


Figure = tuple[int | None, str | None, float | None, str | None, int | None, str | None]  # see ``finding_rows``


def finding_rows(study: str, finding: Mapping[str, object]) -> Iterable[Figure]:
    """(process, quantity, value, unit, samples counted, outcome) for each figure of one finding:
    each process's reading where the study records one per process (``per_process``, the
    launches of ``pipeline_limit``), the median of each process's raw samples, and otherwise the
    one reading the finding holds (process left empty where several processes share it)."""
    outcomes = finding.get("outcome_per_process")
    launched = finding.get("launches")
    launches: list[dict[str, object]] = (
        [x for x in launched if isinstance(x, dict)] if isinstance(launched, list) else []
    )
    processes = finding.get("fresh_processes") or len(launches) or 1

    def outcome(i: int | None) -> str | None:
        if i is None:
            return text(finding.get("outcome"))
        launch = launches[i] if i < len(launches) else {}
        return text(nth(outcomes, i)) or text(launch.get("outcome")) or text(finding.get("outcome"))

    def process(i: int | None) -> int | None:
        return None if i is None and processes != 1 else (i or 0) + 1

    recorded = finding.get("per_process")
    per_process: dict[str, object] = recorded if isinstance(recorded, dict) else {}
    for key, values in per_process.items():
        for i, v in enumerate(values if isinstance(values, list) else []):
            if (n := number(v)) is not None:
                yield process(i), key, n, unit_of(key), None, outcome(i)
    for i, launch in enumerate(launches):
        for key, v in launch.items():
            if (n := number(v)) is not None:
                yield process(i), key, n, unit_of(key), None, outcome(i)
    for key, (quantity, unit) in SAMPLES.items():
        split_up = isinstance(finding.get(f"{key}_per_process"), list)  # one list per process (else one process)
        for i, own in enumerate(finding_rounds(finding, key)):
            readings = [float(v) for v in own if number(v) is not None]
            if readings:
                each = i if split_up or processes == 1 else None
                yield process(each), quantity, statistics.median(readings), unit, len(readings), outcome(each)
    each_process = set(per_process) | {key for launch in launches for key in launch}
    for key in FIGURES.get(study, ()):
        if key not in each_process and (n := number(finding.get(key))) is not None:
            yield process(None), key, n, unit_of(key), None, outcome(None)


def described(machine: str, study: str, r: StudyResult, finding: Mapping[str, object]) -> list[object]:
    """The columns of ``STUDY_COLUMNS`` that say what a study finding measured."""

    def first(*keys: str) -> object:
        return next((finding[k] for k in keys if finding.get(k) is not None), None)

    batch = number(first("batch_size", "batch", "server_batch", "global_batch"))
    return [machine, study, r.framework, r.version, finding["id"], text(first("title", "path")),
            text(first("model")) or STUDY_MODEL.get(study), text(first("task")) or STUDY_TASK.get(study), batch,
            number(first("width")), number(first("images"))]  # fmt: skip


def study_rows(machine: str, ms: MachineStudies | None) -> list[list[object]]:
    """A row per figure of each fresh process of the studies that memory, serving and pipeline
    claims rest on (``STUDIES``): each framework's newest release."""
    found: list[list[object]] = []
    for study in STUDIES:
        for _, r in ms.ordered(study) if ms else []:
            for finding in r.doc["findings"]:
                about = described(machine, study, r, finding)
                # a size that failed or ran out of time is a row too, with its outcome and no figure
                figures = list(finding_rows(study, finding)) or [
                    (None, None, None, None, None, text(finding.get("outcome")))
                ]
                found.extend([cell(v) for v in (*about, *figure, r.file)] for figure in figures)
    return found


def write_csv(path: Path, columns: Sequence[str], found: Iterable[Sequence[object]]) -> None:
    """A CSV file in UTF-8 with a byte-order mark (a spreadsheet then reads "×" as written)."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(found)


ENTRY_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def entry_name(name: str) -> str:
    """A results file's name under the results folder, checked before it names a copy or a zip
    entry: relative, "/"-separated parts of letters, digits, ".", "_" and "-" (no backslash, no
    ".." and nothing absolute). The loader admits no other, so any other is a bug here."""
    parts = name.split("/")
    if not 2 <= len(parts) <= 3 or not all(ENTRY_PART.fullmatch(p) and p not in (".", "..") for p in parts):
        raise ValueError(f"{name!r} is not a results file's name under the results folder")
    return name


class Downloads(NamedTuple):
    """A machine's downloads, each path under the output folder."""

    results_csv: str  # a row per process of each timing run
    zip: str  # every results file, as validated
    samples_csv: str  # every raw sample of the timing runs
    studies_csv: str | None  # a row per figure of each process of the memory, serving, pipeline and distributed studies


def write(machine: str, frame: pd.DataFrame, files: dict[str, bytes], out: Path,
          studies: MachineStudies | None = None) -> Downloads:  # fmt: skip
    """``results/<machine>/results.csv``, ``samples.csv``, ``studies.csv`` (where the machine has
    studies) and ``results/<machine>.zip`` under ``out``; their paths under ``out``. The zip holds ``files``
    (each file's name under the results folder, and the bytes that were read and validated: never
    read again from the disk)."""
    folder = out / "results" / machine
    folder.mkdir(parents=True, exist_ok=True)
    mine = frame[frame.machine == machine] if not frame.empty else frame
    write_csv(folder / "results.csv", COLUMNS, rows(mine) if not mine.empty else [])
    write_csv(folder / "samples.csv", SAMPLE_COLUMNS, sample_rows(mine) if not mine.empty else [])
    studied = study_rows(machine, studies)
    if studied:
        write_csv(folder / "studies.csv", STUDY_COLUMNS, studied)
    archive = out / "results" / f"{machine}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(entry_name(name), date_time=(1980, 1, 1, 0, 0, 0))  # the same bytes each time
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, files[name])
    folder_name = f"results/{machine}"
    return Downloads(f"{folder_name}/results.csv", f"results/{machine}.zip", f"{folder_name}/samples.csv",
                     f"{folder_name}/studies.csv" if studied else None)  # fmt: skip


def measured_on(docs: dict[str, AnyResult]) -> provenance.Provenance | None:
    """What a machine's results were measured on, with and when."""
    return provenance.of_files(list(docs), docs)
