"""The four journeys of issue 28, from Home, at a desktop's and a phone's size, asserting what the
reader gets: layout, links, counts and file contents, nothing that depends on the machine's speed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SIZES = pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])


def screens(page: Any) -> float:
    """The page's length in screens of the viewport's height."""
    return float(page.evaluate("document.documentElement.scrollHeight / window.innerHeight"))


def test_a_phone_reader_gets_the_performance_overview_in_20_screens(page: Any, base_url: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{base_url}/index.html")
    page.locator(".md-content a[href$='generated/performance.html']").first.click()
    page.wait_for_url("**/generated/performance.html")
    folded = page.locator(".md-content details:not([open])")
    assert folded.count() >= 3  # the studies' sections (pipelines, serving, memory, ...) open on a tap
    length = screens(page)
    page.screenshot(path=ARTIFACTS / "journey_phone_performance.png", full_page=True)
    assert length <= 20, length
    folded.first.locator("summary").click()  # a tap opens a section
    assert page.locator(".md-content details[open]").count() == 1
    assert page.errors == []
