"""The Visual Genome postings (image_terms, triple_images*): the same image sets and counts as the big tables.

Every check runs the old SQL (over objects, object_attributes, relationships) and the postings SQL side by
side on the demo export and on the real sample, and on an export written before the postings existed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from explorer.config import Settings
from explorer.filters import AttributeFilter, Triple, VGFilter
from explorer.ingest.visual_genome import ingest
from explorer.queries import stats
from explorer.queries import visual_genome as q
from explorer.queries.filters import VG_POSTINGS_VIEWS, vg_where
from explorer.store import Store
from tests.conftest import SHARED_VG_SAMPLE

IDS_SQL = "SELECT i.image_id FROM vg_images i WHERE {where}"
POSTINGS_FILES = [f"{view.removeprefix('vg_')}.parquet" for view in VG_POSTINGS_VIEWS]


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    if not SHARED_VG_SAMPLE.is_dir():
        pytest.skip("shared Visual Genome sample absent")
    data = tmp_path_factory.mktemp("vg_real") / "data"
    ingest(SHARED_VG_SAMPLE, data, progress=False)
    return Store(Settings(data_dir=data))


@pytest.fixture(scope="module")
def old_store(sample_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The demo export as written before the postings tables existed."""
    data = tmp_path_factory.mktemp("vg_old") / "data"
    shutil.copytree((sample_data / "visual_genome").resolve(), data / "visual_genome")
    for name in POSTINGS_FILES:
        (data / "visual_genome" / name).unlink()
    return Store(Settings(data_dir=data))


def _frequent(store: Store, sql: str, n: int = 4) -> list[str]:
    """The n most frequent values and a rare one: broad and narrow ranges of the postings."""
    values = [r[0] for r in store.rows(sql)]
    return values[:n] + values[-1:]


def _filters(store: Store) -> list[VGFilter]:
    names = _frequent(store, "SELECT name FROM vg_object_counts ORDER BY n_images DESC, name")
    attrs = _frequent(store, "SELECT attribute FROM vg_attribute_counts ORDER BY n_images DESC, attribute")
    preds = _frequent(store, "SELECT predicate FROM vg_predicate_counts ORDER BY n_images DESC, predicate")
    a, b, c = names[:3]
    filters = [VGFilter(objects=(n,)) for n in names]
    filters += [VGFilter(objects=(a, b)), VGFilter(objects=(a, b, c)), VGFilter(objects=(a, a)),
                VGFilter(objects=(a, "no such name"))]  # fmt: skip
    filters += [VGFilter(attributes=(AttributeFilter(x),)) for x in attrs]
    filters += [
        VGFilter(attributes=(AttributeFilter(attrs[0], a),)),
        VGFilter(objects=(b,), attributes=(AttributeFilter(attrs[1]),)),
    ]
    for s in (a, b):
        for o in (a, b, c):
            for p in (None, preds[0], preds[1]):
                filters += [VGFilter(relationships=(Triple(s, p, o),)), VGFilter(relationships=(Triple(None, p, o),))]
            filters.append(VGFilter(relationships=(Triple(s, None, None),)))
        filters.append(VGFilter(relationships=(Triple(s, preds[0], None),)))
    filters += [VGFilter(relationships=(Triple(None, p, None),)) for p in preds]
    filters.append(VGFilter(relationships=(Triple(a, None, None), Triple(None, preds[0], b)), objects=(c,)))
    filters.append(VGFilter(objects=(a,), q="the"))
    return filters


def _image_sets(store: Store, f: VGFilter) -> tuple[set[int], set[int]]:
    old, new = vg_where(f), vg_where(f, postings=True)
    return (
        {r[0] for r in store.rows(IDS_SQL.format(where=old[0]), old[1])},
        {r[0] for r in store.rows(IDS_SQL.format(where=new[0]), new[1])},
    )


def test_demo_export_has_the_postings(sample_store: Store) -> None:
    assert q.has_postings(sample_store)


@pytest.mark.parametrize("which", ["demo", "real"])
def test_filters_match_the_same_images_with_postings(
    which: str, sample_store: Store, request: pytest.FixtureRequest
) -> None:
    store = sample_store if which == "demo" else request.getfixturevalue("real_store")
    nonempty = 0
    for f in _filters(store):
        old, new = _image_sets(store, f)
        assert old == new, f
        nonempty += bool(old)
        assert q.count_matches(store, f) == len(old)
        assert [r.image_id for r in q.match_page(store, f, 1, 10_000)] == sorted(old)
    assert nonempty > 20


