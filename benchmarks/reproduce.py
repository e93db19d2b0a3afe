"""How many verdicts are decided, and does a second measurement contradict the first?

    python -m benchmarks.reproduce results                    # the share decided, per machine
    python -m benchmarks.reproduce results --require-decided  # and exit 1 under 75% at a glance
    python -m benchmarks.reproduce FIRST SECOND               # what changed between two measurements

Reads a results folder as the site build reads it (``corpus.load_corpus``: each machine's noise
floor, the newest release, one profile) and lists every comparison a verdict rests on, each as the
generator judges it (nothing is recomputed here):

- **at a glance**: every pair of frameworks of each headline case of the Performance page (by
  their primary modes, ``CaseModes.pairwise``, inside the machine's noise floor), and the import
  time row;
- **claims**: every item of every claim on every machine, as in ``claims.json``;
- **use cases**: every pair of every use case's decision, as in ``recommendations.json``.

A comparison is decided when it calls a framework ahead (faster or slower) or the two equivalent
within δ; too uncertain to call, within the noise floor, single readings and untestable are not.
With one folder, prints the share decided per machine and kind; ``--require-decided`` exits 1
when under 75% of the reference machine's at-a-glance comparisons are decided (issue 27), counted
over every pair and over the page table's rows alone (the fastest against the next), each.
With two, matches the comparisons by (machine, what, pair) and prints each change: a
contradiction (the pair's winner flipped), another decided call (ahead ↔ equivalent), decided →
undecided, undecided → decided; then how many of each, and each comparison found in one folder
only. Exits 1 on any contradiction. A folder still being measured (its lock held) is refused.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from generator.analyse.compare import bound
from generator.analyse.stats import Ratio
from generator.judge import claims, decide, evidence, usecases
from generator.pages.performance import import_times
from generator.read import corpus
from measurements import UserError, lock

REQUIRED = 0.75  # the share of at-a-glance comparisons decided that issue 27 asks for
KINDS = ("at a glance", "claims", "use cases")
FLOOR = "within the noise floor"
DECIDED = "equivalent"  # with a framework ahead: every other call is undecided
SAYS = ("ahead", DECIDED, "uncertain", FLOOR, "single", "untestable")  # the order counts are printed in

Key = tuple[str, str, str, tuple[str, str]]  # (kind, machine, what, pair in sorted order)


@dataclass(frozen=True)
class Call:
    """One comparison of two frameworks and what it says: the framework ahead, "equivalent",
    "uncertain", "within the noise floor", "single" (single readings) or "untestable"."""

    kind: str
    machine: str
    what: str
    pair: tuple[str, str]
    says: str
    detail: str = ""
    row: bool = False  # at a glance: the pair the page's table shows (the fastest against the next)

    @property
    def key(self) -> Key:
        return (self.kind, self.machine, self.what, (min(self.pair), max(self.pair)))

    @property
    def decided(self) -> bool:
        return self.says in self.pair or self.says == DECIDED

    @property
    def words(self) -> str:
        said = f"{self.says} ahead" if self.says in self.pair else self.says
        return f"{said} ({self.detail})" if self.detail else said


def ratio_says(r: Ratio, sides: tuple[str, str]) -> str:
    """What a comparison (speed of sides[0] ÷ sides[1]) says, by its own call (``evidence.call_of``)."""
    call = evidence.call_of(r)
    if call == "favours":
        return sides[0] if r.outcome == "faster" else sides[1]
    return FLOOR if r.within_floor else call


def ratio_detail(r: Ratio) -> str:
    """The ratio and its interval, in short: "ratio 1.52, 1.30–1.78"."""
    return f"ratio {r.ratio:.2f}" + ("" if r.low is None or r.high is None else f", {bound(r.low)}–{bound(r.high)}")


def at_a_glance(found: corpus.Corpus) -> list[Call]:
    """Every pair of frameworks of each headline case, and the import time row, per machine."""
    calls = []
    shown = corpus.docs_shown(found)
    for machine in found.machines.values():
        for case in machine.cases:
            pairs = case.modes.pairwise
            if not case.workload.headline or pairs is None:
                continue
            what = f"{case.workload.name} {case.case}" + ("" if case.device == "cpu" else f" ({case.device})")
            top = case.modes.headline
            row = {top.framework, (top.versus or "").split("/")[0]} if top else set()
            calls += [Call(KINDS[0], machine.id, what, (a, b), ratio_says(r, (a, b)), ratio_detail(r), {a, b} == row)
                      for (a, b), r in pairs.pairs.items()]  # fmt: skip
        imports = import_times(shown.get(machine.id, []))
        if imports.comparison and imports.faster and imports.versus:
            sides = (imports.faster, imports.versus)
            calls.append(Call(KINDS[0], machine.id, "import time", sides, ratio_says(imports.comparison, sides),
                              ratio_detail(imports.comparison), row=True))  # fmt: skip
    return calls


def item_call(kind: str, machine: str, what: str, item: evidence.Item) -> Call:
    says = FLOOR if item.ratio is not None and item.ratio.within_floor and not item.winner else item.vote
    return Call(kind, machine, what, item.sides, says, ratio_detail(item.ratio) if item.ratio else "")


def verdicts(found: corpus.Corpus) -> list[Call]:
    """The items of every claim on every machine, and every use case's pairs on the reference machine."""
    known = usecases.load_rules()
    reference = found.reference()
    order = {m: found.machines[m] for m in dict.fromkeys([reference, *found.machines]) if m in found.machines}
    calls = [item_call(KINDS[1], c.machine, f"claim {c.claim.id}: {item.what}", item)
             for c in claims.check_all(list(known.claims), order) for item in c.items]  # fmt: skip
    for r in decide.Machines(known, order, reference).all():
        calls += [Call(KINDS[2], r.machine or "none", f"use case {r.use_case.id}", p.pair, p.outcome, p.weight)
                  for p in r.verdict.pairs]  # fmt: skip
    return calls


