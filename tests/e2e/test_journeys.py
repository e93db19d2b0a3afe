"""The four journeys of issue 28, from Home, at a desktop's and a phone's size, asserting what the
reader gets: layout, links, counts and file contents, nothing that depends on the machine's speed.

1. A team lead choosing: the bottom line on Home's first screen, then Decide for a GPU, a CNN, a
   server and a team that knows PyTorch: the answer links to the figures the GPU machine has.
2. A sceptic: the downloads hold one row per process, model and batch in columns of their own, and
   the studies in a CSV of their own.
3. A phone reader: the Performance overview in 20 screens, its studies folded.
4. A team embedding a verdict: the snippets link back with absolute addresses. `nox -s e2e` builds
   the site with FG_SITE_URL set to an https address (E2E_SITE_URL in noxfile.py), as a host would.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, SCREENSHOT_MS

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SIZES = pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])


def screens(page: Any) -> float:
    """The page's length in screens of the viewport's height."""
    return float(page.evaluate("document.documentElement.scrollHeight / window.innerHeight"))


def home(page: Any, base_url: str, size: dict[str, int]) -> None:
    page.set_viewport_size(size)
    page.goto(f"{base_url}/index.html", wait_until="networkidle")


def follow(page: Any, target: str) -> None:
    """Clicks the first link in Home's text (not the navigation, which a phone folds away) to ``target``."""
    page.locator(f".md-content a[href*='{target}']").first.click()
    page.wait_for_load_state("networkidle")


@SIZES
def test_a_team_lead_gets_the_bottom_line_then_an_answer_for_a_gpu(
    page: Any, base_url: str, size: dict[str, int]
) -> None:
    home(page, base_url, size)
    first = page.evaluate("""(() => { const row = document.querySelector('.md-content table tbody tr');
        return row && [row.getBoundingClientRect().bottom, row.cells.length]; })()""")
    assert first and first[0] <= size["height"] and first[1] >= 2, first  # a use case's verdict, in the first screen
    follow(page, "generated/decide.html")
    page.locator("#fg-decide").wait_for(state="visible")
    for question, option in {
        "deployment": "server",
        "hardware": "gpu",
        "model": "cnn",
        "experience": "pytorch",
    }.items():
        page.check(f"input[name='{question}'][value='{option}']")
    result = page.locator("#fg-decide-result")
    figures = result.locator("a[href*='performance-']")  # a machine's own Performance page, not the reference's
    assert figures.count() >= 1, result.inner_text()
    result.screenshot(path=ARTIFACTS / f"journey_decide_gpu-{size['width']}.png")
    figures.first.click()
    page.wait_for_url(re.compile(r"/generated/performance-.+\.html"))
    assert page.locator(".md-content").get_by_text(re.compile("H100")).count() >= 1  # the GPU machine's figures
    assert page.errors == []


@SIZES
def test_a_sceptic_downloads_one_row_per_process(page: Any, base_url: str, size: dict[str, int]) -> None:
    home(page, base_url, size)
    follow(page, "generated/embed.html#downloads")
    links = {name: page.locator(f".md-content a[href$='/{name}']") for name in ("results.csv", "studies.csv")}
    assert all(link.count() >= 1 for link in links.values()), page.url

    def table(name: str) -> list[dict[str, str]]:
        response = page.request.get(links[name].first.evaluate("(a) => a.href"))
        assert response.ok, name
        return list(csv.DictReader(io.StringIO(response.body().decode("utf-8-sig"))))  # UTF-8 with a byte-order mark

    rows = table("results.csv")
    assert {"model", "task", "batch_size", "process", "process_median", "first_call_s", "peak_rss_bytes"} <= set(
        rows[0]
    )
    runs: dict[str, set[str]] = {}
    for row in rows:
        runs.setdefault(row["file"], set()).add(row["first_call_s"])
    assert any(len(values) > 1 for values in runs.values())  # each process its own first call, not one repeated
    assert all(row["batch_size"].isdigit() for row in rows if row["batch_size"])
    studies = table("studies.csv")
    assert studies and {"study", "quantity", "value", "unit"} <= set(studies[0])
    assert page.errors == []


@SIZES
def test_a_team_embedding_a_verdict_gets_absolute_links(page: Any, base_url: str, size: dict[str, int]) -> None:
    home(page, base_url, size)
    follow(page, "generated/embed.html")
    samples = "\n".join(page.locator(".md-content pre code").all_inner_texts())
    assert re.search(r"\]\(https://[^)\s]+/generated/decide\.html#[a-z0-9-]+\)", samples), samples[:300]
    snippet = page.locator(".md-content a[href$='.md.txt']").first.evaluate("(a) => a.href")
    text = page.request.get(snippet).text()
    assert re.search(r"\]\(https://[^)\s]+\)", text) and "](generated/" not in text, text[:300]
    assert page.errors == []


def test_a_phone_reader_gets_the_performance_overview_in_20_screens(page: Any, base_url: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{base_url}/index.html")
    page.locator(".md-content a[href$='generated/performance.html']").first.click()
    page.wait_for_url("**/generated/performance.html")
    folded = page.locator(".md-content details:not([open])")
    assert folded.count() >= 3  # the studies' sections (pipelines, serving, memory, ...) open on a tap
    length = screens(page)
    page.screenshot(path=ARTIFACTS / "journey_phone_performance.png", full_page=True, timeout=SCREENSHOT_MS)
    assert length <= 20, length
    folded.first.locator(":scope > summary").click()  # a tap opens a section
    assert page.locator(".md-content details[open]").count() == 1
    assert page.errors == []
