"""explorer.ingest.visual_genome: the real sample, every release quirk, and unusable input."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import pytest

from explorer.ingest.common import IngestError, read_manifest
from explorer.ingest.visual_genome import ingest
from tests.vg_fixtures import clean_release, quirky_release, write_release

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "visual_genome_sample"
TABLES = (
    "images",
    "objects",
    "relationships",
    "regions",
    "qas",
    "object_attributes",
    "object_counts",
    "attribute_counts",
    "predicate_counts",
    "image_terms",
    "triple_images",
    "triple_images_by_object",
)


def rows(data_dir: Path, table: str, sql: str = "SELECT * FROM t", params: list[Any] | None = None) -> list[Any]:
    """Run `sql` over the exported `table` (as `t`)."""
    con = duckdb.connect()
    try:
        path = str(data_dir / "visual_genome" / f"{table}.parquet")
        con.read_parquet(path).create_view("t")
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def by_id(data_dir: Path, table: str, id_col: str) -> dict[int, dict[str, Any]]:
    con = duckdb.connect()
    try:
        path = str(data_dir / "visual_genome" / f"{table}.parquet")
        cur = con.execute("SELECT * FROM read_parquet(?)", [path])
        names = [d[0] for d in cur.description]
        return {r[names.index(id_col)]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
    finally:
        con.close()


def sample_release(tmp_path: Path, layout: dict[str, str]) -> Path:
    """A raw folder of symlinks into the shared sample: {release name: path inside the sample}."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, source in layout.items():
        (raw / name).symlink_to(SAMPLE / source)
    return raw


def attribute_pairs(objects_file: Path, attributes_file: Path, object_key: str, image_key: str) -> set[tuple]:
    """(object_id, attribute) pairs computed straight from the JSON, independently of the ingest."""
    attrs: dict[int, list[str]] = {}
    for record in json.loads(attributes_file.read_text()):
        for entry in record["attributes"]:
            for a in entry.get("attributes", []):
                a = a.strip().lower()
                if a and a not in attrs.setdefault(entry[object_key], []):
                    attrs[entry[object_key]].append(a)
    pairs = set()
    for record in json.loads(objects_file.read_text()):
        assert image_key in record
        for obj in record["objects"]:
            pairs |= {(obj[object_key], a) for a in attrs.get(obj[object_key], [])}
    return pairs


needs_sample = pytest.mark.skipif(not SAMPLE.is_dir(), reason="shared Visual Genome sample absent")


# -- the real sample -----------------------------------------------------------------------------------


@needs_sample
def test_real_sample_v1_4(tmp_path: Path) -> None:
    raw = SAMPLE
    data = tmp_path / "data"
    report = ingest(raw, data, progress=False)

    assert report.rows["images"] == 100
    assert report.rows["objects"] == 2484
    assert report.rows["relationships"] == 2615
    assert report.rows["regions"] == 7278
    assert report.rows["qas"] == 3393
    # attributes.json (v1.2 ids) joined onto v1.4 objects by object_id
    expected = attribute_pairs(SAMPLE / "objects.json", SAMPLE / "attributes.json", "object_id", "image_id")
    got = set(rows(data, "object_attributes", "SELECT object_id, attribute FROM t"))
    assert got == expected and len(expected) > 1000
    with_attrs = {object_id for object_id, _ in expected}
    assert rows(data, "objects", "SELECT count(*) FROM t WHERE len(attributes) > 0") == [(len(with_attrs),)]
    assert rows(data, "objects", "SELECT count(*) FROM t WHERE attributes IS NULL") == [(0,)]

    # image_url of v1.4 objects.json says VG_100K_2 for every image; image_data's url decides
    image_data = {r["image_id"]: r for r in json.loads((SAMPLE / "image_data.json").read_text())}
    images = by_id(data, "images", "image_id")
    assert images[2]["img_path"] == "VG_100K/2.jpg" and images[1]["img_path"] == "VG_100K_2/1.jpg"
    for image_id, image in images.items():
        assert image["url"] == image_data[image_id]["url"]
        assert image["img_path"].split("/")[0] == image_data[image_id]["url"].split("/")[-2]
    assert sum(i["n_objects"] for i in images.values()) == 2484
    assert sum(i["n_qas"] for i in images.values()) == 3393

    # "ON" and "on" are one predicate
    predicates = dict(rows(data, "predicate_counts", "SELECT predicate, n_relationships FROM t"))
    raw_on = sum(
        r["predicate"].strip().lower() == "on"
        for rec in json.loads((SAMPLE / "relationships.json").read_text())
        for r in rec["relationships"]
    )
    assert predicates["on"] == raw_on and "ON" not in predicates

    manifest = read_manifest(data / "visual_genome")
    assert manifest is not None
    assert manifest["image_root"] == str(SAMPLE.resolve())
    assert manifest["rows"] == report.rows
    files = {p.name for p in (data / "visual_genome").iterdir()}
    contract = {f"{t}.parquet" for t in TABLES} | {"manifest.json"}
    assert contract <= files
    assert all(name.startswith("stats_") for name in files - contract), files - contract


