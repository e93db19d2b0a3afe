"""The BERT-base-sized encoder in JAX: the small Transformer's module at other sizes."""

from measurements.workloads.transformer.jax import prepare

__all__ = ["prepare"]
