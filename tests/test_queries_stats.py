"""The stats aggregates, checked against counts computed independently with plain DuckDB over the Parquet."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from explorer.filters import JourneyFilter, VGFilter
from explorer.queries import stats

# (image_id, kind, tag) of every JourneyDB tag, from the files: the postings by row_id, image ids from images.
JDB_TAGS = "(SELECT i.image_id, t.kind, t.tag FROM 'JDB/tag_ids.parquet' t JOIN 'JDB/images.parquet' i USING (row_id))"


def _plain(sample_data: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect()
    sql = sql.replace("'JDB/tags.parquet'", JDB_TAGS)
    sql = sql.replace("JDB/", str(sample_data / "journeydb") + "/").replace(
        "VG/", str(sample_data / "visual_genome") + "/"
    )
    return con.execute(sql, params or []).fetchall()


def test_top_styles_match_an_independent_count(sample_store, sample_data):
    expected = dict(
        _plain(
            sample_data,
            "SELECT tag, count(DISTINCT image_id) FROM 'JDB/tags.parquet' WHERE kind = 'style' GROUP BY tag",
        )
    )
    counts = stats.journeydb_counts(sample_store, JourneyFilter(), "style", top=5)
    top = counts.frame[counts.frame["rest"] == 0]
    assert len(top) == 5
    assert {v: n for v, n in zip(top["value"], top["n"], strict=True)} == {v: expected[v] for v in top["value"]}
    assert list(top["n"]) == sorted(expected.values(), reverse=True)[:5]
    other = counts.frame[counts.frame["rest"] > 0].iloc[0]
    assert other["rest"] == len(expected) - 5
    assert other["label"] == f"other ({len(expected) - 5} tags)"
    assert other["n"] == sum(expected.values()) - top["n"].sum()
    assert counts.total == _plain(sample_data, "SELECT count(*) FROM 'JDB/images.parquet'")[0][0]


def test_filtered_counts_compare_with_the_whole(sample_store, sample_data):
    f = JourneyFilter(styles=("watercolor",))
    counts = stats.journeydb_counts(sample_store, f, "content", top=None)
    selected = _plain(
        sample_data, "SELECT count(*) FROM 'JDB/tags.parquet' WHERE kind = 'style' AND tag = 'watercolor'"
    )[0][0]
    assert counts.filtered and counts.total == selected and counts.total_all == 300
    expected = dict(
        _plain(
            sample_data,
            """
        SELECT c.tag, count(*) FROM 'JDB/tags.parquet' c JOIN 'JDB/tags.parquet' s USING (image_id)
        WHERE c.kind = 'content' AND s.kind = 'style' AND s.tag = 'watercolor' GROUP BY c.tag""",
        )
    )
    whole = dict(_plain(sample_data, "SELECT tag, n_images FROM 'JDB/tag_counts.parquet' WHERE kind = 'content'"))
    frame = counts.frame
    assert dict(zip(frame["value"], frame["n"], strict=True)) == expected
    for value, n, n_all, share, share_all in frame[["value", "n", "n_all", "share", "share_all"]].itertuples(
        index=False
    ):
        assert n <= n_all == whole[value]
        assert share == pytest.approx(100 * n / selected)
        assert share_all == pytest.approx(100 * n_all / 300)
    assert stats.journeydb_counts(sample_store, JourneyFilter(), "content").filtered is False


@pytest.mark.parametrize(
    ("stat", "whole_sql"),
    [
        ("object", "SELECT name, count(DISTINCT image_id) FROM 'VG/objects.parquet' GROUP BY name"),
        ("triple", "SELECT concat_ws('|', coalesce(subject_name, ''), coalesce(predicate, ''), coalesce(object_name, '')),"
                   " count(DISTINCT image_id) FROM 'VG/relationships.parquet' GROUP BY ALL"),
        ("qtype", "SELECT coalesce(nullif(qtype, ''), '(none)'), count(*) FROM 'VG/qas.parquet' GROUP BY ALL"),
    ],
)  # fmt: skip
def test_filtered_top_and_other_rows_compare_with_the_whole(stat, whole_sql, sample_store, sample_data):
    """The whole dataset's count of each shown value, and of all the others together on the "other" row."""
    name = _plain(sample_data, "SELECT name FROM 'VG/object_counts.parquet' ORDER BY n_images DESC, name")[0][0]
    frame = stats.vg_counts(sample_store, VGFilter(objects=(name,)), stat, top=3).frame
    whole = dict(_plain(sample_data, whole_sql))
    shown = frame[frame["rest"] == 0]
    assert len(shown) == 3
    assert list(shown["n_all"]) == [whole[v] for v in shown["value"]]
    other = frame[frame["rest"] > 0].iloc[0]
    assert other["n_all"] == sum(whole.values()) - sum(whole[v] for v in shown["value"]) > 0


