"""Studies: what the Usability and Ecosystem guides measure beyond speed.

A study is a module (or a package, with its per-framework code in ``<study>/<framework>.py``) in
this package that defines ``STUDY`` (a ``Study``) and ``run(framework) -> list[dict]``, its
findings: one JSON object per item studied (a mistake, a debugging tool, an export path...), each
with an ``id``. It measures the registry's compared frameworks that have its code (``Study.code``).
The launcher runs each (study, framework) in a fresh child process (``python -m measurements.studies.child``) with
a time limit, like a timing run, and writes one results file per study and framework
release under ``results/<machine>/studies/``. Study modules import their framework inside
``run`` only: the launcher imports them to read ``STUDY``.

A study with ``processes`` > 1 runs that many times per framework, each time in a fresh child, the
frameworks interleaved and their order reversed every other round (as timing runs are). The
runner merges the children's findings by id: sample lists are kept one per process under
``<name>_per_process``, and a number that differs between processes keeps every
process's value under ``per_process`` and, in its own place, the lower median of them (a value
one process measured).

Run keys are ``study/<name>/<framework>``, so ``--only 'study/*'`` measures every study.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from measurements.frameworks import COMPARED

MEASUREMENTS = Path(__file__).resolve().parent.parent

GROUPS = ("performance", "usability", "ecosystem")


@dataclass(frozen=True)
class Study:
    name: str
    group: str  # which guide shows it: "performance", "usability" or "ecosystem"
    title: str
    description: str  # one paragraph for the page: what is tried and how it is judged
    timeout_s: float = 600
    quick: bool = True  # also measured by the quick profile (False for studies of minutes)
    # the files a framework needs for this study: glob patterns under measurements/ with
    # {framework} in them (e.g. "studies/export/{framework}.py"), each matching at least one file
    code: tuple[str, ...] = ()
    # default: the registry's compared frameworks that have the study's ``code``, in the registry's order
    frameworks: tuple[str, ...] = ()
    # fresh processes per framework: a study whose readings are compared across frameworks runs in
    # several, interleaved across frameworks, so each comparison has an interval over processes
    processes: int = 1
    # the cores a machine needs for a verdict on the study (None: any machine); the pages read it here
    cores_needed: int | None = None

    def __post_init__(self) -> None:
        if not self.frameworks:
            having = [fw for fw in COMPARED if all(any(MEASUREMENTS.glob(p.format(framework=fw))) for p in self.code)]
            object.__setattr__(self, "frameworks", tuple(having))


@cache
def registry() -> dict[str, Study]:
    """Every study module in this package, by name, in a stable order."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        study = getattr(module, "STUDY", None)
        if isinstance(study, Study):
            found[study.name] = study
    return found
