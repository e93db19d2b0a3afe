"""Load results files: parse, migrate older schema versions, validate, and tabulate.

Every problem names its file, the field and what to do; a bad file never stops the good
ones from loading (unless the caller asks for strictness).
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd

from measurements import workloads
from measurements.results import SCHEMA_PATH, SCHEMA_VERSION, result_path

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.json")
MAX_FILE_BYTES = 10 * 2**20  # a result is a few kB; anything this big is not one
REMEASURE = "fix or delete it, or re-measure with `nox -s measure`"


def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 2 measures in rounds: values taken once per round become lists (version 1 had
    one round), and a run that could not start is "unavailable" rather than "skipped"."""
    outcome = doc.get("outcome")
    if isinstance(outcome, dict) and outcome.get("status") == "skipped":
        outcome["status"] = "unavailable"
    doc["rounds"] = 1
    doc["import_s"] = [] if doc.get("import_s") is None else [doc["import_s"]]
    memory = doc.get("memory")
    if isinstance(memory, dict):
        doc["memory"] = {key: [] if value is None else [value] for key, value in memory.items()}
    for m in doc.get("measurements") or []:
        if isinstance(m, dict):
            m["samples_per_round"] = [len(m.get("samples") or [])]
            for key in ("steps_per_sample", "warmup_steps", "first_call_s"):
                m[key] = [m.get(key)]
    return doc


# Migrations from older schema versions: MIGRATIONS[n] turns a version-n document into n+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


@dataclass
class Loaded:
    results: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per bad file


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _field(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


def _non_finite(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], float]]:
    """Fields holding infinity (JSON has no NaN or infinity, but 1e999 reads as infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite(item, (*path, index))


def check_document(doc: Any) -> tuple[dict[str, Any] | None, list[str]]:
    """Migrate and validate a parsed document; returns (the current-version document, problems)."""
    if not isinstance(doc, dict):
        return None, [f"top level is a JSON {type(doc).__name__}, not an object; {REMEASURE}"]
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        return None, [f"schema_version: missing or not an integer; {REMEASURE}"]
    if version > SCHEMA_VERSION:
        return None, [
            f"schema_version: {version} is newer than this Framework Guide reads ({SCHEMA_VERSION}); "
            "update Framework Guide (git pull) and build again"
        ]
    while version < SCHEMA_VERSION:
        if version not in MIGRATIONS:
            return None, [f"schema_version: {version} is too old to migrate; re-measure with `nox -s measure`"]
        doc = MIGRATIONS[version](doc)
        version = doc["schema_version"] = version + 1
    problems = [
        f"{_field(error.absolute_path)}: {error.message}; {REMEASURE}"
        for error in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]
    problems += [f"{_field(path)}: {value} is not a finite number; {REMEASURE}" for path, value in _non_finite(doc)]
    problems = problems or _meaning_problems(doc)
    return (None, problems) if problems else (doc, [])


def _meaning_problems(doc: dict[str, Any]) -> list[str]:
    """What a schema cannot say: known names, and samples that add up to their rounds."""
    run = doc["run"]
    try:
        workload = workloads.get(run["workload"])
    except workloads.UnknownName as exc:
        return [f"run.workload: {exc.args[0]}; {REMEASURE}"]
    if run["mode"] not in workload.modes.get(run["framework"], ()):
        return [f"run.mode: {run['workload']} has no {run['framework']} mode {run['mode']!r}; {REMEASURE}"]
    problems = []
    for i, m in enumerate(doc["measurements"]):
        if m["metric"] not in workloads.METRICS:
            known = ", ".join(sorted(workloads.METRICS))
            problems.append(f"measurements[{i}].metric: unknown metric {m['metric']!r} (known: {known}); {REMEASURE}")
        if len(m["samples_per_round"]) != doc["rounds"] or sum(m["samples_per_round"]) != len(m["samples"]):
            problems.append(
                f"measurements[{i}].samples_per_round: does not add up to the {len(m['samples'])} samples "
                f"in {doc['rounds']} rounds; {REMEASURE}"
            )
    return problems


def check_file(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """Read one results file; returns (document, problems), each problem naming a field."""
    doc, problems = read_json(path)
    return (None, problems) if problems else check_document(doc)


def read_json(path: Path) -> tuple[Any, list[str]]:
    """Parse a results file of any kind; returns (what it holds, the problem if it cannot be read)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [f"{size / 2**20:.0f} MiB is far too large for a results file; {REMEASURE}"]
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"cannot be read ({exc}); {REMEASURE}"]
    if not text.strip():
        return None, [f"is empty; {REMEASURE}"]
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        return None, [f"not valid JSON ({exc}); {REMEASURE}"]
    return doc, []


def run_key(doc: dict[str, Any]) -> tuple[str, ...]:
    """What a result is the measurement of: machine, workload, framework and its version, mode, device."""
    run = doc["run"]
    version = doc["software"]["framework"]["version"] or ""
    return (doc["machine"]["id"], run["workload"], run["framework"], version, run["mode"], run["device"])


def measured(doc: dict[str, Any]) -> tuple[Any, ...]:
    """The numbers a result holds: its outcome and each measurement's samples."""
    return (doc["outcome"], [(m["metric"], m["case"], m["samples"]) for m in doc["measurements"]])


def run_label(doc: dict[str, Any]) -> str:
    """A run as ``--only`` names it: workload/framework/mode/device."""
    run = doc["run"]
    return f"{run['workload']}/{run['framework']}/{run['mode']}/{run['device']}"


