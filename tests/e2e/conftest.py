"""The built site, served on loopback, in Debian's Chromium driven by Playwright."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("FG_SITE_DIR", ROOT / "site"))
ARTIFACTS = Path(os.environ.get("FG_ARTIFACTS_DIR", ROOT / "test-artifacts" / "screenshots"))
CHROMIUM = os.environ.get("FG_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE} has no built site: run `nox -s e2e`, which builds it first")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(SITE)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser_context() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="fg-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS, headless=True,  # profile: a fresh --user-data-dir
            viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context: Any, base_url: str) -> Iterator[Any]:
    """A fresh tab that records console errors, page errors and any request off loopback."""
    tab = browser_context.new_page()
    tab.errors = []
    tab.outside = []
    tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))

    def route(request_route: Any) -> None:
        if request_route.request.url.startswith(base_url):
            request_route.continue_()
        else:
            tab.outside.append(request_route.request.url)
            request_route.abort()

    tab.route("**/*", route)
    yield tab
    tab.close()
