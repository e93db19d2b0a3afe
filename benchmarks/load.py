"""How long each page of the built site takes to load in Chromium, served on loopback the way the
browser tests serve it (text gzip-compressed), with an empty cache. A benchmark, not a test: load
times depend on the machine, so the tests assert only bytes, requests and layout, and this prints
the times. Build the site first (`nox -s site`), then, with Playwright installed (`nox -s e2e`
installs it):

    python benchmarks/load.py [--runs 5] [--width 1280 --height 800]

For each page: the median over the runs of DOMContentLoaded and of the load event, in ms from the
start of navigation. The bytes each page transfers are asserted by tests/e2e/test_browser.py.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, FLAGS, SITE, QuietHandler  # noqa: E402  (the tests' own server)

TIMING = """(() => { const n = performance.getEntriesByType('navigation')[0];
    return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()"""


def pages() -> list[str]:
    """Every page of the built site, by its path under the site (not the fragments to embed)."""
    found = SITE.rglob("*.html")
    return sorted(str(p.relative_to(SITE)) for p in found if p.name != "404.html" and "embed" not in p.parent.parts)


def measure(tab: Any, url: str, runs: int) -> tuple[float, float]:
    """The median DOMContentLoaded and load times over ``runs`` loads of ``url``."""
    ready, loaded = [], []
    for _ in range(runs):
        tab.goto(url, wait_until="networkidle")  # every transfer done before the next load
        a, b = tab.evaluate(TIMING)
        ready.append(a)
        loaded.append(b)
    return statistics.median(ready), statistics.median(loaded)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="loads of each page (default: 5)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not (SITE / "index.html").is_file():
        sys.exit(f"{SITE} has no built site: run `nox -s site` first")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory(prefix="fg-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS, headless=True,
            viewport={"width": args.width, "height": args.height},
        )  # fmt: skip
        tab = context.new_page()
        tab.context.new_cdp_session(tab).send("Network.setCacheDisabled", {"cacheDisabled": True})
        names = pages()
        width = max(map(len, names))
        print(f"{'page':<{width}} {'DOMContentLoaded':>16} {'load':>8}")
        for name in names:
            ready, loaded = measure(tab, f"{base}/{name}", args.runs)
            print(f"{name:<{width}} {ready:>13.0f} ms {loaded:>5.0f} ms")
        context.close()
    server.shutdown()


if __name__ == "__main__":
    main()
