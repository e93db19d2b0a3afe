"""Command line: ``python -m generator build|check|merge|recommend``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from generator.judge import decide, evidence, questionnaire, ruling, usecases
from generator.pages import publish, render
from generator.read import corpus, load
from generator.read import merge as merge_results
from measurements import UserError
from measurements.results import RESULTS_DIR, ROOT, check_file

GENERATED_DIR = ROOT / "docs" / "generated"


def build(results_dir: Path, out: Path, strict: bool) -> int:
    start = time.perf_counter()
    if not results_dir.is_dir():
        raise UserError(f"{results_dir}: no results folder; measure this machine first with `nox -s measure`")
    site = publish.site_url()  # a bad address is refused before anything is written
    found = corpus.load_corpus(results_dir)
    problems = found.loaded.problems + found.study_problems  # every file left out, studies included
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    for note in found.smaller_profile:
        print(f"note: {note}", file=sys.stderr)
    if strict and problems:
        raise UserError(f"{len(problems)} bad results files (listed above) and --strict was given")
    reports = render.build(found, out)
    print(f"Generated pages for {len(reports)} machines from {len(found.loaded.results)} results files "
          f"into {out} in {time.perf_counter() - start:.1f} s")  # fmt: skip
    print(site.describe())
    return 0


def check(paths: list[Path]) -> int:
    """Validate each file alone, then check the good ones together: names that match their
    content, and no two files of the same run (a copy, or a clash of different numbers).
    A file that cannot be read or checked is one problem line; the others are still checked."""
    problems: list[str] = []
    bad: set[Path] = set()
    claims: dict[tuple[str, ...], list[load.Claim]] = {}
    unique = sorted(set(paths))
    for path in unique:
        try:
            found = check_one(path, claims)
        except Exception as exc:  # untrusted input: any failure is this file's problem
            found = [f"{path}: {load.unexpected(exc)}"]
        if found:
            bad.add(path)
            problems += found
    for path, line in load.resolve_clashes(list(claims.values()))[1]:  # as a build resolves them
        bad.add(path)
        problems.append(line(str))
    for problem in problems:
        print(problem)
    print(f"{len(unique)} files checked, {len(bad)} with problems", file=sys.stderr)
    return 1 if problems else 0


def check_one(path: Path, claims: dict[tuple[str, ...], list[load.Claim]]) -> list[str]:
    """One file's problems; a valid timing result is added to ``claims`` under its run."""
    kind = merge_results.kind_of(path)
    if kind is merge_results.STUDY:  # a study's findings: validated, and where it belongs
        doc, found = kind.check(path)
        found = [f"{path}: {problem}" for problem in found]
        expected = kind.target(doc, path.resolve().parents[2]) if doc is not None else path
        if path.resolve() != expected.resolve():
            found.append(f"{path}: named or placed unlike its content; move it to {expected}")
        return found
    doc, found = check_file(path)
    found = [f"{path}: {problem}" for problem in found]
    if doc is not None:
        found += load.name_problems(path, doc)
        claims.setdefault(load.run_key(doc), []).append((path, doc))
    return found


def merge(sources: list[Path], into: Path) -> int:
    result = merge_results.merge(sources, into)
    for problem in result.problems:
        print(problem)
    print(result.summary(into))
    return 1 if result.problems else 0


def outcome_text(ring: str, why: str) -> str:
    """ "PyTorch or JAX: TensorFlow is ruled out (...)" or "too uncertain to call: why"."""
    return f"{ring}: {why}"


def print_more(v: ruling.Verdict) -> None:
    """How sure the outcome is: the margin halved or doubled, and what would settle a close pair."""
    for line in (v.sensitivity, v.settle):
        if line:
            print(f"  {line}")


def print_reasons(items: list[evidence.Item], facts: list[ruling.Signal], measured_on: str) -> None:
    if measured_on:
        print(f"  {measured_on}")
    for item in items:
        print(f"  - {item.what}: {item.detail} (data: {', '.join(f'results/{f}' for f in item.files)})")
    for fact in facts:
        print(f"  Fact beside it (curated, it does not decide): {fact.about}; sources: {', '.join(fact.sources)}")


def print_recommendation(r: decide.Recommendation) -> None:
    print(f"{r.use_case.title}: {outcome_text(r.ring, r.verdict.why)}")
    print(f"  {r.use_case.description}")
    print_more(r.verdict)
    print_reasons(r.reasons(), r.facts, r.provenance.text if r.provenance else "")
    print("  Every signal:")
    for s in r.signals:
        print(f"  - {s.reason} [weight {s.weight:g}, {s.kind}]")
        for item in s.items:
            print(f"      {item.what}: {item.detail}")
        for url in s.sources:
            print(f"      source: {url}")


