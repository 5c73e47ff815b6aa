"""The JourneyDB page in real Chromium: filter URLs, sidebar filters, the sample view, search, XSS."""

from __future__ import annotations

import re

import pytest

from explorer.sample import JDB_XSS_ID
from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser


def _main(page):
    return page.locator("[data-testid='stMain']")


def _wait_count(page, text: str) -> None:
    _main(page).get_by_text(text, exact=True).wait_for(timeout=20_000)
    wait_for_app(page)


def test_filter_url_shows_the_count(page, app_url: str) -> None:
    page.goto(f"{app_url}/journeydb?style=anime&atmosphere=cozy&match=any")
    wait_for_app(page)
    _wait_count(page, re.compile(r"^[\d,]+ images$"))  # type: ignore[arg-type]
    count = _main(page).get_by_text(re.compile(r"^[\d,]+ images$")).inner_text()
    assert int(count.split()[0].replace(",", "")) > 30  # anime alone has 30 in the demo data
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.js_errors == []


def test_sidebar_filter_updates_the_url(page, app_url: str) -> None:
    page.goto(f"{app_url}/journeydb")
    wait_for_app(page)
    _wait_count(page, "300 images")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.locator("[data-testid='stMultiSelect']").first.locator("input").click()
    page.keyboard.type("anime")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    _wait_count(page, "30 images")
    page.wait_for_url(re.compile(r"style=anime"), timeout=10_000)
    assert page.js_errors == []


def test_open_sample_shows_questions_with_the_answer(page, app_url: str) -> None:
    page.goto(f"{app_url}/journeydb?q=lighthouse&size=24")
    wait_for_app(page)
    _wait_count(page, re.compile(r"^[\d,]+ images$"))  # type: ignore[arg-type]
    highlight = _main(page).locator(".stMarkdownColoredBackground").first
    assert highlight.inner_text().lower() == "lighthouse"
    _main(page).get_by_role("button", name="Open").first.click()
    page.wait_for_url(re.compile(r"[?&]id="), timeout=10_000)
    _main(page).get_by_text("Style questions").wait_for(timeout=20_000)
    wait_for_app(page)
    assert _main(page).get_by_text("correct", exact=True).count() >= 1
    assert _main(page).locator(".stMarkdownColoredBackground").first.inner_text().lower() == "lighthouse"
    assert "q=lighthouse" in page.url
    _main(page).get_by_role("button", name="Back to gallery").click()
    page.wait_for_url(lambda url: "id=" not in url, timeout=10_000)
    assert "q=lighthouse" in page.url
    assert page.js_errors == []


def test_xss_sample_runs_nothing(page, app_url: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{app_url}/journeydb?id={JDB_XSS_ID}")
    wait_for_app(page)
    _main(page).get_by_text("Style questions").wait_for(timeout=20_000)
    _main(page).get_by_text("Prompt as written").click()
    page.wait_for_timeout(500)
    assert _main(page).get_by_text("<script>alert(1)</script>", exact=False).first.is_visible()
    assert _main(page).get_by_text("<img src=x onerror=alert(1)>", exact=False).first.is_visible()
    assert page.locator("[data-testid='stMain'] script").count() == 0
    assert dialogs == []
    assert page.js_errors == []
