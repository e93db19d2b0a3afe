"""Merge results from other machines (CI artifacts, files sent by colleagues) into one folder.

Sources are untrusted: every file is validated before it is copied, it lands where the
harness would have written it (computed from its content, never from its name), symbolic
links are not followed, and a result that disagrees with one already there is reported,
never overwritten.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.read import load, plausible, studies
from measurements import UserError
from measurements.lock import exclusive
from measurements.results import AnyResult, check_file, expected_path, run_label, write_json_atomic


@dataclass
class Merged:
    merged: list[Path] = field(default_factory=list)  # files written into the results folder
    already: list[Path] = field(default_factory=list)  # sources whose numbers were there already
    clashes: list[str] = field(default_factory=list)  # one line each: same run, different numbers
    bad: list[str] = field(default_factory=list)  # one line each: invalid files, links, unreadable entries

    @property
    def problems(self) -> list[str]:
        return self.clashes + self.bad

    def summary(self, into: Path) -> str:
        return (
            f"{len(self.merged)} merged, {len(self.already)} already there, {len(self.clashes)} clashes, "
            f"{len(self.bad)} bad, into {into}"
        )


def source_files(source: Path, bad: list[str]) -> list[Path]:
    """The .json files under ``source``, at any depth, sorted; dot files and dot folders are
    ignored, and symbolic links are reported, never followed."""
    found = []
    for folder, dirs, files in os.walk(source, followlinks=False):
        here = Path(folder)
        for name in sorted(dirs):
            if name.startswith("."):
                dirs.remove(name)
            elif (here / name).is_symlink():
                bad.append(f"{here / name}: a symbolic link; not followed, copy what it points to instead")
        for name in files:
            path = here / name
            if name.startswith(".") or not name.endswith(".json"):
                continue
            if path.is_symlink():
                bad.append(f"{path}: a symbolic link; not followed, copy the file itself instead")
            elif path.is_file():
                found.append(path)
    return sorted(found)


def merge(sources: list[Path], into: Path) -> Merged:
    """Copy every valid result under ``sources`` into ``into``, where the harness would write it.
    Each file is judged alone: one that cannot be read, checked or placed is one line in
    ``bad``, and the others are still merged."""
    for source in sources:
        if not source.is_dir():
            raise UserError(f"{source}: not a folder; give results folders or machine folders to merge")
    result = Merged()
    # what this merge wrote, so that two sources disagreeing are told apart from a file there before
    written: dict[Path, tuple[Path, AnyResult]] = {}
    checked: list[tuple[Path, Kind, AnyResult | None, str | None]] = []
    for source in sources:
        for path in source_files(source, result.bad):
            kind = kind_of(path)
            try:
                doc, problems = kind.check(path)
            except Exception as exc:  # untrusted input: any failure is this file's problem
                doc, problems = None, [load.unexpected(exc)]
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            checked.append((path, kind, doc, None if doc is not None else f"{problems[0]}{more}"))
    fingerprints = _fingerprints([doc for _, _, doc, _ in checked if doc is not None], into)
    with ExitStack() as locks:
        locked: dict[Path, str | None] = {}  # machine folder -> why it could not be locked (None: locked)
        for path, kind, doc, bad in checked:
            why = bad
            if doc is not None:
                try:
                    why = _merge_one(path, kind, doc, into, written, result, locks, locked, fingerprints)
                except Exception as exc:  # untrusted input: any failure is this file's problem
                    why = load.unexpected(exc)
            if why is not None:
                result.bad.append(f"{path}: {why}; not merged")
    return result


def _fingerprints(docs: list[AnyResult], into: Path) -> dict[str, plausible.Fingerprint]:
    """The one fingerprint of each machine the merge writes into: that of the files already in its
    folder under ``into`` where it has any, else that of most of the files merged into it."""
    incoming: dict[str, list[AnyResult]] = {}
    for doc in docs:
        incoming.setdefault(doc["machine"]["id"], []).append(doc)
    found = {}
    for machine, theirs in incoming.items():
        folder = into / machine
        there = [] if folder.is_symlink() or not folder.is_dir() else _valid_docs(folder)
        fingerprint = plausible.machine_fingerprint(there or theirs)
        if fingerprint is not None:
            found[machine] = fingerprint
    return found


def _valid_docs(folder: Path) -> list[AnyResult]:
    """The valid results documents in a machine folder, timing runs and studies."""
    paths = sorted(folder.glob("*.json")) + sorted(folder.glob("studies/*.json"))
    docs = [kind_of(path).check(path)[0] for path in paths]
    return [doc for doc in docs if doc is not None]


def _merge_one(
    path: Path,
    kind: Kind,
    doc: AnyResult,
    into: Path,
    written: dict[Path, tuple[Path, AnyResult]],
    result: Merged,
    locks: ExitStack,
    locked: dict[Path, str | None],
    fingerprints: dict[str, plausible.Fingerprint],
) -> str | None:
    """Merge one valid file; returns why it was not merged, if it was bad."""
    expected = fingerprints.get(doc["machine"]["id"])
    if expected is not None and (other := plausible.fingerprint_problem(doc, expected)) is not None:
        return other
    target = kind.target(doc, into)
    unsafe = unsafe_target(target, into)
    if unsafe is not None:
        return unsafe
    folder = into / target.relative_to(into).parts[0]
    if folder not in locked:  # no measurement writes there meanwhile
        try:
            locks.enter_context(exclusive(folder))
            locked[folder] = None
        except UserError as exc:
            locked[folder] = str(exc)
    if locked[folder] is not None:
        return locked[folder]
    _place(path, doc, target, written, result, kind)
    return None


def unsafe_target(target: Path, into: Path) -> str | None:
    """Why writing ``target`` might land outside ``into``, if it might: a name that climbs out,
    or a symbolic link on the way (the machine folder, the studies folder, the file itself, or
    the lock file the merge writes in the machine folder). ``into`` itself is the user's choice."""
    try:
        parts = target.relative_to(into).parts
    except ValueError:
        return f"{target} would lie outside {into}"
    if len(parts) < 2 or any(part in (".", "..") for part in parts):  # a machine folder, then a file
        return f"{target} would lie outside a machine folder of {into}"
    on_the_way = [into.joinpath(*parts[:i]) for i in range(1, len(parts) + 1)] + [into / parts[0] / ".lock"]
    for link in filter(Path.is_symlink, on_the_way):
        return (
            f"{link} is a symbolic link, and merge never writes through one; replace it with a real "
            f"{'file' if link == target else 'folder'} (or delete it) and merge again"
        )
    if not target.resolve().is_relative_to(into.resolve()):
        return f"{target} resolves to {target.resolve()}, outside {into}"
    return None


