"""The build: from the results loaded once (``generator.read.corpus``), every page (Jinja,
StrictUndefined), chart and results copy under docs/generated/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import jinja2
import pandas as pd

from generator.analyse import stats, study_memory, study_systems, study_usability
from generator.analyse.compare import (
    describe,
    figures,
)
from generator.analyse.versions import machine_versions
from generator.judge import claims, decide, evidence_kinds, ruling, simulate
from generator.pages import charts, downloads, escape
from generator.pages.escape import code_block
from generator.pages.formatting import (
    build_notes,
    error_outcome,
    error_said,
    file_label,
    interval,
    label,
    mib,
    mode_choice,
    notes,
    num,
    outcome_words,
    pair_lines,
    pct,
    seconds,
    size,
    source,
    verdict,
)
from generator.pages.performance import (
    MachineReport,
    machine_report,
    memory_scaling,
    performance_page,
    pipeline_section,
    workload_page,
)
from generator.pages.publish import guidance
from generator.read import load, provenance, studies
from generator.read.corpus import Corpus, docs_shown
from measurements import UserError
from measurements.catalog import STUDIES
from measurements.frameworks import COMPARED, FRAMEWORK_LABELS, REGISTRY
from measurements.lock import exclusive
from measurements.profiles import PROFILES
from measurements.results import ROOT

TEMPLATES = ROOT / "templates"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown output; untrusted strings go through the filters of ``escape``
    )
    env.filters.update(escape.FILTERS)
    env.filters.update(num=num, mib=mib, size=size, seconds=seconds, pct=pct, file_label=file_label, interval=interval,
                       chart_size=charts.size, outcome_words=outcome_words)  # fmt: skip
    env.globals.update(
        label=label, framework_label=FRAMEWORK_LABELS.get, verdict=verdict, code_block=code_block, source=source,
        outcome=error_outcome, said=error_said, notes=notes, build_notes=build_notes, describe=describe,
        figures=figures, mode_choice=mode_choice, pair_lines=pair_lines, correction=claims.CORRECTION,
        distributed_rows=study_systems.distributed_rows, scaling=study_systems.scaling,
        memory_sizes=study_memory.memory_sizes, pipeline_rows=study_systems.pipeline_rows,
        serving_rows=study_systems.serving_rows, libraries=study_usability.libraries,
        serving_headline=study_systems.serving_headline, serving_measures=study_systems.SERVING_MEASURES,
        cores_needed=studies.cores_needed("distributed"), machine_cores=studies.machine_cores,
        present=present, compared=COMPARED, compared_labels=[FRAMEWORK_LABELS[fw] for fw in COMPARED],
        named_labels=lambda found: [FRAMEWORK_LABELS[fw] for fw in COMPARED if any(fw in c.frameworks for c in found)],
        default_mode=lambda fw: REGISTRY[fw].default_mode if fw in REGISTRY else "",
        less_memory=study_memory.LESS_MEMORY, release_command=release_command(),
        code_is_current=study_usability.code_is_current, code_outside=study_usability.code_outside,
        study_description=study_description, count_words=ruling.count_words,
        margin=stats.margin_words(stats.decision_band()),
        brief=stats.brief, p_words=stats.p_words, short_case=evidence_kinds.short_case,
        machine_name=str,  # a machine as readers name it (``_build`` sets it from the results; ids name files)
    )  # fmt: skip
    return env


def build(corpus: Corpus, out: Path, reference: str | None = None) -> list[MachineReport]:
    """Write every generated page, chart and results copy under ``out`` (emptied first); the
    guides show the reference machine first (``Corpus.reference``: ``reference``, else the
    configured one, else the one with the most results files).

    ``out`` is marked as made here, and a folder without the mark is never emptied unless it
    is empty already, or it is the default docs/generated/ (which builds made before the mark
    existed: git ignores it, and it holds nothing but generated pages). A build holds ``out``
    (its ``.lock``, as a measurement holds its results folder): a second build into it is refused."""
    refuse_foreign(out)
    with ExitStack() as held:
        try:
            held.enter_context(exclusive(out))
        except UserError as exc:
            if "another" not in str(exc):  # not held by another process: it cannot be written
                raise
            raise UserError(
                f"{out}: another build is writing here; wait for it to end, or build into another folder with --out"
            ) from None
        return _build(corpus, out, reference)
    raise AssertionError("unreachable")  # pragma: no cover


def _build(corpus: Corpus, out: Path, reference: str | None) -> list[MachineReport]:
    prepare(out)
    results_dir = corpus.results_dir
    published = published_files(corpus)
    for name in published:
        write_copy(out / "results", name, corpus.raw[name])
    shown = docs_shown(corpus)
    frame = corpus.frame
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # drawing a chart releases the GIL
        reports = list(pool.map(lambda m: machine_report(m, frame[frame.machine == m], shown[m], out, corpus.floor(m)),
                                sorted(shown)))  # fmt: skip
    charts.write_bundle(out / "assets")
    first = corpus.reference(reference) if corpus.machines else None
    reports.sort(key=lambda r: r.id != first)  # the reference machine first
    env = environment()
    everything = corpus.everything
    releases = [machine_versions(r.id, everything[everything.machine == r.id], out / "charts") for r in reports]
    names = provenance.machine_names({m: next(iter(em.docs.values()))["machine"] for m, em in corpus.machines.items()
                                      if em.docs})  # fmt: skip
    env.globals["machine_name"] = lambda mid: names.get(mid, mid)
    context: dict[str, object] = {
        "machines": reports, "problems": corpus.loaded.left_out(results_dir), "smaller_profile": corpus.smaller_profile,
        "profiles": [p for p in PROFILES.values() if not p.on_cpu], "versions": releases,
    }  # fmt: skip
    by_machine = corpus.studies
    # each line starts with the file as found under results_dir: pages name it under the results folder
    study_problems = [line.removeprefix(f"{results_dir}{os.sep}") for line in corpus.study_problems]
    memory = {m: memory_scaling(ms, out / "charts") for m, ms in by_machine.items()}
    pipelines = {m: pipeline_section(ms, out / "charts") for m, ms in by_machine.items()}
    studied = by_machine.get(first or "") or next((by_machine[r.id] for r in reports if r.id in by_machine), None)
    context.update(study_context(studied, study_problems),
                   study_machines=by_machine, memory=memory, pipelines=pipelines)  # fmt: skip
    guided = guidance(corpus.machines, first, reports, env, out)
    context.update(guided, use_case_charts=use_case_charts(guided["recommendations"], out / "charts"))
    context["downloads"] = {m: downloads.write(m, corpus.everything, {f: corpus.raw[f] for f in em.docs}, out,
                                               corpus.studies.get(m))
                            for m, em in corpus.machines.items()}  # fmt: skip
    context["measured"] = {m: downloads.measured_on(em.docs) for m, em in corpus.machines.items()}
    context["error_rates"] = simulate.table()  # the decision procedure's own error rates, seeded
    context["noise"] = [corpus.noise[r.id] for r in reports if r.id in corpus.noise]  # the noise floor, per machine
    context["stopping_rates"] = simulate.stopping_table()  # and theirs when rounds are added until decided
    pages: dict[str, tuple[str, MachineReport | None]] = {
        "claims.md": ("claims.md.j2", None),
        "decide.md": ("decide.md.j2", None),
        "embed.md": ("embed.md.j2", None),
        "partials/verdicts.md": ("verdicts.md.j2", None),
        "partials/calibration.md": ("calibration.md.j2", None),
        "usability.md": ("usability.md.j2", None),
        "ecosystem.md": ("ecosystem.md.j2", None),
        "versions.md": ("versions.md.j2", None),
        "machines/index.md": ("machines.md.j2", None),
        "partials/headline.md": ("headline.md.j2", reports[0] if reports else None),
        "partials/profiles.md": ("profiles.md.j2", None),
        "partials/error-rates.md": ("error-rates.md.j2", None),
        "partials/noise-floor.md": ("noise-floor.md.j2", None),
    }
    for r in reports:  # the Performance guide for the reference machine; one more page per other machine
        pages[performance_page(r, reports)] = ("performance.md.j2", r)
        pages[f"machines/{r.id}.md"] = ("machine.md.j2", r)
        for section in r.sections:  # and a page per workload
            page = workload_page(r, reports, section)
            target = out / page
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(env.get_template("workload.md.j2").render(
                **context, machine=r, section=section, up="../" * page.count("/"), performance_page=performance_page,
                workload_page=workload_page))  # fmt: skip
    # each workload's code on a page of its own, linked from Usability
    for item, found in studied.both("codesize") if studied else []:
        target = out / "code" / f"{escape.file_name(item)}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(env.get_template("code.md.j2").render(**context, id=item, found=found))
    if not reports:
        pages["performance.md"] = ("performance.md.j2", None)
    for page, (template, machine) in pages.items():
        target = out / page
        target.parent.mkdir(parents=True, exist_ok=True)
        written = env.get_template(template).render(**context, machine=machine, performance_page=performance_page,
                                                    workload_page=workload_page)  # fmt: skip
        target.write_text(written)
    return reports


MARK = ".framework-guide-generated"
LOCK = ".lock"  # where ``lock.exclusive`` holds a folder


def refuse_foreign(out: Path) -> None:
    """Refuse an ``out`` that is not a folder, or one with files that no build made."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UserError(f"{out}: not a folder; give --out a new folder, or one an earlier build made")
    if out.exists():
        made_before_marks = out.resolve() == (ROOT / "docs" / "generated").resolve()
        if not (out / MARK).is_file() and not made_before_marks and any(p.name != LOCK for p in out.iterdir()):
            raise UserError(
                f"{out}: not made by `python -m generator build` (it has no {MARK}), so it is not emptied; "
                f"give --out a new or empty folder, or delete {out} yourself"
            )


