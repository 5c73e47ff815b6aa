"""`explorer serve` on the demo data, loaded in real Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser


def test_home_page_loads_with_counts(page, app_url: str) -> None:
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_text("JourneyDB gallery").wait_for(timeout=20_000)
    assert page.get_by_role("heading", name="explorer").is_visible()
    metrics = page.locator("[data-testid='stMetricValue']").all_inner_texts()
    assert metrics == ["300", "40"], metrics  # demo data: 300 JourneyDB images, 40 Visual Genome images
    assert page.locator("[data-testid='stMain']").get_by_text("Visual Genome stats").is_visible()
    assert page.js_errors == []


@pytest.mark.parametrize("path", ["journeydb", "visual_genome", "journeydb_stats", "visual_genome_stats", "sql"])
def test_every_page_opens_directly(page, app_url: str, path: str) -> None:
    page.goto(f"{app_url}/{path}")
    wait_for_app(page)
    assert "/" + path in page.url
    assert page.locator("[data-testid='stException']").count() == 0