@needs_sample
def test_real_sample_v1_2_objects_and_relationships(tmp_path: Path) -> None:
    raw = sample_release(
        tmp_path,
        {
            "image_data.json": "image_data.json",
            "objects.json": "v1_2/objects.json",
            "attributes.json": "attributes.json",
            "relationships.json": "v1_2/relationships.json",
        },
    )
    report = ingest(raw, tmp_path / "data", progress=False)
    assert report.rows["objects"] == 3671
    assert report.rows["relationships"] == 2615
    # attributes.json is v1.2 too: every attribute entry's object exists
    assert "attributes of an object id not in objects.json" not in report.skipped
    expected = attribute_pairs(SAMPLE / "v1_2/objects.json", SAMPLE / "attributes.json", "object_id", "image_id")
    assert report.rows["object_attributes"] == len(expected)
    # v1.2 endpoints carry "name"
    rel = by_id(tmp_path / "data", "relationships", "relationship_id")[15927]
    assert (rel["predicate"], rel["subject_name"], rel["object_name"]) == ("on", "shade", "street")
    assert (rel["object_x"], rel["object_y"], rel["object_w"], rel["object_h"]) == (77, 328, 714, 262)


@needs_sample
def test_real_sample_v1_0(tmp_path: Path) -> None:
    names = ["image_data", "objects", "attributes", "relationships", "region_descriptions"]
    raw = sample_release(tmp_path, {f"{n}.json": f"v1_0/{n}.json" for n in names})
    data = tmp_path / "data"
    report = ingest(raw, data, progress=False)
    assert report.rows["images"] == 100
    assert report.rows["objects"] == 4011
    assert report.rows["relationships"] == 2311
    assert report.rows["regions"] == 6472
    assert report.rows["qas"] == 0
    assert any("question_answers.json not found" in note for note in report.notes)
    # the sample cuts each image's objects and attributes to 100 separately, so some attributes are orphaned
    object_ids = {o["id"] for r in json.loads((SAMPLE / "v1_0/objects.json").read_text()) for o in r["objects"]}
    orphans = sum(
        1
        for r in json.loads((SAMPLE / "v1_0/attributes.json").read_text())
        for a in r["attributes"]
        if a["attributes"] and a["id"] not in object_ids
    )
    assert dict(report.skipped) == {"attributes of an object id not in objects.json": orphans}
    expected = attribute_pairs(SAMPLE / "v1_0/objects.json", SAMPLE / "v1_0/attributes.json", "id", "id")
    assert set(rows(data, "object_attributes", "SELECT object_id, attribute FROM t")) == expected
    region = by_id(data, "regions", "region_id")[1383]
    assert region == {
        "image_id": 1, "region_id": 1383, "phrase": "shade is along the street", "x": 194, "y": 372, "w": 182,
        "h": 109,
    }  # fmt: skip
    rel = by_id(data, "relationships", "relationship_id")[15927]
    assert (rel["image_id"], rel["subject_id"], rel["object_id"]) == (1, 38205, 38204)


