"""Downloading the current selection in real Chromium: the sidebar's Download panel, through to the file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from explorer.store import Store
from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser


def test_download_the_filtered_images_as_coco(page, app_url: str, sample_store: Store, tmp_path: Path) -> None:
    page.goto(f"{app_url}/visual_genome?object=dog")
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("Download", exact=True).click()
    sidebar.get_by_text("COCO detection JSON", exact=True).click()
    wait_for_app(page)
    sidebar.get_by_text(re.compile(r"^\d+ matching images?$")).wait_for(timeout=20_000)
    sidebar.get_by_role("button", name=re.compile("Prepare file")).click()
    # A link to the file, which the server streams from disk (explorer.serving), opened in a new tab.
    ready = sidebar.get_by_role("link", name=re.compile(r"Download visual_genome-coco_object-dog_\d+images\.json"))
    ready.wait_for(timeout=30_000)
    assert re.fullmatch(
        r"/downloads/[0-9a-f]{16}-visual_genome-coco_object-dog_\d+images\.json", ready.get_attribute("href") or ""
    )
    with page.expect_download(timeout=30_000) as info:  # Chromium reports it on the page that opened the tab
        ready.click()
    assert re.fullmatch(r"visual_genome-coco_object-dog_\d+images\.json", info.value.suggested_filename)
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)

    coco = json.loads(saved.read_text(encoding="utf-8"))
    dogs = [
        r[0]
        for r in sample_store.rows(
            "SELECT DISTINCT image_id FROM vg_objects WHERE name = 'dog' ORDER BY image_id",
        )
    ]
    assert [image["id"] for image in coco["images"]] == dogs and dogs
    objects = sample_store.rows(
        "SELECT image_id, object_id FROM vg_objects WHERE list_contains(?, image_id) ORDER BY ALL", [dogs]
    )
    assert [(a["image_id"], a["id"]) for a in coco["annotations"]] == objects
    assert "dog" in {c["name"] for c in coco["categories"]}
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.js_errors == []
