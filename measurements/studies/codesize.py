"""Code size: how much code each framework needs for the same job, in this project.

Each workload is written idiomatically in every framework (``measurements/workloads/<name>/
<framework>.py``, plus the shared training step ``workloads/shared/<framework>.py`` where the
module uses it). Counted with Python's own tokenizer: lines of code (lines holding a token
other than a comment or a docstring) and tokens (names, operators, literals; no comments,
docstrings, indentation or line ends). The shared training step counts for a workload that
imports it (``steps``), not for one that takes only a small helper from the same module. The
framework is not imported.
"""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
from pathlib import Path

from measurements.catalog import STUDIES
from measurements.findings import CodeFile, CodeSizeFinding
from measurements.results import ROOT

STUDY = STUDIES["codesize"]
# the workload packages it counts, as its catalog entry names them (the inference workloads reuse these modules)
WORKLOADS = tuple(Path(pattern).parent.name for pattern in STUDY.code)
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
           tokenize.ENDMARKER}  # fmt: skip
WORKLOADS_DIR = ROOT / "measurements" / "workloads"


def count(source: str) -> tuple[int, int]:
    """(lines of code, tokens) of Python source, leaving out comments, docstrings and blanks.
    A docstring is a string that makes up a statement of its own."""
    code = [
        t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in SKIPPED - {tokenize.NEWLINE}
    ]
    lines: set[int] = set()
    tokens = 0
    for i, token in enumerate(code):
        if token.type == tokenize.NEWLINE:
            continue
        starts = i == 0 or code[i - 1].type == tokenize.NEWLINE
        ends = i + 1 == len(code) or code[i + 1].type == tokenize.NEWLINE
        if token.type == tokenize.STRING and starts and ends:
            continue
        tokens += 1
        lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines), tokens


def uses_shared_steps(source: str, framework: str) -> bool:
    """Whether a workload module imports the shared training step (``steps``) of its framework. A module
    that takes only a small helper from the shared module (JAX's ``compiled``, two lines, which TensorFlow
    keeps in its adapter, not counted either) does not take on the whole training step."""
    shared = f"measurements.workloads.shared.{framework}"
    return any(
        isinstance(node, ast.ImportFrom) and node.module == shared and any(a.name == "steps" for a in node.names)
        for node in ast.walk(ast.parse(source))
    )


def files(workload: str, framework: str) -> list[Path]:
    own = WORKLOADS_DIR / workload / f"{framework}.py"
    shared = WORKLOADS_DIR / "shared" / f"{framework}.py"
    return [own, shared] if uses_shared_steps(own.read_text(), framework) else [own]


def run(framework: str) -> list[CodeSizeFinding]:
    findings: list[CodeSizeFinding] = []
    for workload in WORKLOADS:
        paths = files(workload, framework)
        parts: list[CodeFile] = []
        for path in paths:
            source = path.read_text()
            loc, tokens = count(source)
            parts.append({
                "path": path.relative_to(ROOT).as_posix(), "lines": loc, "tokens": tokens,
                "sha256": hashlib.sha256(source.encode()).hexdigest(),
            })  # fmt: skip
        findings.append({
            "id": workload, "lines": sum(p["lines"] for p in parts), "tokens": sum(p["tokens"] for p in parts),
            "files": parts,
        })  # fmt: skip
    return findings
