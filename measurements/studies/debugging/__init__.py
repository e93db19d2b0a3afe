"""Debugging: each debugging aid tried in a fresh process, in every framework, not asserted.

Tried: ``print()`` inside a compiled function (``torch.compile`` vs ``tf.function`` vs
``jax.jit``, with ``tf.print`` and ``jax.debug.print`` beside it), a pdb breakpoint inside the
model's forward pass (driven by scripted commands: ``p type(x).__name__``, ``p x.shape``, ``c``),
eager and compiled (for JAX also ``jax.debug.breakpoint``, JAX's own debugger, under ``jit``),
anomaly detection on a NaN-producing op (``torch.autograd.detect_anomaly`` vs
``tf.debugging.enable_check_numerics`` vs the ``jax_debug_nans`` flag), and the global switch that
runs compiled code eagerly (``TORCH_COMPILE_DISABLE=1`` vs ``tf.config.run_functions_eagerly(True)``
vs the ``jax_disable_jit`` flag, the global form of ``jax.disable_jit()``). Each script prints
markers that are counted here; the framework is not imported in this process.
"""

from __future__ import annotations

import importlib
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from measurements.catalog import STUDIES
from measurements.findings import DebuggingFinding, OwnBreakpoint
from measurements.launch import child_env, launch
from measurements.studies.errors import parse_traceback

STUDY = STUDIES["debugging"]
SCRIPT_TIMEOUT_S = 300
ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


@dataclass(frozen=True)
class Outcome:
    """One run of one script."""

    path: str  # where the script was written (it is gone afterwards)
    returncode: int
    stdout: str
    stderr: str

    def error(self) -> str | None:
        """``Type: message`` of the script's uncaught exception, cut to 1000 characters; None if it ended well."""
        if self.returncode == 0:
            return None
        parsed = parse_traceback(self.stderr)
        if parsed is None:
            return f"exited with code {self.returncode}: {self.stderr.strip()[-500:]}"
        return f"{parsed.error_type}: {parsed.message}"[:1000]

    def count(self, line: str, before: str | None = None) -> int:
        """How many stdout lines equal ``line`` (only those before the line ``before``, if given)."""
        lines = self.stdout.splitlines()
        if before is not None and before in lines:
            lines = lines[: lines.index(before)]
        return sum(1 for x in lines if x.strip() == line)

    def marker(self, name: str) -> str | None:
        """The rest of the first stdout line starting with ``name``."""
        return next((x[len(name) :].strip() for x in self.stdout.splitlines() if x.startswith(name)), None)


