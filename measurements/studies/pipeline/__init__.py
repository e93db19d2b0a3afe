"""Data pipelines: reading, decoding and augmenting images from disk, PyTorch, TensorFlow and JAX (Grain).

A seeded synthetic data set (RGB 64×64 JPEG images that look like blurred photos with a few
shapes, 10 classes) is written with NumPy and Pillow as ``<dir>/<class>/<index>.jpg``, the
form a PyTorch ``Dataset`` reads; a SHA-256 over every image's label and bytes proves every
framework reads the same content. Each pipeline reads, decodes, random-crops to 56×56,
random-flips, normalises, shuffles and batches by 128:

- PyTorch: a ``Dataset`` over the file list (Pillow decodes; torch ops augment) in a
  ``DataLoader`` with 0, 1 or 2 worker processes;
- TensorFlow: the same JPEG bytes converted first into TFRecord shards (timed apart, as
  ``prepare_s``), then ``list_files`` → ``interleave`` → parse + ``decode_jpeg`` → optional
  in-memory ``cache`` → ``shuffle`` → augment → ``batch`` → ``prefetch``;
- JAX: Grain (Google's data loader for JAX): ``MapDataset.source`` over the file list →
  ``shuffle`` → ``random_map`` (Pillow decodes; NumPy augments) → ``batch`` → ``repeat`` over
  the epochs → ``to_iter_dataset`` (reading threads), with ``mp_prefetch`` for 1 or 2 worker
  processes.

Every (configuration, size) runs in a fresh process with a time limit, launched by this
module (``python -m measurements.studies.pipeline measure ...``), while this process polls
the proportional set size (PSS) of the child and all its descendants every 0.2 s. A
configuration that fails, hangs or is killed (by the out-of-memory killer, say) is recorded
with that outcome and the others go on. Sizes: ``FG_PIPELINE_IMAGES`` (comma-separated
image counts), else the profile's (``Profile.pipeline``: the standard profile measures the largest
size alone, in fewer epochs, in the configurations the verdicts compare; the others every size
and configuration); data goes to a temporary folder under ``FG_PIPELINE_DIR`` (default: the
system's), removed afterwards. Where the study runner names a cache (``FG_PIPELINE_CACHE``, one
per invocation), each size's data set is generated once there and linked into each child's folder,
its content hash checked before each use (``dataset``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import io
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TypedDict, cast

import numpy as np

from measurements import environment
from measurements import launch as launcher
from measurements.catalog import STUDIES
from measurements.findings import PipelineFinding, PipelineMeasured, PipelineReport
from measurements.launch import child_env
from measurements.profiles import PROFILE_ENV, PROFILES, PipelinePlan

STUDY = STUDIES["pipeline"]

IMAGE_SIDE, CROP_SIDE, CHANNELS = 64, 56, 3
CLASSES = 10
JPEG_QUALITY = 90
BATCH = 128
SEED = 20261201
MEAN = (0.485, 0.456, 0.406)  # per channel, on pixels scaled to [0, 1]
STD = (0.229, 0.224, 0.225)
IMAGES_PER_SHARD, MIN_SHARDS = 1000, 2
SHUFFLE_BUFFER = 10_000
CHECK_IMAGES = 8  # decoded by each pipeline and compared with Pillow's decoding
CHUNK_BATCHES = 10  # within-epoch readings: one per chunk of this many batches (fewer on small sets)
MIN_CHUNKS_PER_EPOCH = 8
GENERATE_CHUNK = 1000
SIZES_ENV, DIR_ENV, CACHE_ENV = "FG_PIPELINE_IMAGES", "FG_PIPELINE_DIR", "FG_PIPELINE_CACHE"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
LOG_TAIL_CHARS = 2000


@dataclass(frozen=True)
class Configuration:
    id: str
    title: str
    framework: str
    workers: int = 0  # PyTorch: DataLoader worker processes; JAX: Grain's mp_prefetch worker processes
    cache: bool = False  # TensorFlow: cache the decoded images in memory


@dataclass(frozen=True)
class Settings:
    """Sizes and limits of one study run (the tests shrink them)."""

    sizes: tuple[int, ...] = DEFAULT_SIZES
    timeout_s: float = 300  # per configuration and size: past it, the process and its workers are killed
    prepare_timeout_s: float = 300  # the TFRecord conversion of one size
    poll_s: float = 0.2
    configurations: tuple[Configuration, ...] = field(default_factory=lambda: CONFIGURATIONS)
    steady_epochs: int | None = None  # after the first epoch (None: ``epochs_for``'s)

    def epochs(self, images: int) -> int:
        return 1 + self.steady_epochs if self.steady_epochs is not None else epochs_for(images)


def planned() -> PipelinePlan | None:
    """What the profile this study runs under (``FG_STUDY_PROFILE``, set by the study runner) plans
    for it; None: every size and configuration, in the usual epochs."""
    profile = PROFILES.get(os.environ.get(PROFILE_ENV, ""))
    return profile.pipeline if profile is not None else None


def settings_for(plan: PipelinePlan | None) -> Settings:
    """The settings a plan asks for: its sizes (unless ``FG_PIPELINE_IMAGES`` names others), its
    steady epochs, and of each framework it names, those configurations alone."""
    if plan is None:
        return Settings(sizes=sizes_from_env())
    chosen = tuple(c for c in CONFIGURATIONS if c.id in plan.configurations.get(c.framework, (c.id,)))
    return Settings(sizes=sizes_from_env(plan.sizes), configurations=chosen, steady_epochs=plan.steady_epochs)


def sizes_from_env(default: tuple[int, ...] = DEFAULT_SIZES) -> tuple[int, ...]:
    """The image counts in ``FG_PIPELINE_IMAGES`` ("1000,10000"), or ``default``."""
    raw = os.environ.get(SIZES_ENV, "").strip()
    if not raw:
        return default
    try:
        sizes = tuple(int(part.replace("_", "")) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"{SIZES_ENV} must be comma-separated image counts, not {raw!r}") from exc
    if not sizes or any(n < 1 for n in sizes):
        raise ValueError(f"{SIZES_ENV} must name at least one positive image count, not {raw!r}")
    return sizes


def epochs_for(images: int) -> int:
    """The first epoch, then the steady ones (each a reading): 10 up to 2,000 images, else 5."""
    return 1 + (10 if images <= 2_000 else 5)


def chunk_batches(images: int) -> int:
    """Batches per within-epoch reading: up to 10, fewer so that an epoch gives at least 8."""
    return max(1, min(CHUNK_BATCHES, math.ceil(images / BATCH) // MIN_CHUNKS_PER_EPOCH))


def shard_count(images: int) -> int:
    return max(MIN_SHARDS, math.ceil(images / IMAGES_PER_SHARD))


def decoded_bytes(images: int) -> int:
    return images * IMAGE_SIDE * IMAGE_SIDE * CHANNELS


# --- the data set (NumPy and Pillow only) ---------------------------------------------------


def _interpolation(k: int) -> np.ndarray:
    """The linear-interpolation matrix that takes ``k`` points to ``IMAGE_SIDE``."""
    position = np.linspace(0, k - 1, IMAGE_SIDE, dtype=np.float32)
    low = np.clip(np.floor(position).astype(int), 0, k - 2)
    frac = position - low
    matrix = np.zeros((IMAGE_SIDE, k), np.float32)
    matrix[np.arange(IMAGE_SIDE), low] = 1 - frac
    matrix[np.arange(IMAGE_SIDE), low + 1] = frac
    return matrix


def _smooth(rng: np.random.Generator, count: int, grid: int, scale: float, offset: float = 0.0) -> np.ndarray:
    """``count`` smooth random fields (count, 3, 64, 64): a coarse grid of random values, upsampled."""
    m = _interpolation(grid)
    values = rng.standard_normal((count, CHANNELS, grid, grid), np.float32) * scale + offset
    return np.asarray(m @ values @ m.T)


def synthetic_images(rng: np.random.Generator, count: int) -> list[Any]:
    """``count`` photo-like Pillow images: smooth colour fields at three scales, one to three flat
    shapes (objects with edges), then a little noise."""
    from PIL import Image, ImageDraw

    fields = _smooth(rng, count, 3, 60, 128) + _smooth(rng, count, 6, 30) + _smooth(rng, count, 16, 10)
    base = np.moveaxis(np.clip(fields, 0, 255).astype(np.uint8), 1, 3)
    noise = rng.standard_normal(base.shape, np.float32) * 5
    images = []
    for i in range(count):
        image = Image.fromarray(base[i])
        draw = ImageDraw.Draw(image)
        for _ in range(int(rng.integers(1, 4))):
            x, y = (int(v) for v in rng.integers(-16, 56, 2))
            w, h = (int(v) for v in rng.integers(8, 40, 2))
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
            shape([x, y, x + w, y + h], fill=colour)
        noisy = np.clip(np.asarray(image, np.float32) + noise[i], 0, 255).astype(np.uint8)
        images.append(Image.fromarray(noisy))
    return images


def image_path(images_dir: Path, index: int, label: int) -> Path:
    return images_dir / str(label) / f"{index:07d}.jpg"


def content_hash(items: Iterable[tuple[int, bytes]]) -> str:
    """SHA-256 over (label, image bytes) in index order: the same in every framework that reads the same data."""
    digest = hashlib.sha256()
    for label, data in items:
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


class Manifest(TypedDict):
    """What ``generate_dataset`` wrote (``manifest.json``)."""

    images: int
    seed: int
    sha256: str  # of every file's label and bytes, in index order (``content_hash``)
    bytes: int
    check_labels: list[int]  # the labels of the first ``CHECK_IMAGES`` images
    generate_s: float


def generate_dataset(directory: Path, images: int, seed: int = SEED) -> Manifest:
    """Write ``images`` JPEG files under ``directory/images/<class>/``, a Pillow decoding of the
    first few (``reference.npy``) and ``manifest.json``; returns the manifest."""
    from PIL import Image

    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, images)
    images_dir = directory / "images"
    for label in range(CLASSES):
        (images_dir / str(label)).mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    total = 0
    reference = []
    for first in range(0, images, GENERATE_CHUNK):
        for offset, image in enumerate(synthetic_images(rng, min(GENERATE_CHUNK, images - first))):
            index = first + offset
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
            data = buffer.getvalue()
            image_path(images_dir, index, int(labels[index])).write_bytes(data)
            digest.update(f"{int(labels[index])}:{len(data)}:".encode())
            digest.update(data)
            total += len(data)
            if index < CHECK_IMAGES:
                with Image.open(io.BytesIO(data)) as decoded:
                    reference.append(np.array(decoded.convert("RGB")))
    np.save(directory / "reference.npy", np.stack(reference))
    manifest: Manifest = {
        "images": images, "seed": seed, "sha256": digest.hexdigest(), "bytes": total,
        "check_labels": [int(v) for v in labels[:CHECK_IMAGES]], "generate_s": time.perf_counter() - start,
    }  # fmt: skip
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:  # another file system: a copy
        shutil.copy2(source, destination)


def dataset(directory: Path, images: int) -> Manifest:
    """The data set of ``images`` images in ``directory``, as ``generate_dataset`` writes it. Where
    ``FG_PIPELINE_CACHE`` names a folder (the study runner's, shared by the children of one invocation),
    it is generated there once and its files linked into ``directory``; a kept copy is used only while
    its files still hash to its manifest's ``sha256``, else it is generated again."""
    cache = os.environ.get(CACHE_ENV)
    if not cache:
        return generate_dataset(directory, images)
    kept = Path(cache) / f"n{images}-seed{SEED}"
    manifest: Manifest | None = None
    with contextlib.suppress(OSError, ValueError, KeyError):
        found: Manifest = json.loads((kept / "manifest.json").read_text())
        items = list_images(kept / "images")
        if content_hash((label, Path(path).read_bytes()) for path, label in items) == found["sha256"]:
            manifest = found
    if manifest is None:
        shutil.rmtree(kept, ignore_errors=True)
        making = Path(tempfile.mkdtemp(prefix=f"{kept.name}-", dir=cache))
        generate_dataset(making, images)
        making.rename(kept)
        manifest = json.loads((kept / "manifest.json").read_text())
    shutil.copytree(kept, directory, copy_function=_link_or_copy, dirs_exist_ok=True)
    assert manifest is not None
    return manifest


def list_images(images_dir: Path) -> list[tuple[str, int]]:
    """(path, label) of every image under ``images_dir/<class>/``, in index order."""
    found = []
    for class_dir in os.scandir(images_dir):
        if class_dir.is_dir():
            label = int(class_dir.name)
            found += [(entry.path, label) for entry in os.scandir(class_dir.path) if entry.name.endswith(".jpg")]
    return sorted(found, key=lambda item: Path(item[0]).name)


# --- inside a measured child ------------------------------------------------------------------


def tree_cpu_s() -> float:
    """User and system CPU seconds of this process and every live process below it."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += sum(child.cpu_times()[:2])
    return float(total)


def own_pss() -> int | None:
    import psutil

    try:
        return int(psutil.Process().memory_full_info().pss)
    except (psutil.Error, AttributeError):
        return None


@dataclass
class Epochs:
    """What timing the epochs found."""

    epoch_s: list[float] = field(default_factory=list)
    epoch_images: list[int] = field(default_factory=list)
    chunks: list[float] = field(default_factory=list)  # samples/s per chunk of batches, epochs 2 and later
    steady_cpu_s: float | None = None

    @property
    def rates(self) -> list[float]:
        return [n / s for n, s in zip(self.epoch_images, self.epoch_s, strict=True)]

    @property
    def steady_images(self) -> int:
        return sum(self.epoch_images[1:])


def time_epochs(epoch: Callable[[], Iterable[Any]], size_of: Callable[[Any], int], epochs: int, chunk: int,
                cpu_s: Callable[[], float] = tree_cpu_s) -> Epochs:  # fmt: skip
    """Run ``epochs`` epochs of a no-op consumer over ``epoch()``; time each epoch whole and,
    from the second on, each chunk of ``chunk`` batches; CPU time over the steady epochs."""
    found = Epochs()
    cpu_start = 0.0
    for e in range(epochs):
        if e == 1:
            cpu_start = cpu_s()
        seen = in_chunk = batches = 0
        start = chunk_start = time.perf_counter()
        for batch in epoch():
            n = size_of(batch)
            seen, in_chunk, batches = seen + n, in_chunk + n, batches + 1
            if e >= 1 and batches % chunk == 0:
                now = time.perf_counter()
                found.chunks.append(in_chunk / (now - chunk_start))
                chunk_start, in_chunk = now, 0
        found.epoch_s.append(time.perf_counter() - start)
        found.epoch_images.append(seen)
    if epochs > 1:
        found.steady_cpu_s = cpu_s() - cpu_start
    return found


def max_abs_diff(decoded: list[np.ndarray], reference: np.ndarray) -> float:
    return max(float(np.max(np.abs(d.astype(np.int16) - reference[i].astype(np.int16)))) for i, d in enumerate(decoded))


@dataclass(frozen=True)
class Run:
    """What a framework's ``measure`` gets, inside the child: the configuration, the data set (its folder,
    manifest and Pillow's decoding of its first images), the epochs, the batches per within-epoch reading,
    and the finding so far, to which it adds how its pipeline was set up."""

    config: Configuration
    data_dir: Path
    manifest: Manifest
    reference: np.ndarray
    epochs: int
    chunk: int
    found: PipelineMeasured


# what a framework's ``measure`` returns: the epochs timed, the first images as its pipeline decoded them and
# their labels, and (where it decodes otherwise too) the largest difference of its accurate decoding from Pillow's
Measured = tuple[Epochs, list[np.ndarray], list[int], float | None]


def steps(framework: str) -> ModuleType:
    """A framework's part of the study (``pipeline/<framework>.py``): its ``CONFIGURATIONS`` and
    ``measure(run: Run) -> Measured``, and optionally a
    ``prepare(data_dir)`` that runs once per data set in a process of its own (its ``PREPARATION``
    says what it does)."""
    return importlib.import_module(f"{__name__}.{framework}")


def file_list(data_dir: Path, found: PipelineMeasured, start: float) -> list[tuple[str, int]]:
    """The image files and their labels, for a pipeline that reads the files: listing them is all its
    preparation (``prepare_s``, since ``start``)."""
    items = list_images(data_dir / "images")
    found["prepare_s"] = time.perf_counter() - start
    return items


def decoded_files(
    items: list[tuple[str, int]], decode: Callable[[int], np.ndarray], found: PipelineMeasured
) -> tuple[list[np.ndarray], list[int]]:
    """The first images as a pipeline that reads the files decodes them, and their labels; the hash of
    every file's label and bytes goes to ``found`` (``read_sha256``)."""
    checked = [decode(i) for i in range(CHECK_IMAGES)]
    labels = [items[i][1] for i in range(CHECK_IMAGES)]
    found["read_sha256"] = content_hash((label, Path(path).read_bytes()) for path, label in items)
    return checked, labels


def measure_one(framework: str, config_id: str, data_dir: Path, epochs: int, chunk: int) -> PipelineMeasured:
    """Inside the child: import, build the pipeline, time the epochs, check the decoding."""
    from measurements import environment

    config = next(c for c in CONFIGURATIONS if c.id == config_id and c.framework == framework)
    threads = environment.available_cpus()
    fw = importlib.import_module(f"measurements.frameworks.{framework}")
    software = fw.setup(threads, "cpu")
    after_import = own_pss()
    manifest: Manifest = json.loads((data_dir / "manifest.json").read_text())
    reference = np.load(data_dir / "reference.npy")
    found: PipelineMeasured = {"after_import_pss_bytes": after_import, "threads": threads,
                               "framework_threads": software["build"].get("threads"),
                               "interop_threads": software["build"].get("interop_threads")}  # fmt: skip
    timed, checked, labels, accurate = steps(framework).measure(Run(config, data_dir, manifest, reference, epochs,
                                                                     chunk, found))  # fmt: skip
    if any(n != manifest["images"] for n in timed.epoch_images):
        raise RuntimeError(f"the epochs saw {timed.epoch_images} images, not {manifest['images']} each")
    steady, rates = timed.steady_cpu_s, timed.rates
    found.update({
        "epochs": epochs, "chunk_batches": chunk, "epoch_s": timed.epoch_s, "epoch_samples_per_s": rates,
        "first_epoch_samples_per_s": rates[0], "second_epoch_samples_per_s": rates[1] if len(rates) > 1 else None,
        "samples": rates[1:], "chunk_samples_per_s": timed.chunks,
        "cpu_ms_per_sample": 1000 * steady / timed.steady_images
                             if steady is not None and timed.steady_images else None,
        # accurate: TensorFlow's decode_jpeg(dct_method="INTEGER_ACCURATE")
        "decode_check": {"images": len(checked), "max_abs_diff": max_abs_diff(checked, reference),
                         "labels_match": labels == manifest["check_labels"][: len(labels)],
                         "accurate_dct_max_abs_diff": accurate},
    })  # fmt: skip
    return found


# --- the launcher -----------------------------------------------------------------------------


@dataclass
class Launch:
    status: str  # "ok", "failed", "timeout", "crashed" or "oom" (killed at its memory limit)
    error: str | None
    report: PipelineReport  # what the child found (``found`` in its report); empty where it failed
    wall_s: float
    peak_pss_bytes: int | None = None
    peak_processes: int = 0
    other_cpu_s: float | None = None  # CPU time the rest of the machine used meanwhile


def busy_cpu_s() -> tuple[float, float, float]:
    """CPU seconds so far: the whole machine's busy time, this process's, and its reaped children's
    (a child's own reaped children, such as DataLoader workers, included)."""
    import resource

    import psutil

    machine = psutil.cpu_times()
    busy = machine.user + machine.nice + machine.system + machine.irq + machine.softirq
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return busy, mine.ru_utime + mine.ru_stime, children.ru_utime + children.ru_stime


def signal_name(code: int) -> str:
    with contextlib.suppress(ValueError):
        return signal.Signals(-code).name
    return f"signal {-code}"


def launch(
    command: list[str], cwd: Path, timeout_s: float, poll_s: float = 0.2, limit: environment.MemoryLimit | None = None
) -> Launch:
    """Run one child in a session of its own under ``timeout_s``, sampling its tree's PSS; with
    ``limit``, in that memory cgroup, so that the kernel kills the tree past its limit."""
    before = busy_cpu_s()
    done = launcher.launch(command, env=child_env({"TF_CPP_MIN_LOG_LEVEL": "2"}), cwd=cwd, timeout_s=timeout_s,
                           cgroup=limit, track_pss=True, poll_s=poll_s, tail_chars=LOG_TAIL_CHARS)  # fmt: skip
    machine, mine, children = (b - a for a, b in zip(before, busy_cpu_s(), strict=True))
    other = max(0.0, machine - mine - children)  # what neither this launcher nor the child's tree used
    wall_s, peak, most, text = done.elapsed_s, done.peak_pss_bytes, done.peak_processes, done.tail
    report = done.report or {}  # ``main``'s: its status, error and what it found
    found = cast(PipelineReport, report.get("found", {}))
    if done.killed_for == "timeout":
        return Launch("timeout", f"no result after {timeout_s:.0f} s; killed it and its workers.\n{text}", {},
                      wall_s, peak, most, other)  # fmt: skip
    code = done.returncode
    assert code is not None
    if limit is not None and (limit.oom_kills() or 0) > 0:  # the kernel ended the tree (or a worker) at the limit
        return Launch("oom", f"out of memory: the kernel's out-of-memory killer ended it at the limit of "
                      f"{limit.limit_bytes / 2**30:.2f} GiB.\n{text}", found, wall_s, peak, most, other)  # fmt: skip
    if code < 0:
        why = " (SIGKILL: what the kernel's out-of-memory killer sends)" if code == -signal.SIGKILL else ""
        return Launch("crashed", f"killed by {signal_name(code)}{why}.\n{text}", {}, wall_s, peak, most, other)
    if report.get("status") == "failed":
        error = str(report.get("error"))
        status = "crashed" if "killed by signal" in error else "failed"  # a DataLoader worker killed under it
        return Launch(status, error, {}, wall_s, peak, most, other)
    if code != 0 or report.get("status") != "ok":
        return Launch("crashed", f"exited with code {code} without a result.\n{text}", {}, wall_s, peak, most,
                      other)  # fmt: skip
    return Launch("ok", None, found, wall_s, peak, most, other)


def child_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "measurements.studies.pipeline", *args]


