"""How the pages write figures, names and outcomes: numbers, sizes, intervals, labels and verdicts in words."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from generator.analyse import study_usability
from generator.analyse.compare import (
    CaseModes,
    ModeResult,
    Summary,
    describe,
)
from generator.pages import escape
from generator.pages.escape import code_block
from measurements.findings import ErrorFinding
from measurements.frameworks import FRAMEWORK_LABELS, MODE_LABELS

text = escape.text  # Markdown text on one line: the filter most sentences built here use


def num(value: float, digits: int = 4) -> str:
    """A figure to ``digits`` significant digits, with thousands separators."""
    if value == 0:
        return "0"
    if abs(value) >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    return f"{value:,.{digits}g}" if abs(value) >= 1 else f"{value:.{digits - 1}g}"


def size(value: int | None) -> str:
    """Bytes on disk, in KiB below a MiB."""
    if value is None:
        return "n/a"
    return f"{value / 2**10:,.0f} KiB" if value < 2**20 else f"{value / 2**20:,.1f} MiB"


def mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:,.0f} MiB"


def seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 1000:.3g} ms" if value < 1 else f"{value:.3g} s"


def pct(value: float) -> str:
    """A share in percent: one decimal from 10% up, two significant digits below."""
    return f"{value:.1f}%" if value >= 10 else f"{value:#.2g}%"


def label(framework: str, mode: str) -> str:
    return MODE_LABELS.get((framework, mode), f"{FRAMEWORK_LABELS.get(framework, framework)} {mode}")


def file_label(file: str) -> str:
    """A results file's link text: the framework and release it holds, "TensorFlow 2.21.0"."""
    name = Path(file).name
    for framework, label_text in FRAMEWORK_LABELS.items():
        match = re.search(rf"\.{framework}-([0-9][^.]*(?:\.[0-9][^.]*)*)", name)
        if match:
            return text(f"{label_text} {match.group(1).replace('_', '+')}")
    return text(name)


def source(path: str) -> str:
    """A file of this repository, for a page that shows the code it counted, as a fenced code block
    indented for a content tab; a path that leads out of the repository is not read."""
    found = study_usability.repository_file(path)
    if found is None:
        return f"    Left out: {escape.code(path)} is not a file of this repository."
    return code_block(found.read_text(encoding="utf-8", errors="replace"), "python", 4)


def error_outcome(finding: ErrorFinding) -> str:
    """One table cell: what a mistake did, scored."""
    if not finding.get("applicable", True):
        return text(finding.get("what_happened") or "not tried")
    if finding["silent"]:
        happened = finding.get("what_happened")
        return f"silent: {escape.code(happened)}" if happened else "silent: no error"

    def mark(value: bool | None) -> str:
        return "–" if value is None else "✓" if value else "✗"

    return (
        f"{escape.code(finding['error_type'])} · user's line {mark(finding['user_frame_last'])} · "
        f"shapes {mark(finding['names_shapes'])} · dtypes {mark(finding['names_dtypes'])} · "
        f"{finding['message_chars']:,} characters"
    )


def error_said(finding: ErrorFinding) -> str:
    """The message a mistake produced, indented for a content tab."""
    if not finding.get("applicable", True):
        return f"    {text(finding.get('what_happened') or 'Not tried.')}"
    if finding["silent"]:
        happened = finding.get("what_happened")
        return "    No error." + (f" What the program printed: {escape.code(happened)}" if happened else "")
    return f"    {escape.code(finding['error_type'])}:\n\n" + code_block(finding["message"] or "", "text", 4)


OUTCOME_WORDS = {"oom": "out of memory", "timeout": "timed out", "ok": "completed"}


def outcome_words(outcome: object) -> str:
    """A run's outcome as a reader says it ("out of memory", not "oom"), escaped."""
    return text(OUTCOME_WORDS.get(str(outcome), str(outcome)))


