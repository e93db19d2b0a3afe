"""The data-pipeline study in TensorFlow (see ``measurements.studies.pipeline``): the same JPEG bytes
converted first into TFRecord shards (timed apart, as ``prepare_s``), then ``list_files`` →
``interleave`` → parse + ``decode_jpeg`` → optional in-memory ``cache`` → ``shuffle`` → augment →
``batch`` → ``prefetch``. TensorFlow is imported inside the functions, in the study's processes only."""

from __future__ import annotations

import hashlib
import importlib
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from measurements.findings import PipelinePrepared
from measurements.studies import pipeline as study

CONFIGURATIONS = (
    study.Configuration("no-cache", "tf.data, no cache", "tensorflow"),
    study.Configuration("cache", "tf.data, cache", "tensorflow", cache=True),
)
PREPARATION = "converting to TFRecord"  # what ``prepare`` does, once per data set


def prepare(data_dir: Path) -> PipelinePrepared:
    """Inside the child, before the configurations are measured: the JPEG files converted into TFRecord shards."""
    from measurements import environment

    fw = importlib.import_module("measurements.frameworks.tensorflow")
    fw.setup(environment.available_cpus(), "cpu")
    start = time.perf_counter()
    items = study.list_images(data_dir / "images")
    found = convert_to_tfrecords(items, data_dir / "records")
    return {**found, "prepare_s": time.perf_counter() - start}


def convert_to_tfrecords(items: list[tuple[str, int]], records_dir: Path) -> PipelinePrepared:
    """Write the JPEG bytes into TFRecord shards (``tf.train.Example``: image, label), in index order."""
    import tensorflow as tf

    records_dir.mkdir(parents=True, exist_ok=True)
    shards = study.shard_count(len(items))
    per_shard = math.ceil(len(items) / shards)
    digest = hashlib.sha256()
    for s in range(shards):
        path = records_dir / f"shard-{s:05d}-of-{shards:05d}.tfrecord"
        with tf.io.TFRecordWriter(str(path)) as writer:
            for file, label in items[s * per_shard : (s + 1) * per_shard]:
                data = Path(file).read_bytes()
                digest.update(f"{label}:{len(data)}:".encode())
                digest.update(data)
                example = tf.train.Example(features=tf.train.Features(feature={
                    "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[data])),
                    "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[label])),
                }))  # fmt: skip
                writer.write(example.SerializeToString())
    return {
        "shards": shards, "records_bytes": sum(p.stat().st_size for p in records_dir.glob("*.tfrecord")),
        "source_sha256": digest.hexdigest(),
    }  # fmt: skip


def pipeline(
    records_dir: Path, cache: bool, shuffle_buffer: int
) -> tuple[Any, Callable[[], list[tuple[np.ndarray, int, np.ndarray]]]]:
    """The tf.data pipeline over the shards, and a reading of the first images of the first shard."""
    import tensorflow as tf

    autotune = tf.data.AUTOTUNE
    mean, std = tf.constant(study.MEAN, tf.float32), tf.constant(study.STD, tf.float32)
    features = {"image": tf.io.FixedLenFeature([], tf.string), "label": tf.io.FixedLenFeature([], tf.int64)}

    def parse(record: Any) -> tuple[Any, Any]:
        example = tf.io.parse_single_example(record, features)
        image = tf.io.decode_jpeg(example["image"], channels=study.CHANNELS)
        image.set_shape([study.IMAGE_SIDE, study.IMAGE_SIDE, study.CHANNELS])
        return image, example["label"]

    def augment(image: Any, label: Any) -> tuple[Any, Any]:
        x = tf.image.random_crop(image, [study.CROP_SIDE, study.CROP_SIDE, study.CHANNELS])
        x = tf.image.random_flip_left_right(x)
        return (tf.cast(x, tf.float32) / 255.0 - mean) / std, label

    files = tf.data.Dataset.list_files(str(records_dir / "*.tfrecord"), shuffle=True)
    ds = files.interleave(tf.data.TFRecordDataset, num_parallel_calls=autotune)
    ds = ds.map(parse, num_parallel_calls=autotune)
    if cache:
        ds = ds.cache()
    ds = ds.shuffle(shuffle_buffer).map(augment, num_parallel_calls=autotune).batch(study.BATCH).prefetch(autotune)

    def first_images() -> list[tuple[np.ndarray, int, np.ndarray]]:
        """The first shard's first images as the pipeline decodes them, their labels, and the same
        bytes decoded with the accurate inverse DCT (``decode_jpeg``'s default is the fast one)."""
        records = tf.data.TFRecordDataset(str(sorted(records_dir.glob("*.tfrecord"))[0])).take(study.CHECK_IMAGES)
        found = []
        for record in records:
            example = tf.io.parse_single_example(record, features)
            accurate = tf.io.decode_jpeg(example["image"], channels=study.CHANNELS, dct_method="INTEGER_ACCURATE")
            image, label = parse(record)
            found.append((image.numpy(), int(label), accurate.numpy()))
        return found

    return ds, first_images


def measure(run: study.Run) -> study.Measured:
    """Build the tf.data pipeline, time its epochs and decode the first images (adding how it was set up); the
    last, the largest difference of the accurate inverse DCT's decoding from Pillow's."""
    import tensorflow as tf

    start = time.perf_counter()
    buffer = min(study.SHUFFLE_BUFFER, run.manifest["images"])
    ds, first_images = pipeline(run.data_dir / "records", run.config.cache, buffer)
    run.found["build_s"] = time.perf_counter() - start
    options = ds.options()
    run.found.update({"workers": None, "cache": run.config.cache, "shuffle_buffer": buffer,
                      "tf_data_private_threadpool_size": options.threading.private_threadpool_size,
                      "tf_data_max_intra_op_parallelism": options.threading.max_intra_op_parallelism,
                      "tf_data_autotune": tf.data.AUTOTUNE})  # fmt: skip
    timed = study.time_epochs(lambda: ds, lambda b: int(b[0].shape[0]), run.epochs, run.chunk)
    firsts = first_images()
    checked, labels = [f[0] for f in firsts], [f[1] for f in firsts]
    return timed, checked, labels, study.max_abs_diff([f[2] for f in firsts], run.reference)