def prepare(out: Path) -> None:
    """Empty ``out`` (only a folder an earlier build made; the lock this build holds stays) and mark
    it as made here."""
    refuse_foreign(out)
    out.mkdir(parents=True, exist_ok=True)
    for entry in out.iterdir():
        if entry.name == LOCK:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (out / MARK).write_text("Made by `python -m generator build`, which empties this folder before every build.\n")


def use_case_charts(recommendations: list[decide.Recommendation], out: Path) -> dict[str, str]:
    """A chart per use case with comparisons over processes: one row per comparison, its ratio and
    interval against the decision margin (``charts.ratio_chart``); use case id -> the chart's file."""
    made = {}
    for r in recommendations:
        rows: list[dict[str, object]] = []
        for i in r.items:
            c = i.ratio
            if c is None or c.low is None or c.high is None:
                continue  # a count judged by a threshold, or a single reading: no interval to draw
            a, b = (FRAMEWORK_LABELS.get(fw, fw) for fw in i.sides)
            row = f"{i.where or i.what}: {a} against {b}"
            if any(x["row"] == row for x in rows):
                row = f"{i.what}: {a} against {b}"
            rows.append({"row": row, "ratio": c.ratio, "low": c.low, "high": c.high, "call": i.call,
                         "said": stats.words(c, terms=i.terms)})  # fmt: skip
        if rows:
            chart = charts.ratio_chart(pd.DataFrame(rows), f"{r.use_case.title}: every comparison",
                                       stats.decision_band())  # fmt: skip
            made[r.use_case.id] = charts.save(chart, out, f"use-case-{r.use_case.id}")
    return made


