"""The SQL console in real Chromium: a shared link runs, an example runs, a refused query explains itself."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.conftest import ARTIFACTS, wait_for_app

pytestmark = pytest.mark.browser


def test_sql_console_flow(page, app_url: str) -> None:
    q = "SELECT image_id, count(*) AS objects FROM vg_objects GROUP BY image_id ORDER BY image_id"
    page.goto(f"{app_url}/sql?q={urllib.parse.quote(q)}")
    wait_for_app(page)
    main = page.locator("[data-testid='stMain']")
    main.get_by_text("40 rows ·").wait_for(timeout=20_000)
    main.locator("[data-testid='stDataFrame']").wait_for(timeout=20_000)
    assert main.locator("[data-testid='stDataFrame']").count() == 1
    assert main.locator("textarea").input_value() == q

    main.get_by_role("button", name="QA types").click()
    main.get_by_text("5 rows ·").wait_for(timeout=20_000)
    main.get_by_text("questions").first.wait_for(timeout=20_000)
    assert "vg_qas" in urllib.parse.unquote_plus(page.url)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "test_sql_console_flow-example.png"), full_page=True)

    main.locator("textarea").fill("COPY vg_qas TO '/tmp/out.csv'")
    main.get_by_role("button", name="Run").click()
    alert = main.locator("[data-testid='stAlertContentError']")
    alert.wait_for(timeout=20_000)
    assert "Only SELECT queries can run here" in alert.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.js_errors == []
    page.wait_for_timeout(500)