# -- quirks, in both released forms --------------------------------------------------------------------


@pytest.fixture(params=[False, True], ids=["json", "zip"])
def quirky(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Any]:
    raw = write_release(tmp_path / "raw", quirky_release(), zipped=request.param)
    data = tmp_path / "data"
    return data, ingest(raw, data, progress=False)


def test_quirky_objects(quirky: tuple[Path, Any]) -> None:
    data, _ = quirky
    objects = by_id(data, "objects", "object_id")
    assert set(objects) == {10, 11, 12, 20}
    man = objects[10]
    assert man == {
        "image_id": 1, "object_id": 10, "name": "man", "names": ["man", "person"], "synsets": ["man.n.01"],
        "x": -1, "y": 0, "w": 801, "h": 600, "attributes": ["tall", "happy"],
    }  # fmt: skip
    assert (objects[11]["name"], objects[11]["synsets"], objects[11]["attributes"]) == ("tree", ["tree.n.01"], [])
    assert (objects[12]["name"], objects[12]["names"], objects[12]["attributes"]) == ("dog", ["dog"], [])
    assert objects[20]["attributes"] == ["red"]
    assert rows(data, "object_attributes") == [(1, 10, "man", "happy"), (2, 20, "car", "red"), (1, 10, "man", "tall")]
    assert dict(rows(data, "attribute_counts", "SELECT attribute, n_objects FROM t")) == {
        "happy": 1,
        "red": 1,
        "tall": 1,
    }
    assert rows(data, "object_counts", "SELECT name, n_objects, n_images FROM t ORDER BY name") == [
        ("car", 1, 1),
        ("dog", 1, 1),
        ("man", 1, 1),
        ("tree", 1, 1),
    ]
    con = duckdb.connect()
    types = dict(
        con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))",
            [str(data / "visual_genome" / "objects.parquet")],
        ).fetchall()
    )
    con.close()
    assert types["image_id"] == "BIGINT" and types["x"] == "INTEGER" and types["attributes"] == "VARCHAR[]"


def test_quirky_images(quirky: tuple[Path, Any]) -> None:
    data, _ = quirky
    images = by_id(data, "images", "image_id")
    assert sorted(images) == [1, 2, 3, 4]
    assert images[2]["img_path"] == "VG_100K_2/2.jpg"  # the first of the two records for image 2
    assert (images[2]["coco_id"], images[2]["flickr_id"]) == (123, 456)
    assert images[4]["img_path"] == "VG_100K_2/4.jpg"  # v1.0 "id"
    counts = {i: (r["n_objects"], r["n_relationships"], r["n_regions"], r["n_qas"]) for i, r in images.items()}
    assert counts == {1: (3, 2, 1, 2), 2: (1, 1, 1, 0), 3: (0, 0, 0, 0), 4: (0, 0, 0, 0)}
    assert rows(data, "images", "SELECT list(image_id) FROM t") == [([1, 2, 3, 4],)]


def test_quirky_relationships_regions_qas(quirky: tuple[Path, Any]) -> None:
    data, _ = quirky
    rels = by_id(data, "relationships", "relationship_id")
    assert set(rels) == {100, 101, 200}
    assert rels[100] == {
        "image_id": 1, "relationship_id": 100, "predicate": "on", "synsets": ["along.r.01"],
        "subject_id": 10, "subject_name": "man", "subject_x": -1, "subject_y": 0, "subject_w": 801,
        "subject_h": 600, "object_id": 11, "object_name": "tree", "object_x": 1, "object_y": 2, "object_w": 3,
        "object_h": 4,
    }  # fmt: skip
    # subject 5555 is in no objects.json: its box comes from the relationship itself
    r101 = rels[101]
    assert (r101["subject_id"], r101["subject_name"], r101["subject_x"], r101["subject_h"]) == (5555, "hat", 5, 8)
    assert (r101["predicate"], r101["synsets"]) == ("on", [])
    assert (rels[200]["image_id"], rels[200]["predicate"], rels[200]["subject_id"], rels[200]["object_id"]) == (
        2,
        "has",
        20,
        21,
    )
    assert rows(data, "predicate_counts") == [("on", 2, 1), ("has", 1, 1)]

    assert rows(data, "regions") == [(1, 1000, "a man near a tree", 1, 2, 30, 40), (2, 2000, "v1.0 style", 0, 0, 5, 6)]
    assert rows(data, "qas") == [
        (1, 5000, "What is the man doing?", "Standing.", "what"),
        (1, 5001, "How many trees?", "One.", "how"),
    ]


