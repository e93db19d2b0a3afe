"""The Usability studies: error messages (traceback reading, the mistakes' snippets) and debugging."""

from __future__ import annotations

import ast
import importlib.util

import pytest

from measurements.frameworks import COMPARED
from measurements.studies import debugging, errors

SNIPPET = errors.snippet_path("shape_dense", "pytorch")
TORCH_TRACEBACK = f"""\
/venv/lib/python3.11/site-packages/torch/__init__.py:1: UserWarning: something harmless
  warnings.warn("something harmless")
Traceback (most recent call last):
  File "{SNIPPET}", line 7, in <module>
    logits = model(x)
             ^^^^^^^^
  File "/venv/lib/python3.11/site-packages/torch/nn/modules/linear.py", line 134, in forward
    return F.linear(input, self.weight, self.bias)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
RuntimeError: mat1 and mat2 shapes cannot be multiplied (32x100 and 784x128)
"""
CHAINED_TRACEBACK = f"""\
Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/keras/src/layers/layer.py", line 9, in __call__
    raise ValueError("inner")
ValueError: inner

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/keras/src/utils/traceback_utils.py", line 1, in error_handler
    return fn(*args, **kwargs)
  File "{SNIPPET}", line 10, in <module>
    logits = model(x)
tensorflow.python.framework.errors_impl.InvalidArgumentError: \x1b[1mcannot compute AddV2 as input #1(zero-based) was
expected to be a float tensor but is a double tensor [Op:AddV2]
  Arguments received by Dense.call():
    inputs=tf.Tensor(shape=(32, 100), dtype=float32)
"""


def completed(code: int, stdout: str = "", stderr: str = "") -> errors.Ran:
    return errors.Ran(code, stdout, stderr)


def test_parse_traceback_reads_the_last_exception_with_its_module_dropped() -> None:
    parsed = errors.parse_traceback(TORCH_TRACEBACK)
    assert parsed is not None
    assert parsed.error_type == "RuntimeError"
    assert parsed.message == "mat1 and mat2 shapes cannot be multiplied (32x100 and 784x128)"
    assert parsed.frames[-1].endswith("torch/nn/modules/linear.py")

    chained = errors.parse_traceback(CHAINED_TRACEBACK)
    assert chained is not None
    assert chained.error_type == "InvalidArgumentError"
    assert chained.message.startswith("cannot compute AddV2")  # without the colour code
    assert chained.message.endswith("inputs=tf.Tensor(shape=(32, 100), dtype=float32)")  # all of a multi-line message
    assert chained.frames == (
        "/venv/lib/python3.11/site-packages/keras/src/utils/traceback_utils.py",
        str(SNIPPET),
    )
    assert errors.parse_traceback("just some output\n") is None


def test_names_all_needs_every_dimension_standing_apart_and_knows_dtype_aliases() -> None:
    message = "mat1 and mat2 shapes cannot be multiplied (32x100 and 784x128)"
    assert errors.names_all(message, ("784", "100"), {}) is True
    assert errors.names_all(message, ("784", "10"), {}) is False  # "10" only inside "100"
    assert errors.names_all(message, None, {}) is None
    aliases = errors._DTYPE_ALIASES
    assert errors.names_all("mat1 and mat2 must have the same dtype, but got Double and Float", ("float64", "float32"),
                            aliases) is True  # fmt: skip
    assert errors.names_all("expected a float tensor but is a double tensor", ("float32", "float64"), aliases) is True
    assert errors.names_all("got float64 only", ("float64", "float32"), aliases) is False  # "float" inside "float64"
    assert errors.names_all("a torch.FloatTensor", ("float32",), aliases) is False


