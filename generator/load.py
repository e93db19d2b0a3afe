"""Load results files: parse, migrate older schema versions, validate, and tabulate.

Every problem names its file, the field and what to do; a bad file never stops the good
ones from loading (unless the caller asks for strictness).
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
import statistics
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd

from measurements import workloads
from measurements.frameworks import REGISTRY
from measurements.profiles import PROFILES
from measurements.results import SCHEMA_PATH, SCHEMA_VERSION, result_path

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.json")
MACHINE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # as the results schema's machine.id
MAX_MACHINE_ID = 100
# names the site and the results folder use for themselves: a machine of that name would replace
# the Machines page (machines/index.md), or its folder would be read as a machine's studies folder
RESERVED_IDS = frozenset({"index", "studies"})
MAX_FILE_BYTES = 10 * 2**20  # a result is a few kB; anything this big is not one
MAX_DEPTH = 32  # a result nests 6 deep; the checks recurse, so far deeper input is refused unread
REMEASURE = "fix or delete it, or re-measure with `nox -s measure`"


def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 2 measures in rounds: values taken once per round become lists (version 1 had
    one round), and a run that could not start is "unavailable" rather than "skipped".

    The document is untrusted: a field of the wrong type is left as it is, for the schema to
    name, rather than assumed to be right."""
    outcome = doc.get("outcome")
    if isinstance(outcome, dict) and outcome.get("status") == "skipped":
        outcome["status"] = "unavailable"
    doc["rounds"] = 1
    doc["import_s"] = [] if doc.get("import_s") is None else [doc["import_s"]]
    memory = doc.get("memory")
    if isinstance(memory, dict):
        doc["memory"] = {key: [] if value is None else [value] for key, value in memory.items()}
    measurements = doc.get("measurements")
    for m in measurements if isinstance(measurements, list) else []:
        if isinstance(m, dict):
            samples = m.get("samples")
            m["samples_per_round"] = [len(samples) if isinstance(samples, list) else 0]
            for key in ("steps_per_sample", "warmup_steps", "first_call_s"):
                m[key] = [m.get(key)]
    return doc


# Migrations from older schema versions: MIGRATIONS[n] turns a version-n document into n+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


Show = Callable[[Path], str]  # how a problem line names a file
Line = Callable[[Show], str]  # a problem line, written once the way to name files is known


@dataclass
class Loaded:
    results: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)  # one per bad file
    raw: dict[Path, bytes] = field(default_factory=dict)  # each file's bytes as read and validated

    @property
    def problems(self) -> list[str]:
        """One line per bad file, naming it as it was given (for the command line)."""
        return [line(str) for line in self.lines]

    def left_out(self, results_dir: Path) -> list[str]:
        """The same lines, naming files by their path under ``results_dir``, as pages do (a
        published page never shows where the results folder lies on this disk)."""
        return [line(lambda path: relative_file(path, results_dir)) for line in self.lines]


