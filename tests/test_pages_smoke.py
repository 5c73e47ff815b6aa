"""Every page runs through AppTest without an exception, with data and without."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import app_test

PAGES = [
    "app_pages/home.py",
    "app_pages/journeydb.py",
    "app_pages/journeydb_stats.py",
    "app_pages/visual_genome.py",
    "app_pages/visual_genome_stats.py",
    "app_pages/sql.py",
]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_demo_data(page: str, app_env: Path) -> None:
    at = app_test(page)
    assert not at.exception, at.exception


@pytest.mark.parametrize("page", PAGES)
def test_page_without_data_says_how_to_get_it(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPLORER_DATA", str(tmp_path / "empty"))
    at = app_test(page)
    assert not at.exception, at.exception
    if page != "app_pages/sql.py":
        assert any("explorer sample" in info.value for info in at.info), [i.value for i in at.info]


def test_home_lists_counts(app_env: Path) -> None:
    at = app_test()
    assert not at.exception
    frames = [df.value for df in at.dataframe]
    views = {row for frame in frames for row in frame["view"]}
    assert {"journeydb_images", "vg_objects"} <= views
    rows = {v: n for frame in frames for v, n in zip(frame["view"], frame["rows"], strict=True)}
    assert rows["journeydb_images"] > 100
    assert rows["vg_images"] > 10


@pytest.mark.parametrize(
    "page",
    [
        "app_pages/journeydb.py",
        "app_pages/journeydb_stats.py",
        "app_pages/visual_genome.py",
        "app_pages/visual_genome_stats.py",
    ],
)
def test_gallery_and_stats_pages_offer_download(page: str, app_env: Path) -> None:
    at = app_test(page)
    assert not at.exception
    assert [e.label for e in at.sidebar.expander if e.label == "Download"] == ["Download"]