@dataclass(frozen=True)
class Kind:
    """How one kind of results file is checked, placed and compared: timing runs or studies."""

    # each function takes a document of its own kind (a Result or a StudyFile), as ``check`` returns it
    check: Callable[[Path], tuple[AnyResult | None, list[str]]]
    target: Callable[[Any, Path], Path]
    measured: Callable[[Any], object]
    label: Callable[[Any], str]


TIMING = Kind(check_file, expected_path, load.measured, run_label)
STUDY = Kind(studies.check_study, studies.expected_path, studies.measured, studies.run_label)


def kind_of(path: Path) -> Kind:
    """Study results sit in a ``studies`` folder; everything else is a timing run."""
    return STUDY if path.parent.name == "studies" else TIMING


def _place(
    path: Path,
    doc: AnyResult,
    target: Path,
    written: dict[Path, tuple[Path, AnyResult]],
    result: Merged,
    kind: Kind = TIMING,
) -> None:
    """Write one valid result to ``target``, unless the same numbers or a clashing result are there."""
    if target.resolve() == path.resolve():
        result.already.append(path)  # a results folder merged into itself
    elif target in written:
        first, first_doc = written[target]
        if kind.measured(doc) == kind.measured(first_doc):
            result.already.append(path)
        else:
            result.clashes.append(_clash(path, doc, f"{first} (merged first, into {target})", kind))
    elif target.exists() or target.is_symlink():
        there, _ = kind.check(target)
        if there is None:
            result.clashes.append(
                f"{path}: not merged, {target} is already there but not a valid results file; delete it and merge again"
            )
        elif kind.measured(doc) == kind.measured(there):
            result.already.append(path)
        else:
            result.clashes.append(_clash(path, doc, str(target), kind))
    else:
        write_json_atomic(target, doc)
        written[target] = path, doc
        result.merged.append(target)


def _clash(path: Path, doc: AnyResult, kept: str, kind: Kind) -> str:
    run = kind.label(doc)
    return (
        f"{path}: CLASH, not merged: the same run ({run} on {doc['machine']['id']}) as {kept}, with different "
        f"numbers; that one is kept. To take this one instead, delete the kept file and merge again, or "
        f"re-measure with `nox -s measure -- --only '{run}' --redo`"
    )