def test_histograms_show_every_bin_of_the_whole_when_filtered(sample_store):
    counts = stats.journeydb_counts(sample_store, JourneyFilter(split="train"), "split")
    assert list(counts.frame["value"]) == ["test", "train", "valid"]
    assert list(counts.frame["n"]) == [0, counts.total, 0]


def test_cooccurrence_is_consistent_both_ways(sample_store, sample_data):
    for f in (JourneyFilter(), JourneyFilter(contents=("cat",))):
        ab = stats.journeydb_cooccurrence(sample_store, f, "style", "content", top=6)
        ba = stats.journeydb_cooccurrence(sample_store, f, "content", "style", top=6)
        assert ab.rows == ba.cols and ab.cols == ba.rows
        cells = {(r, c): n for r, c, n in ab.frame.itertuples(index=False)}
        assert cells == {(c, r): n for r, c, n in ba.frame.itertuples(index=False)}
        for (style, content), n in cells.items():
            both = _plain(
                sample_data,
                """
                SELECT count(*) FROM 'JDB/images.parquet'
                WHERE list_contains(styles, ?) AND list_contains(contents, ?)
                  AND (? = 0 OR list_contains(contents, 'cat'))""",
                [style, content, len(f.contents)],
            )[0][0]
            assert n == both


def test_answer_letters_exclude_the_withheld_test_split(sample_store, sample_data):
    frame = stats.journeydb_answers(sample_store, JourneyFilter())
    expected = dict(
        _plain(
            sample_data,
            "SELECT kind || answer, count(*) FROM 'JDB/questions.parquet' WHERE answer IS NOT NULL GROUP BY ALL",
        )
    )
    assert {k + v: n for k, v, n in frame[["kind", "value", "n"]].itertuples(index=False)} == expected
    assert frame.groupby("kind")["share"].sum().round(6).eq(100).all()
    assert stats.journeydb_answers(sample_store, JourneyFilter(split="test")).empty


def test_box_centre_grid_sums_to_the_object_count(sample_store, sample_data):
    for f in (VGFilter(), VGFilter(objects=("car",))):
        grid = stats.vg_box_centres(sample_store, f)
        assert grid["n"].sum() == stats.vg_objects_on_sized_images(sample_store, f)
        assert grid["cx"].between(0, stats.CENTRE_BINS - 1).all() and grid["cy"].between(0, stats.CENTRE_BINS - 1).all()
    objects = _plain(sample_data, "SELECT count(*) FROM 'VG/objects.parquet'")[0][0]
    assert stats.vg_box_centres(sample_store, VGFilter())["n"].sum() == objects


def test_qtype_counts(sample_store, sample_data):
    expected = dict(_plain(sample_data, "SELECT qtype, count(*) FROM 'VG/qas.parquet' GROUP BY qtype"))
    counts = stats.vg_counts(sample_store, VGFilter(), "qtype", top=None)
    assert dict(zip(counts.frame["value"], counts.frame["n"], strict=True)) == expected
    assert counts.unit == "questions" and counts.total == sum(expected.values())
    car = stats.vg_counts(sample_store, VGFilter(objects=("car",)), "qtype", top=None)
    expected_car = dict(
        _plain(
            sample_data,
            """SELECT qtype, count(*) FROM 'VG/qas.parquet'
        WHERE image_id IN (SELECT image_id FROM 'VG/objects.parquet' WHERE name = 'car') GROUP BY qtype""",
        )
    )
    assert dict(zip(car.frame["value"], car.frame["n"], strict=True)) == expected_car


def test_vg_top_names_and_triples(sample_store, sample_data):
    names = stats.vg_counts(sample_store, VGFilter(), "object", top=3)
    expected = _plain(
        sample_data,
        "SELECT name, count(DISTINCT image_id) AS n FROM 'VG/objects.parquet' GROUP BY name ORDER BY n DESC, name LIMIT 3",
    )
    assert [(v, n) for v, n, r in names.frame[["value", "n", "rest"]].itertuples(index=False) if not r] == expected
    triples = stats.vg_counts(sample_store, VGFilter(objects=("horse",)), "triple")
    assert "man|riding|horse" in set(triples.frame["value"])
    assert "man riding horse" in set(triples.frame["label"])


def test_object_attribute_cooccurrence(sample_store, sample_data):
    matrix = stats.vg_object_attributes(sample_store, VGFilter(), top=5)
    for name, attribute, n in matrix.frame.itertuples(index=False):
        assert name in matrix.rows and attribute in matrix.cols
        assert (
            n
            == _plain(
                sample_data,
                "SELECT count(*) FROM 'VG/object_attributes.parquet' WHERE name = ? AND attribute = ?",
                [name, attribute],
            )[0][0]
        )


def test_hostile_filter_values_are_bound(sample_store):
    f = JourneyFilter(styles=("x'); DROP TABLE t; --",), q="%_\\")
    assert stats.count_journeydb_images(sample_store, f) == 0
    assert stats.journeydb_counts(sample_store, f, "style").frame.empty
    assert stats.count_vg_images(sample_store, VGFilter(objects=("<script>",))) == 0
