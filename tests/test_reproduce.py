"""benchmarks/reproduce.py: the share of verdicts decided, and what a second measurement changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks import reproduce
from measurements import lock
from tests.conftest import MACHINE, make_result, measured, write_results
from tests.test_noise_floor import control_of, write_control

# latencies (ms) of five processes a side whose ratio is about 1 with a wide interval: too uncertain to call
WIDE = ([0.5, 1.0, 0.7, 1.4, 0.6], [0.6, 1.2, 0.5, 1.0, 0.9])


def corpus(mlp: tuple[float, float] = (2000, 1000), infer: tuple[list[float], list[float]] = WIDE) -> list[Any]:
    """Training throughput of each framework's primary mode (PyTorch eager, TensorFlow tf.function),
    and inference latencies (``infer``); every import takes 1.0 s (equivalent)."""
    return [
        measured("mlp", "pytorch", "eager", mlp[0]),
        measured("mlp", "tensorflow", "function", mlp[1]),
        make_result("mlp_infer", "pytorch", "eager", infer[0], processes=5),
        make_result("mlp_infer", "tensorflow", "function", infer[1], processes=5),
    ]


def run(capsys: pytest.CaptureFixture[str], *argv: Path | str) -> tuple[int, str]:
    code = reproduce.main([str(a) for a in argv])
    return code, capsys.readouterr().out


def test_the_share_decided_is_counted_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_results(tmp_path / "a", corpus())
    code, out = run(capsys, folder, "--each")
    assert code == 0  # no --require-decided: a share under 75% is reported, not refused
    # training: PyTorch 2× ahead; inference: too uncertain; import time: equivalent (every reading 1.0 s)
    assert "at a glance: 2 of 3 decided (67%): 1 ahead, 1 equivalent, 1 uncertain" in out
    assert "mlp 784-512-512-10 batch 256, pytorch and tensorflow: pytorch ahead (ratio 2.00" in out
    assert "mlp_infer 784-512-512-10 batch 1, pytorch and tensorflow: uncertain" in out
    assert "claim tensorflow-trains-faster" in out  # the claims' items and the use cases' pairs are counted too
    assert "use cases:" in out
    code, out = run(capsys, folder, "--require-decided")
    assert code == 1
    assert f"under 75% at a glance on the reference machine {MACHINE}: every pair: 2 of 3 decided (67%)" in out


def test_require_decided_passes_when_every_headline_is_decided(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_results(tmp_path / "a", corpus(infer=([0.5] * 5, [1.0] * 5)))
    code, out = run(capsys, folder, "--require-decided")
    assert "at a glance: 3 of 3 decided (100%)" in out
    assert code == 0


def test_the_same_folder_twice_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_results(tmp_path / "a", corpus())
    code, out = run(capsys, folder, folder)
    assert code == 0
    assert "changes: 0 contradicted, 0 another decided call, 0 decided → undecided, 0 undecided → decided" in out
    assert "missing from" not in out


def test_a_flipped_winner_is_a_contradiction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = write_results(tmp_path / "first", corpus())
    second = write_results(tmp_path / "second", corpus(mlp=(1000, 2000), infer=([0.5] * 5, [1.0] * 5)))
    code, out = run(capsys, first, second)
    assert code == 1
    lines = out.splitlines()
    flipped = [line for line in lines if line.startswith("contradicted") and "at a glance" in line]
    assert len(flipped) == 1
    assert "mlp 784-512-512-10 batch 256" in flipped[0]
    assert "pytorch ahead (ratio 2.00" in flipped[0] and "tensorflow ahead (ratio 0.50" in flipped[0]
    decided = [line for line in lines if line.startswith("undecided → decided") and "at a glance" in line]
    assert len(decided) == 1 and "mlp_infer" in decided[0]
    # the other way round, the inference pair goes from decided to undecided
    code, out = run(capsys, second, first)
    assert code == 1
    assert any(line.startswith("decided → undecided") and "mlp_infer" in line for line in out.splitlines())


def test_a_comparison_in_one_folder_only_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = write_results(tmp_path / "first", corpus())
    second = write_results(tmp_path / "second", [*corpus(), measured("mlp", "jax", "jit", 4000)])
    code, out = run(capsys, first, second)
    assert code == 0  # PyTorch still ahead of TensorFlow: nothing contradicted
    assert f"missing from {first}: at a glance, {MACHINE}, mlp 784-512-512-10 batch 256, jax and pytorch" in out


def test_a_call_inside_the_noise_floor_is_undecided(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = corpus(mlp=(2000, 1500))  # 1.33× with a narrow interval: a call, but not on a machine this noisy
    noisy = write_results(tmp_path / "noisy", docs)
    write_control(noisy, control_of(docs[0], (1000.0, 3000.0, 1500.0, 2500.0, 2000.0)))
    quiet = write_results(tmp_path / "quiet", docs)
    code, out = run(capsys, noisy, quiet, "--each")
    assert "mlp 784-512-512-10 batch 256, pytorch and tensorflow: within the noise floor (ratio 1.33" in out
    assert "at a glance: 1 of 3 decided (33%): 1 equivalent, 1 uncertain, 1 within the noise floor" in out
    changed = [line for line in out.splitlines() if line.startswith("undecided → decided") and "at a glance" in line]
    assert len(changed) == 1 and "pytorch ahead (ratio 1.33" in changed[0]
    assert code == 0


def test_a_folder_being_measured_is_refused(tmp_path: Path) -> None:
    folder = write_results(tmp_path / "a", corpus())
    with lock.exclusive(folder / MACHINE), pytest.raises(SystemExit, match="another measurement"):
        reproduce.main([str(folder)])


def test_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"error: .*nothing: no results folder"):
        reproduce.main([str(tmp_path / "nothing")])
