"""How long the site takes to regenerate: from the committed results with a cold and a warm chart
cache, and from a synthetic set of about 1,000 results files (the committed machines' files
copied under new machine ids, every timing sample scaled a little per copy, so no chart is the
same as another's). A benchmark, not a test: it prints its figures.

    python benchmarks/regenerate.py [--files 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"


def synthetic(into: Path, files: int) -> int:
    """Copies of the committed results under machine ids ``synthetic-1``, ``synthetic-2``, ... until
    there are at least ``files`` files; returns how many."""
    sources = sorted(RESULTS.glob("*/*.json")) + sorted(RESULTS.glob("*/studies/*.json"))
    written, copy = 0, 0
    while written < files:
        copy += 1
        machine = f"synthetic-{copy}"
        for source in sources:
            doc = json.loads(source.read_text())
            doc["machine"]["id"] = machine
            for m in doc.get("measurements") or []:
                m["samples"] = [s * (1 + 0.01 * copy) for s in m.get("samples") or []]
            target = into / machine / (f"studies/{source.name}" if source.parent.name == "studies" else source.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(doc))
            written += 1
    return written


def build(results: Path, out: Path, cache: Path) -> float:
    """One `python -m generator build`, in a fresh process; its wall time in seconds."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "generator", "build", "--results", str(results), "--out", str(out)]
    env = {**os.environ, "FG_CACHE_DIR": str(cache)}
    subprocess.run(command, cwd=ROOT, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="results files in the synthetic set (default: 1000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fg-bench-") as tmp:
        work = Path(tmp)
        cache = work / "cache"
        cold = build(RESULTS, work / "out", cache)
        warm = build(RESULTS, work / "out", cache)
        files = sum(1 for _ in RESULTS.rglob("*.json"))
        print(f"committed results ({files} files): cold {cold:.1f} s, warm {warm:.1f} s")
        many = work / "many"
        n = synthetic(many, args.files)
        shutil.rmtree(cache)
        cold = build(many, work / "out-many", cache)
        warm = build(many, work / "out-many", cache)
        print(f"synthetic set ({n} files): cold {cold:.1f} s, warm {warm:.1f} s")


if __name__ == "__main__":
    main()
