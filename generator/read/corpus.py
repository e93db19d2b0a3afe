"""The results, loaded once: every page, claim and recommendation, and the CLI, read from here.

A results folder holds one folder per machine: timing runs (``<machine>/*.json``) and studies
(``<machine>/studies/*.json``). ``load`` reads and checks every file once (a bad file is a
problem line and is left out), keeps one profile per machine, workload and device
(``load.one_profile``), and gathers what the rules read per machine (``evidence.Machine``: its
timing cases, each with every mode measured, and its studies). ``Corpus.reference`` is the one
rule for the machine the site shows first and the CLI recommends for.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from generator.analyse import noise as analyse_noise
from generator.judge import evidence
from generator.read import load, plausible, studies
from measurements import UserError
from measurements.results import ROOT, AnyResult, Result


@dataclass
class Corpus:
    results_dir: Path
    loaded: load.Loaded  # every good timing file and one line per bad one
    everything: pd.DataFrame  # every release measured, one profile per machine, workload and device
    frame: pd.DataFrame  # the newest release of each framework: what the guides show
    smaller_profile: list[str]  # notes on the smaller profiles' files left out
    studies: dict[str, studies.MachineStudies] = field(default_factory=dict)
    study_problems: list[str] = field(default_factory=list)
    machines: dict[str, evidence.Machine] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)  # each file's bytes as validated, by its name under results_dir
    # the A/A controls' rows (``RunRecord.control``), kept out of ``everything`` and ``frame``: no guide
    # shows them as a framework, and each machine's noise floor is read from them (``noise``)
    controls: pd.DataFrame = field(default_factory=pd.DataFrame)
    noise: dict[str, analyse_noise.MachineNoise] = field(default_factory=dict)

    def floor(self, machine: str) -> float | None:
        """The machine's noise floor, where its A/A control gives one (``generator.analyse.noise``)."""
        found = self.noise.get(machine)
        return found.floor if found else None

    @property
    def problems(self) -> list[str]:
        """Every line about a file left out, naming files as they were given (for the command line)."""
        return self.loaded.problems + self.smaller_profile + self.study_problems

    def files_per_machine(self) -> Counter[str]:
        """How many results files (timing runs and studies) each machine has."""
        found: Counter[str] = Counter(doc["machine"]["id"] for _, doc in self.loaded.results)
        for machine, ms in self.studies.items():
            found[machine] += sum(len(per) for per in ms.results.values())
        return found

    def reference(self, chosen: str | None = None) -> str | None:
        """The machine the guides show first and recommend for: ``chosen`` (``--machine``,
        ``--reference``), else ``reference-machine`` under ``[tool.framework-guide]`` in
        pyproject.toml where it has results, else the machine with the most results files."""
        if chosen is not None and chosen not in self.machines:
            known = ", ".join(self.machines) or "none"
            raise UserError(f"no results for machine {chosen!r}; measured machines: {known}")
        if chosen is not None:
            return chosen
        configured = configured_reference()
        if configured in self.machines:
            return configured
        counts = self.files_per_machine()
        return max(sorted(self.machines), key=lambda m: counts[m], default=None)  # the first of equals


def configured_reference() -> str | None:
    """``reference-machine`` under ``[tool.framework-guide]`` in pyproject.toml, if set."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text()).get("tool", {}).get("framework-guide", {})
    chosen = config.get("reference-machine")
    return chosen if isinstance(chosen, str) else None


def load_corpus(results_dir: Path) -> Corpus:
    """Every results file under ``results_dir``, read and checked once; of those, only the files
    plausible for their machine (``plausible``) go on."""
    loaded = load.load_results(load.result_files(results_dir))
    found_studies, study_problems = studies.read_studies(results_dir, loaded.raw)
    found_studies = _one_machine_each(loaded, found_studies, study_problems)
    _within_ceiling(loaded)
    by_machine = studies.group_studies(found_studies, results_dir, study_problems)
    everything, smaller = load.one_profile(load.to_frame(loaded.results, results_dir))
    frame = load.current(everything) if loaded.results else pd.DataFrame()
    (everything, _), (frame, controls) = _apart(everything), _apart(frame)
    docs = {load.relative_file(path, results_dir): doc for path, doc in loaded.results}
    raw = {load.relative_file(path, results_dir): data for path, data in loaded.raw.items()}
    shown: dict[str, dict[str, Result]] = {}  # the documents the guides show and their controls', by machine
    for file in [*frame.get("file", []), *controls.get("file", [])]:
        shown.setdefault(docs[file]["machine"]["id"], {})[file] = docs[file]
    noise = {m: analyse_noise.machine_noise(m, found) for m, found in sorted(shown.items())}
    floors = {m: n.floor for m, n in noise.items()}
    return Corpus(results_dir, loaded, everything, frame, smaller, by_machine, study_problems,
                  evidence.from_results(frame, by_machine, docs, floors), raw, controls, noise)  # fmt: skip


def _apart(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the rows of runs, the rows of A/A controls)."""
    if frame.empty:
        return frame, frame
    control = frame["control"] != ""
    return frame[~control], frame[control]


def _one_machine_each(
    loaded: load.Loaded, found_studies: list[studies.StudyClaim], study_problems: list[str]
) -> list[studies.StudyClaim]:
    """Leave out (with a line each) the files whose hardware differs from most of their machine's
    files, timing runs and studies together; returns the studies kept."""
    docs: list[AnyResult] = [doc for _, doc in loaded.results]
    docs += [doc for _, doc in found_studies]
    by_machine: dict[str, list[AnyResult]] = {}
    for doc in docs:
        by_machine.setdefault(doc["machine"]["id"], []).append(doc)
    expected = {m: plausible.machine_fingerprint(docs) for m, docs in by_machine.items()}

    def problem(doc: AnyResult) -> str | None:
        fingerprint = expected[doc["machine"]["id"]]
        return None if fingerprint is None else plausible.fingerprint_problem(doc, fingerprint)

    kept = []
    for path, doc in loaded.results:
        if (why := problem(doc)) is None:
            kept.append((path, doc))
        else:
            loaded.lines.append(load.problem_line(path, why))
    loaded.results = kept
    kept_studies = []
    for path, doc in found_studies:
        if (why := problem(doc)) is None:
            kept_studies.append((path, doc))
        else:
            study_problems.append(f"{path}: {why}")
    return kept_studies


def _within_ceiling(loaded: load.Loaded) -> None:
    """Leave out (with a line each) the timing files with a figure far beyond what their machine
    can compute (``plausible.ceiling_problem``)."""
    found = plausible.ceilings(doc for _, doc in loaded.results)
    kept = []
    for path, doc in loaded.results:
        if (why := plausible.ceiling_problem(doc, found)) is None:
            kept.append((path, doc))
        else:
            loaded.lines.append(load.problem_line(path, why))
    loaded.results = kept


def docs_shown(corpus: Corpus) -> dict[str, list[Result]]:
    """The timing documents the guides show (the newest release, one profile), by machine."""
    shown = set(corpus.frame["file"]) if not corpus.frame.empty else set()
    found: dict[str, list[Result]] = {}
    for path, doc in corpus.loaded.results:
        if load.relative_file(path, corpus.results_dir) in shown:
            found.setdefault(doc["machine"]["id"], []).append(doc)
    return found
