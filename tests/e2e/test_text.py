"""The built pages' text as a reader reads it: no Markdown escapes or raw JSON leaking through, no
"None" or "nan", no sentence said twice in a row, no "1 comparisons"."""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.e2e.conftest import SITE

pytestmark = pytest.mark.e2e

BLOCKS = {"p", "li", "td", "th", "h1", "h2", "h3", "h4", "dt", "dd", "summary", "figcaption", "caption"}
SKIPPED = {"script", "style", "code", "pre", "svg", "kbd", "textarea"}  # code is shown as written
ESCAPED = re.compile(r"\\[.+\-()\[\]_*#!`{}|]")  # a Markdown escape that reached the reader
RAW_JSON = re.compile(r'\{\s*"[\w -]+"\s*:|"\s*:\s*[\[{"]')
MISSING = re.compile(r"\b(None|nan|undefined|null)\b")  # "NaN" names a topic; "nan" is a value printed raw
NOUNS = ("comparisons|processes|launches|files|runs|items|cores|seconds|epochs|images|rounds|"
         "configurations|frameworks|machines|use cases|signals|answers|combinations|sizes|modes")  # fmt: skip
PLURAL = re.compile(rf"(?<![\d.,])\b1 ({NOUNS})\b")


class Text(HTMLParser):
    """Each block's text, outside code and scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in BLOCKS:
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.current.append(data)

    def flush(self) -> None:
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(text)
        self.current = []


def pages() -> list[Path]:
    return sorted(p for p in SITE.rglob("*.html") if "assets" not in p.parts and p.name != "404.html")


def problems(text: str) -> list[str]:
    found = []
    for name, pattern in (("escaped Markdown", ESCAPED), ("raw JSON", RAW_JSON), ("a missing value", MISSING),
                          ("a wrong plural", PLURAL)):  # fmt: skip
        found += [f"{name}: …{text[max(0, m.start() - 40) : m.end() + 40]}…" for m in pattern.finditer(text)]
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 20]
    found += [f"said twice: {a}" for a, b in itertools.pairwise(sentences) if a == b]
    return found


def test_the_checks_catch_what_they_look_for() -> None:
    assert problems(r"torch==2\.13\.0\+cpu")
    assert problems('export note: {"opset": 17}')
    assert problems("peak None MiB") and problems("ratio nan")
    assert problems("rests on 1 comparisons") and not problems("rests on 1 comparison, or 21 comparisons")
    assert problems("The claim is checked here today. The claim is checked here today.")
    assert not problems("PyTorch 2.13.0+cpu against TensorFlow 2.21.0 (ratio 1.02, 95% interval 0.98–1.06).")


@pytest.mark.parametrize("path", pages(), ids=lambda p: str(p.relative_to(SITE)))
def test_every_page_reads_cleanly(path: Path) -> None:
    parser = Text()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.flush()
    found = [f"{path.relative_to(SITE)}: {p}" for block in parser.blocks for p in problems(block)]
    assert found == [], "\n".join(found[:20])
