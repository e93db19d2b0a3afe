"""The forms of the verdicts that other sites embed, written under ``embed/``: for each use case a
Markdown snippet (``<use case>.md.txt``), an HTML snippet (``<use case>.html``) and a badge
(``<use case>.svg``) with its bottom line, and ``all.md.txt``, one table of every use case.

Their links are absolute where the build knows the site's address (``publish.site_url``), so they
work pasted anywhere. The Markdown goes through the ``prose`` filter; the HTML and the SVG through
Jinja's autoescape, each value first on one line without control characters (which XML refuses).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
import markupsafe

from generator.judge import decide, ruling, usecases
from generator.pages import escape
from generator.read.provenance import Provenance
from measurements.results import ROOT

TEMPLATES = ROOT / "templates"
# A badge's text: 11 px Verdana-like widths, estimated per character (the text is then stretched to
# exactly that width with textLength, so that no font on the reader's machine overflows it)
NARROW, WIDE = set(" .,:;!|'()[]ijlrtfI1"), set("mwMW—×")
PADDING = 6  # px either side of each half
# The right half's colour by outcome: one framework left, a set, no call (white text on each passes 4.5:1)
COLOURS = {"prefer": "#2e7d32", "set": "#1565c0", "none": "#616161"}


def markup_environment() -> jinja2.Environment:
    """Jinja for HTML and SVG: every value autoescaped, ``one_line`` first."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             autoescape=True)  # fmt: skip
    env.filters.update(one_line=escape.one_line, anchor=escape.anchor)
    return env


def text_width(text: str) -> int:
    """About how wide ``text`` is at 11 px, in px."""
    return round(sum(3.5 if c in NARROW else 9.5 if c in WIDE else 7.5 if c.isupper() else 6.5 for c in text))


@dataclass(frozen=True)
class Badge:
    """A two-part badge: the use case on grey, its bottom line on a colour of its outcome."""

    label: str
    value: str
    colour: str

    @property
    def label_width(self) -> int:
        return text_width(self.label) + 2 * PADDING

    @property
    def value_width(self) -> int:
        return text_width(self.value) + 2 * PADDING


def badge(title: str, ring: str) -> Badge:
    """The badge of a use case's bottom line, e.g. "CPU inference at batch 1 | PyTorch or JAX"."""
    label, value = escape.one_line(title), escape.one_line(ring)
    if value.startswith("prefer "):
        kind = "prefer"
    elif value in (ruling.UNCERTAIN, ruling.NOT_MEASURED, ruling.NOT_MEASURED_HERE):
        kind = "none"
    else:  # frameworks still in contention, or equivalent
        kind = "set"
    return Badge(label, value, COLOURS[kind])


def badge_markup(base: str, use_case: str, title: str, ring: str) -> tuple[str, str]:
    """Markdown and HTML that show a use case's badge, linked to its verdict (absolute where ``base`` is)."""
    alt = f"{escape.one_line(title)}: {escape.one_line(ring)}"
    image = f"{base}generated/embed/{escape.file_name(use_case)}.svg"
    target = f"{base}generated/decide.html#{escape.anchor(use_case)}"
    in_markdown = f"[![{escape.prose(alt)}]({image})]({target})"
    in_html = markupsafe.Markup('<a href="{}"><img src="{}" alt="{}"></a>').format(target, image, alt)
    return in_markdown, str(in_html)


def write(recommendations: Sequence[decide.Recommendation], base: str, machine_id: str | None,
          measured_on: Provenance | None, markdown_env: jinja2.Environment, out: Path) -> dict[str, str]:  # fmt: skip
    """Every form of every use case under ``out/embed``; returns the Markdown snippets by use case."""
    folder = out / "embed"
    folder.mkdir(parents=True, exist_ok=True)
    markup = markup_environment()
    words = usecases.HARDWARE_WORDS
    snippets = {}
    for r in recommendations:
        name = escape.file_name(r.use_case.id)
        snippets[r.use_case.id] = markdown_env.get_template("snippet.md.j2").render(
            r=r, base=base, hardware_words=words
        )
        (folder / f"{name}.md.txt").write_text(snippets[r.use_case.id])
        (folder / f"{name}.html").write_text(
            markup.get_template("snippet.html.j2").render(r=r, base=base, hardware_words=words)
        )
        (folder / f"{name}.svg").write_text(markup.get_template("badge.svg.j2").render(
            badge=badge(r.use_case.title, r.ring), padding=PADDING))  # fmt: skip
    if recommendations:
        (folder / "all.md.txt").write_text(markdown_env.get_template("snippet-table.md.j2").render(
            recommendations=recommendations, base=base, machine_id=machine_id, measured_on=measured_on,
            hardware_words=words))  # fmt: skip
    return snippets
