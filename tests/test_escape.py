"""One escaping policy: the filters of ``generator.pages.escape``, the pages built from hostile values, the
snippet directives that must never expand, and property-based tests (Hypothesis) over the schema."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.analyse import study_usability
from generator.judge import claims
from generator.pages import escape, render
from generator.read import corpus, facts, studies
from measurements import UserError
from measurements import results as results_model
from tests import hostile
from tests.conftest import ROOT, make_result, write_results
from tests.test_site import build_site
from tests.test_studies import study_doc, write_study

BREAKOUT = "https://x.org/a)<svg onload=alert(1)>"
SCRIPT = '<img src=x onerror=alert(1)>"}{: onclick="alert(2)" }[x](javascript:alert(3))'
SNIPPET_LINES = '--8<-- "index.md"\n--8<--\nmethodology.md\n--8<--\n  --8<-- "nothing-here.md"\n'
# What pymdownx.snippets reads as a directive (pymdownx/snippets.py, RE_ALL_SNIPPETS): unescaped, no ";"
DIRECTIVE = re.compile(r"""^[ \t]*-+8<-+([ \t]+("(?:\\"|[^"\n\r])+?"|'(?:\\'|[^'\n\r])+?'))?[ \t]*$""", re.MULTILINE)
TEMPLATE_TAGS = {"form", "fieldset", "legend", "label", "input", "div", "noscript", "nav"}
# A fenced code block as escape.code_block writes it (its fence longer than any run of backticks inside):
# what is in it is shown as written, such as the HTML of a badge on the Embed page
FENCED = re.compile(r"^[ \t]*(`{3,})[^\n`]*\n.*?^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)
QUIET = settings(max_examples=200, deadline=None, database=None)


def pages_of(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.md")}


def build(results: Path, out: Path) -> dict[str, str]:
    render.build(corpus.load_corpus(results), out)
    return pages_of(out)


def snippets_markdown(base: Path) -> markdown.Markdown:
    """Python-Markdown as the site configures it: snippets restricted to ``base``, failing on a missing path."""
    config = {"base_path": [str(base)], "restrict_base_path": True, "check_paths": True}
    extensions = ["pymdownx.snippets", "pymdownx.superfences", "admonition", "attr_list"]
    return markdown.Markdown(extensions=extensions, extension_configs={"pymdownx.snippets": config})


# --- the filters --------------------------------------------------------------------------------


def test_text_escapes_markdown_and_html_on_one_line() -> None:
    found = escape.text('a <b> "c" [d](e) {#f} | `g`\n--8<-- "h"\x02x\x03')
    assert "<" not in found and '"' not in found and "\n" not in found and "\x02" not in found
    assert found.startswith("a &lt;b&gt; &quot;c&quot; \\[d\\]\\(e\\) \\{\\#f\\} \\| \\`g\\`")
    assert "8&lt;" in found  # no snippet marker survives


def test_code_spans_and_attributes() -> None:
    assert escape.code("amd-epyc-2cpu") == "`amd-epyc-2cpu`"
    assert escape.code("a`b") == "``a`b``"
    assert escape.code("`x") == "`` `x ``"
    assert escape.attr('x" onload="alert(1)"') == "x&quot; onload=&quot;alert(1)&quot;"


def test_anchors_file_names_and_paths_cannot_break_out() -> None:
    assert escape.anchor("2.13.0+cpu") == "2-13-0_cpu"
    assert escape.anchor('a} onclick="x" {') == "a-onclick-x"
    assert (
        escape.file_name("m-versions-pytorch-2.11.0+cu130-2.13.0+cpu") == "m-versions-pytorch-2.11.0_cu130-2.13.0_cpu"
    )
    assert escape.file_name("../../etc/x") == "etc-x"
    assert escape.path("amd-epyc-2cpu/mlp.pytorch-2.13.0_cpu.eager.cpu.json") == (
        "amd-epyc-2cpu/mlp.pytorch-2.13.0_cpu.eager.cpu.json"
    )
    assert escape.path("../x) <img>.svg") == "%2E%2E/x%29%20%3Cimg%3E.svg"


@pytest.mark.parametrize(
    ("address", "safe"),
    [
        ("https://pytorch.org/docs/stable/index.html#x", True),
        ("https://news.ycombinator.com./item?id=15210395", True),
        (BREAKOUT, False),
        ("https://x.org/a b", False),
        ('https://x.org/"x', False),
        ("https://x.org/[x]", False),
        ("javascript:alert(1)", False),
        ("http://x.org/", False),
        ("https://user@x.org/", False),
        ("https:///x", False),
        ("https://x.org:99999/", False),
    ],
)
def test_urls_are_parsed_and_only_plain_https_is_linked(address: str, safe: bool) -> None:
    assert (escape.url(address) == address) is safe
    linked = escape.link(address)
    if safe:
        assert linked.startswith("[") and linked.endswith(f"]({address})")
    else:
        assert "](" not in linked and "<" not in linked  # shown as text, not linked


def test_json_inside_html_cannot_close_the_script() -> None:
    found = escape.json_html({"x": "</script><script>alert('1')</script>&"})
    assert "<" not in found and ">" not in found and "'" not in found and "&" not in found
    assert json.loads(found) == {"x": "</script><script>alert('1')</script>&"}


def test_snippet_directives_in_a_code_block_are_shown_not_expanded(tmp_path: Path) -> None:
    (tmp_path / "index.md").write_text("SECRET INCLUDED")
    (tmp_path / "methodology.md").write_text("SECRET INCLUDED")
    html = snippets_markdown(tmp_path).convert(escape.code_block(SNIPPET_LINES, "text"))
    assert "SECRET" not in html
    assert "--8&lt;-- &quot;index.md&quot;" in html or '--8&lt;-- "index.md"' in html  # shown as it was


# --- properties (Hypothesis) ------------------------------------------------------------------------

ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=80) | st.sampled_from(
    [SCRIPT, BREAKOUT, SNIPPET_LINES, "--8<-- [start:x]\nx\n--8<-- [end:x]", "\x02wzxhzdk:0\x03"]
)


@QUIET
@given(ANY_TEXT)
def test_text_never_leaves_markup_or_a_second_line(value: str) -> None:
    found = escape.text(value)
    assert not re.search(r"[<>\"\n\r\x00-\x08]", found)
    assert not re.search(r"(?<!\\)[\[\](){}`*_|]", found)  # every Markdown special behind a backslash
    rendered = markdown.markdown(f"| a |\n|---|\n| {found} |", extensions=["tables", "attr_list"])
    assert "<table>" in rendered and not (set(re.findall(r"<([a-z]+)", rendered)) - {"table", "thead", "tbody",
                                                                                       "tr", "th", "td"})  # fmt: skip


@QUIET
@given(ANY_TEXT)
def test_attr_anchor_path_and_file_name_stay_in_their_context(value: str) -> None:
    assert not re.search(r"[<>\"\n]", escape.attr(value))
    assert re.fullmatch(r"[A-Za-z0-9_-]+", escape.anchor(value))
    assert re.fullmatch(r"[A-Za-z0-9._-]+", escape.file_name(value)) and not escape.file_name(value).startswith(".")
    found = escape.path(value)
    assert re.fullmatch(r"[A-Za-z0-9._~%/-]*", found)
    assert not {".", ".."} & set(found.split("/"))


@QUIET
@given(ANY_TEXT | st.from_regex(r"\Ahttps://[a-z]{1,8}\.org/[ -~]{0,20}\Z"))
def test_url_accepts_only_what_is_inert_in_a_link(value: str) -> None:
    found = escape.url(value)
    if found is not None:
        assert found.startswith("https://") and not re.search(r"[\s\"'<>()\[\]{}\\`]", found)
    rendered = markdown.markdown(escape.link(value))
    assert not (set(re.findall(r"<([a-z]+)", rendered)) - {"p", "a"})
    assert "javascript:" not in rendered.lower() or (found is None and "href" not in rendered)


# --- prose: the lighter filter of the snippets other sites embed ---------------------------------------

# Python-Markdown with every extension of this site that reads a line: the snippets go to MkDocs sites
SITE_EXTENSIONS = ["tables", "attr_list", "admonition", "def_list", "md_in_html", "pymdownx.details",
                   "pymdownx.superfences", "pymdownx.tabbed", "toc"]  # fmt: skip
# where a snippet puts a value: the Markdown around it, the elements it may make, the text shown beside it
PLACES = {
    "paragraph": ("{}", {"p"}, ""),
    "second line of a paragraph": ("x\n{}", {"p"}, "x "),
    "list item": ("- a: {}", {"ul", "li"}, "a: "),
    "bold": ("**{}: b**: c", {"p", "strong"}, "{}: b: c"),
    "table cell": ("| a |\n|---|\n| {} |", {"table", "thead", "tbody", "tr", "th", "td"}, "a "),
}
BLOCK_OPENERS = ["# x", "- x", "+ x", "* x", "1. x", "2) x", "> x", "---", "===", ": x", "!!! note", "??? x",
                 '=== "x"', "~~~", "```", "| a | b |", "    x", ";--8<-- 'index.md'", "*[x]: y", "[^1]: y"]  # fmt: skip
HOSTILE_TEXT = [SCRIPT, BREAKOUT, SNIPPET_LINES, *(p.format(n=7) for p in hostile.PAYLOADS), *BLOCK_OPENERS,
                "<1@x.org>", "<https://x.org>", "&#60;script&#62;", "&amp", "a ~~b~~ c", "__x__ _y_ a_b",
                "x\\*y"]  # fmt: skip


class Shown(HTMLParser):
    """The elements and the text a browser shows of some HTML."""

    def __init__(self, html_text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text = ""
        self.feed(html_text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def assert_shown_as_it_is(value: str) -> None:
    """``prose(value)`` in each place a snippet puts it makes no markup, and shows ``value`` as it is."""
    for place, (source, allowed, beside) in PLACES.items():
        shown = Shown(markdown.markdown(source.format(escape.prose(value)), extensions=SITE_EXTENSIONS))
        assert shown.tags <= allowed, (place, value, shown.tags)
        expected = beside.format(escape.one_line(value)) if "{}" in beside else beside + escape.one_line(value)
        assert " ".join(shown.text.split()) == " ".join(expected.split()), (place, value)


def test_prose_leaves_plain_figures_and_names_alone() -> None:
    plain = "Measured on amd-epyc-2cpu (AMD EPYC, 2 cores) with PyTorch 2.13.0+cpu: 0.25 ms, p < 0.001 & more"
    assert escape.prose(plain) == plain
    assert escape.prose("snake_case __init__ *x* [y](z) a|b `c` {#d}") == (
        "snake_case \\_\\_init\\_\\_ \\*x\\* \\[y\\](z) a\\|b \\`c\\` \\{#d\\}"
    )
    assert escape.prose("<b>&amp;") == "&lt;b>&amp;amp;"
    assert escape.prose("# x") == "&#35; x" and escape.prose("12. x") == "12&#46; x"


@pytest.mark.parametrize("value", HOSTILE_TEXT)
def test_prose_keeps_every_hostile_value_inert_and_shown_as_it_is(value: str) -> None:
    assert_shown_as_it_is(value)
    assert not DIRECTIVE.search(escape.prose(value))


@QUIET
@given(
    ANY_TEXT | st.sampled_from(HOSTILE_TEXT) | st.lists(st.sampled_from([*HOSTILE_TEXT, " ", "_", "1."])).map("".join)
)
def test_prose_never_makes_markup(value: str) -> None:
    assert_shown_as_it_is(value)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ANY_TEXT)
def test_no_code_block_expands_a_snippet(tmp_path: Path, value: str) -> None:
    (tmp_path / "index.md").write_text("SECRET INCLUDED")
    html = snippets_markdown(tmp_path).convert(escape.code_block(value + "\n" + SNIPPET_LINES, "text", 4))
    assert "SECRET" not in html


# --- the schema: strict names and versions, dates, bounded figures -------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (("software", "framework", "version"), "2.0/../../x"),
        (("software", "framework", "version"), '2.0"}<svg onload=alert(1)>'),
        (("software", "framework", "version"), "2.0 {#x}"),
        (("machine", "id"), "a-"),
        (("run", "workload"), "mlp__"),
        (("run", "mode"), "eager--x"),
        (("run", "started_at"), "yesterday"),
        (("run", "started_at"), "2026-13-45T99:00:00+00:00"),
        (("measurements", 0, "case"), "n=1\x01"),  # the chart renderer aborts the process on it
        (("machine", "cpu_model"), "x\ud800"),  # cannot be written as UTF-8
    ],
)
def test_check_refuses_loose_names_versions_and_dates(field: tuple[str | int, ...], value: str) -> None:
    doc = make_result()
    node: Any = doc
    for key in field[:-1]:
        node = node[key]
    node[field[-1]] = value
    found, problems = results_model.check_document(doc)
    assert found is None and problems[0].startswith(str(field[0]))


@pytest.mark.parametrize("version", ["2.13.0+cpu", "2.11.0+cu130", "2.21.0", "2.4.6", None])
def test_real_versions_pass(version: str | None) -> None:
    assert results_model.check_document(make_result(version=version) if version else _unversioned())[0] is not None


def _unversioned() -> dict[str, Any]:
    doc = make_result(status="unavailable", error="No module named 'torch'")
    doc["software"]["framework"]["version"] = None
    return doc


@pytest.mark.parametrize("sample", [1.7e308, 1e-300, 5e-324])
def test_check_refuses_figures_no_page_can_show(sample: float) -> None:
    assert results_model.check_document(make_result(samples=[100.0, sample, 99.0]))[0] is None


def test_committed_results_and_studies_still_pass() -> None:
    paths = sorted((ROOT / "results").glob("*/*.json"))
    assert paths
    for path in paths:
        assert results_model.check_file(path)[1] == [], path
    for path in studies.study_files(ROOT / "results"):
        assert studies.check_study(path)[1] == [], path


def test_code_size_fields_must_be_numbers(tmp_path: Path) -> None:
    bad = study_doc("codesize", "pytorch", [{"id": "mlp", "lines": "12", "tokens": 3, "files": []}])
    assert "findings.0.lines" in studies.check_study(write_study(tmp_path, bad))[1][0]


# --- hostile values through the pages -------------------------------------------------------------------


def test_export_study_fields_are_escaped_on_the_ecosystem_page(golden: Path, tmp_path: Path) -> None:
    finding = {"id": "onnx-mlp", "path": SCRIPT, "model": SCRIPT, "success": False, "stage": SCRIPT,
               "error": SNIPPET_LINES, "convert_s": None, "artifact_bytes": None, "max_abs_diff": None,
               "parity_passed": None, "latency_ms": None, "runtime": SCRIPT, "notes": {SCRIPT: SCRIPT},
               "warnings": []}  # fmt: skip
    for framework in ("pytorch", "tensorflow"):
        write_study(golden, study_doc("export", framework, [finding]))
    page = build(golden, tmp_path / "out")["ecosystem.md"]
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in page
    assert "<img" not in page and "<svg" not in page and '"}' not in page
    assert not re.search(r"(?<!\\)\{: onclick", page)
    assert not DIRECTIVE.search(page)


def test_embed_snippets_escape_what_they_carry() -> None:
    hostile = SCRIPT + "\n" + SNIPPET_LINES
    item = SimpleNamespace(what=hostile, detail=hostile)
    fact = SimpleNamespace(about=hostile)
    found_on = SimpleNamespace(text=hostile, short=hostile)  # machine ids and CPU models come from results files
    use_case = SimpleNamespace(id="batch-inference", title=SCRIPT)
    r = SimpleNamespace(use_case=use_case, ring="too uncertain to call", confidence=None, machine="m-1",
                        verdict=SimpleNamespace(why=hostile), provenance=found_on, reasons=lambda: [item],
                        facts=[fact], scope=SimpleNamespace(hardware="cpu"))  # fmt: skip
    env = render.environment()
    words = {"cpu": "the CPUs of one machine"}
    written = env.get_template("snippet.md.j2").render(r=r, base="", hardware_words=words)
    table = env.get_template("snippet-table.md.j2").render(recommendations=[r], base="", machine_id="m-1",
                                                           measured_on=found_on, hardware_words=words)  # fmt: skip
    for found in (written, table):
        assert "<svg" not in found and "<img" not in found and not DIRECTIVE.search(found)


def test_a_source_url_cannot_break_out_of_its_link(tmp_path: Path) -> None:
    text = (ROOT / "data" / "facts.toml").read_text()
    first = re.search(r'"https://[^"]+"', text)
    assert first
    path = tmp_path / "facts.toml"
    path.write_text(text.replace(first.group(0), json.dumps(BREAKOUT), 1))
    with pytest.raises(UserError, match="is not an https URL"):
        facts.load_facts(path)
    path = tmp_path / "claims.toml"
    text = (ROOT / "data" / "claims.toml").read_text()
    first = re.search(r'"https://[^"]+"', text)
    assert first
    path.write_text(text.replace(first.group(0), json.dumps(BREAKOUT), 1))
    with pytest.raises(UserError, match="made_in"):
        claims.load_claims(path)


def test_claims_page_links_through_the_url_filter() -> None:
    claim = SimpleNamespace(
        id="x-y",
        claim="A claim",
        expects="pytorch",
        against=("tensorflow",),
        frameworks=("pytorch", "tensorflow"),
        rule={},
        test="how",
        made_in=(BREAKOUT,),
        note="",
    )
    page = render.environment().get_template("claims.md.j2").render(
        machines=[SimpleNamespace(id="m-1", missing=[])], machine_ids=["m-1"], claim_list=[claim], checked={
            ("x-y", "m-1"): SimpleNamespace(verdict="mixed", items=[], context=(), measured_others=(),
                                            unmeasured_others=())},
        measured={}, downloads={}, judged_machines=["m-1"])  # fmt: skip
    assert "<svg" not in page and "](https://x.org/a)" not in page


def test_a_code_size_path_outside_the_repository_is_not_read(golden: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.py"
    secret.write_text("TOP_SECRET = 1\n")
    digest = hashlib.sha256(secret.read_bytes()).hexdigest()
    outside = [str(secret), os.path.relpath(secret, ROOT), "../" * 20 + str(secret).lstrip("/")]
    for framework in ("pytorch", "tensorflow"):
        findings = [{"id": f"w{i}", "lines": 1, "tokens": 3,
                     "files": [{"path": p, "lines": 1, "tokens": 3, "sha256": digest}]}
                    for i, p in enumerate(outside)]  # fmt: skip
        write_study(golden, study_doc("codesize", framework, findings))
    assert all(study_usability.repository_file(p) is None for p in outside)
    escape_py = (ROOT / "generator" / "pages" / "escape.py").resolve()
    assert study_usability.repository_file("generator/pages/escape.py") == escape_py
    pages = build(golden, tmp_path / "out")
    page = pages["usability.md"] + "".join(text for name, text in pages.items() if name.startswith("code/"))
    assert "TOP_SECRET" not in page
    assert page.count("is not a file") >= 3 or page.count("are not files") >= 3  # on each workload's code page


def test_snippet_directives_in_an_error_message_do_not_expand(golden: Path, tmp_path: Path) -> None:
    finding = {"id": "onnx-mlp", "path": "onnx", "model": "mlp", "success": False, "stage": "convert",
               "error": "Traceback\n" + SNIPPET_LINES, "convert_s": None, "artifact_bytes": None,
               "max_abs_diff": None, "parity_passed": None, "latency_ms": None, "runtime": None, "notes": {},
               "warnings": []}  # fmt: skip
    for framework in ("pytorch", "tensorflow"):
        write_study(golden, study_doc("export", framework, [finding]))
    site = build_site(golden, tmp_path / "project")  # a missing snippet would abort it (check_paths)
    ecosystem = (site / "generated" / "ecosystem.html").read_text()
    assert "The verdicts at a glance" not in ecosystem  # docs/index.md was not included
    assert "Measurement rules" not in ecosystem and "## Profiles" not in ecosystem
    assert "--8&lt;-- &quot;index.md&quot;" in ecosystem or '--8&lt;-- "index.md"' in ecosystem  # shown as text


# --- values check accepts never crash the build (Hypothesis over the schema) --------------------------------

VERSIONS = st.from_regex(r"\A[0-9][0-9A-Za-z.+_-]{0,12}\Z")
SAMPLES = st.lists(st.floats(min_value=1e-9, max_value=1e12), min_size=3, max_size=6)


@settings(max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(cpu=ANY_TEXT, case=ANY_TEXT, error=ANY_TEXT, torch_version=VERSIONS, tf_version=VERSIONS,
       torch_samples=SAMPLES, tf_samples=SAMPLES)  # fmt: skip
def test_any_document_check_accepts_builds_inert_pages(
    tmp_path_factory: pytest.TempPathFactory,
    cpu: str,
    case: str,
    error: str,
    torch_version: str,
    tf_version: str,
    torch_samples: list[float],
    tf_samples: list[float],
) -> None:
    docs = [
        make_result("mlp", "pytorch", "eager", torch_samples, cpu_model=cpu, version=torch_version),
        make_result("mlp", "tensorflow", "function", tf_samples, cpu_model=cpu, version=tf_version),
        make_result("mlp", "tensorflow", "eager", status="failed", error=error, cpu_model=cpu, version=tf_version),
    ]
    for doc in docs:
        for m in doc["measurements"]:
            m["case"] = case
    docs = [d for d in docs if results_model.check_document(copy.deepcopy(d))[0] is not None]
    folder = tmp_path_factory.mktemp("any")
    pages = build(write_results(folder / "results", docs), folder / "out")
    for name, page in pages.items():
        assert not set(re.findall(r"<([a-zA-Z]+)", FENCED.sub("", page))) - TEMPLATE_TAGS, name
        assert not DIRECTIVE.search(page), name
    shutil.rmtree(folder)
