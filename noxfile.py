"""Framework Guide's tasks: measure, build the site, serve it, test, lint.

Dependencies come from pyproject.toml. Sessions reuse their virtual environment once made
(pip, not uv: uv would not see this machine's local torch wheel and pip settings).
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "virtualenv"
nox.options.reuse_venv = "yes"

PYPROJECT = nox.project.load_toml("pyproject.toml")
RUNTIME = PYPROJECT["project"]["dependencies"]
RESULTS = Path("results")


def install(session: nox.Session, *groups: str) -> None:
    session.install(*RUNTIME, *nox.project.dependency_groups(PYPROJECT, *groups))


def generate(session: nox.Session) -> None:
    """Generate the pages; where there are no results at all, measure quickly first."""
    install(session, "site")
    if not any(RESULTS.glob("*/*.json")):
        session.log("No results for this machine and none committed: measuring with the quick profile first")
        install(session, "frameworks")
        session.run("python", "-m", "measurements", "run", "--profile", "quick")
    session.run("python", "-m", "generator", "build")


@nox.session(default=False)
def measure(session: nox.Session) -> None:
    """Measure this machine: -- --profile quick|standard|full, --only GLOB."""
    install(session, "frameworks", "export", "vendor")
    session.run("python", "-m", "measurements", "run", *session.posargs)


# Released version pairs measured beside the pinned one, each in its own virtual environment;
# results are kept per version, so runs already measured at a version are skipped. Add a pair
# here to measure it: `nox -s "measure_release(torch='2.13.0', tensorflow='2.20.0')"`.
RELEASES = [("2.13.0", "2.21.0"), ("2.13.0", "2.20.0")]


@nox.session(default=False)
@nox.parametrize(("torch", "tensorflow"), RELEASES)
def measure_release(session: nox.Session, torch: str, tensorflow: str) -> None:
    """Measure one released (torch, tensorflow) pair in its own environment: -- --profile, --only GLOB."""
    frameworks = [f"torch=={torch}", f"tensorflow-cpu=={tensorflow}"]
    others = [
        d for d in nox.project.dependency_groups(PYPROJECT, "frameworks") if not d.startswith(("torch", "tensorflow"))
    ]
    session.install(*RUNTIME, *frameworks, *others, *nox.project.dependency_groups(PYPROJECT, "export"))
    session.run("python", "-m", "measurements", "run", *session.posargs)


@nox.session
def site(session: nox.Session) -> None:
    """Generate the pages from results/ and build the site into site/ (mkdocs --strict)."""
    generate(session)
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session(default=False)
def serve(session: nox.Session) -> None:
    """Generate the pages and serve the site on http://127.0.0.1:8000 with live reload."""
    generate(session)
    session.run("mkdocs", "serve", "--dev-addr", "127.0.0.1:8000", *session.posargs,
                env={"NO_MKDOCS_2_WARNING": "1"})  # fmt: skip


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (real measurements on the quick profile, generator, site build)."""
    install(session, "frameworks", "site", "test")
    session.run("pytest", "--ignore=tests/e2e", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def e2e(session: nox.Session) -> None:
    """Build the site and test it in Chromium (Debian's package): pages, charts, search, theme."""
    generate(session)
    install(session, "site", "test", "e2e")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})
    session.run("pytest", "-m", "e2e", "tests/e2e", *session.posargs)


@nox.session(default=False)
def zensical(session: nox.Session) -> None:
    """Build the same site with Zensical (mkdocs-material's successor) into site-zensical/ and run
    the browser tests on it; the search test is Material's own markup, so it is left out."""
    generate(session)
    install(session, "zensical", "test", "e2e")
    config = Path(".zensical.yml")  # mkdocs.yml with its own site folder; Zensical wants one inside the project
    config.write_text(Path("mkdocs.yml").read_text().replace("\nsite_dir: site\n", "\nsite_dir: site-zensical\n"))
    session.run("zensical", "build", "--strict", "--clean", "-f", str(config))
    session.run("pytest", "-m", "e2e", "tests/e2e", "-k", "not search", *session.posargs,
                env={"FG_SITE_DIR": "site-zensical", "FG_ARTIFACTS_DIR": "test-artifacts/zensical"})  # fmt: skip


@nox.session(default=False)
def lint(session: nox.Session) -> None:
    """Check style and types: ruff and mypy (strict)."""
    install(session, "test", "e2e", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
