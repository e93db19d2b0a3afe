"""The verdicts embedded in another site's onboarding docs (issue 28, journey 4): one address for the
site (mkdocs.yml's ``site_url``, through ``FG_SITE_URL``) read alike by MkDocs and the snippets, absolute
links, clean text, and an HTML form and a badge of every use case that keep hostile text inert."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from generator.__main__ import main as cli_main
from generator.pages import embed, escape, publish, render
from generator.read import corpus
from measurements import UserError
from tests import hostile
from tests.conftest import ROOT
from tests.test_escape import SCRIPT, SNIPPET_LINES

SITE = "https://guide.example.org/framework-guide"
SVG = "{http://www.w3.org/2000/svg}"


class Markup(HTMLParser):
    """The elements, their attributes and the text of an HTML fragment."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text = ""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, name, value) for name, value in attrs]

    def handle_data(self, data: str) -> None:
        self.text += data


def mkdocs_site_url(env: dict[str, str]) -> str:
    """``site_url`` as MkDocs itself reads the project's mkdocs.yml (its YAML loader, ``!ENV`` included)."""
    code = "import sys; from mkdocs.utils.yaml import yaml_load; print(yaml_load(open(sys.argv[1]))['site_url'])"
    found = subprocess.run([sys.executable, "-c", code, str(ROOT / "mkdocs.yml")], env=env, capture_output=True,
                           text=True, check=True)  # fmt: skip
    return found.stdout.strip()


# --- one address, read alike by MkDocs and the generator -----------------------------------------------


