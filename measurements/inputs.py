"""Checks what the harness is given before it measures anything: its options, the ``FG_*``
environment variables it reads, and the results folder.

Each bad value is refused with one line (``UserError``) at start-up, before a framework is
imported or a file written, instead of a traceback or a run that measures something else.
"""

from __future__ import annotations

import math
import os
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from measurements import NEEDED_MODULES, UserError, environment
from measurements.catalog import LAYOUTS
from measurements.environment import shown
from measurements.frameworks import REGISTRY

MAX_TIMEOUT_S = 7 * 24 * 3600  # a week: far beyond any profile's or study's own limit (the longest is 90 min)
MAX_THREADS = 1_000_000  # the results schema's bound on settings.threads
MAX_IMAGES = 1_000_000  # ten times the pipeline study's largest default size (about 2 GB of JPEG files)
FAULTS = ("raise", "crash", "hang", "oom")  # what ``worker.inject`` knows
# set by the harness or a study for its own children; one set from outside would change what they measure
INTERNAL = {
    "FG_COMPILED": "the debugging study sets it for its own scripts",
    "FG_RUN_EAGERLY": "the debugging study sets it for its own scripts",
    "FG_JAX_COORDINATOR": "the distributed study sets it for its own workers",
    "FG_JAX_PROCESS_ID": "the distributed study sets it for its own workers",
    "FG_REFERENCES": "the harness sets it for its own children",
    "FG_STUDY_PROFILE": "the study runner sets it for its own children",
    "FG_PIPELINE_CACHE": "the study runner sets it for its own children",
}
# read by the site's build and its tests, not by the harness
ELSEWHERE = ("FG_CACHE_DIR", "FG_SITE_DIR", "FG_ARTIFACTS_DIR", "FG_CHROMIUM")


def finite(option: str, value: float, unit: str, highest: float, why: str) -> float:
    """A positive, finite number no larger than ``highest``, or a one-line refusal."""
    if not math.isfinite(value) or value <= 0:
        raise UserError(f"{option} must be a positive, finite number of {unit}, not {value}")
    if value > highest:
        raise UserError(f"{option} must be at most {highest:,.0f} {unit} ({why}), not {value:g}")
    return value


def timeout(value: float | None) -> float | None:
    """Seconds a run may take before it is killed: every accepted value kills a hung child."""
    if value is None:
        return None
    return finite("--timeout", value, "seconds", MAX_TIMEOUT_S, "a week")


def memory_limit(value: float | None) -> int | None:
    """The memory limit in bytes: at least one MiB, and no more than this machine has (a limit no
    process here could reach would limit nothing)."""
    if value is None:
        return None
    total = environment.memory_bytes()
    highest, why = (total / 2**20, "this machine's memory") if total else (2.0**40, "an exbibyte")
    finite("--memory-limit", value, "MiB", highest, why)
    if value < 1:
        raise UserError(f"--memory-limit must be at least 1 MiB, not {value:g}")
    return int(value * 2**20)


