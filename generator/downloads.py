"""What a reader downloads beside the pages: each machine's results as one CSV (a row per
process of each run) and as a zip of its results files, and the line that says what a table was
measured on."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from generator import provenance

COLUMNS = ("machine", "workload", "case", "framework", "framework_version", "mode", "device", "profile", "metric",
           "unit", "process", "samples", "process_median", "parity_passed", "first_call_s", "peak_rss_bytes",
           "file")  # fmt: skip
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run a cell that starts so


def cell(value: Any) -> Any:
    """A CSV cell from a results file: text that a spreadsheet would read as a formula is quoted
    with a leading apostrophe; missing values are empty."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, str) and value.startswith(FORMULA):
        return "'" + value
    return value


def rows(frame: pd.DataFrame) -> list[list[Any]]:
    """A row per process of each run: its samples' count and median, in the metric's own unit."""
    found = []
    for run in frame[frame.status == "ok"].itertuples(index=False):
        samples = list(run.samples or [])
        per = list(run.samples_per_round or []) or [len(samples)]
        start = 0
        for process, n in enumerate(per, start=1):
            own = samples[start : start + n]
            start += n
            median = float(np.median(own)) if own else None
            found.append([cell(getattr(run, c, None)) for c in COLUMNS[:9]]
                         + [cell(run.unit), process, len(own), cell(median), cell(run.parity_passed),
                            cell(run.first_call_s), cell(run.peak_rss_bytes), cell(run.file)])  # fmt: skip
    return found


ENTRY_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def entry_name(name: str) -> str:
    """A results file's name under the results folder, checked before it names a copy or a zip
    entry: relative, "/"-separated parts of letters, digits, ".", "_" and "-" (no backslash, no
    ".." and nothing absolute). The loader admits no other, so any other is a bug here."""
    parts = name.split("/")
    if not 2 <= len(parts) <= 3 or not all(ENTRY_PART.fullmatch(p) and p not in (".", "..") for p in parts):
        raise ValueError(f"{name!r} is not a results file's name under the results folder")
    return name


def write(machine: str, frame: pd.DataFrame, files: dict[str, bytes], out: Path) -> tuple[str, str]:
    """``results/<machine>/results.csv`` and ``results/<machine>.zip`` under ``out``; their paths
    under ``out``. The zip holds ``files`` (each file's name under the results folder, and the
    bytes that were read and validated: never read again from the disk)."""
    folder = out / "results" / machine
    folder.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows(frame[frame.machine == machine]) if not frame.empty else [])
    (folder / "results.csv").write_text(text.getvalue(), encoding="utf-8")
    archive = out / "results" / f"{machine}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(entry_name(name), date_time=(1980, 1, 1, 0, 0, 0))  # the same bytes each time
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, files[name])
    return f"results/{machine}/results.csv", f"results/{machine}.zip"


def measured_on(docs: dict[str, dict[str, Any]]) -> provenance.Provenance | None:
    """What a machine's results were measured on, with and when."""
    return provenance.of_files(list(docs), docs)