def test_finding_for_an_error_reads_type_message_user_frame_and_shapes() -> None:
    mistake = next(m for m in errors.MISTAKES if m.id == "shape_dense")
    found = errors.finding(mistake, SNIPPET, completed(1, "", TORCH_TRACEBACK))
    assert found["silent"] is False
    assert found["applicable"] is True
    assert found["error_type"] == "RuntimeError"
    assert found["message"] is not None
    assert found["message_chars"] == len(found["message"]) == 62
    assert found["user_frame_last"] is False  # the deepest frame is torch's linear.py
    assert found["names_shapes"] is True
    assert found["names_dtypes"] is None  # shape_dense lists no dtypes
    assert found["warnings"] == ["UserWarning: something harmless"]
    assert "# expects-shapes" not in found["snippet"]
    assert found["snippet_lines"] == len([line for line in found["snippet"].splitlines() if line.strip()])

    user_last = TORCH_TRACEBACK.replace('  File "/venv/lib/python3.11/site-packages/torch/nn/modules/linear.py"',
                                        f'  File "{SNIPPET}"')  # fmt: skip
    assert errors.finding(mistake, SNIPPET, completed(1, "", user_last))["user_frame_last"] is True


def test_finding_for_silent_and_not_applicable_mistakes() -> None:
    mistake = next(m for m in errors.MISTAKES if m.id == "nan_lr")
    snippet = errors.snippet_path("nan_lr", "pytorch")
    found = errors.finding(mistake, snippet, completed(0, "step 1\nOBSERVED: loss became nan at step 3\n"))
    assert found["silent"] is True
    assert found["what_happened"] == "loss became nan at step 3"
    assert (found["error_type"], found["message"], found["message_chars"]) == (None, None, 0)
    assert found["user_frame_last"] is None

    devices = next(m for m in errors.MISTAKES if m.id == "mixed_devices")
    found = errors.finding(devices, errors.snippet_path("mixed_devices", "pytorch"),
                           completed(0, "NOT-APPLICABLE: this machine has no GPU\n"))  # fmt: skip
    assert found["applicable"] is False
    assert found["silent"] is None
    assert found["what_happened"] == "Not tried: this machine has no GPU"

    crashed = errors.finding(mistake, snippet, completed(-9, "", "(killed after 240 s)"))
    assert crashed["silent"] is False
    assert crashed["error_type"] is None
    assert "without a traceback" in str(crashed["what_happened"])


def test_split_header_drops_the_header_and_tool_comments() -> None:
    source = (
        "# expects-shapes: 784 100\n# expects-dtypes: float64 float32\n\nimport torch\n\n"
        "@torch.compile  # type: ignore[misc]\ndef f(x):\n    global n  # noqa: PLW0603\n    return x  # kept\n"
    )
    header, code = errors.split_header(source)
    assert header == errors.Header(("784", "100"), ("float64", "float32"))
    assert code == "import torch\n\n@torch.compile\ndef f(x):\n    global n\n    return x  # kept\n"
    assert errors.split_header("import torch\n")[0] == errors.Header(None, None)


def test_every_mistake_is_written_in_both_frameworks_with_the_same_expectations() -> None:
    ids = [m.id for m in errors.MISTAKES]
    assert len(ids) == len(set(ids)) >= 12
    frameworks = errors.STUDY.frameworks
    assert {"pytorch", "tensorflow"} <= set(frameworks)
    expected = {errors.snippet_path(i, f).name for i in ids for f in frameworks}
    assert {p.name for p in errors.MISTAKES_DIR.glob("*.py")} == expected
    modules = {"pytorch": "torch", "tensorflow": "tensorflow", "jax": "jax"}
    for mistake_id in ids:
        headers = []
        for framework in frameworks:
            source = errors.snippet_path(mistake_id, framework).read_text()
            ast.parse(source)
            for other in set(modules.values()) - {modules[framework]}:
                assert f"import {other}" not in source, (mistake_id, framework)  # one framework per process
            assert "OBSERVED: " in source or "NOT-APPLICABLE: " in source, (mistake_id, framework)
            headers.append(errors.split_header(source)[0])
        assert all(header == headers[0] for header in headers), mistake_id