def base_finding(config: Configuration, images: int, manifest: Manifest, epochs: int) -> PipelineFinding:
    return {
        "id": f"{config.id}-n{images}", "config": config.id, "title": config.title, "images": images,
        "epochs": epochs, "batch_size": BATCH, "outcome": "ok", "error": None,
        "dataset_bytes": manifest["bytes"], "decoded_bytes": decoded_bytes(images),
        "dataset_sha256": manifest["sha256"], "generate_s": manifest["generate_s"], "prepare_s": None,
        "first_epoch_samples_per_s": None, "second_epoch_samples_per_s": None, "samples": [],
        "cpu_ms_per_sample": None, "peak_pss_bytes": None, "after_import_pss_bytes": None,
    }  # fmt: skip


def measure_size(framework: str, images: int, base: Path, settings: Settings) -> list[PipelineFinding]:
    """One size: generate the data, convert it (TensorFlow), then each configuration in its own process."""
    data_dir = base / f"n{images}"
    data_dir.mkdir()
    try:
        manifest = dataset(data_dir, images)
        prepared: PipelineReport = {}
        prepare_error: tuple[str, str] | None = None
        preparation = getattr(steps(framework), "PREPARATION", None)
        if preparation:
            (data_dir / "prepare").mkdir()
            done = launch(child_command("prepare", "--framework", framework, "--data", str(data_dir)),
                          data_dir / "prepare", settings.prepare_timeout_s, settings.poll_s)  # fmt: skip
            if done.status == "ok":
                prepared = done.report
                prepared["same_content"] = prepared["source_sha256"] == manifest["sha256"]
            else:
                prepare_error = (done.status, f"{preparation}: {done.error}")
        found = []
        for config in (c for c in settings.configurations if c.framework == framework):
            finding: PipelineFinding = {**base_finding(config, images, manifest, settings.epochs(images)), **prepared}
            if prepare_error:
                finding.update({"outcome": prepare_error[0], "error": prepare_error[1]})
                found.append(finding)
                continue
            work = data_dir / config.id
            work.mkdir()
            command = child_command("measure", "--framework", framework, "--config", config.id, "--data",
                                    str(data_dir), "--epochs", str(settings.epochs(images)), "--chunk",
                                    str(chunk_batches(images)))  # fmt: skip
            load_before = os.getloadavg()[0]  # other work on the machine would slow the pipelines and share pages
            done = launch(command, work, settings.timeout_s, settings.poll_s)
            finding = {**finding, **done.report}
            finding["load_1m_before"] = load_before
            capacity = done.wall_s * (os.cpu_count() or 1)  # CPU seconds the whole machine had meanwhile
            finding.update({"outcome": done.status, "error": done.error, "peak_pss_bytes": done.peak_pss_bytes,
                            "peak_processes": done.peak_processes, "wall_s": done.wall_s,
                            "other_cpu_s": done.other_cpu_s,
                            "other_cpu_share": (done.other_cpu_s or 0) / capacity if capacity else None})  # fmt: skip
            if "read_sha256" in finding:
                finding["same_content"] = finding["read_sha256"] == manifest["sha256"]
            found.append(finding)
        return found
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def findings(framework: str, settings: Settings | None = None) -> list[PipelineFinding]:
    """Every size in turn (smallest first), each configuration of ``framework`` at each."""
    settings = settings or settings_for(planned())
    root = os.environ.get(DIR_ENV) or None
    if root:
        Path(root).mkdir(parents=True, exist_ok=True)
    found = []
    with tempfile.TemporaryDirectory(prefix="fg-pipeline-", dir=root) as tmp:
        for images in sorted(settings.sizes):
            found += measure_size(framework, images, Path(tmp), settings)
    return found


