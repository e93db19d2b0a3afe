"""What the workloads' specs plan, written to ``data/planned.json`` for the pages to read: each
model size's parameter count and each case's floating-point operations per unit.

These are properties of the specs, not measurements: the pages read them from the file instead
of importing every spec and building its NumPy weights, and a results file, which can state
anything, never sets them. Run ``python -m measurements.planned`` after changing a spec;
``tests/test_planned.py`` fails while the file and the specs disagree.

    python -m measurements.planned          # rewrite data/planned.json from the specs
"""

from __future__ import annotations

import importlib
import json
import sys
from types import ModuleType

from measurements import catalog, workloads
from measurements.profiles import PROFILES
from measurements.results import PLANNED_PATH, Planned, PlannedWorkload, size_key, write_json_atomic


def _count(spec: ModuleType, params: workloads.Sizes) -> int:
    """From ``parameter_count`` where the spec has one (the large models), else from the sizes of
    its shared initial weights."""
    if hasattr(spec, "parameter_count"):
        return int(spec.parameter_count(params))
    return int(sum(w.size for w in spec.flat_weights(params)))


def planned_workload(workload: catalog.Workload) -> PlannedWorkload:
    """The parameter count of every model size the workload's spec plans in any profile (models
    only: not one operation, not the accuracy runs), and the operations per unit of each case."""
    spec = importlib.import_module(f"{workload.module}.spec")
    found: PlannedWorkload = {"parameters": {}, "flops_per_unit": {}}
    for profile in PROFILES.values():
        for task in ("train", "infer") if workload.task in ("train", "infer") else ():
            for case in spec.cases(profile, task):  # a model's sizes, trained or predicting
                key = size_key(case.params)
                if key not in found["parameters"]:
                    found["parameters"][key] = _count(spec, case.params)
        for case in spec.cases(profile, workload.task):
            if case.work_per_step:
                per_metric = found["flops_per_unit"].setdefault(case.metric, {})
                per_metric.setdefault(case.name, case.flops_per_step / case.work_per_step)
    return found


def planned() -> Planned:
    """Every registered workload's plan, as ``data/planned.json`` holds it."""
    return {name: planned_workload(workload) for name, workload in sorted(catalog.WORKLOADS.items())}


def main() -> int:
    write_json_atomic(PLANNED_PATH, json.loads(json.dumps(planned())))
    print(f"wrote {PLANNED_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
