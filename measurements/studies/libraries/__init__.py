"""Math libraries: which library and kernel each framework's matrix multiply and convolution ran
on this CPU, and the CPU's peak.

A fresh process per framework imports it with the project's thread count and runs one 1024×1024
float32 matrix multiply and one 3×3 convolution with oneDNN's verbose log on
(``ONEDNN_VERBOSE=1``) and oneMKL's (``MKL_VERBOSE=1``); the logs name the implementation each
oneDNN primitive ran (``brg_conv_fwd:avx512_core``, ...) and the code path oneMKL chose for this
CPU. The build's own report says which BLAS it links (PyTorch:
``torch.__config__.show()``), and threadpoolctl lists the BLAS and OpenMP libraries loaded in the
process (NumPy's OpenBLAS among them). The CPU's peak single-precision rate is computed from its
vector width, its FMA units (known per microarchitecture; none assumed where unknown) and the
clock the kernel reports, which can be below the boost clock the cores reach.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import cast

from measurements import environment
from measurements.catalog import STUDIES
from measurements.findings import Kernel, LibrariesFinding, PeakFinding, Probed, XlaOps
from measurements.launch import child_env, launch

STUDY = STUDIES["libraries"]

# FMA units a core issues per cycle, and their width in bits, by (vendor, family, first model, last model):
# only microarchitectures whose figures are published; any other CPU gets no peak
FMA_UNITS: tuple[tuple[str, int, int, int, int, int, str], ...] = (
    # Zen 2 to Zen 4: two 256-bit FMA pipes (Zen 4 runs AVX-512 as two 256-bit halves)
    ("AuthenticAMD", 23, 0x30, 0x3F, 2, 256, "Zen 2"),
    ("AuthenticAMD", 23, 0x70, 0x7F, 2, 256, "Zen 2"),
    ("AuthenticAMD", 25, 0x00, 0x0F, 2, 256, "Zen 3"),
    ("AuthenticAMD", 25, 0x20, 0x2F, 2, 256, "Zen 3"),
    ("AuthenticAMD", 25, 0x10, 0x1F, 2, 256, "Zen 4"),
    ("AuthenticAMD", 25, 0x60, 0x7F, 2, 256, "Zen 4"),
    ("AuthenticAMD", 25, 0xA0, 0xAF, 2, 256, "Zen 4c"),
)
SOURCES = {  # pages that give these FMA units (a measured FMA benchmark; an answer on Zen 4's FP pipes)
    "Zen 2": "https://wlog.flatlib.jp/2024/01/13/ryzen-zen3-vfpbench/",
    "Zen 3": "https://wlog.flatlib.jp/2024/01/13/ryzen-zen3-vfpbench/",
    "Zen 4": "https://stackoverflow.com/questions/76195232",
    "Zen 4c": "https://stackoverflow.com/questions/76195232",
}
MKL_PATH = re.compile(r"MKL_VERBOSE oneMKL [^\n]*? for ([^\n]*?), Lnx")
VERBOSE = re.compile(r"onednn_verbose,(?:v1,)?(?:primitive,)?exec,cpu,([a-z_]+),([^,]*),")


def cpuinfo() -> dict[str, str]:
    """The first processor's fields of ``/proc/cpuinfo``."""
    found: dict[str, str] = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return found
    for line in text.split("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        found[key.strip()] = value.strip()
    return found


def peak(info: dict[str, str], cores: int) -> PeakFinding:
    """The CPU's peak float32 GFLOP/s at the reported clock, with what it rests on; None where unknown."""
    found: PeakFinding = {"id": "peak", "cores": cores, "vendor": info.get("vendor_id"), "gflops": None,
                          "microarchitecture": None, "source": None}  # fmt: skip
    try:
        family, model, mhz = int(info["cpu family"]), int(info["model"]), float(info["cpu MHz"])
    except (KeyError, ValueError):
        return {**found, "why": "/proc/cpuinfo does not give the CPU's family, model and clock"}
    flags = set(info.get("flags", "").split())
    lanes_bits = 512 if "avx512f" in flags else 256 if "avx2" in flags else 128
    found.update(
        {"family": family, "model": model, "clock_ghz": mhz / 1000, "vector_bits": lanes_bits, "fma": "fma" in flags}
    )
    for vendor, fam, first, last, units, width, name in FMA_UNITS:
        if info.get("vendor_id") == vendor and fam == family and first <= model <= last:
            bits = min(width, lanes_bits) if "fma" in flags else 0
            per_cycle = units * (bits // 32) * 2  # an FMA is two operations per lane
            found.update({"microarchitecture": name, "fma_units": units, "fma_bits": width,
                          "flops_per_cycle": per_cycle, "gflops": cores * per_cycle * mhz / 1000,
                          "source": SOURCES[name]})  # fmt: skip
            return found
    return {**found, "why": "this microarchitecture's FMA units are not in the study's table"}


def kernels(log: str) -> list[Kernel]:
    """(primitive, implementation) of each oneDNN primitive the verbose log shows, first seen first."""
    seen: dict[tuple[str, str], None] = {}
    for primitive, implementation in VERBOSE.findall(log):
        seen[primitive, implementation] = None
    return [{"primitive": p, "implementation": i} for p, i in seen]


def probe(framework: str) -> Probed:
    """Inside the child: run the two operations; the libraries loaded; the build's BLAS."""
    from threadpoolctl import threadpool_info

    fw = importlib.import_module(f"measurements.frameworks.{framework}")
    fw.setup(environment.available_cpus(), "cpu")
    found: Probed = importlib.import_module(f"{__name__}.{framework}").probe()
    kept = ("internal_api", "version", "architecture", "num_threads", "prefix")
    found["threadpools"] = [{k: v for k, v in pool.items() if k in kept} for pool in threadpool_info()]
    return found


def xla_ops(hlo: str) -> XlaOps:
    """What XLA compiled a computation into, from its optimized HLO text: the library calls
    (``custom_call_target``), the fusions' kinds and, for a custom fusion, the kind its backend config names
    (``__ynn_fusion``...), and the HLO operations (``dot``, ``convolution``, ``fusion``...)."""
    ops = re.findall(r"=\s*[^=\s]+(?:\s*\{[^}]*\})?\s+([a-z][a-z0-9_-]*)\(", hlo)
    return {
        "custom_calls": sorted(set(re.findall(r'custom_call_target="([^"]+)"', hlo))),
        "fusion_kinds": sorted(set(re.findall(r"kind=(k\w+)", hlo))),
        "custom_fusions": sorted(set(re.findall(r'"fusion_config":\s*\{\s*"kind":\s*"([^"]+)"', hlo))),
        "operations": sorted(set(ops) - {"parameter", "constant", "tuple", "get-tuple-element"}),
    }


# a custom fusion or call's name, in lower case, -> the library XLA:CPU hands the work to
XLA_LIBRARIES = (("onednn", "oneDNN"), ("ynn", "YNNPACK"), ("xnn", "XNNPACK"))


def xla_library(compiled: list[XlaOps], kernels_seen: bool) -> str:
    """Which library XLA:CPU's matrix multiply and convolution ran in, as far as the compiled HLO (and
    oneDNN's log, read by the caller) shows: the library a custom call or custom fusion names (each one
    named, in the order of ``XLA_LIBRARIES``); else XLA:CPU's own dot and convolution, which it runs with Eigen."""
    names = [c.lower() for ops in compiled for c in ops["custom_calls"] + ops.get("custom_fusions", [])]
    found = [library for marker, library in XLA_LIBRARIES if any(marker in name for name in names)]
    if kernels_seen and "oneDNN" not in found:
        found.insert(0, "oneDNN")
    if found:
        return " and ".join(found) + " (through XLA:CPU)"
    return "Eigen (XLA:CPU's own dot and convolution)"


def run(framework: str) -> list[LibrariesFinding | PeakFinding]:
    """One fresh child with oneDNN's verbose log on; its report and the kernels the log names."""
    env = child_env({"ONEDNN_VERBOSE": "1", "DNNL_VERBOSE": "1", "MKL_VERBOSE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"})
    done = launch([sys.executable, "-m", __name__, framework], env=env, timeout_s=240, capture="separate")
    if done.killed_for == "timeout":
        raise TimeoutError(f"the probe: {done.error}")
    if done.returncode != 0 or done.report is None:
        raise RuntimeError(f"the probe failed (exit {done.returncode}): {(done.stderr or done.stdout)[-2000:]}")
    probed = cast(Probed, dict(done.report))  # what ``probe`` returned, as JSON
    log = done.stdout + done.stderr
    mkl = MKL_PATH.search(log)  # oneMKL names the code path it chose for this CPU
    if "compiled" in probed:  # JAX: the library read off what XLA compiled, and off oneDNN's log
        probed["blas"] = xla_library(probed.pop("compiled"), bool(kernels(log)))
    found: LibrariesFinding = {"id": "libraries", **probed, "kernels": kernels(log),
             "mkl_code_path": mkl.group(1).strip() if mkl else None,
             "mkl_sgemm": "SGEMM(" in log}  # fmt: skip
    return [found, peak(cpuinfo(), environment.available_cpus())]
