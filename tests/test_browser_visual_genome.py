"""The Visual Genome page in real Chromium: filter through widgets, open an image, hide a class."""

from __future__ import annotations

import re

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

COUNT = re.compile(r"^[\d,]+ images?$")


def _count(page) -> str:
    return page.locator("[data-testid='stMain'] strong").filter(has_text=COUNT).first.inner_text()


def _until(page, action, condition: str, tries: int = 3) -> None:
    """Do `action` until the JS `condition` holds (a click can land while Streamlit is still rerunning)."""
    for attempt in range(tries):
        action()
        try:
            page.wait_for_function(condition, timeout=10_000)
            return
        except Exception:
            if attempt == tries - 1:
                raise
            wait_for_app(page)


def _visible_traces(page) -> dict[str, int]:
    """Legend group -> number of drawn traces of the annotated figure (by its data in the browser)."""
    return page.evaluate(
        """() => {
            const plot = document.querySelector('[class*="st-key-vg-figure"] .js-plotly-plot');
            const out = {};
            for (const t of plot.data) {
                if (t.visible === 'legendonly') continue;
                out[t.legendgroup] = (out[t.legendgroup] || 0) + 1;
            }
            return out;
        }"""
    )


def test_filter_by_object_updates_count_and_url(page, app_url: str) -> None:
    page.goto(f"{app_url}/visual_genome")
    wait_for_app(page)
    assert _count(page) == "40 images"
    box = page.locator("[class*='st-key-vg-object'] input")

    def choose_frisbee() -> None:
        box.click()
        box.fill("frisbee")
        page.get_by_role("option", name=re.compile(r"^frisbee")).first.click()
        page.keyboard.press("Escape")

    _until(page, choose_frisbee, "() => location.search.includes('object=frisbee')")
    wait_for_app(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMain] strong')]"
        ".some(e => /^\\d+ images?$/.test(e.innerText) && e.innerText !== '40 images')",
        timeout=20_000,
    )
    assert _count(page) != "40 images"
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.js_errors == []


def test_open_image_and_hide_a_class(page, app_url: str) -> None:
    page.goto(f"{app_url}/visual_genome?object=dog&object=frisbee")
    wait_for_app(page)
    page.get_by_text("15 images").wait_for(timeout=30_000)  # the filtered gallery, not a stale one
    wait_for_app(page)
    page.locator("[data-testid='stMain'] button", has_text="Open").first.click()
    page.wait_for_function("() => location.search.includes('id=1')", timeout=30_000)
    page.locator("[class*='st-key-vg-figure'] .js-plotly-plot .legend").wait_for(timeout=30_000)
    wait_for_app(page)
    before = _visible_traces(page)
    assert before["object:dog"] == 1 and before["object:man"] == 2
    dog_hidden = """() => document.querySelector('[class*="st-key-vg-figure"] .js-plotly-plot').data
        .filter(t => t.legendgroup === 'object:dog').every(t => t.visible === 'legendonly')"""
    legend_dog = page.locator("[class*='st-key-vg-figure'] .legend .traces", has_text="dog (1)")
    # Clicked again only while dog still shows (a click can land while Streamlit redraws the figure).
    _until(page, lambda: None if page.evaluate(dog_hidden) else legend_dog.click(), dog_hidden)
    after = _visible_traces(page)
    assert "object:dog" not in after and after["object:man"] == 2
    page.locator("[class*='st-key-vg-figure']").scroll_into_view_if_needed()
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.js_errors == []
