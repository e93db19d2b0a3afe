"""What a verdict rests on: the machines and their hardware, the model sizes, the framework
releases and the dates, read from the results files of its comparisons.

Every recommendation names these, so that a reader can tell whether it speaks about hardware
and models like theirs; nothing here is written by hand.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypedDict

from measurements import catalog
from measurements.frameworks import FRAMEWORK_LABELS
from measurements.results import AnyResult, Gpu, Machine, read_planned, size_key


def parameter_count(workload: str, params: Mapping[str, object]) -> int | None:
    """A workload's parameters at one case's sizes, where they are sizes its spec plans
    (``data/planned.json``): never a size read from a results file."""
    planned = read_planned().get(workload)
    if planned is None or not isinstance(params, dict):
        return None
    return planned["parameters"].get(size_key(params))


def count_words(n: float) -> str:
    """A parameter count in words: 77k, 1.9M, 25.6M."""
    if n >= 1e6:
        return f"{n / 1e6:.3g}M"
    return f"{n / 1e3:.3g}k" if n >= 1e3 else f"{n:.0f}"


def machine_name(machine: Machine) -> str:
    """A machine as a reader names it, from the results' record of it (CPU model, CPUs, GPUs), never
    from its id: "Intel Xeon, 16 cores, NVIDIA H100 80 GB", "AMD EPYC, 2 cores"."""
    cpu = re.sub(r"\((?:R|TM|C)\)|\bProcessor\b|\bCPU\s*@.*$", " ", str(machine.get("cpu_model") or ""), flags=re.I)
    said = [plain(cpu) or "unknown CPU"]
    cores = machine.get("cpus_available") or machine.get("cpu_count")
    if isinstance(cores, int) and cores > 0:
        said.append(f"{cores} core{'s' if cores != 1 else ''}")
    gpus = Counter(gpu_name(g) for g in machine.get("gpus") or [])
    said += [name if n == 1 else f"{n} × {name}" for name, n in gpus.items()]
    return ", ".join(said)


def gpu_name(gpu: Gpu) -> str:
    """A GPU's name with its memory as a reader writes it: "NVIDIA H100 80GB HBM3" reads "NVIDIA H100 80 GB"."""
    name = gpu["name"] or "a GPU"
    return plain(re.sub(r"(\d+)\s*GB\b.*$", r"\1 GB", name)) or "a GPU"


def plain(name: str) -> str:
    """A hardware name in the characters such names use (letters, digits, spaces and ``-.,+/()@_``),
    at most 100 of them: a name is read from a results file, and no markup in it reaches a sentence."""
    return " ".join(re.sub(r"[^\w .,+/()@-]", " ", name).split())[:100]


def machine_names(records: Mapping[str, Machine]) -> dict[str, str]:
    """Each machine id's name (``machine_name`` of its record); where two machines share a name, each
    keeps its id beside it, so that no two read the same."""
    names = {mid: machine_name(record) for mid, record in records.items()}
    shared = Counter(names.values())
    return {mid: name if shared[name] == 1 else f"{name} ({mid})" for mid, name in names.items()}


class ProvenanceJson(TypedDict):
    machines: list[str]
    models: list[str]
    versions: list[str]
    first: str
    last: str
    interleaved: bool  # false where some timing result's rounds were measured apart (before round ids)


@dataclass(frozen=True)
class Provenance:
    """What a set of comparisons was measured on, with, and when."""

    machines: tuple[str, ...]  # machine_name of each
    models: tuple[str, ...]  # "MLP classifier (small): 0.67M parameters", ...
    versions: tuple[str, ...]  # "PyTorch 2.13.0+cpu", ...
    first: str  # the earliest date measured, YYYY-MM-DD
    last: str
    apart: bool = False  # some timing result has rounds measured before round ids: frameworks not interleaved

    @property
    def dates(self) -> str:
        return self.first if self.first == self.last else f"{self.first} to {self.last}"

    @property
    def short(self) -> str:
        """The machines and the dates: "AMD EPYC, 2 cores, 2026-11-27"."""
        return f"{'; '.join(self.machines)}, {self.dates}"

    @property
    def where_when(self) -> str:
        """ "Measured on M with V, D." without the models."""
        return f"Measured on {'; '.join(self.machines)}, with {', '.join(self.versions)}, {self.dates}."

    @property
    def text(self) -> str:
        """One sentence: "Measured on M with V, from D; models: ..."."""
        said = f"Measured on {'; '.join(self.machines)}, with {', '.join(self.versions)}, {self.dates}"
        said += "; the frameworks measured apart, not interleaved in rounds" if self.apart else ""
        return said + (f"; models: {'; '.join(self.models)}." if self.models else ".")

    def to_json(self) -> ProvenanceJson:
        return {"machines": list(self.machines), "models": list(self.models), "versions": list(self.versions),
                "first": self.first, "last": self.last, "interleaved": not self.apart}  # fmt: skip


def _models(docs: list[AnyResult]) -> list[str]:
    """The model sizes behind the documents: each timing workload's parameter counts, and the range
    of sizes a study measured where its findings record them (the memory study's MLPs)."""
    sizes: dict[str, set[int]] = {}
    for doc in docs:
        if "study" in doc:
            counted = {n for f in doc.get("findings") or [] if isinstance(n := f.get("parameters"), int)}
            if counted:
                sizes.setdefault(f"the {doc['study']} study's models", set()).update(counted)
            continue
        name = doc["run"]["workload"]
        workload = catalog.WORKLOADS.get(name)
        if workload is None or workload.task not in ("train", "infer"):
            continue
        title = workload.title.split(",")[0]
        for m in doc.get("measurements") or []:
            n = parameter_count(name, m.get("params") or {})
            if n:
                sizes.setdefault(title, set()).add(n)
    found = []
    for title, counts in sizes.items():
        low, high = min(counts), max(counts)
        span = count_words(low) if low == high else f"{count_words(low)} to {count_words(high)}"
        found.append(f"{title}, {span} parameters")
    return sorted(found)


def of_files(files: Iterable[str], docs: Mapping[str, AnyResult]) -> Provenance | None:
    """The provenance of the results files ``files`` (their documents in ``docs``); None for none."""
    found = [docs[f] for f in dict.fromkeys(files) if f in docs]
    if not found:
        return None
    machines = {d["machine"]["id"]: machine_name(d["machine"]) for d in found}
    versions = {
        f"{FRAMEWORK_LABELS.get(fw['name'], fw['name'])} {fw['version']}"
        for d in found
        if (fw := d["software"]["framework"]).get("version")
    }
    dates = sorted(str(d["run"]["started_at"])[:10] for d in found)
    apart = any("id" not in one for d in found if "rounds" in d for one in d["rounds"])
    return Provenance(tuple(machines[m] for m in sorted(machines)), tuple(_models(found)), tuple(sorted(versions)),
                      dates[0], dates[-1], apart)  # fmt: skip