def study_description(name: str) -> str:
    """A study's description for its page, with how many fresh processes it ran in, where several."""
    study = STUDIES.get(name)
    if study is None:
        return ""
    if study.processes < 2:
        return study.description
    return (f"{study.description} All of this runs in {study.processes} fresh processes per framework, interleaved "
            "across frameworks with their order reversed every other round; each comparison's interval is over "
            "those processes.")  # fmt: skip


def present(per_row: Iterable[Mapping[str, object]]) -> list[str]:
    """The frameworks that any of the rows (each keyed by framework) has, in the registry's order:
    the columns of a table with a column per framework."""
    found = {fw for row in per_row for fw in row}
    return [fw for fw in REGISTRY if fw in found] + sorted(found - set(REGISTRY))


def release_command() -> str:
    """The command that measures a release of a framework in its own environment (its line in noxfile.py's RELEASES)."""
    return f'nox -s "measure_release({REGISTRY[COMPARED[0]].distributions[0]}==…)"'


def published_files(corpus: Corpus) -> list[str]:
    """The results files the site publishes, by their names under the results folder: every timing
    file loaded, and each study result shown."""
    found = [load.relative_file(path, corpus.results_dir) for path, _ in corpus.loaded.results]
    found += [r.file for ms in corpus.studies.values() for per in ms.results.values() for r in per.values()]
    return sorted(set(found))


def write_copy(folder: Path, name: str, data: bytes) -> None:
    """A results file's copy for download: the bytes that were validated (never read again from the
    results folder, where the file may have been swapped since), at its checked name under
    ``folder``; never written through a symbolic link."""
    target = folder / downloads.entry_name(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink():
        target.unlink()
    target.write_bytes(data)


def study_context(ms: studies.MachineStudies | None, problems: list[str]) -> dict[str, object]:
    """What the Usability and Ecosystem pages show: the reference machine's studies, summed up."""
    if ms is None:
        return {"ms": None, "study_problems": problems, "verdicts": [], "scores": [], "lengths": {},
                "code_totals": {}, "noise_totals": {}, "noise_messages": {}, "eco_verdicts": []}  # fmt: skip
    return {
        "ms": ms, "study_problems": problems, "verdicts": study_usability.usability_verdicts(ms),
        "scores": study_usability.error_scores(ms), "lengths": study_usability.message_lengths(ms),
        "code_totals": study_usability.code_totals(ms), "noise_totals": study_usability.noise_totals(ms),
        "noise_messages": study_usability.noise_messages(ms), "eco_verdicts": study_usability.ecosystem_verdicts(ms),
    }  # fmt: skip
