"""The built site, served on loopback, in Debian's Chromium driven by Playwright."""

from __future__ import annotations

import functools
import gzip
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("FG_SITE_DIR", ROOT / "site"))
ARTIFACTS = Path(os.environ.get("FG_ARTIFACTS_DIR", ROOT / "test-artifacts" / "screenshots"))
SCREENSHOT_MS = 180_000  # a long page takes seconds to capture on a loaded machine; no test is about the time
CHROMIUM = os.environ.get("FG_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves the site as a static host does (GitHub Pages among them): text gzip-compressed for a
    browser that accepts it, so the page weights measured are the bytes a reader transfers."""

    COMPRESSED: ClassVar[set[str]] = {".html", ".js", ".css", ".json", ".svg", ".txt", ".csv", ".xml"}

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if "gzip" not in self.headers.get("Accept-Encoding", "") or path.suffix not in self.COMPRESSED:
            super().do_GET()
            return
        if not path.is_file():
            super().do_GET()
            return
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


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
