"""Per-framework set-up inside the child: import, thread count, device, version and build.

Each module here exposes ``setup(threads, device) -> dict`` (the software record),
``to_numpy(value) -> numpy.ndarray`` (which also waits for the value to be computed), and
``reset_device_peak(device)`` / ``device_peak_bytes(device)`` (the GPU allocator's peak; None
on the CPU, where the process's peak RSS is read instead).
Only the child process imports these modules, one framework per process.
"""

from __future__ import annotations


class Unavailable(Exception):
    """The framework or device cannot run on this machine: the run is recorded as unavailable."""


# the distributions that install each framework (the first one installed gives its version)
DISTRIBUTIONS = {"pytorch": ("torch",), "tensorflow": ("tensorflow", "tensorflow-cpu"), "numpy": ("numpy",)}

FRAMEWORK_LABELS = {"pytorch": "PyTorch", "tensorflow": "TensorFlow", "numpy": "NumPy"}

MODE_LABELS = {
    ("pytorch", "eager"): "PyTorch eager",
    ("pytorch", "compile"): "torch.compile",
    ("pytorch", "channels_last"): "PyTorch eager, channels_last",
    ("tensorflow", "eager"): "TF eager",
    ("tensorflow", "function"): "tf.function",
    ("tensorflow", "xla"): "tf.function + XLA",
    ("numpy", "default"): "NumPy",
}