def run(framework: str) -> list[PipelineFinding]:
    return findings(framework)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m measurements.studies.pipeline")
    commands = parser.add_subparsers(dest="command", required=True)
    measure = commands.add_parser("measure", help="time one configuration on one data set")
    measure.add_argument("--framework", choices=STUDY.frameworks, required=True)
    measure.add_argument("--config", required=True)
    measure.add_argument("--data", type=Path, required=True)
    measure.add_argument("--epochs", type=int, required=True)
    measure.add_argument("--chunk", type=int, required=True)
    prepare = commands.add_parser("prepare", help="prepare a data set (TensorFlow: convert it into TFRecord shards)")
    prepare.add_argument("--framework", choices=STUDY.frameworks, required=True)
    prepare.add_argument("--data", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "measure":
            found = measure_one(args.framework, args.config, args.data, args.epochs, args.chunk)
        else:
            found = steps(args.framework).prepare(args.data)
        found_report: dict[str, object] = {"status": "ok", "error": None, "found": found}
    except Exception:
        found_report = {"status": "failed", "error": traceback.format_exc()[-4000:]}
    launcher.report(found_report)
    return 0 if found_report["status"] == "ok" else 1


# each framework's configurations, from its part of the study (which imports its framework only when it runs)
CONFIGURATIONS: tuple[Configuration, ...] = tuple(c for fw in STUDY.frameworks for c in steps(fw).CONFIGURATIONS)
