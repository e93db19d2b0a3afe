"""The kernel-library study in TensorFlow (see ``measurements.studies.libraries``): a matrix multiply and a
convolution, and whether oneDNN or Eigen runs them. Runs inside the study's child only."""

from __future__ import annotations

import os

from measurements.findings import Probed


def probe() -> Probed:
    import tensorflow as tf

    found: Probed = {}
    a = tf.random.normal((1024, 1024))
    float(tf.reduce_sum(tf.matmul(a, a)))
    float(tf.reduce_sum(tf.nn.conv2d(tf.random.normal((8, 32, 32, 64)), tf.random.normal((3, 3, 64, 64)), 1,
                                     "SAME")))  # fmt: skip
    found["blas"] = "oneDNN" if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0" else "Eigen"
    return found
