"""The Visual Genome box statistics of a selection, computed together in one query, equal the per-chart SQL."""

from __future__ import annotations

import pytest

from explorer.filters import AttributeFilter, VGFilter
from explorer.queries import stats
from explorer.queries.visual_genome import filter_where

FILTERS = [VGFilter(objects=("dog",)), VGFilter(attributes=(AttributeFilter("red"),)), VGFilter(q="dog")]


@pytest.fixture(autouse=True)
def _cold() -> None:
    stats.clear_caches()


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: repr(f.to_url()))
def test_box_statistics_equal_the_per_chart_sql(sample_store, f: VGFilter) -> None:
    sql, params = filter_where(sample_store, f)
    assert sample_store.scalar(stats.VG_COUNT_SQL.format(where=sql), params) > 0
    for name in stats.VG_BOX_STATS:
        expected = dict(sample_store.rows(stats.live_sql(stats.VG_STATS[name], "vg", sql), params))
        frame = stats.vg_counts(sample_store, f, name, top=None).frame
        assert expected and {v: n for v, n in zip(frame["value"], frame["n"], strict=True) if n} == expected
    bins, last = stats.CENTRE_BINS, stats.CENTRE_BINS - 1
    expected_cells = sorted(sample_store.rows(stats.VG_BOX_CENTRES_SQL.format(bins=bins, last=last, where=sql), params))
    cells = stats.vg_box_centres(sample_store, f)
    assert sorted(cells.itertuples(index=False, name=None)) == expected_cells
    sized = sample_store.scalar(stats.VG_OBJECTS_ON_SIZED_IMAGES_SQL.format(where=sql), params)
    assert stats.vg_objects_on_sized_images(sample_store, f) == sized == sum(n for _, _, n in expected_cells)


def test_heatmap_uses_the_bar_charts_top_values(sample_store) -> None:
    f = VGFilter(objects=("dog",))
    matrix = stats.vg_object_attributes(sample_store, f, top=5)
    names = stats.vg_counts(sample_store, f, "object", top=5).frame
    assert matrix.rows == [v for v, rest in zip(names["value"], names["rest"], strict=True) if not rest]
