"""The two stats pages through AppTest: no exception, the selection stated as "N images", notices."""

from __future__ import annotations

import pytest

from tests.conftest import app_test

JDB = "app_pages/journeydb_stats.py"
VG = "app_pages/visual_genome_stats.py"


def _texts(at) -> list[str]:
    return [m.value for m in at.markdown]


@pytest.mark.usefixtures("app_env")
def test_journeydb_stats_whole_and_filtered():
    at = app_test(JDB)
    assert not at.exception
    assert "### 300 images" in _texts(at)
    assert len(at.get("plotly_chart")) >= 9
    at = app_test(JDB, {"style": "watercolor", "split": "train"})
    assert not at.exception
    heading = [t for t in _texts(at) if t.startswith("### ")]
    assert heading and heading[0] != "### 300 images" and heading[0].endswith(" images")
    assert at.multiselect(key="jdb.stats.style").value == ["watercolor"]


@pytest.mark.usefixtures("app_env")
def test_journeydb_sidebar_edits_the_filter():
    at = app_test(JDB, {"style": "watercolor"})
    at.multiselect(key="jdb.stats.style").set_value([]).run()
    assert not at.exception
    assert "### 300 images" in _texts(at)
    assert "style" not in at.query_params


@pytest.mark.usefixtures("app_env")
def test_visual_genome_stats_whole_and_filtered():
    at = app_test(VG)
    assert not at.exception
    assert "### 40 images" in _texts(at)
    at = app_test(VG, {"object": "car", "attribute": "red|car"})
    assert not at.exception
    assert any(t.startswith("### ") and t != "### 40 images" for t in _texts(at))


@pytest.mark.usefixtures("app_env")
@pytest.mark.parametrize(
    ("page", "query"),
    [
        (JDB, {"split": "nope", "style": ["x" * 500, "<script>alert(1)</script>"], "match": "?", "q": "'; DROP --"}),
        (VG, {"rel": ["a|b", "|||"], "attribute": "|car", "object": "\x00", "q": "%_"}),
    ],
)
def test_hostile_params_give_notices(page, query):
    at = app_test(page, query)
    assert not at.exception
    assert at.warning, "expected a notice for the malformed parameters"
    assert any(t.startswith("### ") for t in _texts(at))
