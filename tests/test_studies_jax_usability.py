"""The JAX parts of the Usability studies: its mistakes' snippets, its debugging scripts, and how
their output (JAX's filtered tracebacks, its own debugger's log) is read."""

from __future__ import annotations

import ast
import importlib.util

import pytest

from measurements.studies import debugging, errors

# JAX's default traceback (JAX_TRACEBACK_FILTERING unset), as shape_dense.jax.py printed it: most of JAX's
# own frames removed, but not those of the array's operators; a note after the message
SITE = "/venv/lib/python3.11/site-packages/jax/_src/numpy"
SNIPPET = "/work/main/measurements/studies/mistakes/shape_dense.jax.py"
JAX_TRACEBACK = f"""\
Traceback (most recent call last):
  File "{SNIPPET}", line 22, in <module>
    logits = predict(params, x)
             ^^^^^^^^^^^^^^^^^^
  File "{SNIPPET}", line 15, in predict
    x = jax.nn.relu(x @ w + b)
                    ~~^~~
  File "{SITE}/array_methods.py", line 1532, in op
    return getattr(self.aval, f"_{{name}}")(self, *args)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/array_methods.py", line 880, in _operator_matmul
    return tensor_contractions.matmul(self, cast(ArrayLike, other))
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "{SITE}/tensor_contractions.py", line 269, in matmul
    out = lax.dot_general(
          ^^^^^^^^^^^^^^^^
TypeError: dot_general requires contracting dimensions to have the same shape, got (100,) and (784,).
--------------------
For simplicity, JAX has removed its internal frames from the traceback of the following exception. Set \
JAX_TRACEBACK_FILTERING=off to include these.
"""


def test_parse_traceback_reads_a_filtered_jax_traceback_without_its_note() -> None:
    parsed = errors.parse_traceback(JAX_TRACEBACK)
    assert parsed is not None
    assert parsed.error_type == "TypeError"
    assert (
        parsed.message == "dot_general requires contracting dimensions to have the same shape, got (100,) and (784,)."
    )
    assert parsed.frames[:2] == (SNIPPET, SNIPPET)
    assert parsed.frames[-1].endswith("tensor_contractions.py")
    mistake = next(m for m in errors.MISTAKES if m.id == "shape_dense")
    snippet = errors.snippet_path("shape_dense", "jax")
    found = errors.finding(mistake, snippet, completed(1, JAX_TRACEBACK.replace(SNIPPET, str(snippet))))
    assert found["user_frame_last"] is False  # JAX's operator frames are kept below the user's line
    assert found["names_shapes"] is True  # 784 and 100, each standing apart
    assert found["silent"] is False and found["message_chars"] == len(parsed.message)
    head = JAX_TRACEBACK.partition(f'  File "{SITE}')[0]
    user_last = (head + JAX_TRACEBACK[JAX_TRACEBACK.index("TypeError:") :]).replace(SNIPPET, str(snippet))
    assert errors.finding(mistake, snippet, completed(1, user_last))["user_frame_last"] is True
    # a message that merely mentions dashes keeps them
    kept = errors.parse_traceback("Traceback (most recent call last):\nValueError: a\n--------------------\nb\n")
    assert kept is not None and kept.message == "a\n--------------------\nb"


def completed(code: int, stderr: str, stdout: str = "") -> errors.Ran:
    return errors.Ran(code, stdout, stderr)


def test_jax_snippets_import_jax_and_name_jax_where_the_mistake_has_no_direct_analogue() -> None:
    for mistake in errors.MISTAKES:
        source = errors.snippet_path(mistake.id, "jax").read_text()
        tree = ast.parse(source)
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}  # fmt: skip
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}  # fmt: skip
        assert "jax" in imported, mistake.id
        assert imported <= {"jax", "optax", "numpy", "math", "sys"}, (mistake.id, imported)
    texts = {m.id: m.mistake for m in errors.MISTAKES}
    for mistake_id in ("gradient_bookkeeping", "inplace_grad", "eval_mode"):  # per-framework variants
        assert "JAX" in texts[mistake_id], mistake_id
    assert "jax" in errors.STUDY.frameworks and "jax" in debugging.STUDY.frameworks


def test_concrete_knows_jax_shapes_and_tracers() -> None:
    assert debugging.concrete("ArrayImpl", "(3, 4)") is True
    assert debugging.concrete("DynamicJaxprTracer", "(3, 4)") is False  # a trace-time stand-in, no values
    assert debugging.concrete("ArrayImpl", "(None, 4)") is False
    assert debugging.concrete("KerasTensor", "(3, 4)") is False


def test_debugger_stops_reads_a_jdb_log_in_threes() -> None:
    log = "Entering jdb:\n(jdb) 'ArrayImpl'\n(jdb) (3, 4)\n(jdb) Entering jdb:\n(jdb) 'ArrayImpl'\n(jdb) (3, 4)\n(jdb) "
    assert debugging.debugger_stops(log, "(jdb) ") == [("ArrayImpl", "(3, 4)"), ("ArrayImpl", "(3, 4)")]
    failed = "Entering jdb:\n(jdb) *** NameError: name 'x' is not defined\n(jdb) *** NameError: name 'x'\n(jdb) "
    (stop,) = debugging.debugger_stops(failed, "(jdb) ")
    assert not debugging.concrete(*stop)
    assert debugging.debugger_stops("", "(jdb) ") == []


def test_jax_debugging_scripts_parse() -> None:
    code = debugging.scripts("jax")
    for script in (code.PRINT, code.BREAKPOINT, code.ANOMALY, code.EAGERLY):
        ast.parse(script)
    tool, prompt, source = code.OWN_BREAKPOINT
    ast.parse(source)
    assert tool in source and prompt == "(jdb) "
    assert code.SWITCH == ("FG_RUN_EAGERLY", 'jax.config.update("jax_disable_jit", True)')


needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")


@pytest.mark.slow
@needs_jax
def test_errors_study_runs_real_jax_snippets() -> None:
    found = {
        f["id"]: f for f in errors.run("jax", only=("shape_dense", "compile_side_effect", "compile_data_dependent"))
    }
    shape = found["shape_dense"]
    assert shape["silent"] is False
    assert shape["error_type"] == "TypeError"
    assert shape["names_shapes"] is True
    assert shape["message"] is not None
    assert "For simplicity" not in shape["message"]  # JAX's note on filtered frames is left out
    side = found["compile_side_effect"]
    assert side["silent"] is True
    assert "the counter is 1" in str(side["what_happened"])  # traced once, the Python code did not run again
    branch = found["compile_data_dependent"]
    assert branch["error_type"] == "TracerBoolConversionError"
    assert branch["user_frame_last"] is True  # the `if` line: JAX's own frames are filtered out


@pytest.mark.slow
@needs_jax
def test_debugging_study_runs_real_jax_scripts() -> None:
    found = {f["id"]: f for f in debugging.run("jax", only=("print_in_compiled", "anomaly_detection"))}
    printed = found["print_in_compiled"]
    assert printed["prints"] == 1 and printed["works"] is False  # print() runs once, while tracing
    assert "jax.debug.print ran 3 times" in printed["observed"]
    anomaly = found["anomaly_detection"]
    assert anomaly["works"] is True, anomaly
    assert anomaly["names_op"] is True
