"""Every page as a reader sees it: loads cleanly, charts draw, search, theme switch."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS, SCREENSHOT_MS, SITE

pytestmark = pytest.mark.e2e


def pages_in_navigation(page: Any, base_url: str) -> list[str]:
    """The site's pages: those the navigation links to, those the Machines page lists, and the
    workload pages the Performance overview links to."""
    page.goto(f"{base_url}/index.html")
    found = []
    for start in ("index.html", "generated/machines/index.html", "generated/performance.html"):
        page.goto(f"{base_url}/{start}")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            url = href.split("#")[0]
            if url.startswith(base_url) and url.endswith(".html") and url not in found:
                found.append(url)
    return found


OPEN_CHARTS = "document.querySelectorAll('details').forEach((d) => { d.open ||= !!d.querySelector('img.fg-chart'); })"


def screenshot(page: Any, url: str, base_url: str, suffix: str = "") -> None:
    name = url.removeprefix(base_url + "/").removesuffix(".html").replace("/", "_")
    # a long page takes seconds to capture on a loaded machine: the time is no part of what is tested
    page.screenshot(path=ARTIFACTS / f"{name}{suffix}.png", full_page=True, timeout=SCREENSHOT_MS)


def reach_for_chart(page: Any, left: int, charts: int) -> None:
    """Point at the first static chart as a reader does, and wait until it is a live chart that
    has drawn. The pointer first leaves the chart drawn before (its tooltip, and the layout its
    drawing shifts, must not stand between the pointer and the next chart), and the next chart is
    scrolled into view before it is pointed at."""
    page.mouse.move(0, 0)
    chart = page.locator("img.fg-chart").first
    chart.scroll_into_view_if_needed()
    chart.hover()
    page.wait_for_function(f"document.querySelectorAll('img.fg-chart').length < {left}", timeout=15000)
    drawn = charts - left + 1  # the live charts there must be now, each with its SVG drawn
    page.wait_for_function(f"document.querySelectorAll('.fg-chart-live svg').length >= {drawn}", timeout=15000)


def test_every_page_loads_cleanly_and_draws_its_charts(page: Any, base_url: str) -> None:
    urls = pages_in_navigation(page, base_url)
    assert len(urls) >= 5, urls  # home, performance, methodology, machines, a machine
    for url in urls:
        page.errors.clear()
        response = page.goto(url)
        assert response.status == 200, url
        charts = response.text().count('class="fg-chart"')  # static charts in the page as served
        page.evaluate(OPEN_CHARTS)  # as a reader opens a folded section to see its chart
        while left := page.locator("img.fg-chart").count():  # each becomes a live chart as a reader points at it
            reach_for_chart(page, left, charts)
        if charts:
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
    assert "/workloads/mlp" in result.locator("a").first.get_attribute("href")  # the workload's own page
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


def test_machine_picker_switches_the_machine_whose_numbers_are_shown(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/generated/performance.html")
    picker = page.locator("nav.fg-picker a")
    if picker.count() < 2:
        pytest.skip("the site has results from one machine only")
    current = page.locator("nav.fg-picker a[aria-current='page']")
    assert current.count() == 1
    reference = current.inner_text()
    other = page.locator("nav.fg-picker a:not([aria-current])").first
    other_id = other.inner_text()
    other.click()
    page.wait_for_url(re.compile(r"performance-.+\.html$"))
    assert page.locator("nav.fg-picker a[aria-current='page']").inner_text() == other_id
    assert page.get_by_text(f"Measured on {other_id}").count() >= 1
    page.locator("nav.fg-picker a").filter(has_text=reference).click()
    page.wait_for_url(re.compile(r"/performance\.html$"))
    assert page.errors == []


def test_versions_page_shows_what_changed_between_releases(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/generated/versions.html")
    assert page.locator("h1").inner_text().startswith("Versions")
    if page.get_by_text("Only one release of each framework").count() == page.locator("h2").count():
        pytest.skip("no machine has two releases of a framework")
    assert page.locator("h3").filter(has_text="What changed").count() >= 1
    assert page.locator("h3").filter(has_text="→").count() >= 1
    assert page.errors == []


def test_usability_tabs_show_each_frameworks_code(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/generated/usability.html")
    tabs = page.locator(".tabbed-set").first
    if tabs.count() == 0:
        pytest.skip("no study with code was measured")
    labels = tabs.locator(".tabbed-labels label")
    assert [labels.nth(i).inner_text() for i in range(labels.count())] == ["PyTorch", "TensorFlow", "JAX"]
    blocks = tabs.locator(".tabbed-block")
    assert blocks.nth(0).is_visible() and not blocks.nth(1).is_visible()
    labels.nth(2).click()
    assert blocks.nth(2).is_visible() and not blocks.nth(0).is_visible()
    assert page.errors == []


def test_the_questionnaire_leads_to_the_same_answer_as_the_command_line(page: Any, base_url: str) -> None:
    import json
    import subprocess
    import sys

    from tests.e2e.conftest import ROOT

    page.goto(f"{base_url}/generated/decide.html")
    result = page.locator("#fg-decide-result")
    result.wait_for(state="visible")

    def answer(answers: dict[str, str]) -> tuple[str, dict[str, Any]]:
        for question, option in answers.items():
            page.check(f"input[name='{question}'][value='{option}']")
        command = [sys.executable, "-m", "generator", "recommend", "--json"]
        command += [f"--answer={q}={o}" for q, o in answers.items()]
        printed = json.loads(subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout)
        return result.inner_text(), printed

    cpu = {"deployment": "server", "hardware": "cpu", "model": "mlp", "data": "fits", "experience": "tensorflow",
           "priority": "memory"}  # fmt: skip
    shown, printed = answer(cpu)
    # the committed results: PyTorch's process peaks lower than TensorFlow's, and JAX's is within the margin of it
    assert printed["ring"] == "PyTorch or JAX" and [r["framework"] for r in printed["ruled_out"]] == ["tensorflow"]
    assert shown.startswith(f"{printed['ring']}: {printed['why']}"), shown
    assert "The team knows TensorFlow, which the measurements rule out here" in printed["note"]
    assert printed["note"] in shown and printed["measured_on"]["machines"][0] in shown
    assert all(f"{r['what']}: {r['detail']}" in shown for r in printed["reasons"])
    assert " ".join(f"--answer {q}={o}" for q, o in cpu.items()) in shown
    shown, printed = answer({**cpu, "hardware": "gpu"})
    assert printed["ring"] == "not measured on hardware like yours"
    assert shown.startswith(f"{printed['ring']}: {printed['why']}"), shown
    assert "Measure it on your hardware" in shown and "nox -s measure on a machine with an NVIDIA GPU" in shown
    assert "nox" not in printed["why"]  # the maintainers' commands are in their own box, not in the answer
    page.get_by_role("link", name="Inference on an NVIDIA GPU").first.click()
    assert page.url.endswith("#gpu-inference")
    screenshot(page, f"{base_url}/generated/decide.html", base_url, "-answered")


def test_the_decide_page_reads_as_tables_without_javascript(page: Any, base_url: str) -> None:
    served = page.request.get(f"{base_url}/generated/decide.html").text()  # the page before any script runs
    assert '<form id="fg-decide" class="fg-decide" hidden>' in served  # shown only once decide.json is read
    assert "<noscript>" in served
    page.goto(f"{base_url}/generated/decide.html")
    table = page.locator("table").filter(has_text="Measured on").first
    assert table.locator("tbody tr").count() >= 9
    assert "ruled out" in table.inner_text() and "not measured" in table.inner_text()


PAGE_BUDGET = 250_000  # bytes a page transfers on load, all it loads included, gzip-compressed as a host sends them
HTML_BUDGET = 300_000  # bytes of a page's HTML, uncompressed: what the browser parses before it shows anything


def weigh(page: Any, url: str) -> tuple[int, list[tuple[int, str]]]:
    """Bytes transferred for ``url`` with an empty cache (bodies as sent, compressed where the
    server compressed them, and headers), and every transfer, biggest first. Only bytes: how long
    a page takes depends on the machine, and is measured by benchmarks/load.py instead."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sent: list[tuple[int, str]] = []

    def finished(request: Any) -> None:
        sizes = request.sizes()
        sent.append((sizes["responseBodySize"] + sizes["responseHeadersSize"], request.url))

    page.on("requestfinished", finished)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("requestfinished", finished)
    cdp.detach()
    return sum(n for n, _ in sent), sorted(sent, reverse=True)


