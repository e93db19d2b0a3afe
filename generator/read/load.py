"""Load results files: parse, migrate older schema versions, validate, and tabulate.

Every problem names its file, the field and what to do; a bad file never stops the good
ones from loading (unless the caller asks for strictness).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from measurements.profiles import PROFILES
from measurements.results import (
    MACHINE_ID,
    MAX_MACHINE_ID,
    REMEASURE,
    RESERVED_IDS,
    Outcome,
    Result,
    check_file,
    expected_path,
    flops_per_unit,
    one_line,
    run_label,
    samples_of,
)

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.json")

Show = Callable[[Path], str]  # how a problem line names a file
Line = Callable[[Show], str]  # a problem line, written once the way to name files is known
Claim = tuple[Path, Result]  # a results file and what it holds


@dataclass
class Loaded:
    results: list[Claim] = field(default_factory=list)
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


def unexpected(exc: Exception) -> str:
    """A failure the checks did not foresee, as a problem line: the file is left out, the rest go on."""
    return f"cannot be checked ({one_line(exc)}); {REMEASURE}, and report this as a bug in Framework Guide"


def run_key(doc: Result) -> tuple[str, ...]:
    """What a result is the measurement of: machine, workload, framework and its version, mode, device,
    and whether it is the A/A control of that run."""
    run = doc["run"]
    version = doc["software"]["framework"]["version"] or ""
    return (doc["machine"]["id"], run["workload"], run["framework"], version, run["mode"], run["device"],
            run.get("control", ""))  # fmt: skip


def measured(doc: Result) -> tuple[Outcome, list[tuple[str, str, list[list[float]]]]]:
    """The numbers a result holds: its outcome and each measurement's samples."""
    return (doc["outcome"], [(m["metric"], m["case"], samples_of(doc, i)) for i, m in enumerate(doc["measurements"])])


def duplicate_problem(path: Path, doc: Result, shown: Path, shown_doc: Result, show: Show = str) -> str:
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


def left_out_problem(path: Path, doc: Result, others: list[Claim], named: bool, show: Show = str) -> str:
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


def resolve_clashes(claims: list[list[Claim]]) -> tuple[list[Claim], list[tuple[Path, Line]]]:
    """Of several files that claim one run, the one named and placed for it (``name_problems``
    empty) is kept and the others reported as copies or clashes; when none is, or more than
    one (in different folders), all are left out and reported: a file's place in the sort
    order never decides. Returns (the files kept, each file left out with its line)."""
    kept: list[Claim] = []
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


def name_problems(path: Path, doc: Result) -> list[str]:
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
    claims: dict[tuple[str, ...], list[Claim]] = {}
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


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def relative_file(path: Path, results_dir: Path) -> str:
    """How pages name a results file: its path under the results folder."""
    return path.relative_to(results_dir).as_posix() if path.is_relative_to(results_dir) else path.name


def to_frame(results: list[Claim], results_dir: Path) -> pd.DataFrame:
    """One row per measurement (or per run where the run produced none), raw samples kept."""
    rows = [row for path, doc in results for row in frame_rows(path, doc, results_dir)]
    columns = [
        "machine", "workload", "framework", "mode", "device", "profile", "status", "error", "file",
        "peak_rss_bytes", "after_import_rss_bytes", "import_s", "rounds", "framework_version",
        "metric", "unit", "case", "samples", "first_call_s", "flops_per_unit", "parity_passed", "parity_max_abs_diff",
        "device_peak_bytes", "curve", "time_to_target_s", "target", "prepare_s", "params", "per_process", "control",
        "round_ids", "looks",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def frame_rows(path: Path, doc: Result, results_dir: Path) -> list[dict[str, object]]:
    """One file's rows of ``to_frame``. ``samples`` holds each round's (process's) samples, a list
    per round; the other readings of the rounds are summed up (the highest peak, the median of the
    rest), and each round's own kept in round order under ``per_process``, as the downloads write them."""
    run, outcome, rounds = doc["run"], doc["outcome"], doc["rounds"]
    import_s = [r["import_s"] for r in rounds if r["import_s"] is not None]
    peaks = [r["peak_rss_bytes"] for r in rounds if r["peak_rss_bytes"] is not None]
    after_import = [r["after_import_rss_bytes"] for r in rounds if r["after_import_rss_bytes"] is not None]
    process = {"import_s": import_s, "peak_rss_bytes": peaks, "after_import_rss_bytes": after_import}
    base: dict[str, object] = {
        "machine": doc["machine"]["id"],
        "workload": run["workload"],
        "framework": run["framework"],
        "mode": run["mode"],
        "device": run["device"],
        "profile": run["profile"],
        "status": outcome["status"],
        "error": outcome["error"],
        "file": relative_file(path, results_dir),
        "peak_rss_bytes": max(peaks, default=None),
        "after_import_rss_bytes": median(after_import),
        "import_s": median(import_s),
        "rounds": len(rounds),
        "framework_version": doc["software"]["framework"]["version"],
        "per_process": process,
        "control": run.get("control", ""),  # "aa": an A/A control, kept apart from the guides (``corpus``)
        "round_ids": [r.get("id") for r in rounds],  # None where the result predates round ids: measured apart
        "looks": len(run.get("looks", [])) or 1,  # the planned looks of a run replicated until decided
    }
    rows = [] if doc["measurements"] else [base]
    for i, m in enumerate(doc["measurements"]):
        readings = [r["measurements"][i] for r in rounds]
        first_call_s = [r["first_call_s"] for r in readings]
        prepare_s = [r["prepare_s"] for r in readings if "prepare_s" in r]  # older results lack it
        device_peaks = [r.get("device_peak_bytes") for r in readings if "device_peak_bytes" in r]
        each = {
            "first_call_s": first_call_s,
            "warmup_s": [r["warmup_s"] for r in readings if "warmup_s" in r],
            "prepare_s": prepare_s,
            "device_peak_bytes": device_peaks,
        }  # each round's own, where recorded
        rows.append({
            **base,
            "metric": m["metric"],
            "unit": m["unit"],
            "case": m["case"],
            "samples": [r["samples"] for r in readings],
            "first_call_s": median(first_call_s),
            "prepare_s": median(prepare_s),
            "flops_per_unit": flops_per_unit(run["workload"], m),  # as the spec plans the case
            "parity_passed": m["parity"]["passed"],
            "parity_max_abs_diff": m["parity"]["max_abs_diff"],
            "device_peak_bytes": max(filter(None, device_peaks), default=None),
            "curve": [r["curve"] for r in readings] if "curve" in readings[0] else None,  # accuracy runs, per round
            "time_to_target_s": [r.get("time_to_target_s") for r in readings] if "curve" in readings[0] else None,
            "target": m["params"].get("target"),  # the accuracy that time counts to
            "params": m["params"],  # the case's sizes (batch_size, dtype, task, ...)
            "per_process": process | each,
        })  # fmt: skip
    return rows