@dataclass
class Found:
    """A results folder's comparisons by key, its machines and the reference machine (first)."""

    calls: dict[Key, Call]
    machines: list[str]


def comparisons(folder: Path) -> Found:
    """Every comparison in ``folder``; refuses a folder still being measured."""
    if not folder.is_dir():
        raise UserError(f"{folder}: no results folder; give the folder a measurement wrote (--results)")
    for machine in (p for p in sorted(folder.iterdir()) if p.is_dir()):
        with lock.exclusive(machine):  # a run still being measured is read only once it has all its processes
            pass
    found = corpus.load_corpus(folder)
    for problem in found.problems:  # left out, as the site build leaves them out
        print(f"warning: {problem}", file=sys.stderr)
    if not found.machines:
        raise UserError(f"{folder}: no results files; measure first with `python -m measurements run`")
    calls: dict[Key, Call] = {}
    for call in at_a_glance(found) + verdicts(found):
        calls.setdefault(call.key, call)  # the same pair named twice by one claim is one comparison
    reference = found.reference()
    return Found(calls, list(dict.fromkeys([reference, *found.machines]))) if reference else Found(calls, [])


def share(calls: list[Call]) -> str:
    decided = sum(c.decided for c in calls)
    counts = Counter("ahead" if c.says in c.pair else c.says for c in calls)
    order = [*SAYS, *sorted(set(counts) - set(SAYS))]  # the decided first, then any other outcome of a pair
    return f"{decided} of {len(calls)} decided ({decided / len(calls):.0%}): " + ", ".join(
        f"{counts[what]} {what}" for what in order if counts[what]
    )


