"""Studies: what the Usability and Ecosystem guides measure beyond speed.

A study is a module in this package that defines ``STUDY`` (a ``Study``) and
``run(framework) -> list[dict]``, its findings: one JSON object per item studied (a
mistake, a debugging tool, an export path...), each with an ``id``. The launcher runs each
(study, framework) in a fresh child process (``python -m measurements.studies.child``) with
a time limit, like a timing run, and writes one results file per study and framework
release under ``results/<machine>/studies/``. Study modules import their framework inside
``run`` only: the launcher imports them to read ``STUDY``.

Run keys are ``study/<name>/<framework>``, so ``--only 'study/*'`` measures every study.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache

GROUPS = ("performance", "usability", "ecosystem")


@dataclass(frozen=True)
class Study:
    name: str
    group: str  # which guide shows it: "performance", "usability" or "ecosystem"
    title: str
    description: str  # one paragraph for the page: what is tried and how it is judged
    timeout_s: float = 600
    quick: bool = True  # also measured by the quick profile (False for studies of minutes)
    frameworks: tuple[str, ...] = ("pytorch", "tensorflow")


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
