"""Every page as a reader sees it: loads cleanly, charts draw, search, theme switch."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def pages_in_navigation(page: Any, base_url: str) -> list[str]:
    """The site's pages: those the navigation links to, and those the Machines page lists."""
    page.goto(f"{base_url}/index.html")
    found = []
    for start in ("index.html", "generated/machines/index.html"):
        page.goto(f"{base_url}/{start}")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            url = href.split("#")[0]
            if url.startswith(base_url) and url.endswith(".html") and url not in found:
                found.append(url)
    return found


def screenshot(page: Any, url: str, base_url: str, suffix: str = "") -> None:
    name = url.removeprefix(base_url + "/").removesuffix(".html").replace("/", "_")
    page.screenshot(path=ARTIFACTS / f"{name}{suffix}.png", full_page=True)


def test_every_page_loads_cleanly_and_draws_its_charts(page: Any, base_url: str) -> None:
    urls = pages_in_navigation(page, base_url)
    assert len(urls) >= 5, urls  # home, performance, methodology, machines, a machine
    for url in urls:
        page.errors.clear()
        response = page.goto(url)
        assert response.status == 200, url
        charts = response.text().count('class="fg-chart"')  # static charts in the page as served
        if charts:  # each static chart is replaced by a live one with marks in it
            page.wait_for_function("document.querySelectorAll('img.fg-chart').length === 0", timeout=15000)
            live = page.locator(".fg-chart-live svg")
            assert live.count() == charts, url
            for i in range(charts):
                assert live.nth(i).locator("g[class*='mark-'] path").count() > 0, (url, i)
        page.wait_for_load_state("networkidle")
        screenshot(page, url, base_url)
        assert page.errors == [], (url, page.errors)
    assert page.outside == []


def test_performance_page_has_charts(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/generated/performance.html")
    assert page.locator("img.fg-chart, .fg-chart-live").count() >= 3
    assert page.get_by_text("Fastest against fastest").count() >= 1


def test_search_finds_a_workload_by_name(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/index.html")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator("input.md-search__input").press_sequentially("MLP classifier", delay=20)  # keys, as typed
    result = page.locator(".md-search-result__item").filter(has_text=re.compile("MLP classifier", re.I)).first
    result.wait_for(timeout=15000)
    assert "performance" in result.locator("a").first.get_attribute("href")
    assert page.errors == []


def test_light_dark_switch(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/generated/performance.html")
    scheme = "document.body.getAttribute('data-md-color-scheme')"
    before = page.evaluate(scheme)
    page.locator("label.md-header__button:visible[title^='Switch to']").first.click()
    page.wait_for_function(f"{scheme} !== {before!r}")
    after = page.evaluate(scheme)
    assert {before, after} == {"default", "slate"}
    screenshot(page, f"{base_url}/generated/performance.html", base_url, f"-{after}")
    page.locator("label.md-header__button:visible[title^='Switch to']").first.click()
    page.wait_for_function(f"{scheme} === {before!r}")
