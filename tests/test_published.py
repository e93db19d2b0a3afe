"""What the site publishes from the committed results: no interval that excludes 1 is worded
"too uncertain", one comparison has one outcome and one interval on every surface, and the
decision procedure's error rates hold at the spread measured here."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.analyse import stats
from generator.judge import simulate
from generator.pages import render
from generator.read import corpus
from measurements.frameworks import COMPARED, FRAMEWORK_LABELS
from measurements.results import RESULTS_DIR, ROOT

OUTCOMES = ("faster", "slower", "less memory", "more memory", "equivalent within", "too uncertain to call",
            "too few processes")  # fmt: skip
INTERVAL = re.compile(r"95% interval ([0-9.e+-]+|inf)–([0-9.e+-]+|inf)")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[corpus.Corpus, Path]:
    """The generated pages and JSON files of the committed results."""
    out = tmp_path_factory.mktemp("site") / "generated"
    found = corpus.load_corpus(RESULTS_DIR)
    render.build(found, out)
    return found, out


def uncertain_intervals(text: str) -> list[tuple[str, float, float]]:
    """Every "too uncertain to call" with the interval that follows it before the next outcome word."""
    plain = text.replace("\\", "")  # Markdown escapes: 0\.75 reads 0.75
    found = []
    for match in re.finditer("too uncertain to call", plain):
        rest = plain[match.end() : match.end() + 400]
        ends = [rest.find(word) for word in OUTCOMES if word in rest]
        segment = rest[: min(ends)] if ends else rest
        interval = INTERVAL.search(segment)
        if interval:
            found.append((segment[:120], float(interval.group(1)), float(interval.group(2))))
    return found


def test_no_page_words_an_interval_that_excludes_one_as_too_uncertain(built: tuple[corpus.Corpus, Path]) -> None:
    _, out = built
    pages = [*out.rglob("*.md"), *out.rglob("*.json"), *out.rglob("*.md.txt")]
    checked = 0
    for page in pages:
        for what, low, high in uncertain_intervals(page.read_text(encoding="utf-8")):
            checked += 1
            assert low <= 1 <= high, f"{page.relative_to(out)}: {what}"
    assert checked > 50  # the scan found the uncertain comparisons it is meant to check
    assert uncertain_intervals("too uncertain to call (ratio 0.65, 95% interval 0.43–0.98)") == [
        (" (ratio 0.65, 95% interval 0.43–0.98)", 0.43, 0.98)
    ]  # the scan itself would see the kind of wording the issue found


def comparisons(document: Any) -> list[dict[str, Any]]:
    """Every item with a comparison anywhere in a JSON document."""
    if isinstance(document, dict):
        here = [document] if isinstance(document.get("comparison"), dict) and "files" in document else []
        return here + [c for value in document.values() for c in comparisons(value)]
    if isinstance(document, list):
        return [c for value in document for c in comparisons(value)]
    return []


def test_one_comparison_has_one_outcome_and_one_interval_everywhere(built: tuple[corpus.Corpus, Path]) -> None:
    found, out = built
    seen: dict[tuple[str, frozenset[str], str, frozenset[str]], tuple[Any, ...]] = {}
    for name in ("claims.json", "recommendations.json"):
        for item in comparisons(json.loads((out / name).read_text())):
            c = item["comparison"]
            key = (item["what"], frozenset(item["files"]), item["figures"], frozenset((c["a"], c["b"])))
            value = (item["favours"], item["call"], round(max(c["ratio"], 1 / c["ratio"]), 9), c["p"], c["a"],
                     c["low"], c["high"])  # fmt: skip
            assert seen.setdefault(key, value) == value, (name, key)
    assert len(seen) > 100
    # the Performance pages' pairs are the very same comparisons: the same interval, outcome and p-value
    machine = found.machines["amd-epyc-2cpu"]
    matched = 0
    for case in machine.cases:
        pairs = case.modes.pairwise
        if pairs is None:
            continue
        by = {(r.framework, r.mode): r for r in case.results}
        for a, b, r in pairs.read_from_faster():
            files = frozenset(f"results/{by[(fw, pairs.chosen[fw])].file}" for fw in (a, b))
            what = f"{case.workload.title}, {case.case} ({case.device})"
            same = next((k for k in seen if k[0] == what and k[1] == files and k[3] == {a, b}), None)
            if same is not None and {a, b} <= set(COMPARED):
                matched += 1
                key = same
                favours = a if r.outcome == "faster" and r.enough_processes else None
                assert seen[key][0] == favours and math.isclose(seen[key][2], r.ratio, rel_tol=1e-9), key
                assert seen[key][3] == (r.p_value if favours else None), key
    assert matched > 20


def test_the_home_table_and_the_questionnaire_decide(built: tuple[corpus.Corpus, Path]) -> None:
    _, out = built
    home = (out / "partials" / "verdicts.md").read_text()
    rows = [line for line in home.splitlines() if line.startswith("| [")]
    measured = [row for row in rows if "**not measured**" not in row]
    assert len(rows) == 15 and sum("**too uncertain to call**" in row for row in measured) * 3 <= len(measured)
    answers = json.loads((out / "decide.json").read_text(), parse_constant=pytest.fail)["answers"]
    cpu = {key: a for key, a in answers.items() if key.split("/")[1] == "cpu"}
    decided = [a for a in cpu.values() if a[0] not in ("too uncertain to call", "not measured")]
    assert len(cpu) == 576 and len(decided) / len(cpu) >= 0.6


@pytest.mark.parametrize("processes", simulate.PROCESSES)
@pytest.mark.parametrize("scenario", simulate.SCENARIOS, ids=lambda s: s.name)
def test_the_truly_best_framework_is_ruled_out_at_most_5_percent_of_the_time(
    scenario: simulate.Scenario, processes: int
) -> None:
    """At the spread measured between processes (σ = 0.078), by the decision's own code."""
    found = simulate.rates(scenario, processes)
    print(f"{scenario.name}, {processes} processes a side: best ruled out {found.best_ruled_out:.1%}, equal pair "
          f"equivalent {found.equal_pair_equivalent:.0%}, 30% slower ruled out {found.slower_ruled_out}")  # fmt: skip
    assert found.best_ruled_out <= 0.05
    if scenario.speeds == (1.3, 1.0, 1.0) and processes == 5:
        assert found.slower_ruled_out is not None and found.slower_ruled_out > 0.8  # and it finds what is there


