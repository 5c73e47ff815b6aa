"""The naive baseline (benchmarks/naive.py) answers the same questions as the explorer it is compared with.

On a small generated release: each Visual Genome stats chart of the naive code gives the explorer's numbers
for the same selection (ties at the edge of a top-n may pick other values, so top-n charts compare counts).
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import naive
from benchmarks.generate import generate_visual_genome
from explorer.config import Settings
from explorer.filters import AttributeFilter, VGFilter
from explorer.ingest.visual_genome import ingest
from explorer.queries import stats
from explorer.store import Store

TOP_CHARTS = ("object", "attribute", "predicate", "triple", "qtype", "image_size")
BINNED_CHARTS = ("objects_per_image", "relationships_per_image", "regions_per_image", "box_area", "box_aspect")


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[str, Any]]:
    root = tmp_path_factory.mktemp("naive")
    raw = root / "raw"
    generate_visual_genome(raw, 0.002, seed=3)
    ingest(raw, root / "data", progress=False)
    return Store(Settings(data_dir=root / "data")), naive.vg_stats_ops(naive.load_visual_genome(raw))


def _selections(store: Store) -> list[tuple[VGFilter, dict[str, Any]]]:
    name = store.scalar("SELECT name FROM vg_object_counts ORDER BY n_images DESC, name LIMIT 1")
    attribute = store.scalar("SELECT attribute FROM vg_attribute_counts ORDER BY n_images DESC LIMIT 1 OFFSET 1")
    return [
        (VGFilter(), {}),
        (VGFilter(objects=(name,)), {"objects": [name]}),
        (VGFilter(attributes=(AttributeFilter(attribute),)), {"attribute": attribute}),
    ]


def _explorer(store: Store, f: VGFilter, chart: str) -> dict[Any, int]:
    frame = stats.vg_counts(store, f, chart, top=None).frame
    return {v: int(n) for v, n in zip(frame["value"], frame["n"], strict=True) if v is not None and n > 0}


def test_the_generated_release_is_large_enough(both: tuple[Store, dict[str, Any]]) -> None:
    store, _ = both
    assert store.scalar("SELECT count(*) FROM vg_images") > 100
    assert store.scalar("SELECT count(*) FROM vg_relationships") > 1000


@pytest.mark.parametrize("chart", TOP_CHARTS)
def test_top_charts_count_the_same(chart: str, both: tuple[Store, dict[str, Any]]) -> None:
    store, ops = both
    for f, p in _selections(store):
        mine = sorted(_explorer(store, f, chart).values(), reverse=True)[: naive.TOP]
        theirs = sorted(ops[chart](p).tolist(), reverse=True)
        assert theirs == mine, (chart, p)
        assert len(theirs) > 1


@pytest.mark.parametrize("chart", BINNED_CHARTS)
def test_binned_charts_count_the_same(chart: str, both: tuple[Store, dict[str, Any]]) -> None:
    store, ops = both
    for f, p in _selections(store):
        theirs = {int(k): int(v) for k, v in ops[chart](p).items()}
        assert theirs == _explorer(store, f, chart), (chart, p)


def test_box_centres_and_object_attributes_count_the_same(both: tuple[Store, dict[str, Any]]) -> None:
    store, ops = both
    for f, p in _selections(store):
        mine = stats.vg_box_centres(store, f)
        theirs = ops["box_centres"](p)
        assert {(int(x), int(y)): int(n) for (x, y), n in theirs.items()} == {
            (int(x), int(y)): int(n) for x, y, n in zip(mine["cx"], mine["cy"], mine["n"], strict=True)
        }
        matrix = stats.vg_object_attributes(store, f, top=naive.MATRIX_TOP)
        theirs = ops["object_attributes"](p)
        cells = {(r, c): int(n) for r, c, n in matrix.frame.itertuples(index=False)}
        assert sorted(theirs.tolist()) == sorted(cells.values()), p
        assert isinstance(ops["page"](p), list)


def test_the_naive_selection_is_the_explorers(both: tuple[Store, dict[str, Any]]) -> None:
    store, ops = both
    for f, p in _selections(store):
        per_image = ops["objects_per_image"](p)
        assert int(per_image.sum()) == stats.count_vg_images(store, f) > 0