def print_list(known: usecases.Rules) -> None:
    print("Use cases (--use-case):")
    for u in known.use_cases:
        print(f"  {u.id:24} {u.title}")
    print("Questions (--answer QUESTION=OPTION, one for each):")
    for q in known.questions:
        print(f"  {q.id}: {q.text} {' | '.join(o.id for o in q.options)}")


def parse_answers(answers: list[str], known: usecases.Rules) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for pair in answers:
        question, sep, option = pair.partition("=")
        if not sep:
            raise UserError(f"--answer {pair!r}: write it as QUESTION=OPTION, e.g. deployment=server")
        if question not in {q.id for q in known.questions}:
            raise UserError(
                f"--answer: no question {question!r}; the questions: {', '.join(q.id for q in known.questions)}"
            )
        if question in chosen:
            raise UserError(
                f"--answer {pair!r}: {question} is answered twice ({question}={chosen[question]} before); "
                "give one --answer for each question"
            )
        chosen[question] = option
    return chosen


def print_answer(result: questionnaire.Answer) -> None:
    print(outcome_text(result.ring, result.verdict.why))
    print_more(result.verdict)
    if result.measure:
        print(f"  Measure it on your hardware: {result.measure}")
    print_reasons(result.reasons(), result.facts, result.provenance.text if result.provenance else "")
    print("  The use cases these answers select:")
    for r in result.verdicts:
        print(f"  - {r.use_case.title}: {outcome_text(r.ring, r.verdict.why)}")
    if result.note:
        print(f"  {result.note}")


def recommend(results_dir: Path, machine: str | None, use_case: str | None, answers: list[str], as_json: bool) -> int:
    known = usecases.load_rules()
    found = corpus.load_corpus(results_dir)
    for problem in found.problems:  # left out, as the site build leaves them out
        print(f"warning: {problem}", file=sys.stderr)
    chosen = found.reference(machine)
    if chosen is None:
        raise UserError(f"{results_dir}: no results; measure this machine first with `nox -s measure`")
    judged = decide.Machines(known, found.machines, chosen)
    by_id = {r.use_case.id: r for r in judged.all()}
    if use_case is not None:
        if use_case not in by_id:
            raise UserError(f"no use case {use_case!r}; use one of: {', '.join(by_id)}")
        if as_json:
            print(json.dumps(decide.recommendation_json(by_id[use_case]), indent=1, ensure_ascii=False))
        else:
            print_recommendation(by_id[use_case])
        return 0
    if not answers:
        raise UserError("give --use-case NAME, or an --answer QUESTION=OPTION for each question (see --list)")
    result = questionnaire.answer(parse_answers(answers, known), known, judged)
    if as_json:
        print(json.dumps(questionnaire.answer_json(result), indent=1, ensure_ascii=False))
    else:
        print_answer(result)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m generator", description="Generate the guide's pages.")
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="generate pages and charts into docs/generated/")
    build_cmd.add_argument("--results", type=Path, default=RESULTS_DIR, help="results folder (default: %(default)s)")
    build_cmd.add_argument("--out", type=Path, default=GENERATED_DIR, help="output folder (default: %(default)s)")
    build_cmd.add_argument("--strict", action="store_true", help="fail on any bad results file")
    check_cmd = commands.add_parser("check", help="validate results files: schema, names, clashes")
    check_cmd.add_argument("files", nargs="+", type=Path)
    merge_cmd = commands.add_parser("merge", help="merge results folders from other machines into one, checked")
    merge_cmd.add_argument("sources", nargs="+", type=Path, metavar="SRC", help="a results folder or machine folder")
    merge_cmd.add_argument("--into", type=Path, default=RESULTS_DIR, help="results folder (default: %(default)s)")
    rec_cmd = commands.add_parser("recommend", help="print a recommendation with its reasons and evidence")
    rec_cmd.add_argument("--use-case", help="a use case's id (see --list)")
    rec_cmd.add_argument("--answer", action="append", default=[], metavar="QUESTION=OPTION",
                         help="an answer to the Decide questionnaire; one for each question")  # fmt: skip
    rec_cmd.add_argument("--machine", help="a measured machine's id (default: the reference machine)")
    rec_cmd.add_argument("--results", type=Path, default=RESULTS_DIR, help="results folder (default: %(default)s)")
    rec_cmd.add_argument("--json", action="store_true", help="print JSON, as in recommendations.json")
    rec_cmd.add_argument("--list", action="store_true", help="list the use cases and the questions")
    args = parser.parse_args(argv)
    try:
        if args.command == "recommend":
            if args.list:
                print_list(usecases.load_rules())
                return 0
            return recommend(args.results, args.machine, args.use_case, args.answer, args.json)
        if args.command == "check":
            return check(args.files)
        if args.command == "merge":
            return merge(args.sources, args.into)
        return build(args.results, args.out, args.strict)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