def threads(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_THREADS:
        raise UserError(f"--threads must be a whole number from 1 to {MAX_THREADS:,}, not {value}")
    return value


def keep_out(value: str, frameworks: Iterable[str]) -> tuple[str, ...]:
    """The modules in ``FG_KEEP_OUT`` ("name,name"), which every child keeps out besides what its
    framework keeps out; refused where one is not a module name, or is one the run needs: the
    standard library, the harness's own, or a framework it measures."""
    names = tuple(name for name in value.split(",") if name)
    needs = {module: f"{REGISTRY[fw].label} is measured" for fw in frameworks for module in REGISTRY[fw].modules}
    for name in names:
        top = name.partition(".")[0]
        if not all(part.isidentifier() for part in name.split(".")):
            raise UserError(f"FG_KEEP_OUT names {shown(name)}, which is not a module name; write name,name")
        if top in NEEDED_MODULES or top in sys.stdlib_module_names:
            raise UserError(f"FG_KEEP_OUT names {name}, which the harness itself needs; leave it out of FG_KEEP_OUT")
        if top in needs:
            raise UserError(f"FG_KEEP_OUT names {name}, which this run needs ({needs[top]}); leave it out, or "
                            "measure without it (--only)")  # fmt: skip
    return names


def inject_fault(value: str) -> None:
    """``FG_INJECT_FAULT`` (tests): ``GLOB=FAULT`` items, each fault one the worker knows."""
    for item in filter(None, value.split(",")):
        pattern, equals, fault = item.rpartition("=")
        if not equals or not pattern or fault not in FAULTS:
            raise UserError(f"FG_INJECT_FAULT item {shown(item)} is not GLOB=FAULT with a fault of {', '.join(FAULTS)}")


def whole_number(name: str, highest: int, why: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        if not value.strip().isdigit() or not 1 <= int(value) <= highest:
            raise UserError(f"{name} must be a whole number from 1 to {highest:,} ({why}), not {shown(value)}")

    return check


def image_counts(value: str) -> None:
    """``FG_PIPELINE_IMAGES``: comma-separated image counts, each bounded."""
    parts = [part.strip().replace("_", "") for part in value.split(",") if part.strip()]
    if not parts or not all(p.isdigit() and 1 <= int(p) <= MAX_IMAGES for p in parts):
        raise UserError(
            f"FG_PIPELINE_IMAGES must be comma-separated image counts from 1 to {MAX_IMAGES:,}, not {shown(value)}"
        )


def unavailable_why(value: str) -> None:
    """``FG_UNAVAILABLE_WHY``: "FRAMEWORK=why" items, separated by ";", each a registered framework."""
    from measurements.frameworks import REGISTRY, notes

    for framework, why in notes(value).items():
        if framework not in REGISTRY or not why:
            raise UserError(
                f"FG_UNAVAILABLE_WHY item {shown(framework)} is not FRAMEWORK=why with a framework of "
                f"{', '.join(REGISTRY)}; write e.g. tensorflow=its CUDA build cannot be installed here"
            )


def distributed_layout(value: str) -> None:
    """``FG_DISTRIBUTED_LAYOUT``: a layout the distributed study knows (``catalog.LAYOUTS``)."""
    if value not in LAYOUTS:
        raise UserError(f"FG_DISTRIBUTED_LAYOUT is {shown(value)}; use one of {', '.join(LAYOUTS)}")


def memory_mib(value: str) -> None:
    total = environment.memory_bytes()
    whole_number("FG_LIMIT_MIB", total // 2**20 if total else 2**40, "this machine's memory")(value)


def folder(name: str) -> Callable[[str], None]:
    """A folder the harness writes into: one, or one it can make, and writable."""

    def check(value: str) -> None:
        writable_folder(Path(value), name)

    return check


def flag(name: str) -> Callable[[str], None]:
    def check(value: str) -> None:
        if value not in ("0", "1"):
            raise UserError(f"{name} must be 0 or 1, not {shown(value)}")

    return check


CHECKS: dict[str, Callable[[str], object]] = {
    "FG_MACHINE_ID": environment.named_machine_id,
    "FG_INJECT_FAULT": inject_fault,
    "FG_PIPELINE_IMAGES": image_counts,
    "FG_PIPELINE_DIR": folder("FG_PIPELINE_DIR"),
    "FG_LIMIT_IMAGES": whole_number("FG_LIMIT_IMAGES", MAX_IMAGES, "the images of the memory-limited pipelines"),
    "FG_LIMIT_MIB": memory_mib,
    "FG_DISTRIBUTED_HANG": flag("FG_DISTRIBUTED_HANG"),
    "FG_DISTRIBUTED_LAYOUT": distributed_layout,
    "FG_UNAVAILABLE_WHY": unavailable_why,
}


def environment_variables(frameworks: Iterable[str]) -> None:
    """Every ``FG_*`` variable the harness, its children or its studies read, checked; one that
    only the harness sets for its own children is refused when set from outside."""
    for name, value in sorted(os.environ.items()):
        if not name.startswith("FG_") or name in ELSEWHERE:
            continue
        if name in INTERNAL:
            raise UserError(f"{name} is set, but {INTERNAL[name]}, and a value from outside would change what it "
                            f"measures: unset {name}")  # fmt: skip
        if name == "FG_KEEP_OUT":
            keep_out(value, frameworks)
        elif name in CHECKS and value:
            CHECKS[name](value)


def writable_folder(path: Path, name: str) -> None:
    """``path`` is a folder this user may write in, or one that can be made: its nearest existing
    ancestor is a writable folder. Symbolic links are followed, loops refused."""
    try:
        real = Path(os.path.realpath(path, strict=False))
        existing = next(p for p in (real, *real.parents) if os.path.lexists(p))
        mode = existing.stat().st_mode  # a link left in ``real`` leads nowhere: stat says why
    except (OSError, RuntimeError) as exc:
        raise UserError(f"{name} {path}: {reason(exc)}") from None
    if not stat.S_ISDIR(mode):
        what = "is" if existing == real else f"would be made inside {existing}, which is"
        raise UserError(f"{name} {path} {what} a file, not a folder: name a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"{name} {path}: {existing} is not writable by this user")


def reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def results_folder(results: Path, machine: str) -> None:
    """The results folder is one, or can be made; the machine's folder in it, if any, is a real folder,
    its ``studies`` and ``.lock`` what the harness writes; and no symbolic link anywhere inside
    leads out of it (or nowhere), since the harness and the site's build read through them."""
    writable_folder(results, "--results")
    if not os.path.lexists(results):
        return
    root = Path(os.path.realpath(results))
    kinds = {root / machine: stat.S_ISDIR, root / machine / "studies": stat.S_ISDIR,
             root / machine / ".lock": stat.S_ISREG}  # fmt: skip
    for path, wanted in kinds.items():
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        if not wanted(mode):
            kind = "folder" if wanted is stat.S_ISDIR else "file"
            raise UserError(f"--results {results}: {path.relative_to(root)} is not a plain {kind}; move it away")
    for top, dirs, files in os.walk(root):  # links to folders are listed, not followed
        for entry in (*dirs, *files):
            path = Path(top) / entry
            if not path.is_symlink():
                continue
            try:
                target = Path(os.path.realpath(path, strict=True))
            except OSError as exc:
                raise UserError(f"--results {results}: {path.relative_to(root)} is a symbolic link that leads "
                                f"nowhere ({reason(exc)}); remove it") from None  # fmt: skip
            if not target.is_relative_to(root):
                raise UserError(f"--results {results}: {path.relative_to(root)} is a symbolic link to {target}, "
                                "outside the results folder; replace it with the file itself")  # fmt: skip
