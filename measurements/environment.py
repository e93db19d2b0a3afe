"""The machine and software fingerprint recorded with every result.

Runs in the launcher, which imports neither framework: the framework's own version and
build flags are reported by the child process (see ``measurements.frameworks``).
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import re
import shutil
import sys
import time
from importlib import metadata
from pathlib import Path

from measurements import UserError
from measurements.frameworks import DISTRIBUTIONS
from measurements.results import Gpu, Machine, machine_id_rule

CGROUP_ROOT = Path("/sys/fs/cgroup")

# Environment variables that change how fast or how the frameworks run; recorded as set.
RELEVANT_ENV = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "KMP_AFFINITY",
    "KMP_BLOCKTIME",
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_XLA_FLAGS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
    "XLA_FLAGS",
    "JAX_PLATFORMS",
    "JAX_ENABLE_X64",
    "CUDA_VISIBLE_DEVICES",
    "TORCHINDUCTOR_FREEZING",
    "TORCHINDUCTOR_MAX_AUTOTUNE",
    "FG_KEEP_OUT",  # modules every child keeps out besides its framework's (the harness checks them)
)


def available_cpus() -> int:
    """CPUs this process may use: its affinity, capped by a cgroup v2 CPU quota."""
    cpus = len(os.sched_getaffinity(0))
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
    except (OSError, ValueError):
        return cpus
    if quota == "max":
        return cpus
    return max(1, min(cpus, math.ceil(int(quota) / int(period))))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def proc_status_bytes(field: str, pid: int | str = "self") -> int | None:
    """A memory field of a process's /proc status (VmHWM, VmRSS) in bytes; None off Linux or once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset this process's high-water mark (``VmHWM``) to its resident memory now, by writing "5" to
    ``/proc/self/clear_refs`` (Linux 4.0 and later); False where that cannot be done (another system,
    or a container that forbids it), so that the peak read later still counts from the process's start."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def oom_kill_count(pid: int | str = "self") -> int | None:
    """How many processes the kernel's out-of-memory killer has killed in a process's memory cgroup
    (cgroup v2 ``memory.events``, or v1 ``memory.oom_control``); None where it cannot be read."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    candidates = []
    for line in lines:
        _, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        relative = path.lstrip("/")
        if controllers == "":  # cgroup v2, mounted alone or beside v1 (a hybrid set-up)
            candidates += [
                CGROUP_ROOT / relative / "memory.events",
                CGROUP_ROOT / "unified" / relative / "memory.events",
            ]
        elif "memory" in controllers.split(","):
            candidates.append(CGROUP_ROOT / "memory" / relative / "memory.oom_control")
    for candidate in candidates:
        try:
            for line in candidate.read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            continue
    return None


def memory_cgroup(pid: int | str = "self") -> tuple[Path, int] | None:
    """A process's memory cgroup folder and the cgroup version (1 or 2) that limits memory there;
    None where there is none."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        relative = path.lstrip("/")
        if "memory" in controllers.split(","):
            return CGROUP_ROOT / "memory" / relative, 1
        if controllers == "" and (CGROUP_ROOT / relative / "memory.max").parent.is_dir():
            folder = CGROUP_ROOT / relative
            if "memory" in (folder / "cgroup.controllers").read_text(errors="replace").split():
                return folder, 2
    return None


