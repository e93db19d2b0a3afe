"""Study results: load and validate them, and keep each machine's newest of each framework.

Study files live in ``results/<machine>/studies/``; each holds one study of one framework
release. The guides show each machine's newest release of each framework, as the
Performance guide does. What each study found is summed up in ``generator.analyse``
(``study_usability``, ``study_systems``, ``study_memory``). No framework is
named here: the frameworks of a study are those in its results, in the registry's order
(``measurements.frameworks.REGISTRY``), and every figure per framework is keyed by its id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from generator.read.load import SAFE_NAME, folder_problem, relative_file, version_key
from measurements import results
from measurements.catalog import STUDIES, Study
from measurements.frameworks import REGISTRY, label
from measurements.results import AnyResult, StudyFile, study_path

T = TypeVar("T")
StudyClaim = tuple[Path, StudyFile]  # a study file and what it holds


def check_study(path: Path, keep: dict[Path, bytes] | None = None) -> tuple[StudyFile | None, list[str]]:
    """Read and validate one study file, of a study in the catalog (``results.check_study``)."""
    return results.check_study(path, STUDIES, keep)


def expected_path(doc: StudyFile, results_dir: Path) -> Path:
    """Where the launcher writes this study result."""
    return study_path(results_dir, doc["machine"]["id"], doc["study"], doc["framework"],
                      doc["software"]["framework"]["version"])  # fmt: skip


def measured(doc: StudyFile) -> tuple[str, str]:
    """What a study found: two files of one study that differ here are a clash."""
    return doc["outcome"]["status"], json.dumps(doc["findings"], sort_keys=True)


def run_label(doc: StudyFile) -> str:
    return f"study/{doc['study']}/{doc['framework']}"


def study_files(results_dir: Path) -> list[Path]:
    return sorted(results_dir.glob("*/studies/*.json"))


def in_registry_order(framework_ids: Iterable[str]) -> list[str]:
    """Framework ids in the order the registry lists them (any it does not know last, by name)."""
    position = {fw: index for index, fw in enumerate(REGISTRY)}
    return sorted(framework_ids, key=lambda fw: (position.get(fw, len(position)), fw))


def and_list(parts: Iterable[str]) -> str:
    """Words joined as prose: "a", "a and b", "a, b and c"."""
    items = list(parts)
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def first_in_full(items: Iterable[T], full: Callable[[T], str], short: Callable[[T], str]) -> str:
    """``and_list`` of the items, the first written in full and the rest in short: "PyTorch wrote 3
    warnings, TensorFlow 5 and JAX 1"."""
    return and_list(full(item) if i == 0 else short(item) for i, item in enumerate(items))


@dataclass
class StudyResult:
    """One study of one framework release on one machine."""

    study: Study
    framework: str
    version: str | None
    doc: StudyFile
    file: str  # under the results folder

    @property
    def ok(self) -> bool:
        return bool(self.doc["outcome"]["status"] == "ok")

    @property
    def findings(self) -> dict[str, Mapping[str, object]]:
        return {str(f["id"]): f for f in self.doc["findings"]}  # a string, as the study schema has it

    @property
    def label(self) -> str:
        return f"{label(self.framework)} {self.version or ''}".strip()


@dataclass
class MachineStudies:
    machine: str
    results: dict[str, dict[str, StudyResult]] = field(default_factory=dict)  # study -> framework -> newest

    def get(self, study: str) -> dict[str, StudyResult]:
        return self.results.get(study, {})

    def ordered(self, study: str) -> list[tuple[str, StudyResult]]:
        """(framework, result) for every framework with a result of the study, completed or not, in registry order."""
        found = self.get(study)
        return [(fw, found[fw]) for fw in in_registry_order(found)]

    def frameworks(self, study: str) -> list[str]:
        """The frameworks whose study completed, in registry order."""
        return [fw for fw, r in self.ordered(study) if r.ok]

    def both(self, study: str) -> list[tuple[str, dict[str, Mapping[str, object]]]]:
        """(id, {framework: its finding}) for each item found by every framework whose study completed (all of
        them, not two: the name is older than the third framework), in the first framework's order, each mapping in
        registry order; nothing where fewer than two completed (there is nothing to set side by side)."""
        frameworks = self.frameworks(study)
        if len(frameworks) < 2:
            return []
        found = {fw: self.get(study)[fw].findings for fw in frameworks}
        first = found[frameworks[0]]
        return [(i, {fw: found[fw][i] for fw in frameworks}) for i in first if all(i in found[fw] for fw in frameworks)]


