"""The data-pipeline study's JAX rows: a Grain pipeline over the same JPEG files, decoded, augmented
and batched as the other frameworks' pipelines are."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from measurements.studies import pipeline, registry
from tests.test_studies_pipeline import measured_at_tiny_size

IMAGES = 150  # two batches an epoch: one full, one of 22


def test_the_study_measures_jax_with_grain_configurations_of_its_own() -> None:
    assert registry()["pipeline"].frameworks == ("pytorch", "tensorflow", "jax")
    jax = [(c.id, c.workers) for c in pipeline.CONFIGURATIONS if c.framework == "jax"]
    assert jax == [("grain-workers0", 0), ("grain-workers1", 1), ("grain-workers2", 2)]
    ids = [c.id for c in pipeline.CONFIGURATIONS]
    assert len(ids) == len(set(ids))  # claims name configurations by id
    assert "Grain" in pipeline.STUDY.description


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[tuple[str, int]], Path]:
    """The study's images, each labelled with its own index so that a batch says which images it holds."""
    directory = tmp_path_factory.mktemp("grain")
    pipeline.generate_dataset(directory, IMAGES)
    items = pipeline.list_images(directory / "images")
    return [(path, index) for index, (path, _) in enumerate(items)], directory


def epochs_of(iterable: Any, epochs: int) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    iterator = iter(iterable)
    per_epoch = -(-IMAGES // pipeline.BATCH)
    try:
        found = [
            [(np.array(x), np.array(y)) for x, y in (next(iterator) for _ in range(per_epoch))] for _ in range(epochs)
        ]
        assert next(iterator, None) is None  # the pipeline holds exactly ``epochs`` epochs
    finally:
        if hasattr(iterator, "close"):
            iterator.close()
    return found


def windows(pixels: np.ndarray) -> np.ndarray:
    """Every 56×56 crop of an image, flipped or not, normalised as the study's pipelines do."""
    span = pipeline.IMAGE_SIDE - pipeline.CROP_SIDE + 1
    side = pipeline.CROP_SIDE
    crops = [pixels[t : t + side, left : left + side] for t in range(span) for left in range(span)]
    crops += [c[:, ::-1] for c in crops]
    x = np.stack(crops).astype(np.float32) / 255
    return (x - np.array(pipeline.MEAN, np.float32)) / np.array(pipeline.STD, np.float32)


def test_grain_reads_every_image_once_an_epoch_reshuffled_cropped_and_flipped_afresh(
    files: tuple[list[tuple[str, int]], Path],
) -> None:
    items, directory = files
    iterable, decode = pipeline.steps("jax").pipeline(items, workers=0, threads=2, epochs=2)
    first, second = epochs_of(iterable, 2)
    for epoch in (first, second):
        assert [x.shape for x, _ in epoch] == [(128, 56, 56, 3), (IMAGES - 128, 56, 56, 3)]  # no batch spans epochs
        assert all(x.dtype == np.float32 for x, _ in epoch)
        assert sorted(np.concatenate([y for _, y in epoch]).tolist()) == list(range(IMAGES))
    order = [np.concatenate([y for _, y in epoch]) for epoch in (first, second)]
    assert not np.array_equal(order[0], order[1])  # shuffled again for the second epoch
    assert not np.array_equal(order[0], np.arange(IMAGES))  # and shuffled at all
    reference = np.load(directory / "reference.npy")
    assert np.array_equal(decode(0), reference[0])  # Pillow's decoding, as PyTorch's Dataset has it
    crops: dict[int, list[np.ndarray]] = {}
    for epoch in (first, second):
        for x, y in epoch:
            for image, label in zip(x, y, strict=True):
                crops.setdefault(int(label), []).append(image)
    for label in range(12):  # each image is a crop (flipped or not) of its own decoding, normalised
        allowed = windows(decode(label))
        for image in crops[label]:
            assert np.abs(allowed - image).max(axis=(1, 2, 3)).min() < 1e-5
    # augmented afresh each epoch: some of the images were cropped or flipped differently the second time
    assert sum(not np.array_equal(crops[i][0], crops[i][1]) for i in range(IMAGES)) > IMAGES // 2


@pytest.mark.slow  # starts Grain's worker process, which imports JAX
def test_grain_worker_processes_give_the_same_batches_as_none(files: tuple[list[tuple[str, int]], Path]) -> None:
    items, _ = files
    alone = epochs_of(pipeline.steps("jax").pipeline(items, workers=0, threads=1, epochs=2)[0], 2)
    workers = epochs_of(pipeline.steps("jax").pipeline(items, workers=1, threads=1, epochs=2)[0], 2)
    for a, b in zip(itertools.chain(*alone), itertools.chain(*workers), strict=True):
        assert np.array_equal(a[1], b[1]) and np.array_equal(a[0], b[0])


@pytest.mark.slow
def test_one_tiny_size_is_measured_with_grain_workers_in_fresh_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = next(c for c in pipeline.CONFIGURATIONS if c.id == "grain-workers2")
    settings = pipeline.Settings(sizes=(300,), timeout_s=120, prepare_timeout_s=120, configurations=(chosen,))
    monkeypatch.setenv(pipeline.DIR_ENV, str(tmp_path))
    (found,) = pipeline.findings("jax", settings)
    check = measured_at_tiny_size(found, "grain-workers2")
    assert check["max_abs_diff"] == 0  # Pillow decodes, as in PyTorch's pipeline
    # the process, its two workers and multiprocessing's resource tracker (spawn's shared memory)
    assert found["peak_processes"] == 4 and found["workers"] == 2 and found["left_over_batches"] == 0
    assert found["grain_read_threads"] == found["threads"] >= 1 and found["grain"]
    assert list(tmp_path.iterdir()) == []  # the data is gone
    json.dumps(found, allow_nan=False)
