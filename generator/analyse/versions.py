"""How the figures moved between releases of a framework, measured on the same machine.

For each machine and framework measured at two or more releases, each headline figure of
one release is compared with the same figure of the release before it (same workload, case
and mode), as everywhere else: the speed of the new release ÷ the speed of the old over fresh
processes (``generator.analyse.stats``), judged at a measurement-level band of ±5% (``RELEASE_BAND``), not
at the decision margin between frameworks: a release moves by less than a team would switch
frameworks for and still matters to track. Equivalent within ±5% is "no change"; otherwise an
interval above 1 is an improvement, below 1 a regression, and the rest is too uncertain to call.

"What changed" compares the headline verdicts (the fastest framework's fastest mode against
the fastest of the others) of the machine's two most recent result sets: the newest release
of each framework, and the same with each framework that has an older release stepped back
to it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from generator.analyse.compare import (
    Comparison,
    ModeResult,
    Summary,
    compare,
    describe,
    mode_results,
    speed_unit,
    summarise,
)
from generator.pages import charts
from generator.pages.escape import file_name
from generator.read.load import version_key
from measurements import catalog
from measurements.frameworks import FRAMEWORK_LABELS, MODE_LABELS

KINDS = ("improvement", "regression", "no change", "too uncertain to call", "too few processes to call")

RELEASE_BAND = 1.05  # release over release: a measurement-level band, not the decision margin


@dataclass
class Change:
    """One figure (workload, case, mode) from one release to the next."""

    workload: catalog.Workload
    case: str
    framework: str
    mode: str
    unit: str
    higher_is_better: bool
    old: Summary
    new: Summary
    comparison: Comparison  # the new release's speed ÷ the old one's
    old_file: str
    new_file: str

    @property
    def kind(self) -> str:
        """One of KINDS: from the new release's side, faster is an improvement."""
        if not self.comparison.enough_processes:
            return KINDS[4]
        return {"faster": KINDS[0], "slower": KINDS[1], "equivalent": KINDS[2]}.get(self.comparison.outcome, KINDS[3])

    @property
    def verdict(self) -> str:
        return describe(self.comparison)

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

    workload: catalog.Workload
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

    @property
    def trend(self) -> bool:
        """Whether some framework has two measured releases here: something to show on the Versions page."""
        return any(len(v) > 1 for v in self.releases.values())


def _direction(r: ModeResult) -> str:
    """What a headline verdict says: the framework it favours, "equivalent", or "uncertain"
    (too uncertain to call, or too few processes)."""
    c = r.comparison
    if c is None or not c.enough_processes or c.outcome == "uncertain":
        return "uncertain"
    if c.outcome == "equivalent":
        return "equivalent"
    return r.framework if c.outcome == "faster" else str(r.versus).split("/")[0]


def _timed(rows: pd.DataFrame) -> pd.DataFrame:
    """Successful timing measurements of headline workloads (not the accuracy runs)."""
    headline = {w.name for w in catalog.WORKLOADS.values() if w.headline and w.task != "accuracy"}
    return rows[(rows.status == "ok") & rows.workload.isin(headline) & rows.samples.notna()]


def _releases(rows: pd.DataFrame) -> dict[str, list[str]]:
    found = rows.dropna(subset=["framework_version"]).groupby("framework")["framework_version"]
    return {str(fw): sorted(set(versions), key=version_key) for fw, versions in found}


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
        metric = catalog.METRICS[row.metric]
        changes.append(Change(
            workload=catalog.workload(row.workload), case=row.case, framework=framework, mode=row.mode,
            unit=row.unit, higher_is_better=metric.higher_is_better,
            old=summarise(was.samples), new=summarise(row.samples),
            comparison=compare(row.samples, was.samples, unit=speed_unit(metric), band=RELEASE_BAND),
            old_file=was.file, new_file=row.file,
        ))  # fmt: skip
    return Step(framework, old, new, changes)


def headline_verdicts(rows: pd.DataFrame) -> dict[tuple[str, str], ModeResult]:
    """The fastest framework's fastest mode against the fastest of the others, per (workload,
    case), in one result set."""
    found = {}
    for (workload, case), group in rows.groupby(["workload", "case"], sort=False):
        fastest = mode_results(group).headline
        if fastest is not None:
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
    if not found.trend:
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
        found.verdicts.append(VerdictChange(catalog.workload(key[0]), key[1], was, after, why))
    found.verdicts.sort(key=lambda v: not v.changed)  # the verdicts that changed first
    return found


def change_chart(machine: str, s: Step, out: Path) -> str:
    """Each figure's new-over-old speed ratio with its 95% interval, on a log scale; 1 is no change."""
    frame = pd.DataFrame([
        {"figure": f"{c.workload.title}: {c.case}, {c.label}", "ratio": c.comparison.ratio,
         "low": c.comparison.low, "high": c.comparison.high, "kind": c.kind, "verdict": c.verdict}
        for c in s.changes
    ])  # fmt: skip
    name = FRAMEWORK_LABELS.get(s.framework, s.framework)
    title = f"{name} {s.old} → {s.new}: each figure's new speed over its old (above 1: faster)"
    chart = charts.change_chart(frame, title)
    return charts.save(chart, out, file_name(f"{machine}-versions-{s.framework}-{s.old}-{s.new}"))
