"""How the figures moved between releases of a framework, measured on the same machine.

For each machine and framework measured at two or more releases, each headline figure of
one release is compared with the same figure of the release before it (same workload, case
and mode): the ratio of medians with its interval and the Mann-Whitney test, as everywhere
else. A significant, meaningful change is an improvement or a regression.

"What changed" compares the headline verdicts (PyTorch's fastest against TensorFlow's
fastest) of the machine's two most recent result sets: the newest release of each framework,
and the same with each framework that has an older release stepped back to it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from generator import charts
from generator.compare import Comparison, ModeResult, Summary, best, compare, describe, mode_results, summarise
from generator.escape import file_name
from generator.load import version_key
from measurements import workloads
from measurements.frameworks import FRAMEWORK_LABELS, MODE_LABELS


@dataclass
class Change:
    """One figure (workload, case, mode) from one release to the next."""

    workload: workloads.Workload
    case: str
    framework: str
    mode: str
    unit: str
    higher_is_better: bool
    old: Summary
    new: Summary
    comparison: Comparison  # the new release against the old
    old_file: str
    new_file: str

    @property
    def kind(self) -> str:
        if not self.comparison.meaningful:
            return "no meaningful change"
        better = (self.comparison.ratio > 1) == self.higher_is_better
        return "improvement" if better else "regression"

    @property
    def verdict(self) -> str:
        return describe(self.comparison, self.higher_is_better)

    @property
    def label(self) -> str:
        return MODE_LABELS.get((self.framework, self.mode), self.mode)


@dataclass
class Step:
    """A framework from one measured release to the next, on one machine."""

    framework: str
    old: str
    new: str
    changes: list[Change]
    chart: str = ""

    def count(self, kind: str) -> int:
        return sum(c.kind == kind for c in self.changes)


@dataclass
class VerdictChange:
    """A headline verdict in the previous result set and in the current one."""

    workload: workloads.Workload
    case: str
    before: ModeResult
    after: ModeResult
    why: list[Change]  # how the fastest modes of the frameworks that moved changed

    @property
    def changed(self) -> bool:
        return _direction(self.before) != _direction(self.after)


@dataclass
class MachineVersions:
    machine: str
    releases: dict[str, list[str]]  # framework -> measured releases, oldest first
    steps: list[Step] = field(default_factory=list)
    previous: dict[str, str] = field(default_factory=dict)  # framework -> release, the set before the newest
    verdicts: list[VerdictChange] = field(default_factory=list)

    @property
    def current(self) -> dict[str, str]:
        return {fw: versions[-1] for fw, versions in self.releases.items()}

    @property
    def changed_verdicts(self) -> list[VerdictChange]:
        return [v for v in self.verdicts if v.changed]


def _direction(r: ModeResult) -> str:
    """Who a headline verdict favours: "PyTorch", "TensorFlow" or "neither"."""
    c = r.comparison
    if c is None or not c.meaningful:
        return "neither"
    return "PyTorch" if (c.ratio > 1) == r.higher_is_better else "TensorFlow"


def _timed(rows: pd.DataFrame) -> pd.DataFrame:
    """Successful timing measurements of headline workloads (not the accuracy runs)."""
    headline = {w.name for w in workloads.REGISTRY.values() if w.headline and w.task != "accuracy"}
    return rows[(rows.status == "ok") & rows.workload.isin(headline) & rows.samples.notna()]


def _releases(rows: pd.DataFrame) -> dict[str, list[str]]:
    found = rows.dropna(subset=["framework_version"]).groupby("framework")["framework_version"]
    return {fw: sorted(set(versions), key=version_key) for fw, versions in found if fw in ("pytorch", "tensorflow")}


def step(rows: pd.DataFrame, framework: str, old: str, new: str) -> Step:
    """Each figure measured at both releases, the new against the old."""
    own = rows[rows.framework == framework]
    before = own[own.framework_version == old].set_index(["workload", "case", "mode"])
    changes = []
    for row in own[own.framework_version == new].itertuples():
        key = (row.workload, row.case, row.mode)
        if key not in before.index:
            continue
        was = before.loc[key]
        metric = workloads.METRICS[row.metric]
        changes.append(Change(
            workload=workloads.get(row.workload), case=row.case, framework=framework, mode=row.mode,
            unit=row.unit, higher_is_better=metric.higher_is_better,
            old=summarise(was.samples, was.samples_per_round), new=summarise(row.samples, row.samples_per_round),
            comparison=compare(row.samples, was.samples, row.samples_per_round, was.samples_per_round),
            old_file=was.file, new_file=row.file,
        ))  # fmt: skip
    return Step(framework, old, new, changes)


def headline_verdicts(rows: pd.DataFrame) -> dict[tuple[str, str], ModeResult]:
    """PyTorch's fastest mode against TensorFlow's, per (workload, case), in one result set."""

    found = {}
    for (workload, case), group in rows.groupby(["workload", "case"], sort=False):
        results, _ = mode_results(group)
        fastest = best(results, "pytorch")
        if fastest is not None and fastest.comparison is not None:
            found[(str(workload), str(case))] = fastest
    return found


def _in_set(rows: pd.DataFrame, releases: dict[str, str]) -> pd.DataFrame:
    keep = rows.framework.map(releases) == rows.framework_version
    return rows[keep]


def machine_versions(machine: str, rows: pd.DataFrame, out: Path) -> MachineVersions:
    """Every release step of every framework on ``machine``, and what changed in the verdicts."""
    timed = _timed(rows)
    found = MachineVersions(machine, _releases(timed))
    for framework, releases in found.releases.items():
        for old, new in itertools.pairwise(releases):
            s = step(timed, framework, old, new)
            if s.changes:
                s.chart = change_chart(machine, s, out)
                found.steps.append(s)
    if not any(len(v) > 1 for v in found.releases.values()):
        return found
    found.previous = {
        fw: versions[-2] if len(versions) > 1 else versions[-1] for fw, versions in found.releases.items()
    }
    now, before = headline_verdicts(_in_set(timed, found.current)), headline_verdicts(_in_set(timed, found.previous))
    moved = {fw for fw in found.releases if found.previous[fw] != found.current[fw]}
    last_steps = {s.framework: s for s in found.steps if s.framework in moved and s.new == found.current[s.framework]}
    for key, after in now.items():
        if key not in before:
            continue
        was = before[key]
        fastest = {(after.framework, after.mode), tuple(str(after.versus).split("/"))}
        fastest |= {(was.framework, was.mode), tuple(str(was.versus).split("/"))}
        why = [
            c
            for s in last_steps.values()
            for c in s.changes
            if (c.workload.name, c.case) == key and (c.framework, c.mode) in fastest
        ]
        found.verdicts.append(VerdictChange(workloads.get(key[0]), key[1], was, after, why))
    found.verdicts.sort(key=lambda v: not v.changed)  # the verdicts that changed first
    return found


def change_chart(machine: str, s: Step, out: Path) -> str:
    """Each figure's new-over-old ratio with its 95% interval, on a log scale; 1 is no change."""
    frame = pd.DataFrame([
        {"figure": f"{c.workload.title}: {c.case}, {c.label}", "ratio": c.comparison.ratio,
         "low": c.comparison.low, "high": c.comparison.high, "kind": c.kind, "verdict": c.verdict}
        for c in s.changes
    ])  # fmt: skip
    name = FRAMEWORK_LABELS.get(s.framework, s.framework)
    title = f"{name} {s.old} → {s.new}: each figure's new median over its old (higher is more, for rates)"
    chart = charts.change_chart(frame, title)
    return charts.save(chart, out, file_name(f"{machine}-versions-{s.framework}-{s.old}-{s.new}"))