def test_the_site_builds_with_the_site_sessions_packages_alone() -> None:
    """`nox -s site` installs the runtime dependencies and mkdocs only: the generator must not import
    what the harness needs to launch children (psutil) or any framework."""
    heavy = ("psutil", "torch", "tensorflow", "jax")
    code = (
        "import sys, generator.__main__, measurements.studies as s; s.registry(); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert found.stdout.strip() == "[]"


def test_the_claims_page_does_not_repeat_a_machine_that_measured_none_of_them(
    built: tuple[corpus.Corpus, Path],
) -> None:
    _, out = built
    page = (out / "claims.md").read_text()
    assert "is not in this table: no claim reads any of its results" in page  # said once, above the claims
    assert not [line for line in page.splitlines() if line.startswith("**On ") and "not measured here**" in line]


def home_markdown(out: Path) -> str:
    """Home as MkDocs reads it: docs/index.md with each snippet it includes from the generated partials."""
    page = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    return re.sub(r'^--8<-- "([^"]+)"$', lambda m: (out / "partials" / m[1]).read_text(encoding="utf-8"), page,
                  flags=re.M)  # fmt: skip


def comparison_sentences(markdown: str) -> list[str]:
    """Every sentence of ``markdown`` that compares frameworks (it names a compared framework and an
    outcome), as a reader reads it: link targets, emphasis and escapes left out; a table cell or a list
    item ends a sentence, and so do ". " and "; " (a cell of several comparisons separates them so)."""
    labels = [FRAMEWORK_LABELS[fw] for fw in COMPARED]
    found = []
    for line in markdown.splitlines():
        plain = re.sub(r"\]\([^)]*\)", "", line).replace("[", "").replace("**", "").replace("\\", "")
        for cell in plain.strip().strip("|").split(" | "):
            for sentence in re.split(r"(?<=[.;])\s+", cell.strip().removeprefix("- ")):
                if any(name in sentence for name in labels) and any(word in sentence for word in OUTCOMES):
                    found.append(sentence)
    return found


def test_no_comparison_on_home_is_over_25_words(built: tuple[corpus.Corpus, Path]) -> None:
    _, out = built
    sentences = comparison_sentences(home_markdown(out))
    assert len(sentences) >= 25, sentences  # the use cases' ruled-out lines and the workloads' headlines
    long = [(len(s.split()), s) for s in sentences if len(s.split()) > 25]
    assert long == []
    old = (
        "- **ResNet-style CNN (small), training step** (32×32×3, widths 16\\-32\\-64, batch 32) on `amd-epyc-2cpu`: "
        "TensorFlow's primary mode (tf.function) is **1.14× faster** than PyTorch's (PyTorch eager), "
        "1,054 against 926.7 samples/s (ratio 1.14, 95% interval 1.02–1.27, Bonferroni over 3 comparisons, p = 0.022)."
    )
    assert [len(s.split()) > 25 for s in comparison_sentences(old)] == [True]  # it sees the old ones


def test_each_measured_use_case_draws_its_comparisons_against_the_margin(built: tuple[corpus.Corpus, Path]) -> None:
    _, out = built
    page = (out / "decide.md").read_text(encoding="utf-8")
    shown = re.findall(r"\]\(charts/(use-case-[^)]+)\.svg\)", page)
    use_cases = json.loads((out / "recommendations.json").read_text())["use_cases"]
    measured = [u for u in use_cases if u["ring"] not in ("not measured", "not measured on hardware like yours")]
    assert 8 <= len(shown) <= len(measured)  # those of counts alone (lines of code, techniques) have no interval
    for name in shown:
        datasets = json.loads((out / "charts" / f"{name}.vl.json").read_text())["datasets"].values()
        band = next(d[0] for d in datasets if d and set(d[0]) == {"low", "high"})
        assert (band["low"], band["high"]) == (
            pytest.approx(1 / (1 + stats.margin())),
            pytest.approx(1 + stats.margin()),
        )
        rows = next(d for d in datasets if d and "ratio" in d[0])
        assert len({r["row"] for r in rows}) == len(rows)  # one row per comparison
        assert all(r["low"] <= r["ratio"] <= r["high"] for r in rows)
        outcomes = {"favours": "×", "equivalent": "equivalent within", "uncertain": "too uncertain to call"}
        assert all(outcomes[r["call"]] in r["said"] for r in rows)  # each coloured as its outcome reads
