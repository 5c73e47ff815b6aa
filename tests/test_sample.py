"""The seeded demo data: real release formats, deterministic, pictures that match their annotations."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import re
import tarfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from PIL import Image, UnidentifiedImageError

from explorer import sample
from explorer.sample import (
    GRASS,
    ROAD,
    SKY,
    STYLES,
    VG_CORRUPT_IMAGE_ID,
    VG_MISSING_IMAGE_ID,
    VG_NEGATIVE_X_IMAGE_ID,
    VG_OVERRUN_IMAGE_ID,
    VG_SHOWCASE_IMAGE_ID,
    draw_art,
    write_raw_journeydb,
    write_raw_visual_genome,
)

JDB_ARCHIVES = {
    "train": "train_anno_realease_repath.jsonl",
    "valid": "valid_anno_repath.jsonl",
    "test": "test_questions.jsonl",
}
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def jdb_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("jdb")
    write_raw_journeydb(root, seed=0)
    return root


@pytest.fixture(scope="module")
def vg_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vg")
    write_raw_visual_genome(root, seed=0)
    return root


def read_jdb_lines(root: Path) -> dict[str, list[str]]:
    lines: dict[str, list[str]] = {}
    for split, member in JDB_ARCHIVES.items():
        with tarfile.open(root / "data" / split / f"{member}.tgz", "r:gz") as tf:
            assert tf.getnames() == [member]
            f = tf.extractfile(member)
            assert f is not None
            lines[split] = f.read().decode("utf-8").splitlines()
    return lines


def read_jdb_records(root: Path) -> dict[str, list[dict[str, Any]]]:
    """The lines of each split that are JSON objects (malformed lines dropped)."""
    records: dict[str, list[dict[str, Any]]] = {}
    for split, lines in read_jdb_lines(root).items():
        records[split] = []
        for line in lines:
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                records[split].append(value)
    return records


def by_id(records: dict[str, list[dict[str, Any]]]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {Path(r["img_path"]).stem: (split, r) for split, recs in records.items() for r in recs}


def jdb_image_path(root: Path, split: str, record: dict[str, Any]) -> Path:
    return root / "data" / split / "imgs" / record["img_path"].removeprefix("./")


def read_vg(root: Path, name: str) -> Any:
    path = root / name
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    with zipfile.ZipFile(root / f"{name}.zip") as zf:
        assert zf.namelist() == [name]
        return json.loads(zf.read(name))


def vg_image(root: Path, image_id: int) -> Path:
    folder = next(e for e in read_vg(root, "image_data.json") if e["image_id"] == image_id)["url"].split("/")[-2]
    return root / folder / f"{image_id}.jpg"


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def mean_rgb(img: Image.Image) -> tuple[float, float, float]:
    small = img.convert("RGB").resize((1, 1), Image.Resampling.BOX)
    r, g, b = small.getpixel((0, 0))  # type: ignore[misc]
    return float(r), float(g), float(b)


def dist(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5


# ---------------------------------------------------------------------------------------------------------
# Determinism


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        write_raw_journeydb(tmp_path / name / "jdb", seed=seed, n_images=30)
        write_raw_visual_genome(tmp_path / name / "vg", seed=seed, n_images=8)
    a, b, c = (tree_hashes(tmp_path / name) for name in "abc")
    assert len(a) > 40
    assert a == b
    for annotation in (
        "jdb/data/train/train_anno_realease_repath.jsonl.tgz",
        "vg/objects.json.zip",
        "vg/region_descriptions.json",
    ):
        assert a[annotation] != c[annotation]
    assert a["vg/VG_100K/6.jpg"] != c["vg/VG_100K/6.jpg"]


# ---------------------------------------------------------------------------------------------------------
# JourneyDB


def test_journeydb_records_have_the_release_layout(jdb_root: Path) -> None:
    lines = read_jdb_lines(jdb_root)
    records = read_jdb_records(jdb_root)
    assert sum(len(v) for v in lines.values()) - sum(len(v) for v in records.values()) == 3  # malformed
    counts = {split: len(recs) for split, recs in records.items()}
    assert counts == {"train": 240, "valid": 30, "test": 30}
    for split, recs in records.items():
        for r in recs:
            assert next(iter(r)) == "img_path"
            if r["img_path"] != f"./../../../{sample.JDB_PATH_ESCAPE_ID}.jpg":
                assert re.fullmatch(rf"\./\d{{3}}/{UUID_RE}\.jpg", r["img_path"]), r["img_path"]
            assert set(r) <= {"img_path", "prompt", "Task1", "Task2", "Task3"}
            if "Task1" in r:
                assert list(r["Task1"]) == ["Style", "Content", "Atmosphere", "Others"]
                assert all(isinstance(v, list) for v in r["Task1"].values())
            if "Task2" in r:
                assert list(r["Task2"]) == ["Caption"]
            qas = r["Task3"]
            assert list(qas) == ["Style Relevant Questions and Answers", "Content Relevant Questions and Answers"]
            for questions in qas.values():
                assert 1 <= len(questions) <= 3
                for q in questions:
                    assert list(q["Options"]) == ["A", "B", "C", "D"]
                    assert len(set(q["Options"].values())) == 4
                    if split == "test":
                        assert "Answer" not in q
                    else:
                        assert q["Answer"] in "ABCD"
            if split != "test":
                assert r["prompt"] and "Task2" in r


def test_journeydb_answers_and_tags_agree_with_the_prompt(jdb_root: Path) -> None:
    for r in read_jdb_records(jdb_root)["train"][10:]:
        style, content = r["Task1"]["Style"][0], r["Task1"]["Content"][0]
        assert f"{style} style" in r["prompt"] and content in r["prompt"]
        for q in r["Task3"]["Style Relevant Questions and Answers"]:
            if q["Question"] == "What is the art style of this image?":
                assert q["Options"][q["Answer"]] == style
        for q in r["Task3"]["Content Relevant Questions and Answers"]:
            if q["Question"] == "What is the main subject of the image?":
                assert q["Options"][q["Answer"]] == content


def test_journeydb_images_follow_the_aspect_ratio(jdb_root: Path) -> None:
    checked = 0
    for split, recs in read_jdb_records(jdb_root).items():
        for r in recs:
            path = jdb_image_path(jdb_root, split, r)
            if Path(r["img_path"]).stem in (
                sample.JDB_MISSING_FILE_ID,
                sample.JDB_CORRUPT_FILE_ID,
                sample.JDB_PATH_ESCAPE_ID,
            ):
                continue
            if "--ar " not in r.get("prompt", ""):
                continue
            ar = re.search(r"--ar (\d+):(\d+)", r["prompt"])
            assert ar is not None
            with Image.open(path) as img:
                w, h = img.size
            assert max(w, h) == 512
            assert abs(w / h - int(ar[1]) / int(ar[2])) < 0.02
            checked += 1
    assert checked > 100


def test_journeydb_quirks_are_present(jdb_root: Path) -> None:
    records = read_jdb_records(jdb_root)
    ids = by_id(records)
    _, xss = ids[sample.JDB_XSS_ID]
    assert "<script>alert(1)</script>" in xss["prompt"] and "<img src=x onerror=alert(1)>" in xss["prompt"]
    assert "<img src=x onerror=alert(1)>" in xss["Task1"]["Others"]
    assert "\\u2019" in ids[sample.JDB_LITERAL_ESCAPE_ID][1]["prompt"]  # backslash-u as text
    messy = ids[sample.JDB_MESSY_TAGS_ID][1]["Task1"]
    assert " Watercolor" in messy["Style"] and "watercolor " in messy["Style"] and "WATERCOLOR" in messy["Style"]
    assert ids[sample.JDB_NULL_CAPTION_ID][1]["Task2"] == {"Caption": None}
    assert "Task1" not in ids[sample.JDB_NO_TASK1_ID][1]
    assert ids[sample.JDB_PATH_ESCAPE_ID][1]["img_path"].startswith("./../")

    missing_split, missing = ids[sample.JDB_MISSING_FILE_ID]
    assert not jdb_image_path(jdb_root, missing_split, missing).exists()
    corrupt_split, corrupt = ids[sample.JDB_CORRUPT_FILE_ID]
    corrupt_path = jdb_image_path(jdb_root, corrupt_split, corrupt)
    assert corrupt_path.is_file()
    with pytest.raises(UnidentifiedImageError):
        Image.open(corrupt_path)

    shared = Counter(r["prompt"] for recs in records.values() for r in recs if "prompt" in r)
    group_sizes = [n for n in shared.values() if n > 1]
    assert len(group_sizes) >= 5 and max(group_sizes) <= 4

    test_records = records["test"]
    assert any("prompt" not in r and "Task1" not in r and "Task2" not in r for r in test_records)
    assert any("prompt" in r for r in test_records)
    params = " ".join(r.get("prompt", "") for recs in records.values() for r in recs)
    for flag in ("--ar 16:9", "--v 5.2", "--niji", "--q ", "--s ", "--chaos", "--seed", "--tile", "--aspect"):
        assert flag in params, flag
    malformed = [
        line
        for recs in read_jdb_lines(jdb_root).values()
        for line in recs
        if not line.startswith('{"img_path"') or not line.endswith("}")
    ]
    assert len(malformed) == 3


def test_styles_have_visibly_different_palettes(jdb_root: Path) -> None:
    means: dict[str, list[tuple[float, float, float]]] = {}
    for split, recs in read_jdb_records(jdb_root).items():
        for r in recs:
            if "Task1" not in r or Path(r["img_path"]).stem == sample.JDB_CORRUPT_FILE_ID:
                continue
            path = jdb_image_path(jdb_root, split, r)
            if path.exists():
                with Image.open(path) as img:
                    means.setdefault(r["Task1"]["Style"][0].strip().lower(), []).append(mean_rgb(img))
    assert set(means) == set(STYLES)
    noir = [channel for m in means["noir"] for channel in m]
    assert all(abs(m[0] - m[1]) < 6 and abs(m[1] - m[2]) < 6 for m in means["noir"])  # grey scale
    assert max(noir) < 120
    for pink in means["vaporwave"]:
        assert pink[0] > 180 and pink[0] - pink[1] > 50
    # Same content and layout, different style: the picture's colours differ.
    a = draw_art("cyberpunk", "cat", (256, 256), random.Random(1))
    b = draw_art("pastel", "cat", (256, 256), random.Random(1))
    assert dist(mean_rgb(a), mean_rgb(b)) > 150


# ---------------------------------------------------------------------------------------------------------
# Visual Genome

# Key order as in the v1.4 release files.
VG_KEYS = {
    "image_data.json": (None, ["width", "url", "height", "image_id", "coco_id", "flickr_id"]),
    "objects.json": (
        ["image_id", "objects", "image_url"],
        ["synsets", "h", "object_id", "merged_object_ids", "names", "w", "y", "x"],
    ),
    "relationships.json": (
        ["relationships", "image_id"],
        ["predicate", "object", "relationship_id", "synsets", "subject"],
    ),
    "region_descriptions.json": (
        ["regions", "id"],
        ["region_id", "width", "height", "image_id", "phrase", "y", "x"],
    ),
    "question_answers.json": (
        ["id", "qas"],
        ["a_objects", "question", "image_id", "qa_id", "answer", "q_objects"],
    ),
}


def test_visual_genome_files_have_the_release_keys(vg_root: Path) -> None:
    assert (vg_root / "objects.json.zip").is_file() and not (vg_root / "objects.json").exists()
    assert (vg_root / "relationships.json.zip").is_file()
    for name, (top, item) in VG_KEYS.items():
        data = read_vg(vg_root, name)
        assert len(data) == 40
        for entry in data:
            if top is None:
                assert list(entry) == item
                continue
            assert list(entry) == top
            nested = entry[top[1] if top[0] in ("image_id", "id") else top[0]]
            for x in nested:
                assert list(x) == item, name
    image_data = read_vg(vg_root, "image_data.json")
    assert [e["image_id"] for e in image_data] == list(range(1, 41))
    assert {e["url"].split("/")[-2] for e in image_data} == {"VG_100K", "VG_100K_2"}
    assert any(e["coco_id"] is None for e in image_data) and any(e["coco_id"] for e in image_data)
    for entry in read_vg(vg_root, "objects.json"):
        assert entry["image_url"].endswith(f"/VG_100K_2/{entry['image_id']}.jpg")
        assert 5 <= len(entry["objects"]) <= 25
    with_attrs = without = 0
    for entry in read_vg(vg_root, "attributes.json"):
        assert list(entry) == ["image_id", "attributes"]
        for obj in entry["attributes"]:
            if "attributes" in obj:
                with_attrs += 1
                assert obj["attributes"]
            else:
                without += 1
    assert with_attrs > 100 and without > 10
    names = {s["synset_name"] for s in read_vg(vg_root, "synsets.json")}
    assert {"dog.n.01", "car.n.01", "horse.n.01"} <= names


def test_visual_genome_relationships_point_at_old_ids_like_v1_4(vg_root: Path) -> None:
    object_ids = {o["object_id"] for e in read_vg(vg_root, "objects.json") for o in e["objects"]}
    merged = {m for e in read_vg(vg_root, "objects.json") for o in e["objects"] for m in o["merged_object_ids"]}
    ends = [
        r[k] for e in read_vg(vg_root, "relationships.json") for r in e["relationships"] for k in ("subject", "object")
    ]
    dangling = [end for end in ends if end["object_id"] not in object_ids]
    assert 0.05 < len(dangling) / len(ends) < 0.35
    assert all(end["object_id"] in merged for end in dangling)
    assert any("name" in end for end in ends) and any("names" in end for end in ends)
    predicates = {r["predicate"] for e in read_vg(vg_root, "relationships.json") for r in e["relationships"]}
    assert {"on", "ON", "riding", "holding", "near", "behind", "has"} <= predicates
    assert any(p != p.strip() for p in predicates)


def test_visual_genome_quirks_are_present(vg_root: Path) -> None:
    image_data = {e["image_id"]: e for e in read_vg(vg_root, "image_data.json")}
    objects = {e["image_id"]: e["objects"] for e in read_vg(vg_root, "objects.json")}
    assert not vg_image(vg_root, VG_MISSING_IMAGE_ID).exists()
    with pytest.raises(UnidentifiedImageError):
        Image.open(vg_image(vg_root, VG_CORRUPT_IMAGE_ID))
    cars = [o for o in objects[VG_NEGATIVE_X_IMAGE_ID] if o["names"] == ["car"]]
    assert cars and cars[0]["x"] < 0
    width = image_data[VG_OVERRUN_IMAGE_ID]["width"]
    assert any(o["x"] + o["w"] == width + 1 for o in objects[VG_OVERRUN_IMAGE_ID])
    names = {n for objs in objects.values() for o in objs for n in o["names"]}
    assert any(n != n.strip() for n in names)
    phrases = [r["phrase"] for e in read_vg(vg_root, "region_descriptions.json") for r in e["regions"]]
    assert any(p != p.strip() for p in phrases)
    assert "a man riding a brown horse" in phrases and "a red car on the street" in [p.strip() for p in phrases]
    qas = [(q["question"], q["answer"]) for e in read_vg(vg_root, "question_answers.json") for q in e["qas"]]
    assert ("What color is the car?", "Red.") in qas
    assert any(q.startswith("How many dogs") for q, _ in qas)


def test_visual_genome_xss_sign_carries_the_payloads(vg_root: Path) -> None:
    def of_image(name: str, key: str) -> list[dict[str, Any]]:
        entry = next(e for e in read_vg(vg_root, name) if e.get("image_id", e.get("id")) == sample.VG_XSS_IMAGE_ID)
        return entry[key]

    sign = [o for o in of_image("objects.json", "objects") if o["object_id"] == sample.VG_XSS_OBJECT_ID]
    assert sign and sign[0]["names"] == [sample.XSS_SCRIPT]
    attrs = [o for o in of_image("attributes.json", "attributes") if o["object_id"] == sample.VG_XSS_OBJECT_ID]
    assert sample.XSS_IMG in attrs[0]["attributes"]
    assert any(r["subject"].get("name") == sample.XSS_SCRIPT for r in of_image("relationships.json", "relationships"))
    assert any(sample.XSS_IMG in r["phrase"] for r in of_image("region_descriptions.json", "regions"))
    assert any(sample.XSS_SCRIPT in q["question"] and q["answer"] == sample.XSS_IMG
               for q in of_image("question_answers.json", "qas"))  # fmt: skip
    with Image.open(vg_image(vg_root, sample.VG_XSS_IMAGE_ID)) as img:
        x0, y0, x1, y1 = sample.VG_XSS_SIGN
        assert img.convert("RGB").getpixel(((x0 + x1) // 2, (y0 + y1) // 2)) > (200, 200, 200)  # the sign is drawn


def test_visual_genome_showcase_relationships_are_geometric(vg_root: Path) -> None:
    rels = next(e for e in read_vg(vg_root, "relationships.json") if e["image_id"] == VG_SHOWCASE_IMAGE_ID)

    def end_name(end: dict[str, Any]) -> str:
        return end.get("name") or end["names"][0]

    triples = {
        (end_name(r["subject"]), r["predicate"].strip().lower(), end_name(r["object"])): r
        for r in rels["relationships"]
    }
    riding = triples[("man", "riding", "horse")]
    man, horse = riding["subject"], riding["object"]
    assert man["y"] < horse["y"] < man["y"] + man["h"]  # sits on its back, legs over its side
    assert horse["x"] < man["x"] + man["w"] / 2 < horse["x"] + horse["w"]
    holding = triples[("man", "holding", "frisbee")]
    hand, disc = holding["subject"], holding["object"]
    assert disc["x"] <= hand["x"] + hand["w"] + 2 and disc["y"] < hand["y"] + hand["h"]
    behind = triples[("tree", "behind", "house")]
    assert behind["subject"]["y"] < behind["object"]["y"]
    assert ("dog", "near", "man") in triples and ("car", "on", "road") in triples


def dominant_colour(img: Image.Image, obj: dict[str, Any]) -> str:
    """The named colour most pixels in the box are nearest to, ignoring the scene's background."""
    box = (
        max(0, obj["x"]),
        max(0, obj["y"]),
        min(img.width, obj["x"] + obj["w"]),
        min(img.height, obj["y"] + obj["h"]),
    )
    votes: Counter[str] = Counter()
    crop = img.crop(box)
    # Every third pixel (nearest, so no blended colours) keeps the test fast.
    crop = crop.resize((max(1, crop.width // 3), max(1, crop.height // 3)), Image.Resampling.NEAREST)
    for pixel in crop.get_flattened_data():
        if min(dist(pixel, bg) for bg in (SKY, GRASS, ROAD)) < 40:
            continue
        votes[min(sample.COLORS, key=lambda name: dist(pixel, sample.COLORS[name]))] += 1
    return votes.most_common(1)[0][0]


def test_visual_genome_boxes_sit_on_drawn_shapes(vg_root: Path) -> None:
    attributes = {e["image_id"]: e["attributes"] for e in read_vg(vg_root, "attributes.json")}
    with Image.open(vg_image(vg_root, VG_SHOWCASE_IMAGE_ID)) as opened:
        img = opened.convert("RGB")
    objs = {o["names"][0].strip(): o for o in attributes[VG_SHOWCASE_IMAGE_ID]}
    car = objs["car"]
    assert "red" in car["attributes"]
    r, g, b = mean_rgb(img.crop((car["x"], car["y"], car["x"] + car["w"], car["y"] + car["h"])))
    assert r > g + 60 and r > b + 60
    assert dist((r, g, b), ROAD) > 50
    for name in ("dog", "horse", "house", "man"):
        o = objs[name]
        inside = mean_rgb(img.crop((o["x"], o["y"], o["x"] + o["w"], o["y"] + o["h"])))
        assert min(dist(inside, bg) for bg in (SKY, GRASS)) > 25, name
    # A tight box: just outside it is background, just inside each edge is shape.
    dog = objs["dog"]
    ring = img.crop((dog["x"] - 3, dog["y"] + dog["h"] + 1, dog["x"] + dog["w"] + 3, dog["y"] + dog["h"] + 4))
    assert dist(mean_rgb(ring), GRASS) < 20
    bottom_row = img.crop((dog["x"], dog["y"] + dog["h"] - 2, dog["x"] + dog["w"], dog["y"] + dog["h"]))
    assert dist(mean_rgb(bottom_row), GRASS) > 20

    # Every colour attribute of a drawn thing matches the colour drawn, in every readable image.
    checked = 0
    for image_id, objects in attributes.items():
        if image_id in (VG_MISSING_IMAGE_ID, VG_CORRUPT_IMAGE_ID):
            continue
        with Image.open(vg_image(vg_root, image_id)) as opened:
            img = opened.convert("RGB")
        for o in objects:
            if o["names"][0].strip() in ("car", "dog", "horse", "shirt", "house"):
                colour = o["attributes"][0]
                assert dominant_colour(img, o) == colour, (image_id, o)
                checked += 1
    assert checked > 80


# ---------------------------------------------------------------------------------------------------------
# End to end


def ingest_available() -> bool:
    return all(
        importlib.util.find_spec(f"explorer.ingest.{name}") is not None for name in ("journeydb", "visual_genome")
    )


needs_ingest = pytest.mark.skipif(
    not ingest_available(), reason="explorer.ingest.journeydb / visual_genome not written yet"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("built")
    return data_dir, sample.build_sample(data_dir)


def count(path: Path, where: str = "true") -> int:
    row = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet(?) WHERE {where}", [str(path)]).fetchone()
    assert row is not None
    return int(row[0])


@needs_ingest
def test_build_sample_exports_what_was_written(built: tuple[Path, dict[str, Any]]) -> None:
    data_dir, reports = built
    assert set(reports) == {"journeydb", "visual_genome"}
    raw_jdb, raw_vg = data_dir / "raw" / "journeydb", data_dir / "raw" / "visual_genome"
    records = read_jdb_records(raw_jdb)
    n_records = sum(len(v) for v in records.values())
    n_questions = sum(len(qs) for recs in records.values() for r in recs for qs in r["Task3"].values())

    jdb = data_dir / "journeydb"
    assert count(jdb / "images.parquet") == n_records == reports["journeydb"].rows["images"]
    assert count(jdb / "questions.parquet") == n_questions
    assert count(jdb / "questions.parquet", "split = 'test' AND answer IS NOT NULL") == 0
    assert count(jdb / "images.parquet", "width IS NULL") == 3  # missing, corrupt, path outside the folder
    assert count(jdb / "images.parquet", f"image_id = '{sample.JDB_XSS_ID}' AND prompt LIKE '%<script>%'") == 1
    assert reports["journeydb"].total_skipped >= 3  # the malformed lines

    vg = data_dir / "visual_genome"
    expected = {
        "images.parquet": len(read_vg(raw_vg, "image_data.json")),
        "objects.parquet": sum(len(e["objects"]) for e in read_vg(raw_vg, "objects.json")),
        "relationships.parquet": sum(len(e["relationships"]) for e in read_vg(raw_vg, "relationships.json")),
        "regions.parquet": sum(len(e["regions"]) for e in read_vg(raw_vg, "region_descriptions.json")),
        "qas.parquet": sum(len(e["qas"]) for e in read_vg(raw_vg, "question_answers.json")),
    }
    for table, n in expected.items():
        assert count(vg / table) == n, table
    assert count(vg / "objects.parquet", "x < 0") == 1
    assert count(vg / "relationships.parquet", "predicate = 'ON'") == 0  # lowercased on ingest


@needs_ingest
def test_build_sample_tags_are_cleaned_as_documented(built: tuple[Path, dict[str, Any]]) -> None:
    """EXPORT.md: tags trimmed, lowercased, de-duplicated, in first-seen order."""
    data_dir, _ = built
    records = read_jdb_records(data_dir / "raw" / "journeydb")
    n_tags = sum(
        len(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))
        for recs in records.values()
        for r in recs
        for tags in r.get("Task1", {}).values()
    )
    jdb = data_dir / "journeydb"
    row = (
        duckdb.connect()
        .execute(
            "SELECT styles, contents, atmospheres FROM read_parquet(?) WHERE image_id = ?",
            [str(jdb / "images.parquet"), sample.JDB_MESSY_TAGS_ID],
        )
        .fetchone()
    )
    assert row == (["watercolor", "soft"], ["cat", "moon"], ["dreamy"])
    assert count(jdb / "tag_ids.parquet") == n_tags


def test_build_sample_replaces_a_previous_raw_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "raw" / "journeydb" / "data" / "train" / "imgs" / "999" / "stale.jpg"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    calls: list[Path] = []

    def fake_ingest(raw: Path, data_dir: Path, *, progress: bool = True) -> str:
        calls.append(raw)
        return raw.name

    if not ingest_available():
        pytest.skip("explorer.ingest.journeydb / visual_genome not written yet")
    from explorer.ingest import journeydb, visual_genome

    monkeypatch.setattr(journeydb, "ingest", fake_ingest)
    monkeypatch.setattr(visual_genome, "ingest", fake_ingest)
    reports = sample.build_sample(tmp_path, seed=3)
    assert reports == {"journeydb": "journeydb", "visual_genome": "visual_genome"}  # type: ignore[comparison-overlap]
    assert calls == [tmp_path / "raw" / "journeydb", tmp_path / "raw" / "visual_genome"]
    assert not stale.exists()
    assert (tmp_path / "raw" / "visual_genome" / "image_data.json").is_file()