@pytest.mark.parametrize("variable", [None, SITE, SITE + "/"])
def test_the_generator_reads_the_address_mkdocs_reads(variable: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FG_SITE_URL", raising=False)
    if variable:
        monkeypatch.setenv("FG_SITE_URL", variable)
    read = mkdocs_site_url(dict(os.environ))
    found = publish.site_url()
    assert found.base == read.rstrip("/") + "/"
    assert found.default is (variable is None)
    assert found.base.startswith("http")  # set: the sitemap and the 404 page have an address


@pytest.mark.parametrize(
    ("line", "environment", "base", "default"),
    [
        ("site_url: https://x.org/guide", {}, "https://x.org/guide/", False),
        ('site_url: "https://x.org/"  # published here', {}, "https://x.org/", False),
        ("site_name: x", {}, "", True),
        ("site_url: !ENV FG_SITE_URL", {}, "", True),
        ("site_url: !ENV [FG_A, FG_B, 'https://d.org/']", {}, "https://d.org/", True),
        ("site_url: !ENV [FG_A, FG_B, 'https://d.org/']", {"FG_B": "https://b.org/x"}, "https://b.org/x/", False),
    ],
)
def test_site_url_forms(
    line: str, environment: dict[str, str], base: str, default: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("FG_SITE_URL", "FG_A", "FG_B"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"site_name: Framework Guide\n{line}\n")
    found = publish.site_url(config)
    assert (found.base, found.default) == (base, default)


@pytest.mark.parametrize(
    "address", ["", "javascript:alert(1)", "https://x.org/a)<svg onload=alert(1)>", "ftp://x.org/"]
)
def test_an_address_that_is_not_plain_http_is_refused(address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FG_SITE_URL", address)
    with pytest.raises(UserError, match=r"FG_SITE_URL: .* is not a plain http"):
        publish.site_url()


def test_the_build_says_which_address_it_used_and_refuses_a_bad_one(
    golden: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FG_SITE_URL", raising=False)
    assert cli_main(["build", "--results", str(golden), "--out", str(tmp_path / "a")]) == 0
    printed = capsys.readouterr().out
    assert "Links to the site start with http://127.0.0.1:8000/ (mkdocs.yml's default; set FG_SITE_URL" in printed
    monkeypatch.setenv("FG_SITE_URL", "javascript:alert(1)")
    assert cli_main(["build", "--results", str(golden), "--out", str(tmp_path / "b")]) == 1
    assert "error: FG_SITE_URL: 'javascript:alert(1)' is not a plain http(s) address" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()  # refused before anything is written


# --- every form of every use case -------------------------------------------------------------------------


def test_every_use_case_comes_as_markdown_html_and_a_badge_with_absolute_links(
    golden: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FG_SITE_URL", SITE)
    out = tmp_path / "generated"
    render.build(corpus.load_corpus(golden), out)
    use_cases = json.loads((out / "recommendations.json").read_text())["use_cases"]
    page = (out / "embed.md").read_text()
    for u in use_cases:
        verdict = f"{SITE}/generated/decide.html#{u['id']}"
        snippet = (out / "embed" / f"{u['id']}.md.txt").read_text()
        assert f"([Framework Guide]({verdict}))" in snippet
        html = Markup((out / "embed" / f"{u['id']}.html").read_text())
        assert [v for t, n, v in html.attrs if n == "href"] == [verdict]
        assert html.text.strip().startswith(f"{u['title']}: {u['ring']}:")
        badge = ET.fromstring((out / "embed" / f"{u['id']}.svg").read_text())
        assert badge.findtext(f"{SVG}title") == f"{u['title']}: {u['ring']}"
        assert [t.text for t in badge.iter(f"{SVG}text")] == [u["title"], u["ring"]]
        assert int(badge.get("width") or 0) == sum(int(r.get("width") or 0) for r in badge.iter(f"{SVG}rect"))
        for name in (f"{u['id']}.md.txt", f"{u['id']}.html", f"{u['id']}.svg"):
            assert f"(embed/{name})" in page, name  # listed on the Embed page
    mlp = (out / "embed" / "mlp-models.md.txt").read_text()
    assert "Measured on Test CPU, 4 cores, with" in mlp and "\\" not in mlp
    assert f"]({SITE}/generated/decide.html#mlp-models)" in (out / "embed" / "all.md.txt").read_text()
    first = use_cases[0]["id"]
    assert f"[![{use_cases[0]['title']}: {use_cases[0]['ring']}]({SITE}/generated/embed/{first}.svg)]" in page
    assert f'<img src="{SITE}/generated/embed/{first}.svg"' in page
    assert "```{.markdown .fg-wrap}" in page  # the sample wraps on a phone (docs/stylesheets/extra.css)
    assert "Links inside the snippets" not in page  # the address was set: no note that it is a default


def test_the_embed_page_says_when_the_address_is_the_default(
    golden: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FG_SITE_URL", raising=False)
    render.build(corpus.load_corpus(golden), tmp_path / "generated")
    page = (tmp_path / "generated" / "embed.md").read_text()
    assert "start with `http://127.0.0.1:8000/`, where `nox -s serve` shows" in page
    assert "Set the environment variable `FG_SITE_URL`" in page


def test_samples_that_wrap_have_a_style_that_wraps_them() -> None:
    assert escape.code_block("x", "markdown", wrap=True).startswith("```{.markdown .fg-wrap}\n")
    css = (ROOT / "docs" / "stylesheets" / "extra.css").read_text()
    rule = css[css.index(".md-typeset .fg-wrap pre > code {") :].split("}")[0]
    assert "white-space: pre-wrap" in rule and "overflow-wrap: anywhere" in rule


# --- hostile text stays text -----------------------------------------------------------------------------

HOSTILE = [SCRIPT, SNIPPET_LINES + "\x02\x0b\x7f", *(p.format(n=3) for p in hostile.PAYLOADS)]


@pytest.mark.parametrize("payload", HOSTILE)
def test_the_html_snippet_and_the_badge_keep_hostile_text_inert(payload: str) -> None:
    item = SimpleNamespace(what=payload, detail=payload)
    use_case = SimpleNamespace(id="batch-inference", title=payload)
    r = SimpleNamespace(use_case=use_case, ring="too uncertain to call", verdict=SimpleNamespace(why=payload),
                        provenance=SimpleNamespace(text=payload), reasons=lambda: [item],
                        facts=[SimpleNamespace(about=payload)], scope=SimpleNamespace(hardware="cpu"))  # fmt: skip
    env = embed.markup_environment()
    html = Markup(env.get_template("snippet.html.j2").render(r=r, base=SITE + "/", hardware_words={}))
    assert set(html.tags) <= {"div", "p", "strong", "a", "ul", "li"}
    assert [(t, n) for t, n, _ in html.attrs] == [("div", "class"), ("a", "href")]
    assert [v for t, n, v in html.attrs if n == "href"] == [f"{SITE}/generated/decide.html#batch-inference"]
    assert escape.one_line(payload) in html.text  # shown as it was, as text
    written = env.get_template("badge.svg.j2").render(badge=embed.badge(payload, r.ring), padding=embed.PADDING)
    badge = ET.fromstring(written)  # well-formed XML: no control character, every "<" and "&" escaped
    assert {e.tag.removeprefix(SVG) for e in badge.iter()} <= {"svg", "title", "rect", "g", "text"}
    assert badge.findtext(f"{SVG}title") == f"{escape.one_line(payload)}: too uncertain to call"
    names = {name for e in badge.iter() for name in e.attrib}  # no handler, link or style came with the text
    assert names <= {"width", "height", "role", "aria-label", "x", "y", "fill", "font-family", "font-size",
                     "textLength", "lengthAdjust"}  # fmt: skip
    markdown_badge, html_badge = embed.badge_markup(SITE + "/", "batch-inference", payload, r.ring)
    shown = Markup(html_badge)
    assert shown.tags == ["a", "img"] and [n for _, n, _ in shown.attrs] == ["href", "src", "alt"]
    assert "<" not in markdown_badge
