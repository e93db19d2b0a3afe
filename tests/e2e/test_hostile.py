"""A site built from the hostile corpus (tests/hostile.py), opened page by page in Chromium:
no dialog fires, no request leaves the host, and nothing a payload carries runs."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests import hostile
from tests.e2e.conftest import ARTIFACTS, QuietHandler

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    where = tmp_path_factory.mktemp("hostile")
    for step in hostile.build_site(where):
        assert step.returncode == 0 and "Traceback" not in step.stderr, step.stderr[-3000:]
    site = where / "src" / "site"
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", site
    server.shutdown()
    server.server_close()


def test_hostile_site_runs_no_payload(browser_context: Any, hostile_url: tuple[str, Path]) -> None:
    base, site = hostile_url
    tab = browser_context.new_page()
    dialogs: list[str] = []
    outside: list[str] = []

    def dialog(opened: Any) -> None:
        dialogs.append(f"{tab.url}: {opened.message}")
        opened.dismiss()

    tab.on("dialog", dialog)

    def route(request_route: Any) -> None:
        if request_route.request.url.startswith(base):
            request_route.continue_()
        else:
            outside.append(f"{tab.url}: {request_route.request.url}")
            request_route.abort()

    tab.route("**/*", route)
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert len(pages) >= 10, pages
    for page in pages:
        response = tab.goto(f"{base}/{page}")
        assert response is not None and response.status == 200, page
        tab.wait_for_load_state("networkidle")
    tab.goto(f"{base}/generated/usability.html")
    tab.screenshot(path=ARTIFACTS / "hostile_usability.png", full_page=True)
    tab.close()
    assert dialogs == []
    assert outside == []
