"""Dataset and URL text is shown as text on every page: in Chromium, no payload runs and the literal is visible.

Two probes: the demo data's `<script>alert(1)</script>` / `<img src=x onerror=alert(1)>` (a dialog would
open) and, through the URL, `<img src=x onerror="window.__xss=1">` (the global would be set).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from explorer.sample import JDB_XSS_ID, VG_XSS_IMAGE_ID, XSS_IMG, XSS_SCRIPT
from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

PROBE = '<img src=x onerror="window.__xss=1">'
MAIN = "[data-testid='stMain']"


def _open(page, url: str) -> list[str]:
    """Go to `url` with a dialog catcher registered first; returns the list the dialogs land in."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    wait_for_app(page)
    return dialogs


def _assert_inert(page, dialogs: list[str]) -> None:
    page.wait_for_timeout(800)  # let any injected handler fire
    assert dialogs == []
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.locator(f"{MAIN} img[src='x']").count() == 0
    assert page.locator(f"{MAIN} script, {MAIN} svg script").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.js_errors == []


def _visible(page, text: str, within: str = MAIN) -> None:
    page.locator(within).get_by_text(text, exact=False).first.wait_for(state="visible", timeout=20_000)


def _plot_text(page, selector: str = f"{MAIN} .js-plotly-plot") -> str:
    """All text Plotly drew (SVG text nodes of every chart matching `selector`)."""
    return page.evaluate(
        "(sel) => [...document.querySelectorAll(sel)].map(p => [...p.querySelectorAll('text')]"
        ".map(t => t.textContent).join('\\n')).join('\\n')",
        selector,
    )


def test_home_ignores_url_payloads(page, app_url: str) -> None:
    dialogs = _open(page, f"{app_url}/?{urlencode({'q': PROBE, 'id': PROBE})}")
    _visible(page, "Images")
    _assert_inert(page, dialogs)


def test_journeydb_url_payload_is_echoed_as_text(page, app_url: str) -> None:
    dialogs = _open(page, f"{app_url}/journeydb?{urlencode({'style': PROBE, 'version': PROBE})}")
    _visible(page, PROBE)  # "No data has the style value(s): <img …>"
    _assert_inert(page, dialogs)


def test_journeydb_gallery_and_sample_show_the_payloads_as_text(page, app_url: str) -> None:
    dialogs = _open(page, f"{app_url}/journeydb?{urlencode({'q': 'robot sign', 'content': 'robot'})}")
    _visible(page, "<script>alert(1)</script> next to")  # the prompt in the grid, shortened
    _assert_inert(page, dialogs)
    page.goto(f"{app_url}/journeydb?id={JDB_XSS_ID}")
    wait_for_app(page)
    _visible(page, "Style questions")
    _visible(page, XSS_SCRIPT)
    _visible(page, XSS_IMG)
    _visible(page, "What does the <b>sign</b> say?")
    _assert_inert(page, dialogs)


def test_journeydb_stats_show_the_filter_and_labels_as_text(page, app_url: str) -> None:
    dialogs = _open(page, f"{app_url}/journeydb_stats?{urlencode({'q': XSS_SCRIPT, 'split': 'train'})}")
    _visible(page, f"q = {XSS_SCRIPT}")  # the filter as plain text, and it matches the XSS record
    page.locator(f"{MAIN} h3", has_text="1 image").wait_for(timeout=20_000)
    page.locator(f"{MAIN} .js-plotly-plot").first.wait_for(timeout=20_000)
    assert "cyberpunk" in _plot_text(page)
    _assert_inert(page, dialogs)
    page.goto(f"{app_url}/journeydb_stats?{urlencode({'style': PROBE})}")
    wait_for_app(page)
    _visible(page, f"style = {PROBE}")
    _assert_inert(page, dialogs)


def test_visual_genome_gallery_labels_and_url_notice_are_text(page, app_url: str) -> None:
    query = urlencode([("object", XSS_SCRIPT), ("attribute", f"{PROBE}|car")])
    dialogs = _open(page, f"{app_url}/visual_genome?{query}")
    _visible(page, "1 image")
    _visible(page, f"{PROBE}|car")  # the notice quotes the URL value once, literally
    _visible(page, XSS_SCRIPT)  # the tile's note names the matched object
    _assert_inert(page, dialogs)


def test_visual_genome_image_view_plotly_text_is_literal(page, app_url: str) -> None:
    dialogs = _open(page, f"{app_url}/visual_genome?id={VG_XSS_IMAGE_ID}")
    figure = "[class*='st-key-vg-figure'] .js-plotly-plot"
    page.locator(f"{figure} .legend").wait_for(timeout=30_000)
    wait_for_app(page)
    assert f"{XSS_SCRIPT} (1)" in _plot_text(page, figure)  # the legend entry of the sign's class
    # Hover text of the sign (Plotly's HTML subset): set from the data, shown literally.
    hover = page.evaluate(
        "(sel) => document.querySelector(sel).data.filter(t => (t.name || '').startsWith('<') ||"
        " (t.name || '').startsWith('&lt;')).map(t => t.text).join(' ')",
        figure,
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in hover and "<img" not in hover
    # Render the sign's hover label through Plotly itself and read what it drew.
    label = page.evaluate(
        """(sel) => {
            const gd = document.querySelector(sel);
            const Plotly = window.Plotly || gd._context?._Plotly;
            const curve = gd.data.findIndex(t => (t.name || '').startsWith('&lt;script'));
            if (!window.Plotly || curve < 0) return null;
            window.Plotly.Fx.hover(gd, [{curveNumber: curve, pointNumber: 0}]);
            return gd.querySelector('.hoverlayer').textContent;
        }""",
        figure,
    )
    if label is not None:  # Plotly is not always exposed as a global
        assert XSS_IMG in label
    page.locator(MAIN).get_by_role("tab", name="Scene graph").click()
    page.locator("[class*='st-key-vg-scene_graph'] .js-plotly-plot").wait_for(timeout=20_000)
    assert XSS_SCRIPT in _plot_text(page, "[class*='st-key-vg-scene_graph'] .js-plotly-plot")
    _assert_inert(page, dialogs)


def test_visual_genome_stats_chart_labels_are_literal(page, app_url: str) -> None:
    dialogs = _open(page, f"{app_url}/visual_genome_stats?{urlencode({'object': XSS_SCRIPT})}")
    page.locator(f"{MAIN} h3", has_text="1 image").wait_for(timeout=20_000)
    page.locator(f"{MAIN} .js-plotly-plot").first.wait_for(timeout=20_000)
    page.wait_for_timeout(1000)
    drawn = _plot_text(page)
    assert XSS_SCRIPT in drawn  # object names chart
    assert XSS_IMG in drawn  # attributes chart
    _visible(page, f"object = {XSS_SCRIPT}")
    _assert_inert(page, dialogs)


def test_sql_console_results_and_errors_are_text(page, app_url: str) -> None:
    sql = f"SELECT '{XSS_IMG}' AS x, '{PROBE}' AS y"  # the probe holds no single quote
    dialogs = _open(page, f"{app_url}/sql?{urlencode({'q': sql})}")
    page.locator(f"{MAIN} [data-testid='stDataFrame']").first.wait_for(timeout=20_000)
    _visible(page, "1 row")
    _assert_inert(page, dialogs)
    missing_table = 'SELECT * FROM "' + PROBE.replace('"', '""') + '"'
    page.goto(f"{app_url}/sql?{urlencode({'q': missing_table})}")
    wait_for_app(page)
    _visible(page, "does not exist")
    _visible(page, PROBE, within="[data-testid='stAlert']")
    _assert_inert(page, dialogs)
