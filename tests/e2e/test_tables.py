"""Tables a reader sorts as on a leaderboard (issue 28): a click on a header sorts the rows by that
column, numerically where it holds numbers (in one unit: "7.69 s" after "814 ms"), a second click
the other way; on a phone the same tables are cards."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

KEYS = "(table, i) => [...table.tBodies[0].rows].map((row) => parseFloat(row.cells[i].dataset.sort))"


def sorts_by_a_number(table: Any) -> None:
    """Clicks each header whose column holds a number in every row, and checks the rows come in
    its order, then in the reverse order."""
    headers = table.locator("thead th")
    numeric = [i for i in range(headers.count()) if not any(map(math.isnan, table.evaluate(KEYS, i)))]
    assert numeric, table.inner_text()[:300]
    for i in numeric:
        headers.nth(i).click()
        first = table.evaluate(KEYS, i)
        assert first in (sorted(first), sorted(first, reverse=True)), (i, first)
        assert headers.nth(i).get_attribute("aria-sort") in ("ascending", "descending")
        headers.nth(i).click()
        assert table.evaluate(KEYS, i) == first[::-1] or len(set(first)) < len(first), (i, first)


def test_the_at_a_glance_and_per_case_tables_sort(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/generated/performance.html")
    glance = page.locator("h2#at-a-glance ~ * table").first
    sorts_by_a_number(glance)
    headers = glance.locator("thead th").all_inner_texts()
    verdict = next(i for i, header in enumerate(headers) if header.startswith("Verdict"))
    glance.locator("thead th").nth(verdict).click()  # a verdict sorts by its ratio
    ratios = glance.evaluate(KEYS, verdict)
    assert ratios in (sorted(ratios), sorted(ratios, reverse=True)) and len(set(ratios)) > 1, ratios
    page.goto(f"{base_url}/generated/workloads/mlp.html")
    tables = page.locator(".md-content table")
    assert tables.count() >= 2
    for i in range(2):  # a case's comparison and its costs (set-up, first call, memory)
        sorts_by_a_number(tables.nth(i))
    page.screenshot(path=ARTIFACTS / "generated_workloads_mlp-sorted.png")
    assert page.errors == []


def test_sortable_tables_are_still_cards_on_a_phone(page: Any, base_url: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base_url}/generated/performance.html")
    glance = page.locator(".md-content table").first
    assert glance.locator("thead th[role='columnheader']").count() >= 3  # sortable
    assert not glance.locator("thead").is_visible()  # a card has no header row: each cell is labelled
    cells = glance.evaluate("""(table) => [...table.tBodies[0].rows[0].cells]
        .map((cell) => [getComputedStyle(cell).display, cell.dataset.label || ''])""")
    assert all(display == "block" for display, _ in cells) and all(label for _, label in cells[1:]), cells
    assert glance.evaluate("(table) => table.getBoundingClientRect().width") <= 390
    assert page.errors == []