def report(folder: Path, found: Found, each: bool) -> None:
    """Prints the share decided per machine and kind (every comparison with ``each``)."""
    print(f"{folder}:")
    for machine in found.machines:
        reference = machine == found.machines[0]
        print(f"  {machine}{' (reference)' if reference else ''}")
        if not any(c.machine == machine for c in found.calls.values()):
            print("    no comparisons: fewer than two frameworks measured here")
        for kind in KINDS:
            own = [c for c in found.calls.values() if (c.machine, c.kind) == (machine, kind)]
            if not own:
                continue
            print(f"    {kind}: {share(own)}")
            if kind == KINDS[0]:
                print(f"      the table's rows (the fastest against the next): {share([c for c in own if c.row])}")
            for c in own if each else []:
                print(f"      {c.what}, {' and '.join(c.pair)}: {c.words}")


def short(found: Found) -> list[str]:
    """The reference machine's at-a-glance shares under ``REQUIRED``: every pair of the headline
    cases, and the table's rows alone (the fastest against the next), each in words."""
    glance = [c for c in found.calls.values() if c.kind == KINDS[0] and c.machine == found.machines[0]]
    if not glance:
        return ["no at-a-glance comparisons"]
    found_short = []
    for what, own in (("every pair", glance), ("the table's rows", [c for c in glance if c.row])):
        decided = sum(c.decided for c in own)
        if decided < REQUIRED * len(own):
            found_short.append(f"{what}: {decided} of {len(own)} decided ({decided / len(own):.0%})")
    return found_short


def change(first: Call, second: Call) -> str:
    """How a comparison changed between two measurements."""
    if first.decided and second.decided:
        if first.says == second.says:
            return "unchanged"
        ahead = first.says in first.pair and second.says in second.pair
        return "contradicted" if ahead else "another decided call"
    if first.decided or second.decided:
        return "decided → undecided" if first.decided else "undecided → decided"
    return "unchanged"


def differences(first: Path, second: Path, calls: tuple[dict[Key, Call], dict[Key, Call]]) -> int:
    """Prints every change and the comparisons found in one folder only; the number of contradictions."""
    before, after = calls
    found: Counter[str] = Counter()
    print(f"{'change':<22} {'kind':<12} {'machine':<24} {'what':<48} {first}  →  {second}")
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        what = change(a, b)
        found[what] += 1
        if what != "unchanged":
            print(f"{what:<22} {a.kind:<12} {a.machine:<24} {a.what + ', ' + ' and '.join(key[3]):<48} "
                  f"{a.words}  →  {b.words}")  # fmt: skip
    for missing, there, here in ((sorted(before.keys() - after.keys()), first, second),
                                 (sorted(after.keys() - before.keys()), second, first)):  # fmt: skip
        for kind, machine, what, pair in missing:
            print(f"missing from {here}: {kind}, {machine}, {what}, {' and '.join(pair)} (only in {there})")
    order = ("contradicted", "another decided call", "decided → undecided", "undecided → decided", "unchanged")
    print("changes: " + ", ".join(f"{found[what]} {what}" for what in order))
    return found["contradicted"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", type=Path, help="a results folder")
    parser.add_argument("second", type=Path, nargs="?", help="a second measurement's results folder, to compare")
    parser.add_argument("--require-decided", action="store_true",
                        help=f"exit 1 if under {REQUIRED:.0%} of the reference machine's at-a-glance comparisons "
                        "are decided (every pair, or the table's rows)")  # fmt: skip
    parser.add_argument("--each", action="store_true", help="print every comparison and what it says")
    args = parser.parse_args(argv)
    try:
        folders = [args.first] + ([args.second] if args.second else [])
        found = [comparisons(folder) for folder in folders]
    except UserError as exc:
        sys.exit(f"error: {exc}")
    under = False
    for folder, own in zip(folders, found, strict=True):
        report(folder, own, args.each)
        for line in short(own) if args.require_decided else []:
            print(f"{folder}: under {REQUIRED:.0%} at a glance on the reference machine {own.machines[0]}: {line}")
            under = True
    contradictions = differences(args.first, args.second, (found[0].calls, found[1].calls)) if args.second else 0
    return 1 if contradictions or under else 0


if __name__ == "__main__":
    sys.exit(main())
