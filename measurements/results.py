"""The results format: where result files live, their schema version, atomic writes."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2
SCHEMA_PATH = Path(__file__).with_name("result.schema.json")
ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "results"


def result_path(results_dir: Path, machine_id: str, workload: str, framework: str, mode: str, device: str) -> Path:
    return results_dir / machine_id / f"{workload}.{framework}.{mode}.{device}.json"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write to a temporary file beside ``path``, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