@cache
def _validator() -> jsonschema.Draft202012Validator:
    """The results schema, with the registered frameworks as the only ones a run may name: the
    registry, not a list in the schema file, says which frameworks there are."""
    schema = json.loads(SCHEMA_PATH.read_text())
    schema["properties"]["run"]["properties"]["framework"] = {"enum": list(REGISTRY)}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _field(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


def _children(value: Any) -> Iterable[tuple[Any, Any]]:
    if isinstance(value, dict):
        return value.items()
    return enumerate(value) if isinstance(value, list) else ()


def _non_finite(value: Any) -> Iterator[tuple[tuple[Any, ...], float]]:
    """Fields holding infinity (JSON has no NaN or infinity, but 1e999 reads as infinity), in
    document order; a loop, not a recursion, so no nesting can exhaust the stack."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            yield path, item
        stack.extend(((*path, key), child) for key, child in reversed(list(_children(item))))


def _too_deep(value: Any) -> bool:
    """Whether lists and objects nest deeper than MAX_DEPTH (counted without recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                return True
            stack.extend((child, depth + 1) for _, child in _children(item))
    return False


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
        try:
            doc = MIGRATIONS[version](doc)
        except Exception as exc:  # untrusted input: any failure is this file's problem
            return None, [f"schema_version: {version} cannot be migrated ({one_line(exc)}); {REMEASURE}"]
        version = doc["schema_version"] = version + 1
    problems = [
        f"{_field(error.absolute_path)}: {error.message}; {REMEASURE}"
        for error in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]
    problems += [f"{_field(path)}: {value} is not a finite number; {REMEASURE}" for path, value in _non_finite(doc)]
    problems = problems or _meaning_problems(doc)
    return (None, problems) if problems else (doc, [])


def machine_id_problem(machine_id: str) -> str | None:
    """Why a machine id (or a machine folder's name) cannot name a machine on the site, if it cannot."""
    if not MACHINE_ID.fullmatch(machine_id) or len(machine_id) > MAX_MACHINE_ID:
        return (
            f"machine.id: {machine_id[:120]!r} is not a machine id (lower-case letters and digits in words "
            f"joined by '-', at most {MAX_MACHINE_ID}); {REMEASURE} with FG_MACHINE_ID set to one"
        )
    if machine_id in RESERVED_IDS:
        return (
            f"machine.id: {machine_id!r} is a name the site uses for its own pages or folders "
            f"({', '.join(sorted(RESERVED_IDS))}); {REMEASURE} with another FG_MACHINE_ID"
        )
    return None


def folder_problem(path: Path) -> str | None:
    """Why the machine folder of a results file (``<folder>/x.json`` or ``<folder>/studies/x.json``
    under the results folder) cannot be published as it is, if it cannot: its name becomes a folder
    and a zip entry of the site's downloads, beside files the build writes (``<machine>.zip``)."""
    name = (path.parent.parent if path.parent.name == "studies" else path.parent).name
    if MACHINE_ID.fullmatch(name) and len(name) <= MAX_MACHINE_ID and name not in RESERVED_IDS:
        return None
    return (
        f"lies in a folder named {name[:120]!r}, which is not a machine id (lower-case letters and digits in "
        f"words joined by '-', not {', '.join(sorted(RESERVED_IDS))}); move it to a folder named for its machine "
        "(or use `python -m generator merge`)"
    )


def _meaning_problems(doc: dict[str, Any]) -> list[str]:
    """What a schema cannot say: known names, and samples that add up to their rounds."""
    run = doc["run"]
    reserved = machine_id_problem(doc["machine"]["id"])
    if reserved is not None:
        return [reserved]
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


def check_file(path: Path, keep: dict[Path, bytes] | None = None) -> tuple[dict[str, Any] | None, list[str]]:
    """Read one results file; returns (document, problems), each problem naming a field. The bytes
    read are put in ``keep`` (see ``read_json``)."""
    doc, problems = read_json(path, keep)
    return (None, problems) if problems else check_document(doc)


def one_line(exc: BaseException) -> str:
    """An exception as a short line: its type and its message, whitespace folded."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def unexpected(exc: Exception) -> str:
    """A failure the checks did not foresee, as a problem line: the file is left out, the rest go on."""
    return f"cannot be checked ({one_line(exc)}); {REMEASURE}, and report this as a bug in Framework Guide"


class DuplicateKeyError(ValueError):
    """An object names one key twice: JSON readers disagree on which value counts."""


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKeyError(key)
        obj[key] = value
    return obj


LINK = "a symbolic link; not followed, put the file itself there instead"


def _read_regular(path: Path) -> bytes | str:
    """The bytes of a regular file, or why they were not read: a FIFO, device or folder is
    never opened for reading (a FIFO would block), a symbolic link is not followed, and a file
    over the size limit is not read."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return LINK
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a folder, FIFO, socket or device); skipped"
    # O_NONBLOCK: if the file was swapped for a FIFO since, opening it does not wait for a writer;
    # O_NOFOLLOW: if it was swapped for a link, it is not opened
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return LINK
        raise
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file (a folder, FIFO, socket or device); skipped"
        if info.st_size > MAX_FILE_BYTES:
            return f"{info.st_size / 2**20:.0f} MiB is far too large for a results file; {REMEASURE}"
        return f.read(MAX_FILE_BYTES + 1)


def read_json(path: Path, keep: dict[Path, bytes] | None = None) -> tuple[Any, list[str]]:
    """Parse a results file of any kind; returns (what it holds, the problem if it cannot be read).
    Never raises for bad input: deep nesting, duplicate keys and non-regular files are problems too.
    The bytes read and parsed are put in ``keep`` under ``path``: what is published of the file is
    written from them, never read again from the disk (where the file may have changed since)."""
    try:
        data = _read_regular(path)
        if isinstance(data, str):
            return None, [data]
        if len(data) > MAX_FILE_BYTES:
            return None, [f"{len(data) / 2**20:.0f} MiB is far too large for a results file; {REMEASURE}"]
        text = data.decode("utf-8")
        if keep is not None:
            keep[path] = data
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"cannot be read ({exc}); {REMEASURE}"]
    if not text.strip():
        return None, [f"is empty; {REMEASURE}"]
    try:
        doc = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_refuse_duplicates)
    except DuplicateKeyError as exc:
        return None, [f"the key {exc.args[0]!r} appears twice in one object (which one counts?); {REMEASURE}"]
    except RecursionError:
        return None, [f"nested far too deeply for a results file; {REMEASURE}"]
    except ValueError as exc:
        return None, [f"not valid JSON ({exc}); {REMEASURE}"]
    if _too_deep(doc):
        return None, [f"nested more than {MAX_DEPTH} deep, far deeper than a results file; {REMEASURE}"]
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


