"""Escaping at the boundary: every string from a results file or a data file is text until one of
these filters says otherwise, and each filter makes it inert for the one context it lands in.

The pages are Markdown (with attribute lists, admonitions, tables, raw HTML and pymdownx.snippets),
so Jinja's HTML autoescape does not fit them; the templates pass every untrusted value through one
of these instead:

- ``text``: Markdown text on one line (a table cell, a heading, a list item, an admonition title);
- ``prose``: the same for text that leaves this site (the snippets to embed), with fewer backslashes:
  only what can start markup where it stands is escaped, so "0.25" and "amd-epyc-2cpu" read as they are;
- ``code``: an inline code span; ``code_block``: a fenced code block of many lines;
- ``attr``: an HTML attribute value, or text inside a raw HTML element;
- ``anchor``: an id in a heading's attribute list ``{ #... }`` or after ``#`` in a link;
- ``file_name``: a file name made from data (a chart's);
- ``path``: a relative link target or image source (a results file, a chart);
- ``url`` / ``link``: an outside page, parsed and linked only when it is a plain https address;
- ``json_html``: JSON inside HTML (a ``<script>`` element or an attribute).

None of them raises on any string: what cannot be made safe for its context is rendered as plain,
escaped text instead (a refused URL is shown, not linked).
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import quote, urlsplit

# Markdown's escapable characters, and "|" (tables); "<", ">", "&" and quotes become HTML entities
MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")
# Lighter, for ``prose``: what makes markup anywhere in a line. Emphasis and code ("*", "`"), links,
# images and footnotes ("["), attribute lists ("{"), table cells ("|") and backslash escapes ("\\") always;
# "_" where it could open or close emphasis (not between two letters or digits: CommonMark and
# Python-Markdown alike leave "a_b" alone); "~" in a run (strikethrough, a fence).
PROSE_SPECIALS = re.compile(r"([\\`*\[\]{}|])|(?<![^\W_])_|_(?![^\W_])")
PROSE_TILDES = re.compile(r"~(?=~)|(?<=~)~")
# "<" opens raw HTML, an autolink or a snippet marker unless whitespace follows it; "&" an entity
# unless whitespace follows it (at the end of the text, the template's next character follows it)
PROSE_LT = re.compile(r"<(?!\s)")
PROSE_AMP = re.compile(r"&(?!\s)")
# At the start of a line, one more character can open a block: a heading ("#"), a list ("-", "+", "1."
# or "1)"), a quote (">"), a rule or a setext underline ("-", "="), a definition (":"), an admonition
# ("!!!"), a folded block ("???"), a tab ("==="), a fence ("~~~") or a table ("|")
PROSE_BLOCK_START = re.compile(r"^(?:[!-/:-@\[-`{-~]|\d+[.)])")
# C0 and C1 control characters: Python-Markdown uses \x02 and \x03 around its placeholders, so a
# string that carried them could pull stashed raw HTML into the page. Lone surrogates (JSON's
# "\\ud800") cannot be written as UTF-8 at all.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# A line that pymdownx.snippets would read as a directive: "--8<-- 'file'" or a bare "--8<--" block
# marker, or a section marker "--8<-- [start:name]" anywhere in a line (pymdownx/snippets.py)
SNIPPET_LINE = re.compile(
    r"""^([ \t]*)(?=;*(?:-+8<-+[ \t]+(?:"(?:\\"|[^"\n\r])+?"|'(?:\\'|[^'\n\r])+?')(?![ \t])|-+8<-+(?![ \t]))\r?$)""",
    re.MULTILINE,
)
SNIPPET_SECTION = re.compile(r"(?<![;-])(?=;*-+8<-+[ \t]+\[[ \t]*(?:start|end)[ \t]*:)", re.IGNORECASE)
# https URLs: these characters only (RFC 3986 without quotes, brackets, parentheses or backslash)
URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#@!$&*+,;=%]+")
HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?")  # a final "." is a full name
ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _clean(value: object) -> str:
    """The value as a string, without control characters."""
    return CONTROL.sub("", str(value))


def one_line(value: object) -> str:
    """Runs of whitespace (newlines, Unicode line separators) as one space."""
    return " ".join(_clean(value).split())


def text(value: object) -> str:
    """Untrusted text made inert as Markdown on one line: "<", ">", "&" and '"' as entities,
    Markdown's behind a backslash, whitespace collapsed. ``<`` becoming ``&lt;`` also means no
    snippet marker (``--8<--``) survives."""
    escaped = html.escape(MARKDOWN_SPECIALS.sub(r"\\\1", one_line(value)), quote=False)
    # '"' would end an admonition's title; "~~~" could open a code fence. ("'" is inert: no
    # attribute on these pages is single-quoted.)
    return escaped.replace('"', "&quot;").replace("~", "&#126;")


def prose(value: object) -> str:
    """Untrusted text made inert as Markdown on one line, for pages other sites embed: like ``text``,
    but only what can open markup where it stands is escaped (``PROSE_SPECIALS``), so numbers, names
    and sentences read as they are ("0.25", "amd-epyc-2cpu", "(95% interval)", "p < 0.001"). It may start
    a line: a first character that could open a block is written as an entity. Rendered by
    Python-Markdown with this site's extensions, the text shows exactly as it was
    (``tests/test_escape.py``)."""
    found = PROSE_AMP.sub("&amp;", one_line(value))
    found = PROSE_LT.sub("&lt;", found)
    found = PROSE_TILDES.sub("&#126;", PROSE_SPECIALS.sub(lambda m: "\\" + m.group(0), found))
    opener = PROSE_BLOCK_START.match(found)
    if opener and not found.startswith(("\\", "&")):  # already escaped
        mark = opener.group(0)[-1]
        found = f"{opener.group(0)[:-1]}&#{ord(mark)};{found[opener.end() :]}"
    return found


def attr(value: object) -> str:
    """An HTML attribute value (quoted with ``"``) or the text inside a raw HTML element."""
    return html.escape(one_line(value), quote=True)


def code(value: object) -> str:
    """An inline code span: the text shown as it is, on one line, between enough backticks."""
    content = one_line(value)
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if content.startswith("`") or content.endswith("`") or not content else ""
    return f"{fence}{pad}{content}{pad}{fence}"


def neutralise_snippets(value: str) -> str:
    """Escape every pymdownx.snippets directive with its own escape (a ``;`` before the marker), which
    the extension removes again: the line is shown as it is and nothing is included."""
    return SNIPPET_SECTION.sub(";", SNIPPET_LINE.sub(r"\1;", value))


def code_block(value: object, language: str = "", indent: int = 0, *, wrap: bool = False) -> str:
    """Untrusted text as a fenced code block (Markdown escapes what is inside), indented for a tab or
    an admonition; the fence is longer than any run of backticks in the text, and snippet directives
    in it are escaped. ``wrap``: long lines wrap on a narrow screen (the class ``fg-wrap``) instead of
    scrolling sideways."""
    content = neutralise_snippets(_clean(value).replace("\r\n", "\n").replace("\r", "\n"))
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    opening = fence + language
    if wrap:
        opening = f"{fence}{{.{language} .fg-wrap}}" if language else f"{fence}{{.fg-wrap}}"
    lines = [opening, *content.rstrip("\n").splitlines(), fence]
    return "\n".join(" " * indent + line if line.strip() else "" for line in lines)


def anchor(value: object) -> str:
    """An id for a heading's attribute list or a link's fragment: letters, digits, "_" and "-" only
    ("2.13.0+cpu" becomes "2-13-0_cpu")."""
    found = ANCHOR_UNSAFE.sub("-", _clean(value).replace("+", "_")).strip("-")
    return found or "none"


def file_name(value: object) -> str:
    """A file name made from data (a chart's): letters, digits, ".", "_" and "-" only, never starting
    with "." ("x-2.13.0+cpu" becomes "x-2.13.0_cpu"); no "/" can make it a path."""
    found = NAME_UNSAFE.sub("-", _clean(value).replace("+", "_")).strip(".-")
    return found or "none"


def path(value: object) -> str:
    """A relative link target or image source, each "/"-separated part percent-encoded: nothing in it
    can end the link, and no part climbs out ("." and ".." are encoded too)."""
    parts = []
    for part in _clean(value).split("/"):
        encoded = quote(part, safe="")
        parts.append(encoded.replace(".", "%2E") if part in ("", ".", "..") else encoded)
    return "/".join(parts)


def url(value: object, schemes: tuple[str, ...] = ("https",)) -> str | None:
    """The address when it is a plain https URL (a host, no user name, no whitespace, quotes,
    brackets, parentheses or backslashes), else None; ``schemes`` widens that for the site's own."""
    if not isinstance(value, str) or not URL_CHARS.fullmatch(value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port  # a port that is not a number raises
    except ValueError:
        return None
    if parts.scheme not in schemes or "@" in parts.netloc or not parts.hostname:
        return None
    if not HOST.fullmatch(parts.hostname) or (port is not None and not 0 < port < 65536):
        return None
    return value


def site_name(value: object) -> str:
    """The host of a link, for its text ("buildkite.com"), escaped; a refused URL as itself, escaped."""
    found = url(value)
    host = urlsplit(found).hostname if found else None
    return text(host.removeprefix("www.") if host else value)


def link(value: object, label: object = None) -> str:
    """A Markdown link to an outside page when ``value`` passes ``url``; otherwise the address as
    plain escaped text. The label (default: the site's name) is escaped."""
    found = url(value)
    if found is None:
        return text(value)
    return f"[{site_name(found) if label is None else text(label)}]({found})"


def json_html(value: object) -> str:
    """JSON that can stand inside a ``<script>`` element or a single-quoted HTML attribute: the
    characters HTML reads there (``<``, ``>``, ``&``, ``'``) and JavaScript's line separators as
    \\u escapes, which JSON reads back as the same characters."""
    dumped = json.dumps(value, sort_keys=True, ensure_ascii=False)
    for char in "<>&'\u2028\u2029":
        dumped = dumped.replace(char, f"\\u{ord(char):04x}")
    return dumped


FILTERS = {
    "text": text, "prose": prose, "attr": attr, "code": code, "anchor": anchor, "file_name": file_name, "path": path,
    "url": url, "site_name": site_name, "link": link, "json_html": json_html,
}  # fmt: skip
