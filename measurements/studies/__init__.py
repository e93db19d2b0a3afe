"""Studies: what the Usability and Ecosystem guides measure beyond speed.

A study is a module (or a package, with its per-framework code in ``<study>/<framework>.py``) in
this package that takes its ``STUDY`` from ``measurements.catalog.STUDIES`` (where its title,
description and settings are declared, for the pages to read without importing study code) and
defines ``run(framework) -> list[dict]``, its
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
from functools import cache

from measurements.catalog import Study


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
