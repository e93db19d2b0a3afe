"""JAX in the code-size, install, memory, noise and libraries studies. Fast tests import no framework;
the slow ones run JAX in child processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from measurements.findings import LibrariesFinding, XlaOps
from measurements.frameworks import REGISTRY, Unavailable
from measurements.studies import codesize, install, libraries, memory, noise, registry, runner
from tests.test_studies import check_saved_model

STUDIES = ("codesize", "install", "memory", "noise", "libraries")


def test_these_studies_measure_jax_beside_the_others() -> None:
    for name in STUDIES:
        study = registry()[name]
        assert study.frameworks == ("pytorch", "tensorflow", "jax"), name
        assert "JAX" in study.description, name
        assert f"study/{name}/jax" in [r.key for r in runner.plan([f"study/{name}/*"])]


def test_code_size_counts_jax_s_shared_training_step_only_where_a_workload_uses_it() -> None:
    found = {f["id"]: f for f in codesize.run("jax")}
    assert set(found) == set(codesize.WORKLOADS)
    shared = "measurements/workloads/shared/jax.py"
    for workload in ("mlp", "cnn", "transformer"):  # these train through steps()
        assert [p["path"] for p in found[workload]["files"]] == [f"measurements/workloads/{workload}/jax.py", shared]
    for workload in ("gemm", "conv2d", "matmul"):  # gemm and conv2d take only the two-line compiled() from it
        assert [p["path"] for p in found[workload]["files"]] == [f"measurements/workloads/{workload}/jax.py"]
    assert found["mlp"]["lines"] == sum(p["lines"] for p in found["mlp"]["files"]) > 10


def test_the_shared_step_is_recognised_by_the_name_imported() -> None:
    assert codesize.uses_shared_steps("from measurements.workloads.shared.jax import steps\n", "jax")
    assert codesize.uses_shared_steps("from measurements.workloads.shared.jax import compiled, steps\n", "jax")
    assert not codesize.uses_shared_steps("from measurements.workloads.shared.jax import compiled\n", "jax")
    assert not codesize.uses_shared_steps("from measurements.workloads.shared.pytorch import steps\n", "jax")
    assert not codesize.uses_shared_steps("# from measurements.workloads.shared.jax import steps\n", "jax")


def test_the_other_frameworks_code_counts_keep_their_files() -> None:
    for framework in ("pytorch", "tensorflow"):
        found = {f["id"]: [p["path"] for p in f["files"]] for f in codesize.run(framework)}
        for workload in codesize.WORKLOADS:
            source = (codesize.WORKLOADS_DIR / workload / f"{framework}.py").read_text()
            uses = f"workloads.shared.{framework}" in source
            assert len(found[workload]) == (2 if uses else 1), (framework, workload)


def test_jax_s_install_names_jaxlib_and_optax_at_the_releases_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    versions = {"jax": "0.10.2", "jaxlib": "0.10.2", "optax": "0.2.8", "torch": "2.13.0"}
    monkeypatch.setattr(install, "distribution_version", versions.get)
    assert install.requirements("jax") == ["jax==0.10.2", "jaxlib==0.10.2", "optax==0.2.8"]
    assert install.requirements("pytorch") == ["torch==2.13.0"]  # the others install the framework alone
    assert all(REGISTRY[fw].modules for fw in registry()["install"].frameworks)  # what a user imports: the first
    del versions["optax"]
    with pytest.raises(Unavailable, match="optax"):
        install.requirements("jax")


def test_the_install_command_carries_every_requirement(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    commands: list[list[str]] = []

    class Done:
        returncode, stdout, stderr = 0, "Using cached jax-0.10.2-py3-none-any.whl\n", ""
        killed_for, error = None, None

    def fake_run(command: list[str], **kwargs: Any) -> Done:
        commands.append(command)
        return Done()

    monkeypatch.setattr(install, "requirements", lambda fw: ["jax==0.10.2", "jaxlib==0.10.2", "optax==0.2.8"])
    monkeypatch.setattr(install, "make_venv", lambda venv: None)
    monkeypatch.setattr(install, "tool", fake_run)
    listed = iter([{"pip": "25.0"}, {"pip": "25.0"}, {"pip": "25.0", "jax": "0.10.2", "jaxlib": "0.10.2"}])
    monkeypatch.setattr(install, "distributions", lambda venv: next(listed))
    monkeypatch.setattr(install, "site_packages", lambda venv: tmp_path)
    monkeypatch.setattr(install, "tree_bytes", lambda path: 0)
    monkeypatch.setattr(install, "import_seconds", lambda venv, module: {"jax": 0.5}[module])
    (found,) = install.run("jax")
    assert commands[0][-3:] == ["jax==0.10.2", "jaxlib==0.10.2", "optax==0.2.8"]
    assert found["requirement"] == "jax==0.10.2 jaxlib==0.10.2 optax==0.2.8"
    assert found["command"] == "pip install --no-compile jax==0.10.2 jaxlib==0.10.2 optax==0.2.8"
    assert found["names"] == ["jax==0.10.2", "jaxlib==0.10.2"] and found["distributions"] == 2


def test_memory_runs_each_framework_s_default_fast_path() -> None:
    assert {fw: REGISTRY[fw].default_mode for fw in ("pytorch", "tensorflow", "jax")} == memory.MODES
    assert memory.MODES["jax"] == "jit" and memory.MODES["tensorflow"] == "function"
    assert all(memory.steps(fw).SAVED_PATH for fw in memory.STUDY.frameworks)


def test_memory_of_jax_asks_its_children_for_jax(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def child(arguments: list[str], directory: Path) -> tuple[dict[str, Any] | None, str, str | None]:
        calls.append(arguments)
        if "save" in arguments:
            return {"artifact_bytes": 10, "saved_with": "jax.export"}, "ok", None
        return None, "timeout", "no result after 300 s; killed"

    monkeypatch.setattr(memory, "child", child)
    monkeypatch.setattr(memory, "sizes", lambda: [("saved", 64, 1), ("train", 64, 32)])
    saved, train = memory.run("jax")
    assert all(a[a.index("--framework") + 1] == "jax" for a in calls) and len(calls) == 3
    assert saved["path"] == "jax-export" and saved["mode"] == "jit" and saved["artifact_bytes"] == 10
    assert saved["outcome"] == "timeout" and str(saved["error"]).startswith("loading the saved model: ")
    assert train["outcome"] == "timeout" and train["peak_rss_bytes"] is None


def test_noise_runs_every_jax_mode_of_every_workload(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str, str]] = []

    def workflow(workload: str, framework: str, mode: str) -> dict[str, Any]:
        seen.append((workload, framework, mode))
        return {"id": f"{workload}-{mode}"}

    monkeypatch.setattr(noise, "workflow", workflow)
    noise.run("jax")
    assert ("mlp", "jax", "jit") in seen and ("mlp", "jax", "eager") in seen
    assert {w for w, _, _ in seen} == set(noise.WORKLOADS) and {fw for _, fw, _ in seen} == {"jax"}


def test_jax_log_lines_are_sorted() -> None:
    stderr = (
        "/v/lib/python3.11/site-packages/jax/_src/numpy/lax_numpy.py:9: DeprecationWarning: old\n"
        "E0000 00:00:1764211201.123456   12345 cpu_client.cc:120] odd\n"
        "Platform 'cuda' is experimental\n"
    )
    found = noise.sort_lines(stderr)
    assert found["python_warnings"][0]["source"] == "jax/_src/numpy/lax_numpy.py"
    levels = [(x["level"], x["source"]) for x in found["log_lines"]]
    assert levels == [("error", "cpu_client.cc:120"), ("other", "stderr")]


HLO = (
    "HloModule jit_matmul, entry_computation_layout={(f32[4,4]{1,0}, f32[4,4]{1,0})->f32[4,4]{1,0}}\n\n"
    "ENTRY %main.4 (Arg_0.1: f32[4,4], Arg_1.2: f32[4,4]) -> f32[4,4] {\n"
    '  %Arg_0.1 = f32[4,4]{1,0} parameter(0), metadata={op_name="a"}\n'
    '  %Arg_1.2 = f32[4,4]{1,0} parameter(1), metadata={op_name="b"}\n'
    "  ROOT %dot.3 = f32[4,4]{1,0} dot(f32[4,4]{1,0} %Arg_0.1, f32[4,4]{1,0} %Arg_1.2), lhs_contracting_dims={1}, "
    'rhs_contracting_dims={0}, metadata={op_name="jit(matmul)/dot_general" source_file="x.py" source_line=3}\n'
    "}\n"
)


def test_what_xla_compiled_is_read_off_its_hlo() -> None:
    empty: list[str] = []
    plain: XlaOps = {"custom_calls": empty, "fusion_kinds": empty, "custom_fusions": empty, "operations": ["dot"]}
    assert libraries.xla_ops(HLO) == plain
    fused = HLO.replace(" dot(", " fusion(").replace(
        "lhs_contracting", 'kind=kCustom, backend_config={"fusion_config":{"kind":"__ynn_fusion"}}, l'
    )
    ynn = libraries.xla_ops(fused)
    assert ynn["fusion_kinds"] == ["kCustom"] and ynn["custom_fusions"] == ["__ynn_fusion"]
    assert ynn["operations"] == ["fusion"]
    assert libraries.xla_library([plain, ynn], kernels_seen=False) == "YNNPACK (through XLA:CPU)"
    assert libraries.xla_library([ynn], kernels_seen=True) == "oneDNN and YNNPACK (through XLA:CPU)"
    onednn = HLO.replace(" dot(", " custom-call(").replace("lhs_contracting", 'custom_call_target="__onednn$matmul", l')
    ops = libraries.xla_ops(onednn)
    assert ops["custom_calls"] == ["__onednn$matmul"] and ops["operations"] == ["custom-call"]
    assert libraries.xla_library([ops], kernels_seen=False).startswith("oneDNN")
    assert libraries.xla_library([libraries.xla_ops(HLO)], kernels_seen=True).startswith("oneDNN")
    assert libraries.xla_library([plain], kernels_seen=False).startswith("Eigen")
    xnn: XlaOps = {**plain, "custom_fusions": ["__xnn_fusion"]}
    assert libraries.xla_library([xnn], kernels_seen=False) == "XNNPACK (through XLA:CPU)"


@pytest.mark.slow
def test_jax_s_saved_model_is_loaded_and_timed_in_a_fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "sizes", lambda: [("saved", 64, 2), ("train", 64, 32)])
    saved, train = memory.run("jax")
    check_saved_model(saved)  # the weights travel inside the artifact
    assert str(saved["runtime"]).startswith("jax ") and saved["path"] == "jax-export"
    assert train["outcome"] == "ok", train["error"]
    peak, base = train["peak_rss_bytes"], train["after_import_rss_bytes"]
    assert peak is not None and base is not None and peak >= base


@pytest.mark.slow
def test_jax_s_libraries_are_probed() -> None:
    found = cast(LibrariesFinding, libraries.run("jax")[0])  # then the CPU's peak
    assert found["blas"] and found["xla"]["matmul"]["operations"] and found["xla"]["conv"]["operations"]
    assert found["build"][0].startswith("jaxlib ")
