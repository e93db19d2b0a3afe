"""How long a profile is expected to take on a machine, from that machine's earlier results.

``python -m measurements list --profile standard --estimate`` prints, for each planned run and study,
the minutes its earlier result took, scaled to what the profile plans: a run's processes to its
first look and to its cap (``profiles.looks_for``), each at the mean wall time of the processes of
an earlier result measured at the same sizes; a study's earlier wall time, and of the data-pipeline
study only the sizes, configurations and epochs the profile plans, its data sets generated once, and
of the serving study the deploy paths it plans.
These are estimates: a run with no earlier result at its sizes counts as unknown, and a loaded
machine takes longer.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from measurements import catalog, results
from measurements.harness import Run
from measurements.profiles import PROFILES, PipelinePlan, Profile, looks_for
from measurements.studies import serving
from measurements.studies.runner import StudyRun


@dataclass(frozen=True)
class Part:
    key: str  # the run's or study's key
    group: str  # what the table sums it under
    first_s: float | None  # to the first look (None: no earlier result)
    most_s: float | None  # to the last look, the cap


def _read(path: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("run"), dict) else None


def _newest(paths: list[Path]) -> dict[str, Any] | None:
    docs = [doc for path in paths if (doc := _read(path)) is not None]
    return max(docs, key=lambda doc: str(doc["run"].get("started_at", "")), default=None)


def _same_sizes(doc: dict[str, Any], profile: Profile) -> bool:
    theirs = PROFILES.get(str(doc["run"].get("profile")))
    return theirs is not None and (theirs.size, theirs.batch_key) == (profile.size, profile.batch_key)


def run_part(run: Run, profile: Profile, folder: Path) -> Part:
    workload = catalog.workload(run.workload)
    looks = looks_for(profile, workload.task, workload.scale)
    doc = _newest(sorted(folder.glob(f"{run.workload}.{run.framework}-*.{run.mode}.{run.device}.json")))
    each = results.process_wall_s(doc) if doc is not None and _same_sizes(doc, profile) else None
    group = "timing: " + {"large": "large models"}.get(workload.scale, f"{workload.task}" if workload.task in (
        "op", "accuracy") else "small models")  # fmt: skip
    if each is None:
        return Part(run.key, group, None, None)
    return Part(run.key, group, each * looks[0], each * looks[-1])


def _per_process(finding: dict[str, Any], key: str) -> list[float]:
    """A finding's ``key`` in each of its processes: kept under ``per_process`` where they differed."""
    per = finding.get("per_process", {}).get(key)
    if isinstance(per, list):
        return [float(v) for v in per]
    value = finding.get(key)
    return [float(value)] * int(finding.get("fresh_processes", 1)) if isinstance(value, int | float) else []


def pipeline_s(doc: dict[str, Any], plan: PipelinePlan, framework: str) -> tuple[float, dict[int, float]]:
    """The data-pipeline study's earlier wall time, less what ``plan`` leaves out: the sizes and
    configurations it does not plan, the epochs beyond its own (each at the mean of the finding's
    epochs), and each process's data-set generation; the rest of the time (launches, TensorFlow's
    conversion) in proportion to the sizes kept. Returns that and, by size, the generation time, which
    one invocation spends once."""
    findings = [f for f in doc.get("findings", []) if isinstance(f, dict) and "images" in f]
    sizes = {f["images"] for f in findings}
    per_size: dict[int, list[float]] = {}
    for f in findings:
        per_size.setdefault(f["images"], _per_process(f, "generate_s"))  # a size's configurations share its data set
    measured = sum(sum(_per_process(f, "wall_s")) for f in findings) + sum(sum(g) for g in per_size.values())
    rest = max(0.0, float(doc["run"]["wall_s"]) - measured)
    kept = 0.0
    allowed = plan.configurations.get(framework)
    for f in findings:
        if f["images"] not in plan.sizes or (allowed is not None and f.get("config") not in allowed):
            continue
        epoch_s = statistics.fmean(f["epoch_s"]) if f.get("epoch_s") else 0.0
        fewer = max(0, int(f.get("epochs", 0)) - (1 + plan.steady_epochs))
        kept += sum(max(0.0, w - fewer * epoch_s) for w in _per_process(f, "wall_s"))
    share = len(sizes & set(plan.sizes)) / len(sizes) if sizes else 1.0
    generated = {n: statistics.fmean(g) for n, g in per_size.items() if n in plan.sizes and g}
    return kept + rest * share, generated


def study_parts(studies: list[StudyRun], profile: Profile, folder: Path) -> list[Part]:
    parts: list[Part] = []
    generated: dict[int, float] = {}
    for run in studies:
        doc = _newest(sorted((folder / "studies").glob(f"{run.study}.{run.framework}-*.json")))
        seconds: float | None = None
        if doc is not None and isinstance(doc["run"].get("wall_s"), int | float):
            seconds = float(doc["run"]["wall_s"])
            if run.study == "pipeline" and profile.pipeline is not None:
                seconds, made = pipeline_s(doc, profile.pipeline, run.framework)
                generated.update({n: max(s, generated.get(n, 0.0)) for n, s in made.items()})
            if run.study == "serving" and doc.get("findings"):  # in proportion to the deploy paths kept
                kept = {f"{p.key}-{serving.MODEL}" for p in serving.paths_of(run.framework, profile)}
                seconds *= sum(f.get("id") in kept for f in doc["findings"]) / len(doc["findings"])
        parts.append(Part(run.key, f"study: {run.study}", seconds, seconds))
    if generated:  # one invocation generates each data set once, for every framework
        once = sum(generated.values())
        parts.append(Part("study/pipeline (data sets, generated once)", "study: pipeline", once, once))
    return parts


def estimate(runs: list[Run], studies: list[StudyRun], profile: Profile, folder: Path) -> list[Part]:
    """Each planned run's and study's estimate from the results in ``folder`` (one machine's)."""
    return [run_part(run, profile, folder) for run in runs] + study_parts(studies, profile, folder)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:6.1f}"


def table(parts: list[Part], profile: Profile, folder: Path) -> str:
    """Each part's minutes, then each group's and the total, to the first look and to the cap."""
    lines = [f"Estimated minutes for the {profile.name} profile, from the results in {folder} (estimates: a "
             "loaded machine takes longer)", f"{'first look':>10} {'cap':>6}  run or study"]  # fmt: skip
    for part in parts:
        if part.first_s is None or part.most_s is None:
            lines.append(f"{'?':>10} {'?':>6}  {part.key} (no earlier result at these sizes)")
        else:
            lines.append(f"{_minutes(part.first_s):>10} {_minutes(part.most_s)}  {part.key}")
    groups: dict[str, list[Part]] = {}
    for part in parts:
        groups.setdefault(part.group, []).append(part)
    lines.append("")
    for group, members in groups.items():
        first = sum(p.first_s or 0.0 for p in members)
        most = sum(p.most_s or 0.0 for p in members)
        lines.append(f"{_minutes(first):>10} {_minutes(most)}  {group}")
    unknown = sum(p.first_s is None for p in parts)
    first = sum(p.first_s or 0.0 for p in parts)
    most = sum(p.most_s or 0.0 for p in parts)
    lines.append(f"{_minutes(first):>10} {_minutes(most)}  total" + (f" ({unknown} unknown, not counted)" if unknown
                                                                   else ""))  # fmt: skip
    return "\n".join(lines)
