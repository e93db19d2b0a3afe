"""The data-pipeline study in JAX (see ``measurements.studies.pipeline``): Grain, Google's data loader for
JAX, over the file list (Pillow decodes; NumPy augments), with ``mp_prefetch`` for 1 or 2 worker
processes. Grain is imported inside the functions, in the study's measuring process only."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from measurements.findings import PipelineMeasured
from measurements.studies import pipeline as study

CONFIGURATIONS = (
    study.Configuration("grain-workers0", "Grain, no workers", "jax", workers=0),
    study.Configuration("grain-workers1", "Grain, 1 worker (mp_prefetch)", "jax", workers=1),
    study.Configuration("grain-workers2", "Grain, 2 workers (mp_prefetch)", "jax", workers=2),
)


def pipeline(
    items: list[tuple[str, int]], workers: int, threads: int, epochs: int
) -> tuple[Any, Callable[[int], np.ndarray]]:
    """Grain's Dataset API over the files for ``epochs`` epochs (one iterable, so that worker processes
    start once), and its decoding of one image. Each epoch is shuffled and augmented afresh
    (``repeat`` reseeds every epoch); batching before ``repeat`` keeps every batch inside one epoch."""
    import grain
    from PIL import Image

    mean, std = np.array(study.MEAN, np.float32), np.array(study.STD, np.float32)
    span = study.IMAGE_SIDE - study.CROP_SIDE + 1

    def decode(path: str) -> np.ndarray:
        with Image.open(path) as image:
            return np.array(image.convert("RGB"))

    def load(item: tuple[str, int], rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """Read, decode, crop, flip, normalise one image: H, W, C float32 (channels last, as in JAX)."""
        path, label = item
        pixels = decode(path)
        top, left = (int(v) for v in rng.integers(0, span, 2))
        x = pixels[top : top + study.CROP_SIDE, left : left + study.CROP_SIDE]
        if rng.random() < 0.5:
            x = x[:, ::-1]
        return (x.astype(np.float32) / 255 - mean) / std, label

    ds = grain.MapDataset.source(items).seed(study.SEED).shuffle().random_map(load).batch(study.BATCH).repeat(epochs)
    iterable = ds.to_iter_dataset(grain.ReadOptions(num_threads=threads))
    if workers:
        from absl import flags

        # Grain's settings are absl flags, which a program outside absl.app never parses, and
        # mp_prefetch reads one (UnparsedFlagAccessError): mark them parsed, each at its default
        if not flags.FLAGS.is_parsed():
            flags.FLAGS.mark_as_parsed()
        iterable = iterable.mp_prefetch(grain.MultiprocessingOptions(num_workers=workers))
    return iterable, lambda i: decode(items[i][0])


def time_pipeline(items: list[tuple[str, int]], workers: int, threads: int, epochs: int, chunk: int,
               found: PipelineMeasured) -> tuple[study.Epochs, Callable[[int], np.ndarray]]:  # fmt: skip
    """Build the Grain pipeline and time its epochs, each epoch the next ``ceil(images / study.BATCH)``
    batches of the one iterator (adding to ``found`` how it was set up); then stop its workers."""
    import grain

    start = time.perf_counter()
    iterable, decode = pipeline(items, workers, threads, epochs)
    found["build_s"] = time.perf_counter() - start
    read, processes = grain.ReadOptions(num_threads=threads), grain.MultiprocessingOptions()
    found.update({"workers": workers, "worker_threads": threads if workers else None, "shuffle_buffer": None,
                  "grain": grain.__version__, "grain_read_threads": read.num_threads,
                  "grain_prefetch_buffer": read.prefetch_buffer_size,
                  "grain_worker_buffer": processes.per_worker_buffer_size if workers else None})  # fmt: skip
    iterator = iter(iterable)
    per_epoch = math.ceil(len(items) / study.BATCH)
    try:
        timed = study.time_epochs(lambda: itertools.islice(iterator, per_epoch), lambda b: len(b[0]), epochs, chunk)
        found["left_over_batches"] = sum(1 for _ in iterator)  # 0: the epochs took every batch there was
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:  # mp_prefetch's iterator: stop the workers now, not at garbage collection
            close()
    return timed, decode


def measure(run: study.Run) -> study.Measured:
    """Build the Grain pipeline, time its epochs and decode the first images (adding how it was set up)."""
    items = study.file_list(run.data_dir, run.found, time.perf_counter())
    timed, decode = time_pipeline(items, run.config.workers, run.found["threads"], run.epochs, run.chunk, run.found)
    return (timed, *study.decoded_files(items, decode, run.found), None)