@pytest.mark.parametrize("which", ["demo", "real", "old"])
def test_gallery_page_equals_count_and_page(which: str, sample_store: Store, request: pytest.FixtureRequest) -> None:
    """The gallery's one-query count and page (over the filter's image-id sets, no images scan) equals the
    count and page read through the images table, on every page, past the end too; with and without postings."""
    store = sample_store if which == "demo" else request.getfixturevalue(f"{which}_store")
    size, checked = 3, 0
    for f in [VGFilter(), *_filters(sample_store if which == "old" else store)]:
        total = q.count_matches(store, f)
        last = max(1, -(-total // size))
        for page in (1, 2, last, last + 1, 10**6):
            shown = q.gallery_page(store, f, page, size)
            assert (shown.total, shown.page) == (total, min(page, last)), (f, page)
            assert shown.rows == q.match_page(store, f, shown.page, size), (f, page)
        checked += total > 2 * size
    assert checked > 10


@pytest.mark.parametrize("which", ["demo", "real"])
def test_postings_hold_the_images_per_term_of_the_big_tables(
    which: str, sample_store: Store, request: pytest.FixtureRequest
) -> None:
    store = sample_store if which == "demo" else request.getfixturevalue("real_store")
    expected = store.rows(
        """SELECT 'object', name, image_id, count(*) FROM vg_objects GROUP BY ALL
        UNION ALL SELECT 'attribute', attribute, image_id, count(*) FROM vg_object_attributes GROUP BY ALL
        UNION ALL SELECT 'predicate', predicate, image_id, count(*) FROM vg_relationships GROUP BY ALL
        UNION ALL SELECT 'triple', concat_ws('|', coalesce(subject_name, ''), predicate, coalesce(object_name, '')),
                         image_id, count(*) FROM vg_relationships GROUP BY ALL
        ORDER BY ALL"""
    )
    assert store.rows("SELECT kind, term, image_id, n FROM vg_image_terms ORDER BY ALL") == expected
    triples = store.rows(
        "SELECT DISTINCT subject_name, predicate, object_name, image_id FROM vg_relationships ORDER BY ALL"
    )
    for view in ("vg_triple_images", "vg_triple_images_by_object"):
        assert store.rows(f"SELECT * FROM {view} ORDER BY ALL") == triples


@pytest.mark.parametrize("which", ["demo", "real"])
@pytest.mark.parametrize("stat", sorted(stats.VG_TERM_STATS))
def test_filtered_term_counts_equal_the_old_sql(
    which: str, stat: str, sample_store: Store, request: pytest.FixtureRequest
) -> None:
    """Every (value, images) pair, not only the top: count(*) over the postings = count(DISTINCT) over the rows.

    Both forms of the postings SQL: the selected images' rows (small selections) and the whole dataset's
    counts minus the other images' rows (large ones).
    """
    store = sample_store if which == "demo" else request.getfixturevalue("real_store")
    spec = stats.VG_STATS[stat]
    checked = 0
    for f in _filters(store)[::3]:
        old_where, new_where = vg_where(f), vg_where(f, postings=True)
        old = store.rows(stats.live_sql(spec, "vg", old_where[0]) + " ORDER BY ALL", old_where[1])
        for selected in (0, 1):  # of 1 image: below half of them, then above
            live = stats._vg_terms_live(store, stat, new_where[0], selected, 1)
            assert ("vg_images i WHERE NOT" in live) == bool(selected)
            assert store.rows(f"SELECT * FROM ({live}) ORDER BY ALL", new_where[1]) == old, (f, selected)
        checked += bool(old)
    assert checked > 5


@pytest.mark.parametrize("stat", sorted(stats.VG_TERM_STATS))
def test_stats_pages_are_the_same_without_postings(stat: str, sample_store: Store, old_store: Store) -> None:
    assert not q.has_postings(old_store)
    for f in _filters(sample_store)[::4]:
        new, old = stats.vg_counts(sample_store, f, stat), stats.vg_counts(old_store, f, stat)
        assert new.frame.equals(old.frame), f
        assert (new.total, new.total_all) == (old.total, old.total_all)


def test_gallery_and_other_stats_are_the_same_without_postings(sample_store: Store, old_store: Store) -> None:
    for f in _filters(sample_store)[::2]:
        assert q.count_matches(sample_store, f) == q.count_matches(old_store, f), f
        assert q.match_page(sample_store, f, 1, 48) == q.match_page(old_store, f, 1, 48), f
    for f in _filters(sample_store)[::5]:
        new, old = stats.vg_object_attributes(sample_store, f), stats.vg_object_attributes(old_store, f)
        assert (new.rows, new.cols) == (old.rows, old.cols)
        assert new.frame.sort_values(["row_value", "col_value"], ignore_index=True).equals(
            old.frame.sort_values(["row_value", "col_value"], ignore_index=True)
        )
        assert (
            stats.vg_box_centres(sample_store, f)
            .sort_values(["cx", "cy"], ignore_index=True)
            .equals(stats.vg_box_centres(old_store, f).sort_values(["cx", "cy"], ignore_index=True))
        )
