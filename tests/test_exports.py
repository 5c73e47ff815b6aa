"""Exports of the current filter: DuckDB COPY to Parquet/CSV/JSONL and a COCO detection file."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import duckdb
import pytest

from explorer.exports import (
    clean_downloads,
    count_rows,
    downloads_dir,
    export_view,
    file_name,
    formats,
    tables,
)
from explorer.filters import AttributeFilter, JourneyFilter, VGFilter
from explorer.queries import journeydb as jq
from explorer.queries.filters import journeydb_where, vg_where
from explorer.store import QueryError, Store


def _rows_in(path: Path, fmt: str) -> int:
    reader = {"parquet": "read_parquet", "csv": "read_csv", "jsonl": "read_json"}[fmt]
    return int(duckdb.connect().execute(f"SELECT count(*) FROM {reader}('{path}')").fetchall()[0][0])


def _style(store: Store) -> str:
    return str(store.scalar("SELECT tag FROM journeydb_tags WHERE kind = 'style' GROUP BY tag ORDER BY count(*) DESC"))


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_journeydb_rows_match_the_filtered_count(sample_store: Store, fmt: str) -> None:
    f = JourneyFilter(styles=(_style(sample_store),))
    where, params = journeydb_where(f)
    expected = sample_store.scalar(f"SELECT count(*) FROM journeydb_images i WHERE {where}", params)
    assert 0 < expected < sample_store.scalar("SELECT count(*) FROM journeydb_images")
    out = export_view(sample_store, "journeydb", f, fmt=fmt)
    assert out.rows == expected == _rows_in(out.path, fmt)
    assert out.path.parent == downloads_dir(sample_store)
    assert out.file_name == f"journeydb_{f.slug()}_{expected}rows.{'jsonl' if fmt == 'jsonl' else fmt}"
    assert out.path.name.endswith(out.file_name) and out.size == out.path.stat().st_size


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_limit_is_respected(sample_store: Store, fmt: str) -> None:
    out = export_view(sample_store, "visual_genome", VGFilter(), table="objects", fmt=fmt, limit=7)
    assert out.rows == 7 == _rows_in(out.path, fmt)
    assert out.file_name == f"visual_genome-objects_all_7rows.{fmt}"


@pytest.mark.parametrize("table", ["images", "images_questions"])
def test_a_limited_journeydb_export_holds_the_gallery_first_page(sample_store: Store, table: str) -> None:
    f = JourneyFilter(split="train")
    shown = [row.image_id for row in jq.gallery_page(sample_store, f, 1, 9).rows]
    out = export_view(sample_store, "journeydb", f, table=table, fmt="parquet", limit=9)
    exported = duckdb.connect(config={"threads": 1}).execute(f"SELECT image_id FROM read_parquet('{out.path}')")
    assert [r[0] for r in exported.fetchall()] == shown and len(shown) == 9
    assert shown != sorted(shown)  # the release's order, not image_id's


def test_a_text_export_holds_what_the_gallery_matches(sample_store: Store) -> None:
    """Words match whole tokens through the text index, as in the gallery: "art" is not "artstation"."""
    f = JourneyFilter(q="art")
    where, params = journeydb_where(f)  # the substring scan
    substring = sample_store.scalar(f"SELECT count(*) FROM journeydb_images i WHERE {where}", params)
    gallery = jq.gallery_page(sample_store, f, 1, 500)
    assert 0 < gallery.total < substring
    assert count_rows(sample_store, "journeydb", f, "images", "parquet") == gallery.total
    out = export_view(sample_store, "journeydb", f, fmt="parquet")
    exported = duckdb.connect(config={"threads": 1}).execute(f"SELECT image_id FROM read_parquet('{out.path}')")
    assert [r[0] for r in exported.fetchall()] == [row.image_id for row in gallery.rows]


def test_journeydb_questions_travel_with_their_images(sample_store: Store) -> None:
    f = JourneyFilter(split="train")
    out = export_view(sample_store, "journeydb", f, table="images_questions", fmt="parquet", limit=20)
    got = duckdb.connect().execute(f"SELECT image_id, len(questions) FROM read_parquet('{out.path}')").fetchall()
    assert len(got) == 20
    for image_id, n in got:
        assert n == sample_store.scalar("SELECT count(*) FROM journeydb_questions WHERE image_id = ?", [image_id])
    lines = export_view(sample_store, "journeydb", f, table="images_questions", fmt="jsonl", limit=3)
    record = json.loads(lines.path.read_text().splitlines()[0])
    assert isinstance(record["questions"], list) and {"question", "options", "answer"} <= set(record["questions"][0])


def test_vg_objects_of_matching_images(sample_store: Store) -> None:
    f = VGFilter(objects=("man",))
    where, params = vg_where(f)
    expected = sample_store.scalar(
        f"SELECT count(*) FROM vg_objects WHERE image_id IN (SELECT i.image_id FROM vg_images i WHERE {where})", params
    )
    assert count_rows(sample_store, "visual_genome", f, "objects", "parquet") == expected
    out = export_view(sample_store, "visual_genome", f, table="objects", fmt="parquet")
    assert out.rows == expected == _rows_in(out.path, "parquet")
    images = export_view(sample_store, "visual_genome", f, table="images", fmt="csv")
    assert images.rows == sample_store.scalar(f"SELECT count(*) FROM vg_images i WHERE {where}", params)


def test_coco_structure_is_consistent(sample_store: Store) -> None:
    f = VGFilter(objects=("man",))
    out = export_view(sample_store, "visual_genome", f, fmt="coco", limit=5)
    assert out.file_name == "visual_genome-coco_object-man_5images.json" and out.unit == "image"
    coco = json.loads(out.path.read_text())
    assert set(coco) == {"images", "annotations", "categories"}
    assert len(coco["images"]) == 5
    image_ids = {img["id"] for img in coco["images"]}
    for img in coco["images"]:
        assert set(img) == {"id", "file_name", "width", "height"} and img["file_name"].endswith(".jpg")
    categories = {c["id"]: c["name"] for c in coco["categories"]}
    assert sorted(categories) == list(range(1, len(categories) + 1))
    assert "man" in categories.values()
    n_objects = sample_store.scalar(
        f"SELECT count(*) FROM vg_objects WHERE image_id IN ({', '.join('?' * len(image_ids))})", list(image_ids)
    )
    assert len(coco["annotations"]) == n_objects
    assert len({a["id"] for a in coco["annotations"]}) == n_objects
    for ann in coco["annotations"]:
        assert ann["image_id"] in image_ids and ann["category_id"] in categories
        x, y, w, h = ann["bbox"]
        assert isinstance(x, int) and isinstance(y, int)  # VG boxes may start off-image
        assert all(isinstance(v, int) for v in ann["bbox"]) and ann["area"] == w * h
        assert ann["iscrowd"] == 0 and isinstance(ann["attributes"], list)
    one = next(a for a in coco["annotations"])
    name = sample_store.scalar("SELECT name FROM vg_objects WHERE object_id = ?", [one["id"]])
    assert categories[one["category_id"]] == name


def test_coco_holds_every_object_of_its_images_in_order_and_leaves_no_parts(sample_store: Store) -> None:
    """The three arrays are written apart and joined: all of them there, the annotations in (image, object) order."""
    before = set(downloads_dir(sample_store).glob("*"))
    out = export_view(sample_store, "visual_genome", VGFilter(), fmt="coco", limit=12)
    coco = json.loads(out.path.read_text())
    assert list(coco) == ["images", "annotations", "categories"]
    ids = [img["id"] for img in coco["images"]]
    assert ids == [r[0] for r in sample_store.rows("SELECT image_id FROM vg_images ORDER BY image_id LIMIT 12")]
    expected = sample_store.rows(
        "SELECT image_id, object_id, coalesce(name, '') FROM vg_objects WHERE list_contains(?, image_id)"
        " ORDER BY image_id, object_id",
        [ids],
    )
    names = {c["id"]: c["name"] for c in coco["categories"]}
    assert [(a["image_id"], a["id"], names[a["category_id"]]) for a in coco["annotations"]] == expected
    assert sorted(names.values()) == list(names.values()) == sorted({name for *_, name in expected})
    assert set(downloads_dir(sample_store).glob("*")) - before == {out.path}


def test_a_failed_coco_export_leaves_nothing_behind(sample_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    rows = sample_store.rows

    def fail_on_the_second_copy(sql: str, params=None, **kwargs):  # type: ignore[no-untyped-def]
        if sql.startswith("COPY"):
            calls.append(sql)
            if len(calls) == 2:
                raise QueryError("The query was stopped after 300 s.")
        return rows(sql, params, **kwargs)

    monkeypatch.setattr(sample_store, "rows", fail_on_the_second_copy)
    before = set(downloads_dir(sample_store).glob("*"))
    with pytest.raises(QueryError, match="stopped"):
        export_view(sample_store, "visual_genome", VGFilter(), fmt="coco")
    assert len(calls) == 2 and set(downloads_dir(sample_store).glob("*")) == before


def test_empty_selection_writes_an_empty_but_valid_file(sample_store: Store) -> None:
    f = VGFilter(attributes=(AttributeFilter("no-such-attribute"),))
    coco = export_view(sample_store, "visual_genome", f, fmt="coco")
    assert json.loads(coco.path.read_text()) == {"images": [], "annotations": [], "categories": []}
    assert coco.rows == 0
    parquet = export_view(sample_store, "visual_genome", f, fmt="parquet")
    assert _rows_in(parquet.path, "parquet") == 0


def test_hostile_filter_text_stays_out_of_the_path(sample_store: Store) -> None:
    f = JourneyFilter(q="x'; COPY journeydb_images TO '/tmp/evil.csv'; --../../etc")
    out = export_view(sample_store, "journeydb", f, fmt="csv")
    assert out.path.parent == downloads_dir(sample_store)
    assert set(out.file_name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert not Path("/tmp/evil.csv").exists()


def test_file_name_records_the_filter() -> None:
    f = JourneyFilter(styles=("anime",), q="cat")
    assert file_name("journeydb", f, "images", "parquet", 1234) == "journeydb_style-anime_q-cat_1234rows.parquet"
    assert file_name("visual_genome", VGFilter(), "objects", "jsonl", 3) == "visual_genome-objects_all_3rows.jsonl"


def test_choices_per_dataset(sample_store: Store) -> None:
    assert "coco" in formats("visual_genome") and "coco" not in formats("journeydb")
    assert set(tables(sample_store, "journeydb")) == {"images", "images_questions"}
    assert set(tables(sample_store, "visual_genome")) == {"images", "objects"}
    with pytest.raises(ValueError):
        export_view(sample_store, "journeydb", VGFilter())


def test_old_downloads_are_cleaned(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    old.write_text("a")
    past = time.time() - 7200
    os.utime(old, (past, past))
    recent = []
    for i in range(5):
        path = tmp_path / f"r{i}.csv"
        path.write_text("a")
        os.utime(path, (time.time() - i, time.time() - i))
        recent.append(path)
    assert clean_downloads(tmp_path, keep_files=3) == 3
    assert not old.exists() and [p.exists() for p in recent] == [True, True, True, False, False]
