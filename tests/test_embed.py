"""The verdicts embedded in another site's onboarding docs (issue 28, journey 4): one address for the
site (mkdocs.yml's ``site_url``, through ``FG_SITE_URL``) read alike by MkDocs and the snippets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator import publish
from generator.__main__ import main as cli_main
from measurements import UserError
from tests.conftest import ROOT

SITE = "https://guide.example.org/framework-guide"


def mkdocs_site_url(env: dict[str, str]) -> str:
    """``site_url`` as MkDocs itself reads the project's mkdocs.yml (its YAML loader, ``!ENV`` included)."""
    code = "import sys; from mkdocs.utils.yaml import yaml_load; print(yaml_load(open(sys.argv[1]))['site_url'])"
    found = subprocess.run([sys.executable, "-c", code, str(ROOT / "mkdocs.yml")], env=env, capture_output=True,
                           text=True, check=True)  # fmt: skip
    return found.stdout.strip()


# --- one address, read alike by MkDocs and the generator -----------------------------------------------


@pytest.mark.parametrize("variable", [None, SITE, SITE + "/"])
def test_the_generator_reads_the_address_mkdocs_reads(variable: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FG_SITE_URL", raising=False)
    if variable:
        monkeypatch.setenv("FG_SITE_URL", variable)
    read = mkdocs_site_url(dict(os.environ))
    found = publish.site_url()
    assert found.base == read.rstrip("/") + "/"
    assert found.default is (variable is None)
    assert found.base.startswith("http")  # set: the sitemap and the 404 page have an address


@pytest.mark.parametrize(
    ("line", "environment", "base", "default"),
    [
        ("site_url: https://x.org/guide", {}, "https://x.org/guide/", False),
        ('site_url: "https://x.org/"  # published here', {}, "https://x.org/", False),
        ("site_name: x", {}, "", True),
        ("site_url: !ENV FG_SITE_URL", {}, "", True),
        ("site_url: !ENV [FG_A, FG_B, 'https://d.org/']", {}, "https://d.org/", True),
        ("site_url: !ENV [FG_A, FG_B, 'https://d.org/']", {"FG_B": "https://b.org/x"}, "https://b.org/x/", False),
    ],
)
def test_site_url_forms(
    line: str, environment: dict[str, str], base: str, default: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("FG_SITE_URL", "FG_A", "FG_B"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"site_name: Framework Guide\n{line}\n")
    found = publish.site_url(config)
    assert (found.base, found.default) == (base, default)


@pytest.mark.parametrize(
    "address", ["", "javascript:alert(1)", "https://x.org/a)<svg onload=alert(1)>", "ftp://x.org/"]
)
def test_an_address_that_is_not_plain_http_is_refused(address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FG_SITE_URL", address)
    with pytest.raises(UserError, match=r"FG_SITE_URL: .* is not a plain http"):
        publish.site_url()


def test_the_build_says_which_address_it_used_and_refuses_a_bad_one(
    golden: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FG_SITE_URL", raising=False)
    assert cli_main(["build", "--results", str(golden), "--out", str(tmp_path / "a")]) == 0
    printed = capsys.readouterr().out
    assert "Links to the site start with http://127.0.0.1:8000/ (mkdocs.yml's default; set FG_SITE_URL" in printed
    monkeypatch.setenv("FG_SITE_URL", "javascript:alert(1)")
    assert cli_main(["build", "--results", str(golden), "--out", str(tmp_path / "b")]) == 1
    assert "error: FG_SITE_URL: 'javascript:alert(1)' is not a plain http(s) address" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()  # refused before anything is written