def duplicate_problem(path: Path, doc: dict[str, Any], shown: Path, shown_doc: dict[str, Any], show: Show = str) -> str:
    """One line for a second file of the same run: a harmless copy, or a clash of different numbers."""
    if measured(doc) == measured(shown_doc):
        return (
            f"{show(path)}: a copy of {show(shown)} (the same run, the same numbers), which is shown; delete this copy"
        )
    return (
        f"{show(path)}: CLASH with {show(shown)}: the same run ({run_label(doc)} on {doc['machine']['id']}) with "
        f"different numbers; {show(shown)} is shown. Keep the one you trust and delete the other, or re-measure "
        f"with `nox -s measure -- --only '{run_label(doc)}' --redo`"
    )


def left_out_problem(path: Path, doc: dict[str, Any], others: list[tuple[Path, dict[str, Any]]], named: bool,
                     show: Show = str) -> str:  # fmt: skip
    """One line for a file of a run that other files claim too, when no rule says which to show:
    none of them is named and placed for the run, or more than one is (in different folders)."""
    numbers = "the same numbers" if all(measured(doc) == measured(d) for _, d in others) else "different numbers"
    why = "more than one of them is named and placed for it" if named else "none is named and placed for it"
    expected = expected_path(doc, Path())
    return (
        f"{show(path)}: left out: {', '.join(show(p) for p, _ in others)} claim{'s' if len(others) == 1 else ''} "
        f"the same run ({run_label(doc)} on {doc['machine']['id']}) with {numbers}, and {why}. Keep the one you "
        f"trust as {expected.parent.name}/{expected.name} and delete the others"
    )


def resolve_clashes(
    claims: list[list[tuple[Path, dict[str, Any]]]],
) -> tuple[list[tuple[Path, dict[str, Any]]], list[tuple[Path, Line]]]:
    """Of several files that claim one run, the one named and placed for it (``name_problems``
    empty) is kept and the others reported as copies or clashes; when none is, or more than
    one (in different folders), all are left out and reported: a file's place in the sort
    order never decides. Returns (the files kept, each file left out with its line)."""
    kept: list[tuple[Path, dict[str, Any]]] = []
    lines: list[tuple[Path, Line]] = []
    for group in claims:
        if len(group) == 1:
            kept.append(group[0])
            continue
        correct = [(p, d) for p, d in group if not name_problems(p, d)]
        if len(correct) == 1:
            kept.append(correct[0])
            lines += [(p, partial(duplicate_problem, p, d, *correct[0])) for p, d in group if p != correct[0][0]]
            continue
        for i, (p, d) in enumerate(group):
            lines.append((p, partial(left_out_problem, p, d, group[:i] + group[i + 1 :], bool(correct))))
    return kept, lines


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