def value_words(value: object) -> str:
    """A value from a results file in words (escaped): none, yes or no, 3,472, or a nested table as
    "key value, key value"."""
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        return ", ".join(f"{text(str(k).replace('_', ' '))} {value_words(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(value_words(v) for v in value)
    return text(str(value))


def notes(found: Mapping[str, object]) -> str:
    """A finding's notes (or a build's settings) on one line: "api: ...; opset: 20; cuda: none";
    nested values as "key value, key value", never as raw JSON."""
    return "; ".join(f"{text(str(key))}: {value_words(value)}" for key, value in sorted(found.items()))


def build_notes(build: Mapping[str, object]) -> str:
    """A framework's build record on one line, as ``notes`` writes it, except that its numbers are
    identifiers, not quantities: "threads: 16", never "16" with a separator, and a library's version
    number as the version it encodes ("cudnn: 9.19.0 (91900)")."""
    return "; ".join(f"{text(str(key))}: {build_value(value)}" for key, value in sorted(build.items()))


def build_value(value: object) -> str:
    """One value of a build record: an integer of five digits or more is a version number
    (major × 10000 + minor × 100 + patch, as cuDNN writes its own), shown decoded beside itself."""
    if isinstance(value, bool) or not isinstance(value, int):
        return value_words(value)
    if value >= 10000:
        return f"{value // 10000}.{value // 100 % 100}.{value % 100} ({value})"
    return str(value)


def verdict(r: ModeResult) -> str:
    """A headline verdict in words, from ``r``'s side: "tf.function + XLA 1.72× faster than
    torch.compile"; "torch.compile and tf.function + XLA: equivalent within 5%" (or too uncertain
    to call, or too few processes to call)."""
    other = label(*str(r.versus).split("/"))
    if not r.called:
        return f"{label(r.framework, r.mode)} and {other}: {r.verdict}"
    return f"{label(r.framework, r.mode)} {r.verdict} than {other}"


def interval(s: Summary | None, figure: str = "num") -> str:
    """A summary's 95% interval over processes, "1,002–1,010" (``figure``: "num" or "seconds");
    "1 process, no interval" where it has none."""
    if s is None:
        return "n/a"
    if s.low is None or s.high is None:
        return f"{s.processes} process{'es' if s.processes != 1 else ''}, no interval"
    shown = seconds if figure == "seconds" else num
    return f"{shown(s.low)}–{shown(s.high)}"


def mode_choice(r: ModeResult | None) -> str:
    """The mode that stands for a framework (its primary, fixed in advance) and how it compares
    with the framework's other modes, secondary results: "PyTorch eager, PyTorch's primary mode:
    1.30× slower than torch.compile, too uncertain to call against channels_last"."""
    if r is None:
        return ""
    name = FRAMEWORK_LABELS.get(r.framework, r.framework)
    if not r.margins:
        return f"{label(r.framework, r.mode)}, {name}'s only mode measured here"
    against = []
    for mode, margin in r.margins.items():
        other = label(r.framework, mode)
        words = describe(margin)
        against.append(f"{words} than {other}" if margin.outcome in ("faster", "slower") and margin.enough_processes
                       else f"{words} against {other}")  # fmt: skip
    return f"{label(r.framework, r.mode)}, {name}'s primary mode: {', '.join(against)}"


def pair_lines(modes: CaseModes | None) -> list[str]:
    """Every pair of frameworks of a case, by their primary modes, each read from the faster side:
    "PyTorch eager against tf.function: 2.00× faster, by 98–102% (95% interval 1.98–2.02×, p < 0.001;
    Bonferroni over 3 comparisons)"; the same comparison, with the same interval, as every page shows."""
    found = modes.pairwise if modes else None
    if found is None:
        return []
    return [f"{label(a, found.chosen[a])} against {label(b, found.chosen[b])}: {describe(r, detail=True)}"
            for a, b, r in found.read_from_faster()]  # fmt: skip