def load_studies(
    results_dir: Path, keep: dict[Path, bytes] | None = None
) -> tuple[dict[str, MachineStudies], list[str]]:
    """Each machine's newest study results per framework; and one line per bad file. The bytes of
    each file read are put in ``keep`` (see ``results.read_json``)."""
    found, problems = read_studies(results_dir, keep)
    return group_studies(found, results_dir, problems), problems


def read_studies(results_dir: Path, keep: dict[Path, bytes] | None = None) -> tuple[list[StudyClaim], list[str]]:
    """Every valid study file under ``results_dir``, and one line per bad one."""
    found: list[StudyClaim] = []
    problems = []
    for path in study_files(results_dir):
        if not SAFE_NAME.fullmatch(path.name):
            problems.append(f"{path}: not a results file name (letters, digits, '.', '_', '-'); rename it")
            continue
        folder = folder_problem(path)
        if folder is not None:
            problems.append(f"{path}: {folder}")
            continue
        doc, bad = check_study(path, keep)
        if doc is None:
            more = f" (and {len(bad) - 1} more problems)" if len(bad) > 1 else ""
            problems.append(f"{path}: {bad[0]}{more}")
            continue
        found.append((path, doc))
    return found, problems


def group_studies(found: list[StudyClaim], results_dir: Path, problems: list[str]) -> dict[str, MachineStudies]:
    """Each machine's newest study results per framework, of the valid files ``found``; a line in
    ``problems`` for each file left out.

    Of several files of the same study, framework and release on one machine, the one that lies
    where the launcher writes it wins; when none does, all are left out (as for timing runs,
    ``load.resolve_clashes``): a file's place in the sort order never decides."""
    machines: dict[str, MachineStudies] = {}
    claimants: dict[tuple[str, ...], list[StudyClaim]] = {}
    for path, doc in found:
        key = (doc["machine"]["id"], doc["study"], doc["framework"], doc["software"]["framework"]["version"] or "")
        claimants.setdefault(key, []).append((path, doc))
    for group in claimants.values():
        kept = _placed_claimant(group, results_dir, problems)
        if kept is None:
            continue
        path, doc = kept
        machine = machines.setdefault(doc["machine"]["id"], MachineStudies(doc["machine"]["id"]))
        result = StudyResult(STUDIES[doc["study"]], doc["framework"], doc["software"]["framework"]["version"], doc,
                             relative_file(path, results_dir))  # fmt: skip
        by_framework = machine.results.setdefault(doc["study"], {})
        earlier = by_framework.get(doc["framework"])
        if earlier is None or version_key(result.version) > version_key(earlier.version):
            by_framework[doc["framework"]] = result
    return machines


def _placed_claimant(group: list[StudyClaim], results_dir: Path, problems: list[str]) -> StudyClaim | None:
    """The one file of a group that claims the same study result; the others are reported."""
    if len(group) == 1:
        return group[0]
    placed = [(p, d) for p, d in group if p.resolve() == expected_path(d, results_dir).resolve()]
    which = run_label(group[0][1])
    if len(placed) == 1:
        kept = placed[0]
        for path, doc in group:
            if path != kept[0]:
                same = measured(doc) == measured(kept[1])
                problems.append(
                    f"{path}: {'a copy' if same else 'a CLASH'} of {kept[0]} ({which}), which lies where the "
                    f"study writes it and is shown; delete {path.name}"
                )
        return kept
    names = ", ".join(str(p) for p, _ in group)
    problems.append(
        f"{names}: the same study ({which}) in {len(group)} files, none of them alone where the study writes it; "
        f"all are left out. Keep the one you trust at {expected_path(group[0][1], results_dir)} and delete the others"
    )
    return None


PIPELINE_OPTIONAL: dict[str, None] = dict.fromkeys(
    ("title", "epochs", "error", "dataset_bytes", "prepare_s", "first_epoch_samples_per_s",
     "second_epoch_samples_per_s", "cpu_ms_per_sample", "peak_pss_bytes", "other_cpu_share", "same_content",
     "decode_check", "fresh_processes"),
)  # fmt: skip


def cores_needed(study: str) -> int:
    """The cores a machine needs for a verdict on ``study``: its catalog entry's ``cores_needed``
    (1 where any machine will do)."""
    return STUDIES[study].cores_needed or 1


def machine_cores(doc: AnyResult) -> int:
    """The CPUs a results file's process could use (``cpus_available``, else the machine's count)."""
    machine = doc["machine"]
    return int(machine.get("cpus_available") or machine["cpu_count"])
