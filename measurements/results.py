"""The results format: where result files live, their schema version, atomic writes."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2
SCHEMA_PATH = Path(__file__).with_name("result.schema.json")
ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "results"


def result_path(
    results_dir: Path, machine_id: str, workload: str, framework: str, version: str | None, mode: str, device: str
) -> Path:
    """One file per run and framework version, so that releases are kept side by side:
    ``mlp.tensorflow-2.21.0.xla.cpu.json``; a framework that is not installed has no version."""
    return results_dir / machine_id / f"{workload}.{release_name(framework, version)}.{mode}.{device}.json"


def release_name(framework: str, version: str | None) -> str:
    """``tensorflow-2.21.0``: a framework and its version, safe in a file name."""
    return f"{framework}-{re.sub(r'[^A-Za-z0-9._-]', '_', version)}" if version else framework


def study_path(results_dir: Path, machine_id: str, study: str, framework: str, version: str | None) -> Path:
    """Studies (usability, ecosystem) sit beside the timing results, one file per framework release."""
    return results_dir / machine_id / "studies" / f"{study}.{release_name(framework, version)}.json"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file.
    The file is readable like any other the user makes (0644 under the usual umask), not 0600
    as ``mkstemp`` leaves it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            os.fchmod(f.fileno(), 0o666 & ~current_umask())
            json.dump(data, f, indent=1, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process's umask, read from /proc where it can be (setting it to read it is not thread-safe)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def machine_id_rule() -> tuple[re.Pattern[str], int]:
    """The pattern and the longest length a machine id may have: the results schema's, so that the
    harness writes no id that ``generator check`` then refuses."""
    rule = json.loads(SCHEMA_PATH.read_text())["properties"]["machine"]["properties"]["id"]
    return re.compile(rule["pattern"]), int(rule["maxLength"])