def test_every_page_keeps_to_its_weight_budget(page: Any, base_url: str) -> None:
    urls = pages_in_navigation(page, base_url)
    weights = {}
    for url in urls:
        total, sent = weigh(page, url)
        weights[url.removeprefix(base_url)] = total
        assert total <= PAGE_BUDGET, (url, total, sent[:3])
        # the chart library is fetched only when a reader reaches for a chart
        assert not [u for _, u in sent if u.endswith("/vega-bundle.js")], url
    assert page.outside == []
    print("bytes transferred:", weights)


def test_every_pages_html_keeps_to_its_budget() -> None:
    sizes = {str(p.relative_to(SITE)): p.stat().st_size for p in SITE.rglob("*.html")}
    assert len(sizes) >= 5
    assert {name: size for name, size in sizes.items() if size > HTML_BUDGET} == {}


def test_no_page_is_wider_than_a_phone(page: Any, base_url: str) -> None:
    urls = pages_in_navigation(page, base_url)
    page.set_viewport_size({"width": 390, "height": 844})
    for url in urls:
        page.goto(url, wait_until="networkidle")
        wider = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wider <= 0, (url, wider)
        # every table fits the screen (a wide one becomes cards), its verdict before the figures
        tables = page.evaluate("""[...document.querySelectorAll('.md-content table')]
            .map((t) => Math.round(t.getBoundingClientRect().width))""")
        assert all(width <= 390 for width in tables), (url, tables)
    page.goto(f"{base_url}/generated/performance.html", wait_until="networkidle")
    assert page.locator(".fg-chart-live").count() == 0  # the chart library waits for a reader who reaches for a chart
    page.evaluate(OPEN_CHARTS)
    page.locator("img.fg-chart").first.click()  # as a reader taps it
    page.wait_for_selector(".fg-chart-live svg", timeout=15000)
    # a live chart is drawn to the room there is, so its text keeps its size (at least 10 px)
    smallest = page.evaluate("""(() => { const svg = document.querySelector('.fg-chart-live svg');
        const scale = svg.getBoundingClientRect().width / svg.width.baseVal.value;  // drawn size ÷ its own
        return Math.min(...[...svg.querySelectorAll('text')].map((t) => scale * parseFloat(t.getAttribute('font-size')
            || getComputedStyle(t).fontSize))); })()""")
    assert round(smallest, 1) >= 10, smallest  # to a tenth of a pixel: a chart may be shrunk by a fraction of one
    screenshot(page, f"{base_url}/generated/performance.html", base_url, "-phone")


def test_the_questionnaire_shows_where_the_keyboard_is(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}/generated/decide.html")
    page.locator("#fg-decide").wait_for(state="visible")
    first = page.locator("#fg-decide input").first
    first.focus()
    page.keyboard.press("ArrowDown")  # radio buttons move with the arrows, as a keyboard user moves them
    focused = page.evaluate("""(() => { const s = getComputedStyle(document.activeElement);
        return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; })()""")
    assert focused[0] == "INPUT" and focused[1] != "none" and focused[2] >= 2, focused
