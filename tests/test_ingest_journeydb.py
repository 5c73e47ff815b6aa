"""JourneyDB ingest over small generated release trees holding every quirk of the real files."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import duckdb
import pytest

from explorer.ingest import journeydb
from explorer.ingest.common import IngestError, IngestReport, read_manifest
from tests import jdb_fixtures as fx

ID_A = "00000000-0000-4000-8000-00000000000a"
ID_B = "00000000-0000-4000-8000-00000000000b"
ID_BAD_TYPES = "00000000-0000-4000-8000-0000000000bd"
ID_SPARSE = "00000000-0000-4000-8000-0000000000c5"
ID_HUGE = "00000000-0000-4000-8000-0000000000ff"
ID_VALID_IMG = "00000000-0000-4000-8000-0000000000e1"
PROMPT_A = "it\\u2019s a caf\\u00e9,  golden   tikka, --ar 3:2 --v 5"
TRAIN = fx.TRAIN_NAME
N_RANDOM_TRAIN = 30


def _good(image_id: str, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "img_path": f"./000/{image_id}.jpg",
        "prompt": "a plain prompt --v 4",
        "Task1": {"Style": ["Gold"], "Content": ["tikka"], "Atmosphere": [], "Others": []},
        "Task2": {"Caption": "A caption."},
        "Task3": {
            "Style Relevant Questions and Answers": [
                {"Question": "Which style?", "Options": {"A": "a", "B": "b", "C": "c", "D": "d"}, "Answer": "B"}
            ],
            "Content Relevant Questions and Answers": [],
        },
    }
    record.update(fields)
    return record


def _train_lines(rng: random.Random) -> list[Any]:
    """Lines 1-16 are hand-made quirks (line numbers are asserted), then random good records."""
    outside = _good("outside-1", img_path="../../../etc/passwd.jpg")
    absolute = _good("absolute-1", img_path="/etc/000/absolute-1.jpg")
    no_path = _good("nopath")
    del no_path["img_path"]
    bad_types = {
        "img_path": f"./001/{ID_BAD_TYPES}.jpg",
        "prompt": ["not", "a", "string"],
        "Task1": "oops",
        "Task2": {"Caption": {"nested": 1}},
        "Task3": {"Style Relevant Questions and Answers": "not a list", "Content Relevant Questions and Answers": []},
    }
    sparse = {
        "img_path": f"./002/{ID_SPARSE}.jpg",
        "Task1": {"Style": [], "Content": ["  Castle ", "castle", "CASTLE", "", "tower"]},
        "Task2": {"Caption": None},
        "Task3": {
            "Style Relevant Questions and Answers": [
                "just a string",
                {"Question": "Real one?", "Options": {"A": "yes", "B": "no", "C": "maybe", "D": "never"},
                 "Answer": "A"},
            ],
        },
    }  # fmt: skip
    return [
        _good(ID_A, prompt=PROMPT_A, Task1={"Style": [" Elegant", "gold", "elegant ", "", "\tGOLD\r\n", " \t\n"],
                                            "Content": ["Tikka"], "Atmosphere": ["calm"], "Others": []}),  # 1
        _good(ID_B, prompt=PROMPT_A),  # 2
        '{"img_path": "./000/broken.jpg", "prompt": ',  # 3 malformed
        "",  # 4 blank
        b'{"img_path": "./000/latin1.jpg", "prompt": "caf\xe9"}',  # 5 not UTF-8
        [1, 2],  # 6 array
        "null",  # 7
        outside,  # 8
        absolute,  # 9
        no_path,  # 10
        _good(ID_A, prompt="a duplicate that must lose"),  # 11
        bad_types,  # 12
        sparse,  # 13
        _good(ID_HUGE, prompt="huge " * 400_000 + "--ar 2:1"),  # 14 (2 MB line)
        _good("ignored", img_path=5),  # 15
        '"just a string"',  # 16
        *[fx.make_record(rng, "train") for _ in range(N_RANDOM_TRAIN)],
    ]  # fmt: skip


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(20240607)
    raw = tmp_path_factory.mktemp("jdb") / "raw"
    fx.write_annotations(raw, "train", TRAIN, fx.to_lines(_train_lines(rng)))
    legacy = [fx.make_record(rng, "train", image_id=f"legacy-{i}") for i in range(3)]
    fx.write_annotations(raw, "train", fx.LEGACY_TRAIN_NAME, fx.to_lines(legacy))
    valid = [fx.make_record(rng, "valid", image_id=ID_VALID_IMG)] + [fx.make_record(rng, "valid") for _ in range(4)]
    fx.write_annotations(raw, "valid", fx.VALID_NAME, fx.to_lines(valid), tgz=True)
    test = [fx.make_record(rng, "test") for _ in range(6)]
    fx.write_annotations(raw, "test", fx.TEST_NAME, fx.to_lines(test))
    fx.write_image(raw, "train", f"./000/{ID_A}.jpg", (32, 24))
    fx.write_image(raw, "valid", valid[0]["img_path"], (20, 40))
    # A file named like an image of the outside record must never be read; a corrupt file yields no size.
    (raw / "data" / "train" / "imgs" / "000" / f"{ID_B}.jpg").write_bytes(b"not a jpeg")
    return raw


@pytest.fixture(scope="module")
def ingested(release: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, IngestReport]:
    data = tmp_path_factory.mktemp("data")
    report = journeydb.ingest(release, data, progress=False)
    return data / "journeydb", report


def _rows(folder: Path, table: str, where: str = "true", order: str = "1") -> list[dict[str, Any]]:
    con = duckdb.connect()
    rel = con.execute(
        f"SELECT * FROM read_parquet(?) WHERE {where} ORDER BY {order}", [str(folder / f"{table}.parquet")]
    )
    names = [d[0] for d in rel.description]
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def _image(folder: Path, image_id: str) -> dict[str, Any]:
    rows = [r for r in _rows(folder, "images") if r["image_id"] == image_id]
    assert len(rows) == 1
    return rows[0]


def test_rows_and_skips(ingested: tuple[Path, IngestReport]) -> None:
    folder, report = ingested
    # train: 1, 2, 8, 9, 12, 13, 14 + random; valid 5; test 6.
    expected_images = 7 + N_RANDOM_TRAIN + 5 + 6
    assert report.rows["images"] == expected_images
    assert len(_rows(folder, "images")) == expected_images
    assert dict(report.skipped) == {
        journeydb.MALFORMED: 1,
        "line is not valid UTF-8": 1,
        journeydb.NOT_OBJECT: 3,
        journeydb.OUTSIDE: 2,
        journeydb.NO_IMG_PATH: 2,
        journeydb.DUPLICATE: 1,
        journeydb.BAD_PROMPT: 1,
        journeydb.BAD_TASK1: 1,
        journeydb.BAD_TASK2: 1,
        journeydb.BAD_TASK3: 1,
        journeydb.BAD_QUESTION: 1,
    }
    assert report.examples == [
        f"{TRAIN} line 3: {journeydb.MALFORMED}",
        f"{TRAIN} line 5: line is not valid UTF-8",
        f"{TRAIN} line 6: {journeydb.NOT_OBJECT}",
        f"{TRAIN} line 7: {journeydb.NOT_OBJECT}",
        f"{TRAIN} line 8: {journeydb.OUTSIDE}",
    ]


def test_manifest(ingested: tuple[Path, IngestReport], release: Path) -> None:
    folder, report = ingested
    manifest = read_manifest(folder)
    assert manifest is not None
    assert manifest["image_root"] == str((release / "data").resolve())
    assert manifest["rows"] == report.rows
    assert manifest["skipped"][journeydb.DUPLICATE] == 1


def test_legacy_train_file_ignored(ingested: tuple[Path, IngestReport]) -> None:
    folder, report = ingested
    assert not [r for r in _rows(folder, "images") if r["image_id"].startswith("legacy-")]
    assert any(fx.LEGACY_TRAIN_NAME in note and "ignored" in note for note in report.notes)


def test_record_fields(ingested: tuple[Path, IngestReport]) -> None:
    folder, _ = ingested
    a = _image(folder, ID_A)
    assert a["split"] == "train"
    assert a["img_path"] == f"train/imgs/000/{ID_A}.jpg"
    assert a["prompt"] == PROMPT_A  # as written
    assert a["prompt_text"] == "it’s a café, golden tikka"
    assert a["prompt_words"] == 5
    assert (a["mj_version"], a["aspect_ratio"], a["mj_params"]) == ("5", "3:2", "--ar 3:2 --v 5")
    assert a["quality"] is None and a["stylize"] is None and a["seed"] is None
    assert a["styles"] == ["elegant", "gold"]
    assert (a["contents"], a["atmospheres"], a["others"]) == (["tikka"], ["calm"], [])
    assert a["caption"] == "A caption."
    assert (a["width"], a["height"]) == (32, 24)
    b = _image(folder, ID_B)
    assert b["prompt_hash"] == a["prompt_hash"] is not None
    assert (b["width"], b["height"]) == (None, None)  # unreadable file
    assert (_image(folder, ID_VALID_IMG)["width"], _image(folder, ID_VALID_IMG)["height"]) == (20, 40)
    assert _image(folder, ID_VALID_IMG)["img_path"].startswith("valid/imgs/")


def test_outside_paths_kept_without_path(ingested: tuple[Path, IngestReport]) -> None:
    folder, _ = ingested
    for image_id in ("passwd", "absolute-1"):
        row = _image(folder, image_id)
        assert row["img_path"] is None
        assert row["width"] is None


def test_wrong_types_nulled_or_emptied(ingested: tuple[Path, IngestReport]) -> None:
    folder, _ = ingested
    bad = _image(folder, ID_BAD_TYPES)
    assert bad["prompt"] is None and bad["prompt_text"] is None and bad["prompt_hash"] is None
    assert bad["caption"] is None
    assert bad["styles"] == bad["contents"] == bad["atmospheres"] == bad["others"] == []
    assert _rows(folder, "questions", f"image_id = '{ID_BAD_TYPES}'") == []
    sparse = _image(folder, ID_SPARSE)
    assert sparse["prompt"] is None and sparse["caption"] is None and sparse["mj_version"] is None
    assert sparse["contents"] == ["castle", "tower"]
    questions = _rows(folder, "questions", f"image_id = '{ID_SPARSE}'")
    assert questions == [
        {"image_id": ID_SPARSE, "split": "train", "kind": "style", "qa_index": 1, "question": "Real one?",
         "options": ["yes", "no", "maybe", "never"], "answer": "A", "row_id": sparse["row_id"]}
    ]  # fmt: skip


def test_huge_line(ingested: tuple[Path, IngestReport]) -> None:
    folder, _ = ingested
    huge = _image(folder, ID_HUGE)
    assert huge["aspect_ratio"] == "2:1"
    assert huge["prompt_words"] == 400_000


def test_duplicate_keeps_first(ingested: tuple[Path, IngestReport]) -> None:
    folder, _ = ingested
    assert _image(folder, ID_A)["prompt"] == PROMPT_A


def test_questions(ingested: tuple[Path, IngestReport]) -> None:
    folder, _ = ingested
    rows = _rows(folder, "questions")
    test_rows = [r for r in rows if r["split"] == "test"]
    assert test_rows and all(r["answer"] is None for r in test_rows)
    train_rows = [r for r in rows if r["split"] == "train"]
    assert train_rows and all(r["answer"] in {"A", "B", "C", "D"} for r in train_rows)
    assert all(len(r["options"]) == 4 for r in rows)
    assert {r["kind"] for r in rows} == {"style", "content"}
    sample = [r for r in rows if r["image_id"] == ID_A]
    assert sample == [
        {"image_id": ID_A, "split": "train", "kind": "style", "qa_index": 0, "question": "Which style?",
         "options": ["a", "b", "c", "d"], "answer": "B", "row_id": _image(folder, ID_A)["row_id"]}
    ]  # fmt: skip
    stored = _file_order(folder, "questions", "row_id, kind, qa_index")
    assert stored == sorted(stored, key=lambda r: (r[0], r[1] != "style", r[2])) and len(stored) == len(rows)


def test_questions_carry_their_image_row_id(ingested: tuple[Path, IngestReport]) -> None:
    folder, _ = ingested
    row_ids = {r["image_id"]: r["row_id"] for r in _rows(folder, "images")}
    questions = _rows(folder, "questions")
    assert questions and all(q["row_id"] == row_ids[q["image_id"]] for q in questions)


def test_n_tags_counts_all_four_kinds(ingested: tuple[Path, IngestReport]) -> None:
    folder, _ = ingested
    images = _rows(folder, "images")
    assert any(r["n_tags"] > 0 for r in images)
    for r in images:
        assert r["n_tags"] == len(r["styles"]) + len(r["contents"]) + len(r["atmospheres"]) + len(r["others"])


def test_test_split_has_no_prompt(ingested: tuple[Path, IngestReport]) -> None:
    folder, _ = ingested
    test_images = [r for r in _rows(folder, "images") if r["split"] == "test"]
    assert len(test_images) == 6
    assert all(r["prompt"] is None and r["styles"] == [] for r in test_images)


KIND_COLUMNS = (("styles", "style"), ("contents", "content"), ("atmospheres", "atmosphere"), ("others", "other"))


def test_tags_and_counts(ingested: tuple[Path, IngestReport]) -> None:
    folder, report = ingested
    images = _rows(folder, "images")
    ids = {image["row_id"]: image["image_id"] for image in images}
    postings = _rows(folder, "tag_ids", order="kind, tag, row_id")
    assert report.rows["tag_ids"] == len(postings) and "tags" not in report.rows
    assert not (folder / "tags.parquet").exists()  # schema_version 3: the postings are stored once
    tags = [{"image_id": ids[t["row_id"]], "kind": t["kind"], "tag": t["tag"]} for t in postings]
    assert {"image_id": ID_A, "kind": "style", "tag": "elegant"} in tags
    assert len({(t["image_id"], t["kind"], t["tag"]) for t in tags}) == len(tags)
    assert all(t["tag"] == t["tag"].strip().lower() and t["tag"] for t in tags)
    listed = {(i["image_id"], kind, tag) for i in images for column, kind in KIND_COLUMNS for tag in i[column]}
    assert {(t["image_id"], t["kind"], t["tag"]) for t in tags} == listed
    expected: dict[tuple[str, str], int] = {}
    for image in images:
        for column, kind in (("styles", "style"), ("contents", "content"), ("atmospheres", "atmosphere")):
            for tag in image[column]:
                expected[(kind, tag)] = expected.get((kind, tag), 0) + 1
    counts = {(r["kind"], r["tag"]): r["n_images"] for r in _rows(folder, "tag_counts")}
    assert counts == expected
    assert counts[("content", "castle")] >= 1


def _file_order(folder: Path, table: str, columns: str) -> list[tuple[Any, ...]]:
    """The rows of a table as stored (no ORDER BY; single-threaded, so in file order)."""
    con = duckdb.connect(config={"threads": 1})
    return con.execute(f"SELECT {columns} FROM read_parquet(?)", [str(folder / f"{table}.parquet")]).fetchall()


def test_images_are_in_release_order_with_row_ids(ingested: tuple[Path, IngestReport]) -> None:
    folder, _ = ingested
    rows = _file_order(folder, "images", "image_id, split, row_id")
    assert [r[2] for r in rows] == list(range(len(rows)))
    # train lines in order (line 2 is ID_B, then the kept odd records), then valid, then test
    assert [r[0] for r in rows[:2]] == [ID_A, ID_B]
    splits = [r[1] for r in rows]
    assert splits == sorted(splits, key=["train", "valid", "test"].index)
    assert rows[splits.index("valid")][0] == ID_VALID_IMG
    # image_ids.parquet: every image once, sorted by image_id, with the row_id of its images row
    ids = _file_order(folder, "image_ids", "image_id, row_id")
    assert [i for i, _ in ids] == sorted(r[0] for r in rows)
    assert dict(ids) == {r[0]: r[2] for r in rows}


def test_jsonl_preferred_over_tgz(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    fx.write_annotations(raw, "valid", fx.VALID_NAME, fx.to_lines([_good("from-jsonl")]))
    fx.write_annotations(raw, "valid", fx.VALID_NAME, fx.to_lines([_good("from-tgz")]), tgz=True)
    journeydb.ingest(raw, tmp_path / "data", progress=False)
    ids = [r["image_id"] for r in _rows(tmp_path / "data" / "journeydb", "images")]
    assert ids == ["from-jsonl"]


def test_legacy_train_used_when_alone(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    fx.write_annotations(raw, "train", fx.LEGACY_TRAIN_NAME, fx.to_lines([_good("old-1"), _good("old-2")]), tgz=True)
    report = journeydb.ingest(raw, tmp_path / "data", progress=False)
    assert report.rows["images"] == 2
    assert any(fx.LEGACY_TRAIN_NAME in note for note in report.notes)


def test_no_annotation_file(tmp_path: Path) -> None:
    (tmp_path / "raw" / "data").mkdir(parents=True)
    with pytest.raises(IngestError, match="no JourneyDB annotation file"):
        journeydb.ingest(tmp_path / "raw", tmp_path / "data", progress=False)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (fx.TRAIN_NAME + ".tgz", b"this is not gzip at all", "not a readable gzip"),
        (fx.TRAIN_NAME, b"", "no line of it is a JSON object"),
        (fx.TRAIN_NAME, b"hello\nworld\n[1]\n\xff\xfe\n", "no line of it is a JSON object"),
        (fx.TRAIN_NAME, b"\n   \n\t\n", "no line of it is a JSON object"),
        (fx.TRAIN_NAME, b"\x1f\x8b\x08\x00 gzip under a .jsonl name", "binary or compressed"),
    ],
)
def test_unusable_file(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    folder = tmp_path / "raw" / "data" / "train"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(content)
    with pytest.raises(IngestError, match=message) as err:
        journeydb.ingest(tmp_path / "raw", tmp_path / "data", progress=False)
    assert name in str(err.value)
    assert not (tmp_path / "data" / "journeydb").exists()


def test_failed_ingest_keeps_previous_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "raw"
    fx.write_annotations(raw, "train", TRAIN, fx.to_lines([_good("first-1"), _good("first-2")]))
    data = tmp_path / "data"
    journeydb.ingest(raw, data, progress=False)
    fx.write_annotations(raw, "train", TRAIN, fx.to_lines([_good("second-1")]))

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(journeydb, "_write_tables", explode)
    with pytest.raises(RuntimeError, match="disk on fire"):
        journeydb.ingest(raw, data, progress=False)
    ids = [r["image_id"] for r in _rows(data / "journeydb", "images")]
    assert ids == ["first-1", "first-2"]
    manifest = read_manifest(data / "journeydb")
    assert manifest is not None and manifest["rows"]["images"] == 2  # type: ignore[index]
    leftovers = [p.name for p in data.iterdir() if p.name.startswith(".journeydb-")]
    assert len(leftovers) == 1  # only the live version


@pytest.mark.parametrize(
    "joined",
    [
        journeydb.IMAGES_JOINED_SQL.replace("ORDER BY rid", "ORDER BY rid DESC"),  # out of file order
        journeydb.IMAGES_JOINED_SQL.replace("WHERE t.status IS NULL", "WHERE true"),  # a row too many
    ],
    ids=["reversed", "longer"],
)
def test_image_streams_that_do_not_line_up_stop_the_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, joined: str
) -> None:
    """images.parquet is two streams lined up by record id: a mismatch is refused, the previous export kept."""
    raw = tmp_path / "raw"
    fx.write_annotations(raw, "train", TRAIN, fx.to_lines([_good("first-1"), _good("first-2")]))
    data = tmp_path / "data"
    journeydb.ingest(raw, data, progress=False)
    lines: list[object] = [_good(f"second-{n}") for n in range(40)]
    fx.write_annotations(raw, "train", TRAIN, fx.to_lines([*lines[:20], "not json", *lines[20:]]))
    monkeypatch.setattr(journeydb, "IMAGES_JOINED_SQL", joined)
    with pytest.raises(IngestError, match="do not line up"):
        journeydb.ingest(raw, data, progress=False)
    assert [r["image_id"] for r in _rows(data / "journeydb", "images")] == ["first-1", "first-2"]
    assert len([p for p in data.iterdir() if p.name.startswith(".journeydb-")]) == 1  # only the live version


def test_no_images_at_all(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    fx.write_annotations(raw, "test", fx.TEST_NAME, fx.to_lines([fx.make_record(random.Random(1), "test")]))
    report = journeydb.ingest(raw, tmp_path / "data", progress=False)
    row = _rows(tmp_path / "data" / "journeydb", "images")[0]
    assert (row["width"], row["height"]) == (None, None)
    assert report.rows["questions"] >= 2
    assert json.loads((tmp_path / "data" / "journeydb" / "manifest.json").read_text())["dataset"] == "journeydb"


def test_line_numbers_count_blank_and_rejected_lines_in_every_split(tmp_path: Path) -> None:
    """Rows are numbered by their position as read (in parallel): blank, rejected and bad lines all count."""
    rng = random.Random(11)
    first = fx.make_record(rng, "train")
    train = [first, "", "   ", fx.make_record(rng, "train"), b"\xff\xfe not utf-8", "", "garbage", first]
    valid = ["", fx.make_record(rng, "valid"), "[1, 2]"]
    raw = tmp_path / "raw"
    fx.write_annotations(raw, "train", fx.TRAIN_NAME, fx.to_lines(train))
    fx.write_annotations(raw, "valid", fx.VALID_NAME, fx.to_lines(valid))
    report = journeydb.ingest(raw, tmp_path / "data", progress=False)
    assert report.rows["images"] == 3
    assert report.examples == [
        f"{fx.TRAIN_NAME} line 5: line is not valid UTF-8",
        f"{fx.TRAIN_NAME} line 7: {journeydb.MALFORMED}",
        f"{fx.TRAIN_NAME} line 8: {journeydb.DUPLICATE}",
        f"{fx.VALID_NAME} line 3: {journeydb.NOT_OBJECT}",
    ]