def execute(source: str, extra_env: dict[str, str] | None = None, timeout_s: float = SCRIPT_TIMEOUT_S) -> Outcome:
    """Run ``source`` as a script in a fresh interpreter, in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="fg-debug-") as tmp:
        path = Path(tmp) / "debug_me.py"
        path.write_text(source)
        env = child_env({**ENV, **(extra_env or {})}, project=False)
        done = launch([sys.executable, str(path)], env=env, cwd=tmp, timeout_s=timeout_s, capture="separate")
    if done.killed_for == "timeout":
        return Outcome(str(path), -9, "", done.stderr + f"\n(killed after {timeout_s:.0f} s)")
    return Outcome(str(path), done.returncode if done.returncode is not None else -9, done.stdout, done.stderr)


# how the breakpoint scripts end (each writes its debugger's log to ``log`` and the model's output to ``out``)
LOG_END = """\
print("PDB-LOG-BEGIN")
print(log.getvalue())
print("PDB-LOG-END")
print(f"OUTPUT-SHAPE {tuple(out.shape)}")
"""


def scripts(framework: str) -> ModuleType:
    """The framework's scripts (``debugging/<framework>.py``): ``PRINT`` and its ``print_notes``,
    ``BREAKPOINT`` and ``OWN_BREAKPOINT`` (the framework's own breakpoint for compiled code, tried
    beside pdb, or None: its name, its debugger's prompt and the script; the debugger reads the same
    scripted commands, two calls' worth, and writes to the log), each ending with ``LOG_END``;
    ``ANOMALY``; ``EAGERLY`` and its ``SWITCH``."""
    return importlib.import_module(f"{__name__}.{framework}")


def excerpt(text: str, limit: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- print() inside a compiled function ------------------------------------------------------


def print_in_compiled(framework: str) -> DebuggingFinding:
    code = scripts(framework)
    run = execute(code.PRINT)
    prints = run.count("PRINTED", before="CALLS-DONE")
    when = {3: "on every call", 1: "once, while tracing", 0: "never"}.get(prints, f"{prints} times")
    observed = f"print() inside the compiled function ran {when} over 3 calls ({prints} lines)."
    observed += code.print_notes(run)
    return {
        "id": "print_in_compiled", "title": "print() inside a compiled function",
        "works": run.returncode == 0 and prints == 3, "observed": observed, "prints": prints,
        "evidence": excerpt(run.stdout), "error": run.error(),
    }  # fmt: skip


# --- a pdb breakpoint inside forward / call -------------------------------------------------


_STOP = re.compile(r"(?m)(?:^|\(Pdb\) )> (?P<file>.+)\((?P<line>\d+)\)(?P<function>\S*)\(\)$")


@dataclass(frozen=True)
class Stop:
    """One stop of pdb: where it stopped and what it answered to ``p type(x).__name__`` and ``p x.shape``."""

    file: str
    function: str
    type_shown: str
    shape_shown: str

    def in_forward(self) -> bool:
        return Path(self.file).name == "debug_me.py" and self.function in ("forward", "call")

    def concrete(self) -> bool:
        return self.in_forward() and concrete(self.type_shown, self.shape_shown)

    def describe(self) -> str:
        where = "in forward" if self.function == "forward" else "in call" if self.function == "call" else (
            f"in {Path(self.file).name} {self.function}(), not in the model"
        )  # fmt: skip
        kind = "concrete" if self.concrete() else "not a concrete shape"
        return f"{where}, `p x.shape` gave {self.shape_shown[:100]} ({kind}; type(x): {self.type_shown[:60]})"


def pdb_answers(log: str, prompt: str = "(Pdb) ") -> list[str]:
    """What the debugger printed after each prompt (the first line after each ``(Pdb) ``), in order."""
    return [chunk.splitlines()[0].strip() if chunk.strip() else "" for chunk in log.split(prompt)[1:]]


def pdb_stops(log: str) -> list[Stop]:
    """Each stop of pdb in its log: its location line, ``> file(line)function()`` (at the start of
    a line or after the last prompt), then the answers to the scripted commands."""
    matches = list(_STOP.finditer(log))
    stops = []
    for i, match in enumerate(matches):
        segment = log[match.end() : matches[i + 1].start() if i + 1 < len(matches) else len(log)]
        answers = [*pdb_answers(segment), "", ""]
        stops.append(Stop(match["file"], match["function"], answers[0].strip("'\""), answers[1]))
    return stops


def concrete(type_name: str, shape: str) -> bool:
    """Whether pdb showed an actual tensor with a fully known shape (not a symbolic or fake one)."""
    symbolic_type = any(word in type_name for word in ("Symbolic", "Fake", "Proxy", "Keras", "Tracer"))
    sizes = re.findall(r"\[([^\]]*)\]", shape) or re.findall(r"^\(([^)]*)\)$", shape.strip())  # or a tuple
    return not symbolic_type and bool(sizes) and all(s.strip().isdigit() for s in sizes[0].split(",") if s.strip())


def breakpoint_in_forward(framework: str, compiled: bool) -> DebuggingFinding:
    """Works when pdb stops in forward on each of 2 calls showing the actual tensor, with a concrete
    shape (an extra stop on symbolic values, while tracing or building, is reported but not held
    against it)."""
    run = execute(scripts(framework).BREAKPOINT + LOG_END, {"FG_COMPILED": "1" if compiled else "0"})
    log = run.stdout.partition("PDB-LOG-BEGIN")[2].partition("PDB-LOG-END")[0]
    stops = pdb_stops(log)
    where = "the compiled model" if compiled else "the eager model"
    if stops:
        each = "; ".join(f"{i}. {stop.describe()}" for i, stop in enumerate(stops, 1))
        observed = f"pdb stopped {len(stops)} time(s) over 2 calls of {where}: {each}."
    else:
        observed = f"pdb never stopped in 2 calls of {where}."
    found: DebuggingFinding = {
        "id": "breakpoint_compiled" if compiled else "breakpoint_eager",
        "title": f"pdb breakpoint in forward, {'compiled' if compiled else 'eager'}",
        "works": run.returncode == 0 and sum(stop.concrete() for stop in stops) >= 2, "observed": observed,
        "stops": len(stops), "stops_in_forward": sum(stop.in_forward() for stop in stops),
        "shapes_shown": [stop.shape_shown for stop in stops], "types_shown": [stop.type_shown for stop in stops],
        "evidence": excerpt(log or run.stdout), "error": run.error(),
    }  # fmt: skip
    if compiled and scripts(framework).OWN_BREAKPOINT:
        own = own_breakpoint(framework)
        found = {**found, **own, "observed": f"{observed} {own['own_breakpoint_observed']}"}
    return found


def debugger_stops(log: str, prompt: str) -> list[tuple[str, str]]:
    """(type, shape) that a debugger with ``prompt`` answered to ``p type(x).__name__`` and ``p x.shape``
    at each stop: the commands are read in threes (the third is ``c``)."""
    answers = pdb_answers(log, prompt)
    return [
        (answers[i].strip("'\""), answers[i + 1] if i + 1 < len(answers) else "") for i in range(0, len(answers), 3)
    ]


def own_breakpoint(framework: str) -> OwnBreakpoint:
    """The framework's own breakpoint for compiled code (``OWN_BREAKPOINT``), tried on 2 calls of
    the compiled forward; it works when it stops on each call showing an actual array of a
    concrete shape. Reported beside the pdb finding, under ``own_breakpoint_*``."""
    tool, prompt, source = scripts(framework).OWN_BREAKPOINT
    run = execute(source + LOG_END)
    log = run.stdout.partition("PDB-LOG-BEGIN")[2].partition("PDB-LOG-END")[0]
    stops = debugger_stops(log, prompt)
    concrete_stops = sum(concrete(kind, shape) for kind, shape in stops)
    if stops:
        each = "; ".join(f"{i}. `p x.shape` gave {shape[:100]} (type(x): {kind[:60]})"
                         for i, (kind, shape) in enumerate(stops, 1))  # fmt: skip
        observed = f"{tool} stopped {len(stops)} time(s) over 2 calls of the compiled model: {each}."
    else:
        observed = f"{tool} never stopped in 2 calls of the compiled model."
    if run.returncode != 0:
        observed += f" The script failed: {run.error()}"
    return {
        "own_breakpoint": tool, "own_breakpoint_works": run.returncode == 0 and concrete_stops >= 2,
        "own_breakpoint_observed": observed, "own_breakpoint_evidence": excerpt(log or run.stdout + run.stderr),
    }  # fmt: skip


# --- anomaly detection on a NaN-producing op --------------------------------------------------


def cites_line(text: str, path: str, line: int) -> bool:
    """Whether ``text`` points at ``line`` of the script at ``path`` (as a traceback frame)."""
    return re.search(rf'{re.escape(Path(path).name)}", line {line}\b', text) is not None


def anomaly_detection(framework: str) -> DebuggingFinding:
    source = scripts(framework).ANOMALY
    nan_line = next(i for i, line in enumerate(source.splitlines(), 1) if "NAN-LINE" in line)
    run = execute(source)
    parsed = parse_traceback(run.stderr) if run.returncode != 0 else None
    message = parsed.message if parsed else ""
    names_op = "sqrt" in message.lower()
    points = cites_line(run.stderr, run.path, nan_line)
    if parsed is None:
        observed = f"No error: the NaN went through ({run.marker('NO-ERROR') or 'no output'})."
    else:
        observed = (
            f"Raised {parsed.error_type}; the message {'names' if names_op else 'does not name'} the sqrt op, and "
            f"the output {'points at' if points else 'does not point at'} the user's line that made the NaN."
        )
    return {
        "id": "anomaly_detection", "title": "Anomaly detection on a NaN",
        "works": parsed is not None and names_op, "observed": observed, "names_op": names_op,
        "points_to_user_line": points, "evidence": excerpt(message or run.stdout), "error": run.error(),
    }  # fmt: skip


# --- running compiled code eagerly ------------------------------------------------------------


def floats(marker: str | None) -> list[float] | None:
    return [float.fromhex(v) for v in marker.split()] if marker else None


def run_eagerly(framework: str) -> DebuggingFinding:
    code = scripts(framework)
    variable, switch = code.SWITCH
    normal, eager = execute(code.EAGERLY), execute(code.EAGERLY, {variable: "1"})
    reference, output = floats(normal.marker("OUTPUT")), floats(eager.marker("OUTPUT"))
    prints_normal, prints_eager = normal.count("PRINTED"), eager.count("PRINTED")
    same = reference is not None and output == reference
    diff = max(abs(a - b) for a, b in zip(reference, output, strict=True)) if reference and output else None
    observed = (
        f"With {switch}, print() ran {prints_eager} times over 3 calls (compiled: {prints_normal}); the output "
        + (
            "equals the compiled output bit for bit."
            if same
            else f"differs from the compiled output (by at most {'n/a' if diff is None else format(diff, '.2g')})."
        )
    )
    return {
        "id": "run_eagerly", "title": "Running compiled code eagerly", "switch": switch,
        "works": prints_eager == 3 and output is not None and diff is not None and diff <= 1e-6,
        "observed": observed, "prints_compiled": prints_normal, "prints_eager": prints_eager, "bitwise_equal": same,
        "max_abs_difference": diff, "evidence": excerpt(f"compiled: {normal.stdout}\nswitched: {eager.stdout}"),
        "error": normal.error() or eager.error(),
    }  # fmt: skip


CAPABILITIES: tuple[tuple[str, Callable[[str], DebuggingFinding]], ...] = (
    ("print_in_compiled", print_in_compiled),
    ("breakpoint_eager", lambda framework: breakpoint_in_forward(framework, compiled=False)),
    ("breakpoint_compiled", lambda framework: breakpoint_in_forward(framework, compiled=True)),
    ("anomaly_detection", anomaly_detection),
    ("run_eagerly", run_eagerly),
)


def run(framework: str, only: tuple[str, ...] | None = None) -> list[DebuggingFinding]:
    """One finding per debugging aid (or per aid in ``only``), each tried in its own process."""
    return [attempt(framework) for name, attempt in CAPABILITIES if only is None or name in only]