def duplicate_problem(path: Path, doc: dict[str, Any], shown: Path, shown_doc: dict[str, Any]) -> str:
    """One line for a second file of the same run: a harmless copy, or a clash of different numbers."""
    if measured(doc) == measured(shown_doc):
        return f"{path}: a copy of {shown} (the same run, the same numbers), which is shown; delete this copy"
    return (
        f"{path}: CLASH with {shown}: the same run ({run_label(doc)} on {doc['machine']['id']}) with different "
        f"numbers; {shown} is shown. Keep the one you trust and delete the other, or re-measure with "
        f"`nox -s measure -- --only '{run_label(doc)}' --redo`"
    )


def expected_path(doc: dict[str, Any], results_dir: Path) -> Path:
    """Where the harness writes this result under ``results_dir``."""
    run = doc["run"]
    version = doc["software"]["framework"]["version"]
    return result_path(results_dir, doc["machine"]["id"], run["workload"], run["framework"], version, run["mode"],
                       run["device"])  # fmt: skip


def name_problems(path: Path, doc: dict[str, Any]) -> list[str]:
    """A file whose name or folder does not say what it holds (renamed, or moved by hand)."""
    expected = expected_path(doc, path.parent.parent)
    problems = []
    if path.name != expected.name:
        problems.append(f"{path}: named for another run, it holds {expected.stem}; rename it to {expected.name}")
    if path.parent.name != expected.parent.name:
        problems.append(
            f"{path}: measured on machine {expected.parent.name}, not in a folder of that name; move it to "
            f"results/{expected.parent.name}/ (or use `python -m generator merge`)"
        )
    return problems


def load_results(paths: Iterable[Path]) -> Loaded:
    """Every good file, and one line per bad one; of two files for the same run, the first
    (sorted) wins, and the second is reported as a copy or, with different numbers, a clash."""
    loaded = Loaded()
    seen: dict[tuple[str, ...], tuple[Path, dict[str, Any]]] = {}
    for path in sorted(paths):
        if not SAFE_NAME.fullmatch(path.name) or not SAFE_NAME.fullmatch(path.parent.name + ".json"):
            loaded.problems.append(f"{path}: not a results file name (letters, digits, '.', '_', '-'); rename it")
            continue
        doc, problems = check_file(path)
        if doc is None:
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            loaded.problems.append(f"{path}: {problems[0]}{more}")
            continue
        key = run_key(doc)
        if key in seen:
            loaded.problems.append(duplicate_problem(path, doc, *seen[key]))
            continue
        seen[key] = path, doc
        loaded.results.append((path, doc))
    return loaded


def result_files(results_dir: Path) -> list[Path]:
    return sorted(results_dir.glob("*/*.json"))


def version_key(version: str | None) -> tuple[int, ...]:
    """Orders release numbers: 2.9.1 < 2.10.0 < 2.13.0+cpu; an unknown version sorts first."""
    return tuple(int(part) for part in re.findall(r"\d+", (version or "").split("+")[0])[:4])


def current(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of each machine's newest measured release of each framework (the guides show
    these; the Versions page shows the rest). A framework never installed keeps its rows."""
    newest = frame.groupby(["machine", "framework"])["framework_version"].transform(
        lambda versions: max(versions.dropna(), key=version_key, default=None)
    )
    keep = (frame["framework_version"] == newest) | newest.isna()
    return frame[keep]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def relative_file(path: Path, results_dir: Path) -> str:
    """How pages name a results file: its path under the results folder."""
    return path.relative_to(results_dir).as_posix() if path.is_relative_to(results_dir) else path.name


def to_frame(results: list[tuple[Path, dict[str, Any]]], results_dir: Path) -> pd.DataFrame:
    """One row per measurement (or per run where the run produced none), raw samples kept."""
    rows = []
    for path, doc in results:
        run, outcome = doc["run"], doc["outcome"]
        base = {
            "machine": doc["machine"]["id"],
            "workload": run["workload"],
            "framework": run["framework"],
            "mode": run["mode"],
            "device": run["device"],
            "profile": run["profile"],
            "status": outcome["status"],
            "error": outcome["error"],
            "file": relative_file(path, results_dir),
            # one value per round: the highest peak, and the median of the rest
            "peak_rss_bytes": max(doc["memory"]["peak_rss_bytes"], default=None),
            "after_import_rss_bytes": median(doc["memory"]["after_import_rss_bytes"]),
            "import_s": median(doc["import_s"]),
            "rounds": doc["rounds"],
            "framework_version": doc["software"]["framework"]["version"],
        }
        if not doc["measurements"]:
            rows.append(base)
        for m in doc["measurements"]:
            rows.append({
                **base,
                "metric": m["metric"],
                "unit": m["unit"],
                "case": m["case"],
                "samples": m["samples"],
                "samples_per_round": m["samples_per_round"],
                "first_call_s": median(m["first_call_s"]),
                "prepare_s": median(m.get("prepare_s", [])),  # older results lack it
                "flops_per_unit": m["flops_per_unit"],
                "parity_passed": m["parity"]["passed"],
                "parity_max_abs_diff": m["parity"]["max_abs_diff"],
                "device_peak_bytes": max(filter(None, m.get("device_peak_bytes", [])), default=None),
                "curve": m.get("curve"),  # accuracy runs: per round, accuracy after each epoch
                "time_to_target_s": m.get("time_to_target_s"),  # and per round, seconds (or None)
                "target": m["params"].get("target"),  # the accuracy that time counts to
            })  # fmt: skip
    columns = [
        "machine", "workload", "framework", "mode", "device", "profile", "status", "error", "file",
        "peak_rss_bytes", "after_import_rss_bytes", "import_s", "rounds", "framework_version",
        "metric", "unit", "case", "samples", "first_call_s", "flops_per_unit", "parity_passed", "parity_max_abs_diff",
        "device_peak_bytes", "curve", "time_to_target_s", "target", "samples_per_round", "prepare_s",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
