"""One writer a folder: a results folder for a measurement, an output folder for a build.

Kept apart from the harness so that the generator can take the same lock without importing what
the harness needs to launch children (psutil).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from measurements import UserError


@contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Hold the results folder for this harness alone; a second one is refused, not interleaved."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock_file = (folder / ".lock").open("a+")
    except OSError as exc:
        raise UserError(f"{folder}: cannot write here ({exc.strerror or exc}); measure into another folder "
                        "with --results") from None  # fmt: skip
    with lock_file as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise UserError(
                f"{folder}: another measurement (pid {holder}) is writing here; wait for it to end, "
                "or measure into another folder with --results"
            ) from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield
