"""Error messages: the same common mistake made in each framework, and what the user is told.

Each mistake is a small, self-contained script per framework in ``mistakes/<id>.<framework>.py``,
written as a user would and making exactly one mistake. Each runs in its own process (cwd a
temporary folder); its traceback is read for the exception's type and message, whether the
deepest frame is the user's own file, and whether the message names the shapes or dtypes that
the snippet's header lists (``# expects-shapes: 784 100``, ``# expects-dtypes: float64 float32``).
A mistake that raises nothing is *silent*: its script prints one ``OBSERVED: ...`` line saying
what went wrong instead. A script that prints ``NOT-APPLICABLE: ...`` could not try the mistake
on this machine (mixing devices needs a GPU). The framework is not imported here.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from measurements.catalog import STUDIES
from measurements.findings import ErrorFinding
from measurements.launch import child_env, launch

STUDY = STUDIES["errors"]
MISTAKES_DIR = Path(__file__).resolve().parent / "mistakes"
SNIPPET_TIMEOUT_S = 240
MESSAGE_LIMIT = 2000


@dataclass(frozen=True)
class Mistake:
    id: str
    title: str
    mistake: str  # one sentence


MISTAKES = (
    Mistake("shape_dense", "Shape mismatch into a dense layer",
            "A batch of 100 features is fed to a dense layer built for 784 inputs."),
    Mistake("dtype_float64", "Float64 input into a float32 model",
            "A float64 tensor made from NumPy data is fed to a float32 model."),
    Mistake("int_numpy_input", "Model called on a NumPy int array",
            "The model is called on integer pixel values straight from a NumPy int64 array."),
    Mistake("loss_label_shape", "Labels of the wrong shape for the loss",
            "One-hot labels of shape (32, 10) are given to the loss that expects class indices of shape (32,)."),
    Mistake("gradient_bookkeeping", "Forgetting the gradient bookkeeping",
            "PyTorch: optimizer.zero_grad() is left out of the training loop; TensorFlow: the loss is computed "
            "outside the GradientTape; JAX (whose gradients are returned, not accumulated): the parameters that "
            "optax.apply_updates returns are not assigned back."),
    Mistake("compile_side_effect", "Python side effect in a compiled function",
            "A compiled function appends to a Python list and bumps a Python counter on every call."),
    Mistake("compile_data_dependent", "Data-dependent control flow in a compiled function",
            "A compiled function takes a Python `if` on the value of a tensor."),
    Mistake("inplace_grad", "In-place change of a tensor needed for gradients",
            "PyTorch: an activation saved for the backward pass is changed in place; TensorFlow (which has no "
            "in-place tensor ops) and JAX (whose arrays are immutable): the same change written as item assignment "
            "into the tensor."),
    Mistake("nan_lr", "NaN from a bad learning rate",
            "A linear regression is trained with plain SGD at a learning rate of 10, far too large."),
    Mistake("mixed_dtypes", "Mixing float32 and float64 in one op",
            "A float32 tensor is added to a float64 tensor."),
    Mistake("mixed_devices", "Mixing devices in one op",
            "A tensor on the GPU is added to a tensor on the CPU."),
    Mistake("conv_rank", "Wrong input rank for a convolution",
            "Grayscale images of shape (32, 28, 28), without their channel axis, are fed to a 2-D convolution."),
    Mistake("channels_order", "Channels-first vs channels-last confusion",
            "Images in the other framework's layout (NHWC vs NCHW) are fed to a convolution."),
    Mistake("eval_mode", "Inference in training mode",
            "A model with Dropout predicts twice on the same input without model.eval() (PyTorch) or "
            "training=False (TensorFlow; in JAX, which has no model modes, the forward function's own training "
            "flag, on by default)."),
)  # fmt: skip

_TRACEBACK = "Traceback (most recent call last):"
_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line \d+')
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<message>.*))?$", re.DOTALL)
_WARNING = re.compile(r"\b(?P<type>\w*Warning): (?P<message>.+)$", re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # Keras makes part of its messages bold on a terminal
_TOOL_COMMENT = re.compile(r"\s+# (?:type: ignore|noqa)\b.*$")
# the note JAX adds (PEP 678) to every exception whose traceback it filtered: the same words after
# every message, so not part of any one message
_FILTER_NOTE = re.compile(r"\n-{20}\nFor simplicity, JAX has removed its internal frames\b.*\Z", re.DOTALL)
# the names each framework's messages may use for a dtype (PyTorch says "Double", TF says "double")
_DTYPE_ALIASES: dict[str, tuple[str, ...]] = {
    "float64": ("float64", "double"),
    "float32": ("float32", "float"),
    "int64": ("int64", "long"),
    "int32": ("int32", "int"),
}


@dataclass(frozen=True)
class Header:
    shapes: tuple[str, ...] | None  # the dimensions the message should name; None: shapes are not the problem
    dtypes: tuple[str, ...] | None


@dataclass(frozen=True)
class ParsedError:
    error_type: str
    message: str
    frames: tuple[str, ...]  # the "File ..." paths of the last traceback, outermost first


def snippet_path(mistake_id: str, framework: str) -> Path:
    return MISTAKES_DIR / f"{mistake_id}.{framework}.py"


def split_header(source: str) -> tuple[Header, str]:
    """The header comments (``# expects-shapes: ...``) and the code below them, without the
    header and without tool comments (``# noqa``, ``# type: ignore``) at line ends."""
    lines = source.splitlines()
    values: dict[str, tuple[str, ...]] = {}
    start = 0
    while start < len(lines) and (lines[start].startswith("#") or not lines[start].strip()):
        key, _, value = lines[start].lstrip("#").partition(":")
        if key.strip().startswith("expects-"):
            values[key.strip()] = tuple(value.split())
        start += 1
    code = "\n".join(_TOOL_COMMENT.sub("", line) for line in lines[start:]).strip() + "\n"
    return Header(values.get("expects-shapes"), values.get("expects-dtypes")), code


def parse_traceback(stderr: str) -> ParsedError | None:
    """The last traceback in ``stderr``: its exception type (the class name without its
    module), its message (terminal colour codes and JAX's note on filtered frames removed) and its
    frames' files; None when there is no traceback."""
    lines = stderr.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(_TRACEBACK)]
    if not starts:
        return None
    frames = []
    i = starts[-1] + 1
    while i < len(lines) and (lines[i].startswith(" ") or not lines[i].strip()):
        match = _FRAME.match(lines[i])
        if match:
            frames.append(match["path"])
        i += 1
    rest = _FILTER_NOTE.sub("", _ANSI.sub("", "\n".join(lines[i:])).strip()).strip()
    match = _EXCEPTION.match(rest)
    if not match:
        return ParsedError("", rest, tuple(frames))
    return ParsedError(match["type"].rsplit(".", 1)[-1], (match["message"] or "").strip(), tuple(frames))


def names_all(message: str, expected: tuple[str, ...] | None, aliases: Mapping[str, tuple[str, ...]]) -> bool | None:
    """Whether ``message`` names each expected item (any of its aliases); None when nothing is expected."""
    if expected is None:
        return None
    return all(any(_named(name, message) for name in aliases.get(item, (item,))) for item in expected)


def _named(name: str, message: str) -> bool:
    """A number stands apart from other digits ("100" in "32x100"), a name from other word characters."""
    edge = r"\d" if name.isdigit() else r"\w"
    return re.search(rf"(?<!{edge}){re.escape(name)}(?!{edge})", message, re.IGNORECASE) is not None


def warnings_in(stderr: str, limit: int = 3) -> list[str]:
    """The first distinct warnings (``UserWarning: ...``) printed on stderr, each cut to 300 characters."""
    found: list[str] = []
    for match in _WARNING.finditer(stderr):
        text = f"{match['type']}: {match['message'].strip()}"[:300]
        if text not in found:
            found.append(text)
    return found[:limit]


def same_file(path: str, snippet: Path) -> bool:
    try:
        return Path(path).resolve() == snippet.resolve()
    except OSError:
        return False


@dataclass(frozen=True)
class Ran:
    """How a snippet ended: its exit code (-9 when killed at its time limit), stdout and stderr."""

    returncode: int
    stdout: str
    stderr: str


def finding(mistake: Mistake, snippet: Path, completed: Ran) -> ErrorFinding:
    """The finding for one run of one snippet."""
    header, code = split_header(snippet.read_text())
    out = completed.stdout.splitlines()
    observed = next((line.removeprefix("OBSERVED:").strip() for line in out if line.startswith("OBSERVED:")), None)
    not_applicable = next((line.split(":", 1)[1].strip() for line in out if line.startswith("NOT-APPLICABLE:")), None)
    parsed = parse_traceback(completed.stderr) if completed.returncode != 0 else None
    result: ErrorFinding = {
        "id": mistake.id, "title": mistake.title, "mistake": mistake.mistake, "applicable": not_applicable is None,
        "silent": completed.returncode == 0, "error_type": None, "message": None, "message_chars": 0,
        "user_frame_last": None, "names_shapes": None, "names_dtypes": None,
        "what_happened": observed if not_applicable is None else f"Not tried: {not_applicable}",
        "snippet": code, "snippet_lines": sum(1 for line in code.splitlines() if line.strip()),
        "exit_code": completed.returncode, "warnings": warnings_in(completed.stderr),
    }  # fmt: skip
    if not_applicable is not None:
        result["silent"] = None
    elif completed.returncode != 0:
        if parsed is None:  # killed, or crashed without a Python traceback
            result["what_happened"] = f"exited with code {completed.returncode} without a traceback: " + (
                completed.stderr.strip()[-500:] or "(no output)"
            )
        else:
            result.update(
                {
                    "error_type": parsed.error_type,
                    "message": parsed.message[:MESSAGE_LIMIT],
                    "message_chars": len(parsed.message),
                    "user_frame_last": bool(parsed.frames) and same_file(parsed.frames[-1], snippet),
                    "names_shapes": names_all(parsed.message, header.shapes, {}),
                    "names_dtypes": names_all(parsed.message, header.dtypes, _DTYPE_ALIASES),
                }
            )
    elif observed is None:
        result["what_happened"] = "no exception, and the script printed no OBSERVED line"
    return result


def run_snippet(snippet: Path, timeout_s: float = SNIPPET_TIMEOUT_S) -> Ran:
    """Run one snippet in a fresh interpreter in a temporary folder; a timeout counts as exit code -9."""
    env = child_env({"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}, project=False)
    with tempfile.TemporaryDirectory(prefix="fg-mistake-") as tmp:
        done = launch([sys.executable, str(snippet)], env=env, cwd=tmp, timeout_s=timeout_s, capture="separate")
    if done.killed_for == "timeout":
        return Ran(-9, "", done.stderr + f"\n(killed after {timeout_s:.0f} s)")
    return Ran(done.returncode if done.returncode is not None else -9, done.stdout, done.stderr)


def run(framework: str, only: tuple[str, ...] | None = None) -> list[ErrorFinding]:
    """One finding per mistake (or per mistake in ``only``), each snippet in its own process."""
    findings = []
    for mistake in MISTAKES:
        if only is not None and mistake.id not in only:
            continue
        snippet = snippet_path(mistake.id, framework)
        findings.append(finding(mistake, snippet, run_snippet(snippet)))
    return findings
