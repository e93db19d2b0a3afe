"""A hostile results folder and hostile data files, made from the committed reference results.

Every free-text value that the checks accept is replaced by a payload that would run script,
load from another host, break out of Markdown, or expand a snippet if it reached a page
unescaped. Values the checks refuse are kept as they were, so that the poisoned files still
pass ``generator check`` and reach the pages. Beside them lie files that must be refused
without stopping anything: deep nesting, wrong types, duplicate keys, a FIFO, a symbolic
link out of the folder, misnamed copies and clashes.

``python -m tests.hostile make DIR`` writes the corpus to DIR; ``python -m tests.hostile build DIR``
then generates the pages from it into ``DIR/src`` (a copy of the site's sources, with the data
files replaced by the poisoned ones), ready for ``mkdocs build`` there.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import jsonschema

from generator.read import studies
from measurements import results as results_model
from measurements.launch import Outcome, child_env, run_tool
from measurements.results import Result, StudyFile

ROOT = Path(__file__).resolve().parents[1]
SOURCE_MACHINE = "amd-epyc-2cpu"
MACHINE = "hostile-2cpu"
EVIL_HOST = "evil.example"

# Each payload carries a marker, fg<N>, that names the value it replaced (see payloads.json).
PAYLOADS = [
    "<img src=x onerror=alert('fg{n}')>",
    '"><svg onload=alert("fg{n}")>',
    "'><script>alert('fg{n}')</script>",
    "[fg{n}](javascript:alert('fg{n}'))",
    "{{: onclick=\"alert('fg{n}')\" }}",
    'fg{n}\n--8<-- "index.md"\n--8<-- "/etc/hostname"',
    f'<img src="https://{EVIL_HOST}/fg{{n}}.png">',
    "`x`)</a><iframe src=javascript:alert('fg{n}')></iframe>",
    "fg{n} <a href=\"javascript:alert('fg{n}')\">x</a> | col | {{#id onmouseover=alert(1)}}",
    "fg{n} ![x](https://" + EVIL_HOST + "/fg{n}.svg)",
]

# Free-text keys of the data files (regular expressions); the ids, rules, weights, dates and URLs keep their values.
TOML_TEXT_KEYS = {
    "claims.toml": ("claim", "test", "note"),
    "facts.toml": (r"frameworks\.[a-z0-9_]+",),  # each statement; the topic is how decide.toml names a fact
    "decide.toml": ("title", "description", "about", "reason", "text", "label"),
}


class Poisoner:
    """Hands out payloads and remembers which value each replaced."""

    def __init__(self) -> None:
        self.where: dict[str, str] = {}

    def payload(self, where: str) -> str:
        n = len(self.where)
        self.where[f"fg{n}"] = where
        return PAYLOADS[n % len(PAYLOADS)].format(n=n)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The paths of every string in a JSON document."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    _get(doc, path[:-1])[path[-1]] = value


def poison(
    doc: dict[str, Any], validator: jsonschema.Draft202012Validator, poisoner: Poisoner, label: str
) -> dict[str, Any]:
    """Every string leaf the schema still accepts as a payload; the rest as they were."""
    original = copy.deepcopy(doc)
    poisoned = copy.deepcopy(doc)
    leaves = [p for p in _leaves(doc) if p[:1] != ("schema_version",)]
    for path in leaves:
        _set(poisoned, path, poisoner.payload(f"{label}:{'.'.join(map(str, path))}"))
    for _ in range(len(leaves) + 1):  # revert the leaves the schema refuses, until none is left
        refused = [tuple(e.absolute_path) for e in validator.iter_errors(poisoned)]
        if not refused:
            break
        for path in leaves:
            if any(path[: len(r)] == r or r[: len(path)] == path for r in refused):
                _set(poisoned, path, _get(original, path))
    return poisoned


def _timing_ok(doc: dict[str, Any]) -> bool:
    return results_model.check_document(copy.deepcopy(doc))[0] is not None


FINGERPRINT = ("cpu_model", "cpu_count", "memory_bytes", "gpus")  # generator/read/plausible.py: one a machine folder


def keep_fingerprint(bad: dict[str, Any], doc: dict[str, Any]) -> None:
    """The machine's fingerprint as measured: a file whose fingerprint differs from its folder's is
    refused whole (tests/test_untrusted.py), so poisoning it would keep every other field's poison
    from reaching the checks and pages."""
    for key in FINGERPRINT:
        if key in doc["machine"]:
            bad["machine"][key] = doc["machine"][key]


def poisoned_results(results: Path, poisoner: Poisoner) -> list[Path]:
    """Poisoned copies of the reference machine's newest results, under ``results/MACHINE``."""
    written = []
    source = ROOT / "results" / SOURCE_MACHINE
    for path in sorted(source.glob("*.json")):
        if "tensorflow-2.20.0" in path.name:
            continue  # one release per framework is enough
        doc = json.loads(path.read_text())
        doc["machine"]["id"] = MACHINE
        bad = poison(doc, results_model._validator(results_model.SCHEMA_PATH), poisoner, path.name)
        for key in ("workload", "framework", "mode", "device"):  # names the checks look up
            bad["run"][key] = doc["run"][key]
        keep_fingerprint(bad, doc)
        if not _timing_ok(bad):
            bad = doc  # the meaning checks refuse it poisoned: keep it clean
        target = results_model.expected_path(cast(Result, bad), results)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(bad, indent=1))
        written.append(target)
    for path in sorted((source / "studies").glob("*.json")):
        doc = json.loads(path.read_text())
        doc["machine"]["id"] = MACHINE
        bad = poison(doc, results_model._validator(results_model.STUDY_SCHEMA_PATH), poisoner, f"studies/{path.name}")
        bad["study"], bad["framework"] = doc["study"], doc["framework"]
        keep_fingerprint(bad, doc)
        target = studies.expected_path(cast(StudyFile, bad), results)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(bad, indent=1))
        written.append(target)
    return written