def test_quirky_postings(quirky: tuple[Path, Any]) -> None:
    data, _ = quirky
    assert rows(data, "image_terms") == [
        ("attribute", "happy", 1, 1),
        ("attribute", "red", 2, 1),
        ("attribute", "tall", 1, 1),
        ("object", "car", 2, 1),
        ("object", "dog", 1, 1),
        ("object", "man", 1, 1),
        ("object", "tree", 1, 1),
        ("predicate", "has", 2, 1),
        ("predicate", "on", 1, 2),  # two "on" relationships in image 1
        ("triple", "car|has|wheel", 2, 1),
        ("triple", "hat|on|man", 1, 1),
        ("triple", "man|on|tree", 1, 1),
    ]
    assert rows(data, "triple_images") == [
        ("car", "has", "wheel", 2),
        ("hat", "on", "man", 1),
        ("man", "on", "tree", 1),
    ]
    assert rows(data, "triple_images_by_object") == [
        ("hat", "on", "man", 1),
        ("man", "on", "tree", 1),
        ("car", "has", "wheel", 2),
    ]


def test_postings_are_sorted_and_unique_with_missing_names(tmp_path: Path) -> None:
    """Endpoints without a name stay NULL in triple_images and are blank in the triple term, as in the stats."""
    files = clean_release(n_images=6, seed=3)
    for record in files["relationships.json"][:2]:
        for rel in record["relationships"]:
            rel["object"].pop("name", None)
            rel["object"].pop("names", None)
    data = tmp_path / "data"
    ingest(write_release(tmp_path / "raw", files), data, progress=False)
    terms = rows(data, "image_terms", "SELECT kind, term, image_id FROM t")
    assert terms == sorted(terms) and len(terms) == len(set(terms))
    blanks = rows(data, "image_terms", "SELECT image_id FROM t WHERE kind = 'triple' AND term LIKE '%|near|'")
    assert sorted(blanks) == [(1,), (2,)]
    assert rows(data, "triple_images", "SELECT image_id FROM t WHERE object_name IS NULL ORDER BY 1") == [(1,), (2,)]
    for table, key in (("triple_images", "subject_name, object_name, predicate, image_id"),
                       ("triple_images_by_object", "object_name, predicate, subject_name, image_id")):  # fmt: skip
        assert rows(data, table, "SELECT * FROM t") == rows(data, table, f"SELECT * FROM t ORDER BY {key}")
    assert rows(data, "image_terms", "SELECT kind, sum(n)::BIGINT FROM t GROUP BY kind ORDER BY kind") == [
        ("object", 18),
        ("predicate", 6),
        ("triple", 6),
    ]


def test_quirky_skips_are_counted(quirky: tuple[Path, Any]) -> None:
    data, report = quirky
    assert dict(report.skipped) == {
        "image record without an integer image_id": 1,
        "duplicate image id": 1,
        "attributes that are not a list": 1,
        "object without a name": 1,
        "object without an integer object_id": 1,
        'image record without a "objects" list': 1,
        "object of an image not in image_data.json": 1,
        "duplicate object_id": 1,
        "attributes of an object id not in objects.json": 1,
        "relationship without a predicate": 1,
        "duplicate relationship_id": 1,
        "region without a phrase": 1,
        "qa of an image not in image_data.json": 1,
    }
    assert [e.replace(".json.zip:", ".json:") for e in report.examples[:3]] == [
        "image_data.json: record 5: image record without an integer image_id",
        "image_data.json: image_id 2: duplicate image id",
        "attributes.json: image_id 1: attributes that are not a list",
    ]
    assert any("read leniently" in note for note in report.notes)
    manifest = read_manifest(data / "visual_genome")
    assert manifest is not None and manifest["skipped"] == dict(report.skipped)


