"""The Embed page as a team copying a verdict into its onboarding docs sees it (issue 28, journey 4),
on a phone: the samples to copy wrap instead of scrolling sideways, their links back are absolute,
and every badge draws."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def test_the_embed_page_on_a_phone(page: Any, base_url: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base_url}/generated/embed.html", wait_until="networkidle")
    samples = page.locator(".fg-wrap pre > code")
    assert samples.count() >= 3  # the include, the snippet, the badge
    sideways = page.evaluate(
        "[...document.querySelectorAll('.fg-wrap pre > code')].map((c) => c.scrollWidth - c.clientWidth)"
    )
    assert all(extra <= 0 for extra in sideways), sideways
    text = "\n".join(samples.all_inner_texts())
    assert re.search(r"\]\(https?://[^)\s]+/generated/decide\.html#[a-z0-9-]+\)", text), text[:500]  # absolute
    assert "](generated/" not in text
    badges = page.evaluate("""[...document.querySelectorAll('.md-content img[src$=".svg"]')]
        .map((img) => [img.getAttribute('src'), img.complete && img.naturalWidth > 0])""")
    assert len(badges) >= 2 and all(drawn for _, drawn in badges), badges
    page.screenshot(path=ARTIFACTS / "generated_embed-phone.png", full_page=True)
    assert page.outside == [] and page.errors == []