def broken_files(results: Path, outside: Path) -> None:
    """Files the checks must refuse one by one, without stopping the others."""
    folder = results / MACHINE
    good = json.loads((ROOT / "results" / SOURCE_MACHINE / "mlp.pytorch-2.13.0_cpu.eager.cpu.json").read_text())
    good["machine"]["id"] = MACHINE
    (folder / "deep.json").write_text("[" * 200_000 + "]" * 200_000)
    (folder / "deep-object.json").write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    (folder / "v1-wrong-types.json").write_text(
        json.dumps({"schema_version": 1, "memory": "lots", "measurements": "none", "import_s": {"a": 1}})
    )
    (folder / "v1-wrong-types-2.json").write_text(
        json.dumps({"schema_version": 1, "outcome": [], "memory": [1], "measurements": [{"samples": 3}]})
    )
    (folder / "duplicate-keys.json").write_text('{"schema_version": 2, "schema_version": 2}')
    huge = copy.deepcopy(good)
    huge["measurements"][0]["samples"] = [1.7976931348623157e308] * len(huge["measurements"][0]["samples"])
    huge["run"]["workload"] = "mlp_infer"  # another run, so it is not a clash
    huge["measurements"][0]["metric"] = "infer_latency"
    (folder / "huge-samples.json").write_text(json.dumps(huge))
    slash = copy.deepcopy(good)
    slash["software"]["framework"]["version"] = "2.13.0/../../x"
    (folder / "slash-version.json").write_text(json.dumps(slash))
    bad_date = copy.deepcopy(good)
    bad_date["run"]["started_at"] = "yesterday<script>alert('fg-date')</script>"
    (folder / "bad-date.json").write_text(json.dumps(bad_date))
    clash = copy.deepcopy(good)
    clash["measurements"][0]["samples"] = [s * 2 for s in clash["measurements"][0]["samples"]]
    (folder / "aaa-misnamed-clash.json").write_text(json.dumps(clash))  # sorts before the real one
    os.mkfifo(folder / "fifo.json")
    target = outside / "outside.json"
    target.write_text(json.dumps(good))
    (folder / "link.json").symlink_to(target)


def poisoned_data(data: Path, poisoner: Poisoner) -> None:
    """data/*.toml with every free-text value prefixed by a payload."""
    data.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "data").glob("*.toml")):
        keys = "|".join(TOML_TEXT_KEYS[path.name])
        lines = []
        for line in path.read_text().splitlines():
            match = re.match(rf'^({keys})( = )(".*")$', line)
            if match:
                key, sep, value = match.groups()
                text = poisoner.payload(f"data/{path.name}:{key}") + " " + json.loads(value)
                lines.append(f"{key}{sep}{json.dumps(text)}")
            else:
                lines.append(line)
        (data / path.name).write_text("\n".join(lines) + "\n")