def problem_line(path: Path, text: str) -> Line:
    return lambda show: f"{show(path)}: {text}"


def load_results(paths: Iterable[Path]) -> Loaded:
    """Every good file, and one line per bad one. Each file is judged alone: any failure in
    reading, migrating or summarising it leaves it out with a line, and the rest go on. Of
    several files for the same run, the one named for it wins (see ``resolve_clashes``)."""
    loaded = Loaded()
    claims: dict[tuple[str, ...], list[tuple[Path, dict[str, Any]]]] = {}
    for path in sorted(paths):
        if not SAFE_NAME.fullmatch(path.name):
            loaded.lines.append(
                problem_line(path, "not a results file name (letters, digits, '.', '_', '-'); rename it")
            )
            continue
        folder = folder_problem(path)
        if folder is not None:
            loaded.lines.append(problem_line(path, folder))
            continue
        try:
            doc, problems = check_file(path, loaded.raw)
            if doc is not None:
                frame_rows(path, doc, path.parent.parent)  # what the pages take from it can be taken
                claims.setdefault(run_key(doc), []).append((path, doc))
        except Exception as exc:  # untrusted input: any failure is this file's problem
            doc, problems = None, [unexpected(exc)]
        if doc is None:
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            loaded.lines.append(problem_line(path, f"{problems[0]}{more}"))
    kept, lines = resolve_clashes(list(claims.values()))
    loaded.results = sorted(kept, key=lambda item: item[0])
    loaded.lines += [line for _, line in lines]
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


def one_profile(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Of each machine's workload on each device, only the rows of the largest profile measured
    (quick < standard < full), so no comparison mixes profiles; and one line per results file
    left out for it. A smaller profile's figures are toy-sized beside a larger one's."""
    if frame.empty:
        return frame, []
    order = {name: rank for rank, name in enumerate(PROFILES)}
    rank = frame["profile"].map(order)
    largest = rank.groupby([frame["machine"], frame["workload"], frame["device"]]).transform("max")
    left_out = frame[rank < largest]
    lines = [
        f"{file}: measured with the {profile} profile, left out beside results of a larger profile for the same "
        f"workload (no comparison mixes profiles); measure it again with that profile to show it"
        for file, profile in dict.fromkeys(zip(left_out["file"], left_out["profile"], strict=True))
    ]
    return frame[rank == largest], lines


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def relative_file(path: Path, results_dir: Path) -> str:
    """How pages name a results file: its path under the results folder."""
    return path.relative_to(results_dir).as_posix() if path.is_relative_to(results_dir) else path.name


PER_PROCESS = ("first_call_s", "warmup_s", "prepare_s", "device_peak_bytes")  # a measurement's lists, one per round


def to_frame(results: list[tuple[Path, dict[str, Any]]], results_dir: Path) -> pd.DataFrame:
    """One row per measurement (or per run where the run produced none), raw samples kept."""
    rows = [row for path, doc in results for row in frame_rows(path, doc, results_dir)]
    columns = [
        "machine", "workload", "framework", "mode", "device", "profile", "status", "error", "file",
        "peak_rss_bytes", "after_import_rss_bytes", "import_s", "rounds", "framework_version",
        "metric", "unit", "case", "samples", "first_call_s", "flops_per_unit", "parity_passed", "parity_max_abs_diff",
        "device_peak_bytes", "curve", "time_to_target_s", "target", "samples_per_round", "prepare_s",
        "params", "per_process",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def frame_rows(path: Path, doc: dict[str, Any], results_dir: Path) -> list[dict[str, Any]]:
    """One file's rows of ``to_frame``."""
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
        # each fresh process's own reading, in round order (the downloads write them one per process)
        "per_process": {
            "import_s": doc["import_s"],
            "peak_rss_bytes": doc["memory"]["peak_rss_bytes"],
            "after_import_rss_bytes": doc["memory"]["after_import_rss_bytes"],
        },
    }
    rows = [] if doc["measurements"] else [base]
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
            "params": m["params"],  # the case's sizes (batch_size, dtype, task, ...)
            "per_process": {**base["per_process"], **{key: m.get(key, []) for key in PER_PROCESS}},
        })  # fmt: skip
    return rows
