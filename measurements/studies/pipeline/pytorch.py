"""The data-pipeline study in PyTorch (see ``measurements.studies.pipeline``): a ``Dataset`` over the
file list (Pillow decodes; torch ops augment) in a ``DataLoader`` with 0, 1 or 2 worker processes.
PyTorch is imported inside the functions, in the study's measuring process only."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from measurements.studies import pipeline as study

CONFIGURATIONS = (
    study.Configuration("workers0", "DataLoader, no workers", "pytorch", workers=0),
    study.Configuration("workers1", "DataLoader, 1 worker", "pytorch", workers=1),
    study.Configuration("workers2", "DataLoader, 2 workers", "pytorch", workers=2),
)


def pipeline(items: list[tuple[str, int]], workers: int) -> tuple[Any, Callable[[int], np.ndarray]]:
    """A DataLoader over a Dataset of the files, and the Dataset's decoding of one image."""
    import torch
    from PIL import Image
    from torch.utils.data import DataLoader, Dataset

    mean = torch.tensor(study.MEAN).view(study.CHANNELS, 1, 1)
    std = torch.tensor(study.STD).view(study.CHANNELS, 1, 1)
    span = study.IMAGE_SIDE - study.CROP_SIDE + 1

    def decode(path: str) -> np.ndarray:
        with Image.open(path) as image:
            return np.array(image.convert("RGB"))

    class ImageFiles(Dataset):  # type: ignore[misc]  # torch is untyped here
        """JPEG files with their labels: read, decode, crop, flip, normalise."""

        def __len__(self) -> int:
            return len(items)

        def __getitem__(self, index: int) -> tuple[Any, int]:
            path, label = items[index]
            pixels = torch.from_numpy(decode(path))  # H, W, C uint8
            top, left = torch.randint(0, span, (2,)).tolist()
            x = pixels[top : top + study.CROP_SIDE, left : left + study.CROP_SIDE].permute(2, 0, 1)
            if torch.rand(1).item() < 0.5:
                x = x.flip(2)
            return (x.float().div(255) - mean) / std, label

    loader = DataLoader(ImageFiles(), batch_size=study.BATCH, shuffle=True, num_workers=workers,
                        persistent_workers=workers > 0, pin_memory=False)  # fmt: skip
    return loader, lambda i: decode(items[i][0])


def measure(run: study.Run) -> study.Measured:
    """Build the DataLoader, time its epochs and decode the first images (adding how it was set up)."""
    start = time.perf_counter()
    items = study.file_list(run.data_dir, run.found, start)
    start = time.perf_counter()
    loader, decode = pipeline(items, run.config.workers)
    run.found["build_s"] = time.perf_counter() - start
    run.found.update({"workers": run.config.workers, "worker_threads": 1 if run.config.workers else None,
                      "shuffle_buffer": None})  # fmt: skip
    timed = study.time_epochs(lambda: loader, lambda b: len(b[0]), run.epochs, run.chunk)
    return (timed, *study.decoded_files(items, decode, run.found), None)
