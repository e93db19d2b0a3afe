"""Data pipelines under a memory limit: does each configuration finish an epoch of a data set
larger than the memory it may use?

The data-pipeline study's images and configurations (``measurements.studies.pipeline``), at one
size whose decoded images (100,000 × 64 × 64 × 3 bytes, 1.23 GB) are larger than a memory limit of
1 GiB set by the kernel on the whole process tree (a memory cgroup of its own: the process, its
DataLoader workers and the page cache they fill; the kernel reclaims that cache before it kills,
and its out-of-memory killer ends the tree that needs more). Each configuration is launched
three times, each a fresh process, interleaved; each launch runs two epochs (the first starts
the workers and fills tf.data's cache; the second is steady) or ends out of memory. TensorFlow's
conversion to TFRecord runs under the same limit. Where this machine cannot set a memory limit
(no writable memory cgroup), every configuration is recorded as unavailable, with the reason.

``FG_LIMIT_IMAGES`` and ``FG_LIMIT_MIB`` change the size and the limit (the tests shrink both).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from measurements import environment
from measurements.catalog import STUDIES
from measurements.findings import LimitedFinding, LimitedLaunch
from measurements.studies import pipeline

IMAGES, LIMIT_MIB = 100_000, 1024
EPOCHS = 2  # the first (workers start, the cache fills), then one steady epoch
LAUNCHES = 3  # fresh processes per configuration, interleaved across configurations
IMAGES_ENV, LIMIT_ENV = "FG_LIMIT_IMAGES", "FG_LIMIT_MIB"

STUDY = STUDIES["pipeline_limit"]


@dataclass(frozen=True)
class Settings:
    images: int = IMAGES
    limit_mib: int = LIMIT_MIB
    launches: int = LAUNCHES
    timeout_s: float = 900  # per launch: past it, the tree is killed and recorded as a timeout
    configurations: tuple[pipeline.Configuration, ...] = field(default=pipeline.CONFIGURATIONS)


def settings_from_env() -> Settings:
    """The size and limit in ``FG_LIMIT_IMAGES`` and ``FG_LIMIT_MIB``, or the defaults."""
    values: dict[str, int] = {}
    for name, key in ((IMAGES_ENV, "images"), (LIMIT_ENV, "limit_mib")):
        raw = os.environ.get(name, "").strip()
        if raw:
            if not raw.isdigit() or int(raw) < 1:
                raise ValueError(f"{name} must be a positive whole number, not {raw!r}")
            values[key] = int(raw)
    return Settings(images=values.get("images", IMAGES), limit_mib=values.get("limit_mib", LIMIT_MIB))


def base_finding(
    config: pipeline.Configuration, settings: Settings, manifest: pipeline.Manifest | None
) -> LimitedFinding:
    return {
        "id": f"{config.id}-limited", "config": config.id, "title": config.title, "images": settings.images,
        "limit_bytes": settings.limit_mib * 2**20, "decoded_bytes": pipeline.decoded_bytes(settings.images),
        "dataset_bytes": manifest["bytes"] if manifest else None, "epochs": EPOCHS, "batch_size": pipeline.BATCH,
        "outcome": "ok", "error": None, "launches": [], "completed": 0, "samples_per_process": [],
        "prepare_s": None,
    }  # fmt: skip


def one_launch(command: list[str], work: Path, settings: Settings) -> LimitedLaunch:
    """One fresh process under its own limit: what became of it, its epochs and its peak memory."""
    limit = environment.MemoryLimit.create(settings.limit_mib * 2**20, f"fg-limit-{os.getpid()}-{work.name}")
    if isinstance(limit, str):
        return {"outcome": "unavailable", "error": limit}
    try:
        work.mkdir(parents=True)
        done = pipeline.launch(command, work, settings.timeout_s, limit=limit)
        return {
            "outcome": done.status, "error": done.error, "wall_s": done.wall_s, "epoch_s": done.report.get("epoch_s"),
            "epoch_samples_per_s": done.report.get("epoch_samples_per_s"), "peak_charged_bytes": limit.peak_bytes(),
            "peak_pss_bytes": done.peak_pss_bytes, "oom_kills": limit.oom_kills(), "report": done.report,
        }  # fmt: skip
    finally:
        limit.remove()


def summarise(finding: LimitedFinding) -> LimitedFinding:
    """The finding's outcome (ok only when every launch completed; else the first other outcome, with
    how many launches it took) and its steady epochs' samples/s, one per completed launch."""
    launches = finding["launches"]
    completed = [launch for launch in launches if launch["outcome"] == "ok"]
    finding["completed"] = len(completed)
    failed = [launch for launch in launches if launch["outcome"] != "ok"]
    if failed:
        finding["outcome"] = failed[0]["outcome"]
        finding["error"] = f"{len(failed)} of {len(launches)} launches: {failed[0]['error']}"
    rates = [epochs[-1] for launch in completed if (epochs := launch.get("epoch_samples_per_s"))]
    finding["samples_per_process"] = [[rate] for rate in rates]  # one reading per launch, each a process
    charged = [peak for launch in launches if (peak := launch.get("peak_charged_bytes"))]
    finding["peak_charged_bytes"] = max(charged) if charged else None
    for launch in launches:
        report = launch.pop("report", {})
        if (first := report.get("first_epoch_samples_per_s")) is not None:
            launch["first_epoch_samples_per_s"] = first
    return finding


def findings(framework: str, settings: Settings | None = None) -> list[LimitedFinding]:
    settings = settings or settings_from_env()
    configs = [c for c in settings.configurations if c.framework == framework]
    why = environment.MemoryLimit.unavailable()
    if why:
        return [{**base_finding(c, settings, None), "outcome": "unavailable", "error": why} for c in configs]
    root = os.environ.get(pipeline.DIR_ENV) or None
    with tempfile.TemporaryDirectory(prefix="fg-limit-", dir=root) as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        manifest = pipeline.dataset(data_dir, settings.images)
        found = {c.id: base_finding(c, settings, manifest) for c in configs}
        preparation = getattr(pipeline.steps(framework), "PREPARATION", None)
        if preparation:
            command = pipeline.child_command("prepare", "--framework", framework, "--data", str(data_dir))
            done = one_launch(command, Path(tmp) / "prepare", settings)
            if done["outcome"] != "ok":
                for finding in found.values():
                    finding.update({"outcome": done["outcome"], "error": f"{preparation}: {done['error']}"})
                return list(found.values())
            for finding in found.values():
                finding["prepare_s"] = done["report"].get("prepare_s")
        for index in range(settings.launches):
            for config in configs if index % 2 == 0 else configs[::-1]:
                command = pipeline.child_command("measure", "--framework", framework, "--config", config.id, "--data",
                                                 str(data_dir), "--epochs", str(EPOCHS), "--chunk",
                                                 str(pipeline.chunk_batches(settings.images)))  # fmt: skip
                found[config.id]["launches"].append(one_launch(command, Path(tmp) / f"{config.id}-{index}", settings))
        shutil.rmtree(data_dir, ignore_errors=True)
    return [summarise(finding) for finding in found.values()]


def run(framework: str) -> list[LimitedFinding]:
    return findings(framework)
