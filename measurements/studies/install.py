"""Install footprint: what ``pip install`` of each framework costs in a fresh virtual environment.

The installed framework's exact release is installed again into a new ``python -m venv`` with
``pip install --no-compile``, with what a user installs beside it to train as the workloads do
(JAX's jaxlib, named at its exact release, and Optax: JAX has no optimizers of its own), through
this machine's pip settings (its cache and local wheels count: the time is an install's, mostly
not a download's). Recorded: the time, the bytes added to
site-packages beyond an empty environment's, the distributions pulled in, and how long
``import <framework>`` takes in a new process: first right after the install (no bytecode yet,
so Python compiles and writes it), then warm. The environments are deleted afterwards.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from measurements.catalog import STUDIES
from measurements.findings import InstallFinding, PipSources
from measurements.frameworks import DISTRIBUTIONS, REGISTRY, Unavailable
from measurements.launch import REPORT_ENV, Outcome, child_env
from measurements.launch import run_tool as tool
from measurements.studies.export import distribution_version, tree_bytes, trim

STUDY = STUDIES["install"]
# what a user installs beside the framework to train as the workloads do: JAX has no optimizers, Optax gives Adam
ALSO_INSTALLED = {"jax": ("jaxlib", "optax")}
WARM_IMPORTS = 5
PIP_TIMEOUT_S = 1200
IMPORT_TIMEOUT_S = 300
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2"}  # TensorFlow's C++ start-up chatter, out of the output parsed


def requirement(framework: str) -> str:
    """The exact requirement of the installed framework release, e.g. ``tensorflow-cpu==2.21.0``."""
    for name in DISTRIBUTIONS[framework]:
        version = distribution_version(name)
        if version is not None:
            return f"{name}=={version}"
    raise Unavailable(f"{framework} is not installed: none of {', '.join(DISTRIBUTIONS[framework])}")


def requirements(framework: str) -> list[str]:
    """The framework's exact requirement, then those of what is installed beside it to train (``ALSO_INSTALLED``),
    each at the release installed here, e.g. ``["jax==0.10.2", "jaxlib==0.10.2", "optax==0.2.8"]``."""
    found = [requirement(framework)]
    for name in ALSO_INSTALLED.get(framework, ()):
        version = distribution_version(name)
        if version is None:
            raise Unavailable(f"{name}, which {framework}'s workloads train with, is not installed")
        found.append(f"{name}=={version}")
    return found


def clean_env() -> dict[str, str]:
    """This process's environment for a command in another virtual environment: nothing of ours on its path,
    bytecode written as usual."""
    drop = ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONNOUSERSITE")
    return child_env(QUIET_ENV, drop=drop, project=False)


# how a probe in another virtual environment (which cannot import this project) reports: the
# launcher's report file, written by hand
REPORT = f"import os; open(os.path.join(os.environ['{REPORT_ENV}'], '0.json'), 'w').write("


def reported(done: Outcome) -> dict[str, object]:
    """What a probe reported (a JSON object; each caller narrows the values it reads)."""
    if done.report is None:
        raise RuntimeError(f"the probe wrote no report:\n{trim(done.stderr or done.stdout)}")
    return done.report


def timed_out(done: Outcome) -> Outcome:
    """``done``, unless it ran out of time: then the study fails, saying which command."""
    if done.killed_for == "timeout":
        raise TimeoutError(f"{done.error}: {trim(done.tail)}")
    return done


def checked(done: Outcome) -> Outcome:
    """``done`` if it exited with 0; else the study fails with its output."""
    if timed_out(done).returncode != 0:
        raise RuntimeError(f"{done.error}:\n{trim(done.stderr or done.stdout)}")
    return done


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def make_venv(venv: Path) -> None:
    checked(tool([sys.executable, "-m", "venv", str(venv)], env=clean_env(), timeout_s=PIP_TIMEOUT_S))


def site_packages(venv: Path) -> Path:
    (found,) = (venv / "lib").glob("python*/site-packages")
    return found


def distributions(venv: Path) -> dict[str, str]:
    """Name -> version of every distribution installed in ``venv``."""
    code = (
        "import importlib.metadata as m, json; "
        f"{REPORT} json.dumps({{d.metadata['Name']: d.version for d in m.distributions()}}))"
    )
    found = reported(checked(tool([str(python_of(venv)), "-c", code], env=clean_env(), timeout_s=PIP_TIMEOUT_S)))
    return {name: str(version) for name, version in found.items()}


def added(empty: dict[str, str], full: dict[str, str]) -> dict[str, str]:
    """The distributions of ``full`` that an empty environment does not have (pip, setuptools)."""
    return {name: version for name, version in sorted(full.items(), key=lambda kv: kv[0].lower()) if name not in empty}


def pip_sources(log: str) -> PipSources:
    """How pip got each file: from its cache, a local file (wheel folder or file index), or a download."""
    return {
        "cached": len(re.findall(r"^\s*Using cached ", log, re.MULTILINE)),
        "local_files": len(re.findall(r"^\s*Processing /", log, re.MULTILINE)),
        "downloaded": len(re.findall(r"^\s*Downloading ", log, re.MULTILINE)),
    }


def import_seconds(venv: Path, module: str) -> float:
    """Seconds of ``import module`` in a new process of ``venv``, timed inside it."""
    code = (
        f"import json, time; t = time.perf_counter(); import {module}; s = time.perf_counter() - t; "
        f"{REPORT} json.dumps({{'import_s': s}}))"
    )
    done = timed_out(tool([str(python_of(venv)), "-c", code], env=clean_env(), timeout_s=IMPORT_TIMEOUT_S))
    seconds = done.report.get("import_s") if done.returncode == 0 and done.report is not None else None
    if not isinstance(seconds, int | float):
        raise RuntimeError(f"import {module} failed (exit {done.returncode}):\n{trim(done.stderr or done.stdout)}")
    return float(seconds)


def run(framework: str) -> list[InstallFinding]:
    wanted = requirements(framework)
    module = REGISTRY[framework].modules[0]  # what its users import: torch, tensorflow, jax
    with tempfile.TemporaryDirectory(prefix="fg-install-") as tmp:
        empty, env = Path(tmp) / "empty", Path(tmp) / "env"
        make_venv(empty)
        make_venv(env)
        pip_version = distributions(env).get("pip")
        command = [str(python_of(env)), "-m", "pip", "install", "--no-compile", "--disable-pip-version-check", *wanted]
        start = time.perf_counter()
        done = timed_out(tool(command, env=clean_env(), timeout_s=PIP_TIMEOUT_S))
        install_s = time.perf_counter() - start
        if done.returncode != 0:
            output = trim(done.stdout + done.stderr)
            raise RuntimeError(f"pip install {' '.join(wanted)} failed (exit {done.returncode}):\n{output}")
        pulled = added(distributions(empty), distributions(env))
        installed_bytes = tree_bytes(site_packages(env)) - tree_bytes(site_packages(empty))
        cold = import_seconds(env, module)
        warm = [import_seconds(env, module) for _ in range(WARM_IMPORTS)]
    return [{
        "id": "install", "requirement": " ".join(wanted), "command": f"pip install --no-compile {' '.join(wanted)}",
        "pip_version": pip_version, "pip_sources": pip_sources(done.stdout), "install_s": install_s,
        "installed_bytes": installed_bytes, "distributions": len(pulled),
        "names": [f"{name}=={version}" for name, version in pulled.items()],
        "import_cold_s": cold, "import_warm_s": statistics.median(warm), "import_warm_samples": warm,
    }]  # fmt: skip