def test_debugging_helpers_read_pdb_logs_and_markers() -> None:
    log = (
        "> /tmp/debug_me.py(17)forward()\n-> return self.fc(x)\n(Pdb) 'Tensor'\n(Pdb) torch.Size([3, 4])\n"
        "(Pdb) > /tmp/debug_me.py(17)forward()\n-> return self.fc(x)\n(Pdb) 'SymbolicTensor'\n"
        "(Pdb) TensorShape([3, 4])\n(Pdb) "
    )
    first, second = debugging.pdb_stops(log)
    assert (first.function, first.type_shown, first.shape_shown) == ("forward", "Tensor", "torch.Size([3, 4])")
    assert first.in_forward() and first.concrete()
    assert second.shape_shown == "TensorShape([3, 4])" and not second.concrete()  # a SymbolicTensor
    assert debugging.pdb_answers(log)[:2] == ["'Tensor'", "torch.Size([3, 4])"]
    elsewhere = debugging.pdb_stops(
        "--Call--\n> /usr/lib/python3.11/random.py(166)getstate()\n-> def getstate(self):\n"
        "(Pdb) *** NameError: name 'x' is not defined\n(Pdb) *** NameError: name 'x' is not defined\n(Pdb) "
    )
    assert len(elsewhere) == 1 and not elsewhere[0].in_forward() and not elsewhere[0].concrete()
    assert "random.py getstate(), not in the model" in elsewhere[0].describe()
    assert debugging.concrete("Tensor", "torch.Size([3, 4])") is True
    assert debugging.concrete("EagerTensor", "TensorShape([3, 4])") is True
    assert debugging.concrete("SymbolicTensor", "TensorShape([3, 4])") is False
    assert debugging.concrete("Tensor", "torch.Size([s0, 4])") is False
    assert debugging.concrete("KerasTensor", "(3, 4)") is False

    outcome = debugging.Outcome("/tmp/x/debug_me.py", 0, "PRINTED\nPRINTED\nCALLS-DONE\nPRINTED\nGRAPH-BREAKS 1\n", "")
    assert outcome.count("PRINTED", before="CALLS-DONE") == 2
    assert outcome.count("PRINTED") == 3
    assert outcome.marker("GRAPH-BREAKS") == "1"
    assert outcome.error() is None
    assert debugging.cites_line('  File "/tmp/x/debug_me.py", line 5, in <module>', outcome.path, 5)
    assert not debugging.cites_line('  File "/tmp/x/debug_me.py", line 51, in <module>', outcome.path, 5)
    failed = debugging.Outcome("/tmp/x/debug_me.py", 1, "", TORCH_TRACEBACK)
    assert failed.error() == "RuntimeError: mat1 and mat2 shapes cannot be multiplied (32x100 and 784x128)"


def test_debugging_scripts_exist_for_every_framework_and_parse() -> None:
    assert debugging.STUDY.frameworks == COMPARED  # each has its scripts, debugging/<framework>.py
    for framework in debugging.STUDY.frameworks:
        code = debugging.scripts(framework)
        for source in (code.PRINT, code.BREAKPOINT, code.ANOMALY, code.EAGERLY):
            ast.parse(source)
        assert "NAN-LINE" in code.ANOMALY and len(code.SWITCH) == 2
    assert errors.STUDY.quick is False
    assert debugging.STUDY.quick is False


needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="PyTorch is not installed")


@pytest.mark.slow
@needs_torch
def test_errors_study_runs_real_pytorch_snippets() -> None:
    found = {f["id"]: f for f in errors.run("pytorch", only=("shape_dense", "mixed_dtypes"))}
    assert set(found) == {"shape_dense", "mixed_dtypes"}
    shape = found["shape_dense"]
    assert shape["silent"] is False
    assert shape["error_type"] == "RuntimeError"
    assert shape["names_shapes"] is True
    assert "784" in str(shape["message"])
    assert found["mixed_dtypes"]["silent"] is True  # PyTorch promotes float32 + float64 to float64
    assert "float64" in str(found["mixed_dtypes"]["what_happened"])


@pytest.mark.slow
@needs_torch
def test_debugging_study_tries_anomaly_detection_in_pytorch() -> None:
    (found,) = debugging.run("pytorch", only=("anomaly_detection",))
    assert found["works"] is True, found
    assert found["names_op"] is True
    assert found["error"] is not None and "nan" in found["error"].lower()
