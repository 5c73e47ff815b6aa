"""The JourneyDB stats page in Chromium: clicking a bar filters, the gallery link carries the filter."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser


def _heading(page) -> str:
    return page.locator("[data-testid='stMain'] h3").first.inner_text()


def test_click_a_bar_filters_and_links_to_the_gallery(page, app_url: str) -> None:
    page.goto(f"{app_url}/journeydb_stats")
    wait_for_app(page)
    page.get_by_text("300 images").first.wait_for(timeout=20_000)
    chart = page.locator("[data-testid='stPlotlyChart']").first  # top styles
    chart.locator(".barlayer .point path").first.wait_for(timeout=20_000)
    box = chart.locator(".barlayer .point path").first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(r"style="), timeout=20_000)
    wait_for_app(page)
    style = parse_qs(urlparse(page.url).query)["style"]
    assert len(style) == 1
    page.wait_for_function(
        "() => { const h = document.querySelector('[data-testid=\"stMain\"] h3');"
        " return h && !h.innerText.startsWith('300 ') && h.innerText.endsWith(' images'); }",
        timeout=20_000,
    )
    assert _heading(page) != "300 images"
    link = page.locator("a[data-testid='stPageLink-NavLink']", has_text="in the gallery")
    href = link.get_attribute("href") or ""
    assert urlparse(href).path.rstrip("/").endswith("journeydb")
    assert parse_qs(urlparse(href).query)["style"] == style
    # Hostile text in the data is shown as text: no injected element, no script error.
    assert page.locator("[data-testid='stMain'] svg script").count() == 0
    assert page.js_errors == []


def test_visual_genome_stats_renders(page, app_url: str) -> None:
    page.goto(f"{app_url}/visual_genome_stats?object=car")
    wait_for_app(page)
    page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for(timeout=20_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert _heading(page).endswith("images") and _heading(page) != "40 images"
    page.wait_for_timeout(1000)
