"""The machine and software fingerprint recorded with every result.

Runs in the launcher, which imports neither framework: the framework's own version and
build flags are reported by the child process (see ``measurements.frameworks``).
"""

from __future__ import annotations

import math
import os
import platform
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from measurements.frameworks import DISTRIBUTIONS

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
    "CUDA_VISIBLE_DEVICES",
    "TORCHINDUCTOR_FREEZING",
    "TORCHINDUCTOR_MAX_AUTOTUNE",
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


def gpus() -> list[dict[str, Any]]:
    """NVIDIA GPUs as nvidia-smi lists them; empty where there is none."""
    if shutil.which("nvidia-smi") is None:
        return []
    query = "--query-gpu=name,driver_version,memory.total"
    try:
        out = subprocess.run(
            ["nvidia-smi", query, "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
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


def machine_id(cpus: int, gpu_list: list[dict[str, Any]]) -> str:
    """A readable id for this kind of machine, stable across runs: CPU model, CPUs, GPU.

    ``FG_MACHINE_ID`` overrides it (for example to tell two hosts of one kind apart).
    """
    override = os.environ.get("FG_MACHINE_ID")
    if override:
        return slug(override)
    parts = [slug(cpu_model()) or "cpu", f"{cpus}cpu"]
    if gpu_list:
        parts.append(slug(gpu_list[0]["name"]))
    return "-".join(parts)


def machine() -> dict[str, Any]:
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
