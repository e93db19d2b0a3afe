"""Framework Guide's tasks: measure, build the site, serve it, test, lint.

Dependencies come from pyproject.toml. Sessions reuse their virtual environment once made
(pip, not uv: uv would not see this machine's local torch wheel and pip settings).
"""

from __future__ import annotations

from pathlib import Path

import nox
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


# Releases measured beside the pinned ones, each in its own virtual environment: a line holds one
# or more requirements ("name==version", space-separated), each replacing the pin of that name in
# pyproject.toml's frameworks group, for any framework (JAX's pair: "jax==X jaxlib==X"). Results are
# kept per version, so runs already measured at a version are skipped. Add a line to measure
# another release, then `nox -s "measure_release(tensorflow-cpu==2.20.0)"`.
RELEASES = ["tensorflow-cpu==2.20.0"]


def pin_name(requirement: str) -> str:
    """The distribution a requirement names, normalised (``tensorflow_cpu==2.20.0`` -> ``tensorflow-cpu``)."""
    return canonicalize_name(Requirement(requirement).name)


@nox.session(default=False)
@nox.parametrize("release", [nox.param(r, id=r) for r in RELEASES])
def measure_release(session: nox.Session, release: str) -> None:
    """Measure one release of one or more frameworks in its own environment: -- --profile, --only GLOB."""
    pins = nox.project.dependency_groups(PYPROJECT, "frameworks")
    replaced = {pin_name(r) for r in release.split()}
    unknown = replaced - {pin_name(p) for p in pins}
    if unknown or not all(str(Requirement(r).specifier).startswith("==") for r in release.split()):
        session.error(f"RELEASES in noxfile.py: {release!r} must pin (name==version) only distributions "
                      f"of pyproject.toml's frameworks group: {', '.join(sorted(map(pin_name, pins)))}")  # fmt: skip
    others = [p for p in pins if pin_name(p) not in replaced]
    session.install(*RUNTIME, *release.split(), *others, *nox.project.dependency_groups(PYPROJECT, "export"))
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


def run_pytest(session: nox.Session, marks: str) -> None:
    install(session, "frameworks", "site", "test")
    session.run("pytest", "--ignore=tests/e2e", "-m", marks, *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def tests(session: nox.Session) -> None:
    """Run the fast tests (about 4 minutes on 2 cores): unit and generator tests, and one real
    pipeline (a run per framework and a study measured, the site generated and built)."""
    run_pytest(session, "not slow")


@nox.session(default=False)
def slow(session: nox.Session) -> None:
    """Run the slow tests (about 20 minutes on 2 cores): real framework children, the whole quick
    profile, the harness's faults and every study; run them before changing measurements/."""
    run_pytest(session, "slow")


E2E_SITE_URL = "https://framework-guide.example/"  # the browser tests' site is built as a host builds it: its
# snippets must link back with absolute https addresses (tests/e2e/test_journeys.py)


@nox.session
def e2e(session: nox.Session) -> None:
    """Build the site and test it in Chromium (Debian's package): pages, charts, search, theme."""
    session.env["FG_SITE_URL"] = E2E_SITE_URL
    generate(session)
    install(session, "site", "test", "e2e")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})
    session.run("pytest", "-m", "e2e", "tests/e2e", *session.posargs)


@nox.session(default=False)
def zensical(session: nox.Session) -> None:
    """Build the same site with Zensical (mkdocs-material's successor) into site-zensical/ and run
    the browser tests on it; the search test is Material's own markup, so it is left out."""
    session.env["FG_SITE_URL"] = E2E_SITE_URL
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
