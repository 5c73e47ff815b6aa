"""Filters: URL round trip and the SQL they become, run on tiny tables in DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from explorer.filters import AttributeFilter, JourneyFilter, Triple, VGFilter
from explorer.queries.filters import journeydb_where, like_pattern, vg_where
from explorer.urlstate import UrlParams


@pytest.fixture
def jdb() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE journeydb_images AS SELECT * FROM (VALUES
          ('a', 'train', 'a cat in the rain', 'A cat.', '5', '3:2'),
          ('b', 'train', 'a dog 100% happy', NULL, '5.2', NULL),
          ('c', 'test',  'castle at night', 'A castle', 'niji 5', '16:9')
        ) t(image_id, split, prompt_text, caption, mj_version, aspect_ratio)""")
    con.execute("""
        CREATE TABLE journeydb_tags AS SELECT * FROM (VALUES
          ('a', 'style', 'anime'), ('a', 'style', 'watercolor'), ('a', 'content', 'cat'),
          ('b', 'style', 'anime'), ('b', 'content', 'dog'), ('c', 'style', 'noir')
        ) t(image_id, kind, tag)""")
    return con


def _ids(con: duckdb.DuckDBPyConnection, view: str, where: tuple[str, list]) -> list:
    sql, params = where
    return [r[0] for r in con.execute(f"SELECT image_id FROM {view} i WHERE {sql} ORDER BY 1", params).fetchall()]


def test_journeydb_tags_all_any_and_columns(jdb: duckdb.DuckDBPyConnection) -> None:
    assert _ids(jdb, "journeydb_images", journeydb_where(JourneyFilter())) == ["a", "b", "c"]
    assert _ids(jdb, "journeydb_images", journeydb_where(JourneyFilter(styles=("anime",)))) == ["a", "b"]
    both = JourneyFilter(styles=("anime", "watercolor"))
    assert _ids(jdb, "journeydb_images", journeydb_where(both)) == ["a"]
    anyf = JourneyFilter(styles=("noir",), contents=("dog",), match="any")
    assert _ids(jdb, "journeydb_images", journeydb_where(anyf)) == ["b", "c"]
    allf = JourneyFilter(styles=("anime",), contents=("dog",))
    assert _ids(jdb, "journeydb_images", journeydb_where(allf)) == ["b"]
    assert _ids(jdb, "journeydb_images", journeydb_where(JourneyFilter(split="test"))) == ["c"]
    assert _ids(jdb, "journeydb_images", journeydb_where(JourneyFilter(version="5.2"))) == ["b"]
    assert _ids(jdb, "journeydb_images", journeydb_where(JourneyFilter(aspect_ratio="16:9"))) == ["c"]


def test_journeydb_text_words_and_wildcards(jdb: duckdb.DuckDBPyConnection) -> None:
    assert _ids(jdb, "journeydb_images", journeydb_where(JourneyFilter(q="CAT"))) == ["a"]
    assert _ids(jdb, "journeydb_images", journeydb_where(JourneyFilter(q="castle NIGHT"))) == ["c"]
    assert _ids(jdb, "journeydb_images", journeydb_where(JourneyFilter(q="cat dog"))) == []
    assert _ids(jdb, "journeydb_images", journeydb_where(JourneyFilter(q="100%"))) == ["b"]
    assert _ids(jdb, "journeydb_images", journeydb_where(JourneyFilter(q="%"))) == ["b"]
    assert _ids(jdb, "journeydb_images", journeydb_where(JourneyFilter(q="' OR 1=1 --"))) == []
    assert like_pattern("a_b%") == "%a\\_b\\%%"


@pytest.fixture
def vg() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE vg_images AS SELECT * FROM (VALUES (1), (2), (3)) t(image_id)")
    con.execute("""
        CREATE TABLE vg_objects AS SELECT * FROM (VALUES
          (1, 'dog'), (1, 'frisbee'), (2, 'dog'), (2, 'car'), (3, 'car')) t(image_id, name)""")
    con.execute("""
        CREATE TABLE vg_object_attributes AS SELECT * FROM (VALUES
          (2, 'car', 'blue'), (2, 'dog', 'red'), (3, 'car', 'red')) t(image_id, name, attribute)""")
    con.execute("""
        CREATE TABLE vg_relationships AS SELECT * FROM (VALUES
          (1, 'man', 'riding', 'horse'), (2, 'man', 'holding', 'frisbee'), (3, 'dog', 'riding', 'car')
        ) t(image_id, subject_name, predicate, object_name)""")
    con.execute("CREATE TABLE vg_regions AS SELECT * FROM (VALUES (1, 'A red frisbee')) t(image_id, phrase)")
    con.execute(
        "CREATE TABLE vg_qas AS SELECT * FROM (VALUES (3, 'What color?', 'Red.')) t(image_id, question, answer)"
    )
    return con


def test_vg_objects_attributes_triples_text(vg: duckdb.DuckDBPyConnection) -> None:
    assert _ids(vg, "vg_images", vg_where(VGFilter(objects=("dog", "frisbee")))) == [1]
    assert _ids(vg, "vg_images", vg_where(VGFilter(objects=("dog",)))) == [1, 2]
    assert _ids(vg, "vg_images", vg_where(VGFilter(attributes=(AttributeFilter("red"),)))) == [2, 3]
    red_car = VGFilter(attributes=(AttributeFilter("red", "car"),))
    assert _ids(vg, "vg_images", vg_where(red_car)) == [3], "red and car must be the same object"
    assert _ids(vg, "vg_images", vg_where(VGFilter(relationships=(Triple("man", None, None),)))) == [1, 2]
    assert _ids(vg, "vg_images", vg_where(VGFilter(relationships=(Triple(None, "riding", None),)))) == [1, 3]
    assert _ids(vg, "vg_images", vg_where(VGFilter(relationships=(Triple("man", "riding", "horse"),)))) == [1]
    assert _ids(vg, "vg_images", vg_where(VGFilter(q="red"))) == [1, 3]


def test_url_round_trip_and_hostile_values() -> None:
    f = JourneyFilter(q="cat", styles=("anime", "noir"), match="any", split="valid", version="5", aspect_ratio="3:2")
    pairs = {k: v for k, v in f.to_url().items() if v not in (None, [])}
    assert JourneyFilter.from_url(UrlParams.from_pairs(pairs)) == f
    params = UrlParams.from_pairs({"split": "x' OR 1=1", "match": "<script>"})
    hostile = JourneyFilter.from_url(params)
    assert hostile.split is None and hostile.match == "all"
    assert len(params.notices) == 2

    g = VGFilter(
        objects=("dog",), attributes=(AttributeFilter("red", "car"),), relationships=(Triple("man", None, "horse"),)
    )
    pairs = {k: v for k, v in g.to_url().items() if v not in (None, [])}
    assert pairs["rel"] == ["man||horse"]
    assert VGFilter.from_url(UrlParams.from_pairs(pairs)) == g
    bad = UrlParams.from_pairs({"rel": ["||", "a|b"], "attribute": ["|car"]})
    assert VGFilter.from_url(bad) == VGFilter()
    assert len(bad.notices) == 3


def test_slugs_are_file_name_safe() -> None:
    f = JourneyFilter(q="../../etc/passwd", styles=("oil painting",))
    assert f.slug() == "style-oil-painting_q-etc-passwd"
    assert VGFilter(relationships=(Triple("man", "riding", None),)).slug() == "rel-man-riding"
    assert JourneyFilter().slug() == "all"
