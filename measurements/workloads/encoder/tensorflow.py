"""The BERT-base-sized encoder in TensorFlow: the small Transformer's module at other sizes."""

from measurements.workloads.transformer.tensorflow import prepare

__all__ = ["prepare"]