class MemoryLimit:
    """A memory cgroup of its own below this process's, limiting a process tree's memory (resident
    pages and the page cache it charges, which the kernel reclaims before it kills): the kernel's
    out-of-memory killer ends a tree that needs more. ``MemoryLimit.create(limit)`` makes it or
    says why it cannot (no cgroup, or one this process may not write to); ``join`` is a
    ``preexec_fn`` that moves the child into it before it starts; ``remove`` deletes it."""

    def __init__(self, folder: Path, version: int, limit_bytes: int) -> None:
        self.folder, self.version, self.limit_bytes = folder, version, limit_bytes

    @classmethod
    def create(cls, limit_bytes: int, name: str) -> MemoryLimit | str:
        found = memory_cgroup()
        if found is None:
            return "this machine has no memory cgroup to set a limit in"
        parent, version = found
        folder = parent / name
        try:
            folder.mkdir()
            if version == 1:
                (folder / "memory.limit_in_bytes").write_text(str(limit_bytes))
                swap = folder / "memory.memsw.limit_in_bytes"  # where swap is accounted, no swap either
                if swap.exists():
                    swap.write_text(str(limit_bytes))
            else:
                (folder / "memory.max").write_text(str(limit_bytes))
                if (folder / "memory.swap.max").exists():
                    (folder / "memory.swap.max").write_text("0")
        except OSError as exc:
            with contextlib.suppress(OSError):
                folder.rmdir()
            return f"cannot make a memory cgroup under {parent} ({exc.strerror or exc}): run as a user who may"
        return cls(folder, version, limit_bytes)

    @classmethod
    def unavailable(cls) -> str | None:
        """Why this process cannot set a memory limit, or None where it can (a probe made and removed)."""
        made = cls.create(2**30, f"fg-limit-probe-{os.getpid()}-{time.monotonic_ns()}")
        if isinstance(made, str):
            return made
        made.remove()
        return None

    def join(self) -> None:
        (self.folder / "cgroup.procs").write_text(str(os.getpid()))

    def peak_bytes(self) -> int | None:
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        try:
            return int((self.folder / name).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def oom_kills(self) -> int | None:
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        try:
            for line in (self.folder / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            return None
        return None

    def remove(self) -> None:
        for _ in range(50):  # the killed tree leaves the cgroup as the kernel reaps it
            try:
                self.folder.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def kernel_log_oom_kills(pid: int, since: float) -> bool | None:
    """Whether the kernel log says its out-of-memory killer killed ``pid`` after ``since``
    (``time.monotonic()``); None where the log cannot be read."""
    try:
        fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    pattern = re.compile(rf"(Killed process {pid} |oom-kill:.*,pid={pid},)".encode())
    earliest_us = (since - 1) * 1e6  # the log's clock is the monotonic one, in microseconds
    try:
        while True:
            try:
                record = os.read(fd, 8192)  # one record per read
            except BlockingIOError:  # the end of the log
                return False
            except OSError:  # EPIPE: records overwritten while reading; read on
                continue
            if not record:
                return False
            header, _, message = record.partition(b";")
            fields = header.split(b",")
            if len(fields) > 2 and fields[2].isdigit() and int(fields[2]) >= earliest_us and pattern.search(message):
                return True
    finally:
        os.close(fd)


def gpus() -> list[Gpu]:
    """NVIDIA GPUs as nvidia-smi lists them; empty where there is none."""
    if shutil.which("nvidia-smi") is None:
        return []
    from measurements.launch import run_tool  # here: the launcher reads this module's memory figures

    query = "--query-gpu=name,driver_version,memory.total"
    done = run_tool(["nvidia-smi", query, "--format=csv,noheader,nounits"], timeout_s=30)
    if done.status != "ok":
        return []
    out = done.stdout
    found: list[Gpu] = []
    for line in out.strip().splitlines():
        name, driver, mem_mib = (part.strip() for part in line.split(","))
        found.append({"name": name, "driver": driver, "memory_bytes": int(float(mem_mib)) * 2**20})
    return found


def installed_version(framework: str) -> str | None:
    """The installed version of a framework, read from package metadata without importing it."""
    for name in DISTRIBUTIONS.get(framework, ()):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def shown(value: object, width: int = 40) -> str:
    """A value as one short line of a message: quoted, escaped, cut."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def named_machine_id(value: str) -> str:
    """``FG_MACHINE_ID``'s value as a machine id (its slug), refused unless the results schema accepts it."""
    made = slug(value)
    if not made:
        raise UserError(
            f"FG_MACHINE_ID={shown(value)} has no letter or digit a-z, 0-9 to name a folder with; "
            "use a name such as my-laptop"
        )
    return checked_machine_id(made, f"FG_MACHINE_ID={shown(value)}", "use a shorter name")


def checked_machine_id(made: str, source: str, fix: str) -> str:
    pattern, longest = machine_id_rule()
    if len(made) > longest or not pattern.fullmatch(made):
        raise UserError(
            f"{source} makes a machine id of {len(made)} characters; the results schema allows at most {longest}: {fix}"
        )
    return made


def machine_id(cpus: int, gpu_list: list[Gpu]) -> str:
    """A readable id for this kind of machine, stable across runs: CPU model, CPUs, GPU.

    ``FG_MACHINE_ID`` overrides it (for example to tell two hosts of one kind apart). An id the
    results schema would refuse (none, or too long) is refused here, before anything is written.
    """
    override = os.environ.get("FG_MACHINE_ID")
    if override:
        return named_machine_id(override)
    parts = [slug(cpu_model()) or "cpu", f"{cpus}cpu"]
    if gpu_list:
        parts.append(slug(gpu_list[0]["name"]))
    return checked_machine_id("-".join(parts), "this machine's CPU model and GPU", "name it with FG_MACHINE_ID=NAME")


def machine() -> Machine:
    cpus = available_cpus()
    gpu_list = gpus()
    return {
        "id": machine_id(cpus, gpu_list),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count() or cpus,
        "cpus_available": cpus,
        "memory_bytes": memory_bytes(),
        "gpus": gpu_list,
        "os": f"{platform.system()} {platform.release()}",
        "arch": platform.machine(),
    }


def relevant_env() -> dict[str, str]:
    return {name: os.environ[name] for name in RELEVANT_ENV if name in os.environ}


def python_version() -> str:
    return f"{platform.python_implementation()} {sys.version.split()[0]}"
