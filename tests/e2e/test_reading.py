"""The reader's path: Home and every guide open with their verdicts, before the method."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
GUIDES = ["index.html", "generated/decide.html", "generated/claims.html", "generated/performance.html",
          "generated/usability.html", "generated/ecosystem.html"]  # fmt: skip
# a page's verdicts: the questionnaire's answer on Decide, the first table everywhere else
VERDICTS = "#fg-decide-result:not([hidden]), .md-content table"


@pytest.mark.parametrize("path", GUIDES)
def test_the_verdicts_are_within_the_first_one_and_a_half_screens(page: Any, base_url: str, path: str) -> None:
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base_url}/{path}")
    page.locator(VERDICTS).first.wait_for(timeout=15000)
    top = page.evaluate("s => document.querySelector(s).getBoundingClientRect().top + window.scrollY", VERDICTS)
    page.screenshot(path=ARTIFACTS / f"first-screen-{path.replace('/', '_').removesuffix('.html')}.png")
    assert 0 < top < 1.5 * DESKTOP["height"], (path, top)
    assert page.errors == []
