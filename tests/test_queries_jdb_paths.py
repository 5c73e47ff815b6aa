"""JourneyDB queries give the same answers through the export's fast paths (tag postings, images.n_tags,
questions.row_id, one-query count + page) as through the plain SQL an older export falls back to."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from explorer.filters import JourneyFilter
from explorer.queries import journeydb as jq
from explorer.queries import stats

FILTERS = [
    JourneyFilter(styles=("watercolor",)),
    JourneyFilter(styles=("steampunk", "victorian")),
    JourneyFilter(styles=("watercolor",), contents=("moon",), match="any"),
    JourneyFilter(split="valid"),
    JourneyFilter(styles=("watercolor",), split="train"),
]


@pytest.fixture
def plain_access(monkeypatch: pytest.MonkeyPatch):
    """Make every query take the fallback of an export without tag_ids, n_tags and questions.row_id."""
    stats.clear_caches()
    monkeypatch.setattr(jq, "access", lambda store: jq.Access())
    monkeypatch.setattr(stats, "access", lambda store: jq.Access())
    yield
    stats.clear_caches()


def _frames(store, f: JourneyFilter) -> dict[str, pd.DataFrame]:
    out = {name: stats.journeydb_counts(store, f, name, top=None).frame for name in stats.JDB_STATS}
    out["answers"] = stats.journeydb_answers(store, f)
    out["cooccurrence"] = stats.journeydb_cooccurrence(store, f).frame.sort_values(["row_value", "col_value"])
    return out


def test_kept_counts_are_copies(sample_store) -> None:
    f = JourneyFilter(styles=("watercolor",))
    first = stats.journeydb_counts(sample_store, f, "version")
    first.frame["n"] = 0
    assert stats.journeydb_counts(sample_store, f, "version").frame["n"].sum() > 0


def test_the_sample_export_has_the_fast_paths(sample_store) -> None:
    acc = jq.access(sample_store)
    assert acc.tag_row_ids and acc.n_tags and acc.question_row_ids and acc.image_ids


def test_sample_by_image_ids_equals_the_direct_lookup(sample_store, request: pytest.FixtureRequest) -> None:
    """One image through image_ids.parquet and row_id (read with pyarrow, no SQL) equals the SQL lookup by
    image_id an older export makes."""
    ids = [r[0] for r in sample_store.rows("SELECT image_id FROM journeydb_images WHERE split <> 'valid' LIMIT 3")]
    ids += [r[0] for r in sample_store.rows("SELECT image_id FROM journeydb_questions LIMIT 2")]
    seen: list[str] = []
    rows = sample_store.rows

    def spy(sql: str, params=None, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(sql)
        return rows(sql, params, **kwargs)

    sample_store.rows = spy
    try:
        fast = [jq.sample(sample_store, i) for i in [*ids, "no-such-image"]]
    finally:
        del sample_store.rows
    assert jq.SAMPLE_SQL not in seen and jq.QUESTIONS_SQL not in seen
    request.getfixturevalue("plain_access")
    assert fast == [jq.sample(sample_store, i) for i in [*ids, "no-such-image"]]
    assert fast[-1] is None and all(s is not None for s in fast[:-1]) and any(s.questions for s in fast[:-1])


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: repr(f.to_url()))
def test_stats_equal_without_the_fast_paths(sample_store, f: JourneyFilter, request: pytest.FixtureRequest) -> None:
    fast = _frames(sample_store, f)
    assert stats.count_journeydb_images(sample_store, f) > 0
    request.getfixturevalue("plain_access")
    plain = _frames(sample_store, f)
    for name, frame in fast.items():
        pd.testing.assert_frame_equal(
            frame.reset_index(drop=True), plain[name].reset_index(drop=True), check_dtype=False, obj=name
        )


def _tags(jdb: Path) -> str:
    """(image_id, kind, tag) of every tag, from the files (the postings by row_id, image ids from images)."""
    return (
        f"(SELECT i.image_id, t.kind, t.tag FROM '{jdb}/tag_ids.parquet' t"
        f" JOIN '{jdb}/images.parquet' i USING (row_id))"
    )


def test_filtered_answers_and_tags_per_image_match_an_independent_count(sample_store, sample_data: Path) -> None:
    f = JourneyFilter(styles=("watercolor",))
    jdb = sample_data / "journeydb"
    con = duckdb.connect()
    chosen = f"SELECT image_id FROM {_tags(jdb)} WHERE kind = 'style' AND tag = 'watercolor'"
    expected_answers = dict(
        con.execute(
            f"SELECT kind || answer, count(*) FROM '{jdb}/questions.parquet'"
            f" WHERE answer IS NOT NULL AND image_id IN ({chosen}) GROUP BY ALL"
        ).fetchall()
    )
    frame = stats.journeydb_answers(sample_store, f)
    assert expected_answers
    assert {k + v: n for k, v, n in frame[["kind", "value", "n"]].itertuples(index=False)} == expected_answers
    expected_tags = dict(
        con.execute(
            f"SELECT least(len(styles) + len(contents) + len(atmospheres) + len(others), {stats.TAGS_PER_IMAGE_CAP}),"
            f" count(*) FROM '{jdb}/images.parquet' WHERE image_id IN ({chosen}) GROUP BY ALL"
        ).fetchall()
    )
    counts = stats.journeydb_counts(sample_store, f, "tags_per_image", top=None).frame
    assert {v: n for v, n in zip(counts["value"], counts["n"], strict=True) if n} == expected_tags


@pytest.mark.parametrize(
    "f",
    [*FILTERS, JourneyFilter(), JourneyFilter(q="castle"), JourneyFilter(q="cat", styles=("watercolor",))],
    ids=lambda f: repr(f.to_url()),
)
def test_gallery_page_is_count_and_page(sample_store, f: JourneyFilter) -> None:
    total = jq.count_images(sample_store, f)
    shown = jq.gallery_page(sample_store, f, 2, 5)
    assert shown.total == total
    assert shown.page == (2 if total > 5 else 1)
    assert shown.rows == jq.image_page(sample_store, f, shown.page, 5)


@pytest.mark.parametrize(
    "f",
    [JourneyFilter(styles=("watercolor",)), JourneyFilter(q="cat"), JourneyFilter(q="cat", styles=("watercolor",))],
    ids=lambda f: repr(f.to_url()),
)
def test_gallery_page_past_the_end_shows_the_last_page(sample_store, f: JourneyFilter) -> None:
    total = jq.count_images(sample_store, f)
    assert total > 0
    last = -(-total // 4)
    shown = jq.gallery_page(sample_store, f, 10_000, 4)
    assert shown.page == last
    assert shown.rows == jq.image_page(sample_store, f, last, 4) and 1 <= len(shown.rows) <= 4


def test_two_styles_intersect(sample_store, sample_data: Path) -> None:
    con = duckdb.connect()
    tags = _tags(sample_data / "journeydb")
    expected = con.execute(
        f"SELECT count(*) FROM (SELECT image_id FROM {tags} WHERE kind = 'style' AND tag = 'steampunk'"
        f" INTERSECT SELECT image_id FROM {tags} WHERE kind = 'style' AND tag = 'victorian')"
    ).fetchall()[0][0]
    assert expected > 0
    assert jq.gallery_page(sample_store, JourneyFilter(styles=("steampunk", "victorian")), 1, 48).total == expected


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: repr(f.to_url()))
def test_bitmap_and_semi_join_selections_agree(sample_store, f: JourneyFilter, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large selections are bound as a bitmap of row ids, small ones semi-joined: the charts are the same."""
    seen: list[str] = []
    rows = sample_store.rows

    def spy(sql: str, params=None, **kwargs):
        seen.append(sql)
        return rows(sql, params, **kwargs)

    monkeypatch.setattr(sample_store, "rows", spy)
    frames = {}
    for share in (0.0, 2.0):  # every selection as a bitmap; none (but the per-image statistics)
        stats.clear_caches()
        monkeypatch.setattr(stats, "BITMAP_SHARE", share)
        seen.clear()
        frames[share] = _frames(sample_store, f)
        tag_queries = [sql for sql in seen if "journeydb_tag_ids t WHERE" in sql]
        assert tag_queries and all(("get_bit" in sql) == (share == 0.0) for sql in tag_queries)
    for name, frame in frames[0.0].items():
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), frames[2.0][name].reset_index(drop=True), obj=name)
    stats.clear_caches()