# -- optional files, unusable input, atomic publish -----------------------------------------------------


def test_only_required_files(tmp_path: Path) -> None:
    files = clean_release()
    del files["relationships.json"]
    raw = write_release(tmp_path / "raw", files, zipped=True)
    data = tmp_path / "data"
    report = ingest(raw, data, progress=True)
    assert report.rows["objects"] == 9 and report.rows["images"] == 3
    for table in ("relationships", "regions", "qas", "object_attributes", "predicate_counts"):
        assert report.rows[table] == 0
    assert rows(data, "relationships", "SELECT count(*) FROM t") == [(0,)]
    assert len([n for n in report.notes if "not found" in n]) == 4
    assert not any("read leniently" in note for note in report.notes)
    assert report.total_skipped == 0


@pytest.mark.parametrize(
    ("files", "zipped", "names"),
    [
        ({"image_data.json": None}, False, "image_data.json"),
        ({"objects.json": None}, False, "objects.json"),
        ({"relationships.json": b'[{"image_id": 1, "relationships": [{"relationship_id": 1, "predi'}, False,
         "relationships.json"),
        ({"region_descriptions.json": b""}, False, "region_descriptions.json"),
        ({"question_answers.json": b"  \n"}, True, "question_answers.json.zip"),
        ({"objects.json": {"image_id": 1, "objects": []}}, False, "objects.json"),
        ({"objects.json": clean_release()["image_data.json"]}, False, "objects.json"),
        ({"image_data.json": [1, 2, 3]}, False, "image_data.json"),
        ({"image_data.json": []}, True, "image_data.json"),
        ({"relationships.json": [{"image_id": 1, "objects": []}]}, False, "relationships.json"),
    ],
    ids=["no-image-data", "no-objects", "truncated", "empty", "blank-zip", "not-array", "wrong-shape",
         "no-image-ids", "no-images", "wrong-list"],
)  # fmt: skip
def test_unusable_input_raises_naming_the_file(tmp_path: Path, files: dict[str, Any], zipped: bool, names: str) -> None:
    """`files` replaces files of a good release (None: leave the file out)."""
    raw = tmp_path / "raw"
    write_release(raw, {k: v for k, v in clean_release().items() if k not in files})
    write_release(raw, {k: v for k, v in files.items() if v is not None}, zipped=zipped)
    with pytest.raises(IngestError, match=names.replace(".", r"\.")) as err:
        ingest(raw, tmp_path / "data", progress=False)
    message = str(err.value)
    assert message.endswith(".") and ". " not in message  # one sentence
    assert not (tmp_path / "data" / "visual_genome").exists()


def test_zip_without_the_expected_member(tmp_path: Path) -> None:
    raw = write_release(tmp_path / "raw", {"image_data.json": clean_release()["image_data.json"]})
    with zipfile.ZipFile(raw / "objects.json.zip", "w") as zf:
        zf.writestr("something_else.json", "[]")
    with pytest.raises(IngestError, match=r"objects\.json\.zip is a zip without the expected member objects\.json"):
        ingest(raw, tmp_path / "data", progress=False)


def test_failed_ingest_leaves_previous_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    raw = write_release(tmp_path / "raw", clean_release())
    first = ingest(raw, data, progress=False)
    live = os.readlink(data / "visual_genome")

    (raw / "relationships.json").write_bytes(b'[{"image_id": 1, "relationships": [')  # truncated
    with pytest.raises(IngestError, match=r"relationships\.json"):
        ingest(raw, data, progress=False)

    assert os.readlink(data / "visual_genome") == live
    assert rows(data, "relationships", "SELECT count(*) FROM t") == [(first.rows["relationships"],)]
    for table in TABLES:
        rows(data, table, "SELECT count(*) FROM t")  # every table still readable
    assert [p.name for p in data.glob(".visual_genome-*")] == [live]