def make(where: Path) -> Poisoner:
    """Write the corpus: ``where/results`` (results folder), ``where/data`` (data files),
    ``where/outside`` (what a symbolic link points to), ``where/payloads.json``."""
    poisoner = Poisoner()
    (where / "outside").mkdir(parents=True, exist_ok=True)
    poisoned_results(where / "results", poisoner)
    broken_files(where / "results", where / "outside")
    poisoned_data(where / "data", poisoner)
    (where / "payloads.json").write_text(json.dumps(poisoner.where, indent=1))
    return poisoner


def site_sources(where: Path) -> Path:
    """A copy of the site's sources (mkdocs.yml, its hook and docs/, without generated pages) in ``where/src``."""
    src = where / "src"
    shutil.copytree(ROOT / "docs", src / "docs", ignore=shutil.ignore_patterns("generated"), dirs_exist_ok=True)
    shutil.copy2(ROOT / "mkdocs.yml", src / "mkdocs.yml")
    (src / "generator" / "pages").mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "generator" / "pages" / "navigation.py", src / "generator" / "pages" / "navigation.py")
    return src


def build(where: Path) -> int:
    """Generate the pages from the corpus, reading the poisoned data files instead of data/."""
    from generator import __main__ as cli
    from generator.judge import claims, usecases
    from generator.read import facts

    facts.FACTS_PATH = where / "data" / "facts.toml"
    claims.CLAIMS_PATH = where / "data" / "claims.toml"
    usecases.DECIDE_PATH = where / "data" / "decide.toml"
    src = site_sources(where)
    return cli.main(["build", "--results", str(where / "results"), "--out", str(src / "docs" / "generated")])


def run(*command: str, cwd: Path = ROOT, timeout: float = 600) -> Outcome:
    """A command of this project in a child, its output kept (a hang is an error, not a wait)."""
    done = run_tool(command, env=child_env({"NO_MKDOCS_2_WARNING": "1"}), cwd=cwd, timeout_s=timeout)
    if done.killed_for == "timeout":
        raise TimeoutError(f"{' '.join(command)}: {done.error}")
    return done


def build_site(where: Path) -> list[Outcome]:
    """The corpus, its pages generated, and the site built by MkDocs into ``where/src/site``."""
    make(where)
    generated = run(sys.executable, "-m", "tests.hostile", "build", str(where))
    mkdocs = Path(sys.executable).with_name("mkdocs")
    built = run(str(mkdocs), "build", "--strict", cwd=where / "src")
    return [generated, built]


class ActiveContent(HTMLParser):
    """What a browser would run or load from elsewhere: event handlers, ``javascript:`` values, links
    to the outside host, frames, and scripts that call ``alert``. With a ``marker`` (text that only a
    payload holds), a handler or a script counts only where it holds the marker, so that the theme's
    own pass."""

    def __init__(self, marker: str = "") -> None:
        super().__init__()
        self.marker = marker
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, given in attrs:
            value = (given or "").strip()
            if (
                (name.startswith("on") and self.marker in value)
                or value.lower().startswith("javascript:")
                or (name in ("href", "src", "action", "formaction", "data") and urlsplit(value).hostname == EVIL_HOST)
            ):
                self.found.append(f"<{tag} {name}={given!r}>")
        if tag in ("iframe", "object", "embed") or (tag == "svg" and any(n.startswith("on") for n, _ in attrs)):
            self.found.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and re.search(r"alert\(['\"]?" + re.escape(self.marker), data):
            self.found.append(f"<script>{data[:80]}")


def unsafe_markup(site: Path, marker: str = "fg") -> dict[str, list[str]]:
    """Each built page's active content that a payload holding ``marker`` could have made (every
    handler and ``alert`` where the marker is empty)."""
    found = {}
    for page in sorted(site.rglob("*.html")):
        parser = ActiveContent(marker)
        parser.feed(page.read_text(errors="replace"))
        if parser.found:
            found[page.relative_to(site).as_posix()] = parser.found
    return found


if __name__ == "__main__":
    command, folder = sys.argv[1], Path(sys.argv[2])
    if command == "make":
        if folder.exists():
            shutil.rmtree(folder)
        made = make(folder)
        print(f"{len(made.where)} payloads written under {folder}")
    else:
        sys.exit(build(folder))