def test_an_empty_selection_gives_empty_charts(sample_store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stats, "BITMAP_SHARE", 0.0)
    stats.clear_caches()
    f = JourneyFilter(styles=("watercolor",), split="no-such-split")
    assert stats.count_journeydb_images(sample_store, f) == 0
    assert stats.journeydb_counts(sample_store, f, "content").frame.empty
    assert stats.journeydb_counts(sample_store, f, "version").frame["n"].sum() == 0
    assert stats.journeydb_answers(sample_store, f).empty
    assert stats.journeydb_cooccurrence(sample_store, f).frame.empty
    stats.clear_caches()


def test_gallery_page_searches_the_text_index_once(sample_store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Count and page of a text search (with a tag: facets) come from one tantivy search."""
    index = jq.access(sample_store).index
    assert index is not None and index.has_facets
    calls: list[str] = []
    page, count = type(index).page, type(index).count
    monkeypatch.setattr(type(index), "page", lambda self, *a, **k: calls.append("page") or page(self, *a, **k))
    monkeypatch.setattr(type(index), "count", lambda self, *a, **k: calls.append("count") or count(self, *a, **k))
    shown = jq.gallery_page(sample_store, JourneyFilter(q="cat", styles=("watercolor",)), 1, 4)
    assert shown.total > 0 and calls == ["page"]
