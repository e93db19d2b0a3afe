"""The BERT-base-sized encoder in PyTorch: the small Transformer's module at other sizes."""

from measurements.workloads.transformer.pytorch import prepare

__all__ = ["prepare"]
