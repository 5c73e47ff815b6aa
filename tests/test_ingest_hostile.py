"""Hostile release files through the public command (`python -m explorer.cli ingest … --quiet`).

Each case either skips the bad records (exit 0, the count and the first locations in the summary) or stops
with one sentence naming the file (exit 2). Never a traceback, and a failed run leaves the previous export
as it was. The per-module details (which field is nulled, which reason is counted) are in
test_ingest_journeydb.py and test_ingest_visual_genome.py; this file checks the end-to-end contract.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from explorer.config import Settings
from explorer.store import Store
from tests import jdb_fixtures as jfx
from tests import vg_fixtures as vfx
from tests.conftest import REPO

HUGE_BYTES = 50 << 20


def ingest_cli(kind: str, raw: Path, data: Path) -> subprocess.CompletedProcess[str]:
    """Run the ingest command; every outcome must be free of tracebacks."""
    result = subprocess.run(
        [sys.executable, "-m", "explorer.cli", "ingest", kind, str(raw), "--out", str(data), "--quiet"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    return result


def assert_stops_naming(result: subprocess.CompletedProcess[str], name: str) -> str:
    """Exit 2 with one `error:` sentence that names `name`; returns the sentence."""
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    message = lines[0].removeprefix("error: ")
    assert name in message, message
    assert message.endswith("."), message
    return message


def skipped(result: subprocess.CompletedProcess[str]) -> int:
    """The number of skipped records the summary states (0 when it says nothing was skipped)."""
    assert result.returncode == 0, result.stderr
    match = re.search(r"skipped ([\d,]+) records", result.stderr)
    if match is None:
        assert "nothing skipped" in result.stderr, result.stderr
        return 0
    return int(match.group(1).replace(",", ""))


def names_line(result: subprocess.CompletedProcess[str], line: int) -> bool:
    """The summary points at `line` of the train annotations (plain or inside the .tgz)."""
    return re.search(rf"{re.escape(jfx.TRAIN_NAME)}(\.tgz)? line {line}\b", result.stderr) is not None


def rows_of(data: Path, view: str) -> int:
    return int(Store(Settings(data_dir=data)).scalar(f"SELECT count(*) FROM {view}"))


# -- JourneyDB ------------------------------------------------------------------------------------------


def _records(n: int, seed: int = 3) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [jfx.make_record(rng, "train") for _ in range(n)]


def _jdb_release(tmp_path: Path, lines: list[Any], *, tgz: bool = False) -> Path:
    raw = tmp_path / "raw_jdb"
    jfx.write_annotations(raw, "train", jfx.TRAIN_NAME, jfx.to_lines(lines), tgz=tgz)
    return raw


@pytest.mark.parametrize(
    ("bad", "tgz"),
    [
        pytest.param(['{"img_path": "./000/cut.jpg", "prompt": "a trunc'], False, id="truncated-jsonl-line"),
        pytest.param(['{"img_path": "./000/cut.jpg", "prompt": "a trunc'], True, id="truncated-line-in-tgz"),
        pytest.param(['"just a string"', "[1, 2, 3]", "null", "42"], False, id="records-of-the-wrong-type"),
        pytest.param([b'{"img_path": "./000/x.jpg", "prompt": "caf\xe9 \xff\xfe"}'], False, id="non-utf8-bytes"),
        pytest.param(["this line is not json"], False, id="garbage-line"),
    ],
)
def test_journeydb_bad_lines_are_skipped_with_their_line(tmp_path: Path, bad: list[Any], tgz: bool) -> None:
    good = _records(6)
    raw = _jdb_release(tmp_path, [*good[:3], *bad, *good[3:]], tgz=tgz)
    result = ingest_cli("journeydb", raw, tmp_path / "data")
    assert skipped(result) == len(bad)
    assert names_line(result, 4), result.stderr  # the first bad line, numbered from 1
    assert rows_of(tmp_path / "data", "journeydb_images") == len(good)


def test_journeydb_truncated_last_line(tmp_path: Path) -> None:
    """A file cut off mid-record (an interrupted download): the partial last line is skipped."""
    good = _records(4)
    data = jfx.to_lines(good)
    raw = tmp_path / "raw_jdb"
    jfx.write_annotations(raw, "train", jfx.TRAIN_NAME, data + json.dumps(_records(1, seed=9)[0]).encode()[:40])
    result = ingest_cli("journeydb", raw, tmp_path / "data")
    assert skipped(result) == 1
    assert names_line(result, 5), result.stderr
    assert rows_of(tmp_path / "data", "journeydb_images") == 4


def test_journeydb_fields_of_the_wrong_type_or_null(tmp_path: Path) -> None:
    """Null everywhere, and strings where lists or objects belong: the record is kept, the fields emptied."""
    good = _records(3)
    nulls = {"img_path": "./000/nulls.jpg", "prompt": None, "Task1": None, "Task2": None, "Task3": None}
    strings = {
        "img_path": "./000/strings.jpg",
        "prompt": ["not", "a", "string"],
        "Task1": {"Style": "anime", "Content": None, "Atmosphere": 7, "Others": {"a": 1}},
        "Task2": "a caption where an object belongs",
        "Task3": {"Style Relevant Questions and Answers": "none", "Content Relevant Questions and Answers": [None]},
    }
    all_null = dict.fromkeys(("img_path", "prompt", "Task1", "Task2", "Task3"))
    raw = _jdb_release(tmp_path, [*good, nulls, strings, all_null])
    data = tmp_path / "data"
    result = ingest_cli("journeydb", raw, data)
    assert result.returncode == 0, result.stderr
    store = Store(Settings(data_dir=data))
    kept = dict(store.rows("SELECT img_path, styles FROM journeydb_images WHERE image_id IN ('nulls', 'strings')"))
    assert set(kept) == {"train/imgs/000/nulls.jpg", "train/imgs/000/strings.jpg"}
    assert all(styles == [] or styles == ["anime"] for styles in kept.values())
    # A record without an image path has no id: it is skipped, and counted.
    assert skipped(result) >= 1
    assert rows_of(data, "journeydb_images") == len(good) + 2


def test_journeydb_huge_line_is_skipped(tmp_path: Path) -> None:
    good = _records(3)
    huge = {"img_path": "./000/huge.jpg", "prompt": "x" * HUGE_BYTES}
    raw = _jdb_release(tmp_path, [good[0], huge, *good[1:]])
    result = ingest_cli("journeydb", raw, tmp_path / "data")
    assert skipped(result) == 1
    assert names_line(result, 2), result.stderr
    assert rows_of(tmp_path / "data", "journeydb_images") == 3


def test_journeydb_duplicate_ids_keep_the_first(tmp_path: Path) -> None:
    good = _records(4)
    again = {**good[1], "prompt": "the same image again"}
    raw = _jdb_release(tmp_path, [*good, again])
    result = ingest_cli("journeydb", raw, tmp_path / "data")
    assert skipped(result) == 1
    assert "duplicate" in result.stderr and names_line(result, 5), result.stderr
    assert rows_of(tmp_path / "data", "journeydb_images") == 4


@pytest.mark.parametrize(
    ("content", "tgz"),
    [
        pytest.param(b"", False, id="empty-file"),
        pytest.param(b"\n\n   \n", False, id="blank-lines"),
        pytest.param(b"\xff\xfe\x00\x01" * 64 + b"\n", False, id="only-non-utf8"),
        pytest.param(b'{"img_path": "./000/a.jpg", "prompt": "a cut', False, id="only-a-truncated-line"),
    ],
)
def test_journeydb_unusable_file_stops_naming_it(tmp_path: Path, content: bytes, tgz: bool) -> None:
    raw = tmp_path / "raw_jdb"
    jfx.write_annotations(raw, "train", jfx.TRAIN_NAME, content, tgz=tgz)
    result = ingest_cli("journeydb", raw, tmp_path / "data")
    assert_stops_naming(result, jfx.TRAIN_NAME)
    assert not (tmp_path / "data" / "journeydb").exists()


def test_journeydb_tgz_that_is_not_gzip(tmp_path: Path) -> None:
    folder = tmp_path / "raw_jdb" / "data" / "train"
    folder.mkdir(parents=True)
    (folder / f"{jfx.TRAIN_NAME}.tgz").write_bytes(b"PK\x03\x04 a zip, or anything, renamed to .tgz")
    result = ingest_cli("journeydb", tmp_path / "raw_jdb", tmp_path / "data")
    message = assert_stops_naming(result, f"{jfx.TRAIN_NAME}.tgz")
    assert "gzip" in message


def test_journeydb_tgz_without_the_expected_member(tmp_path: Path) -> None:
    raw = tmp_path / "raw_jdb"
    path = jfx.write_annotations(raw, "train", "something_else.jsonl", jfx.to_lines(_records(2)), tgz=True)
    path.rename(path.with_name(f"{jfx.TRAIN_NAME}.tgz"))
    result = ingest_cli("journeydb", raw, tmp_path / "data")
    assert_stops_naming(result, f"{jfx.TRAIN_NAME}.tgz")


def test_journeydb_failed_ingest_leaves_the_previous_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = _jdb_release(tmp_path / "first", _records(5))
    assert ingest_cli("journeydb", first, data).returncode == 0
    live = os.readlink(data / "journeydb")

    broken = tmp_path / "broken"
    jfx.write_annotations(broken, "train", jfx.TRAIN_NAME, b"\x1f\x8b\x08\x00 gzip bytes under a .jsonl name")
    assert_stops_naming(ingest_cli("journeydb", broken, data), jfx.TRAIN_NAME)

    assert os.readlink(data / "journeydb") == live
    assert rows_of(data, "journeydb_images") == 5
    assert rows_of(data, "journeydb_questions") > 0
    assert [p.name for p in data.glob(".journeydb-*")] == [live]


# -- Visual Genome --------------------------------------------------------------------------------------


def _vg_release(tmp_path: Path, **replace: Any) -> Path:
    """The clean 3-image release with files replaced (None: leave the file out)."""
    files = {**vfx.clean_release(), **replace}
    return vfx.write_release(tmp_path / "raw_vg", {k: v for k, v in files.items() if v is not None})


def _objects_with(extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    objects = vfx.clean_release()["objects.json"]
    return [*objects, *extra]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("objects.json", b'[{"image_id": 1, "objects": [{"object_id": 1, "names": ["ma', id="truncated"),
        pytest.param("objects.json", b"", id="empty"),
        pytest.param("region_descriptions.json", b"   \n", id="blank-optional-file"),
        pytest.param("image_data.json", b'[{"image_id": 1, "url": "caf\xe9 \xff"}', id="non-utf8-and-cut"),
        pytest.param("objects.json", b'{"image_id": 1, "objects": []}', id="object-not-array"),
        pytest.param("image_data.json", b'"a string"', id="string-not-array"),
        pytest.param("image_data.json", b"null", id="null-file"),
    ],
)
def test_visual_genome_unusable_file_stops_naming_it(tmp_path: Path, name: str, content: bytes) -> None:
    raw = _vg_release(tmp_path, **{name: content})
    result = ingest_cli("visual-genome", raw, tmp_path / "data")
    assert_stops_naming(result, name)
    assert not (tmp_path / "data" / "visual_genome").exists()


def test_visual_genome_zip_without_the_expected_member(tmp_path: Path) -> None:
    raw = _vg_release(tmp_path, **{"objects.json": None})
    with zipfile.ZipFile(raw / "objects.json.zip", "w") as zf:
        zf.writestr("objects_v1_2.json", "[]")
    result = ingest_cli("visual-genome", raw, tmp_path / "data")
    message = assert_stops_naming(result, "objects.json.zip")
    assert "member" in message


def test_visual_genome_zip_that_is_not_a_zip(tmp_path: Path) -> None:
    raw = _vg_release(tmp_path, **{"objects.json": None})
    (raw / "objects.json.zip").write_bytes(b"\x1f\x8b\x08\x00 gzip, not zip")
    assert_stops_naming(ingest_cli("visual-genome", raw, tmp_path / "data"), "objects.json.zip")


def test_visual_genome_records_of_the_wrong_type(tmp_path: Path) -> None:
    """Null and string records, a string where the objects list belongs, null fields: skipped or emptied."""
    bad = [
        None,
        "an image",
        {"image_id": 2, "objects": "not a list"},
        {"image_id": None, "objects": [{"object_id": 90, "names": ["cat"], "x": 1, "y": 1, "w": 5, "h": 5}]},
        {"image_id": 3, "objects": [None, {"object_id": None, "names": None, "x": None, "y": "a", "w": 1, "h": 1}]},
        {
            "image_id": 1,
            "objects": [{"object_id": 91, "names": "dog", "synsets": "dog.n.01", "x": 1, "y": 2, "w": 3, "h": 4}],
        },
    ]
    raw = _vg_release(tmp_path, **{"objects.json": _objects_with(bad)})
    data = tmp_path / "data"
    result = ingest_cli("visual-genome", raw, data)
    assert skipped(result) >= 4
    assert "objects.json: " in result.stderr  # where the first ones are
    assert rows_of(data, "vg_images") == 3
    assert rows_of(data, "vg_objects") >= 9


def test_visual_genome_duplicate_ids_keep_the_first(tmp_path: Path) -> None:
    release = vfx.clean_release()
    images = [*release["image_data.json"], release["image_data.json"][0]]
    objects = release["objects.json"]
    objects[1]["objects"].append(dict(objects[1]["objects"][0]))  # a repeated object_id
    raw = _vg_release(tmp_path, **{"image_data.json": images, "objects.json": objects})
    data = tmp_path / "data"
    result = ingest_cli("visual-genome", raw, data)
    assert skipped(result) == 2
    assert "duplicate image id" in result.stderr and "duplicate object_id" in result.stderr
    assert rows_of(data, "vg_images") == 3
    assert rows_of(data, "vg_objects") == 9


def test_visual_genome_relationships_to_missing_objects_keep_their_boxes(tmp_path: Path) -> None:
    """As in v1.4, relationship ends may name object ids absent from objects.json: kept, with their own box."""
    release = vfx.clean_release()
    rel = release["relationships.json"][0]["relationships"][0]
    rel["subject"]["object_id"] = 999_999
    rel["object"] = {"object_id": 888_888, "name": "ghost", "x": 1, "y": 2, "w": 3, "h": 4}
    raw = _vg_release(tmp_path, **{"relationships.json": release["relationships.json"]})
    data = tmp_path / "data"
    result = ingest_cli("visual-genome", raw, data)
    assert result.returncode == 0, result.stderr
    store = Store(Settings(data_dir=data))
    row = store.rows("SELECT subject_id, object_id, object_name, object_w FROM vg_relationships WHERE image_id = 1")
    assert row == [(999_999, 888_888, "ghost", 3)]


def test_visual_genome_items_of_images_that_do_not_exist_are_skipped(tmp_path: Path) -> None:
    qas = [
        {"id": 1, "qas": [{"qa_id": 1, "image_id": 1, "question": "What?", "answer": "A man."}]},
        {"id": 77, "qas": [{"qa_id": 2, "image_id": 77, "question": "Who?", "answer": "Nobody."}]},
        {"id": 78, "qas": [{"qa_id": 3, "image_id": 78, "question": "Why?", "answer": "No image."}]},
    ]
    release = vfx.clean_release()
    relationships = [*release["relationships.json"], {"image_id": 55, "relationships": []}]
    raw = _vg_release(tmp_path, **{"question_answers.json": qas, "relationships.json": relationships})
    data = tmp_path / "data"
    result = ingest_cli("visual-genome", raw, data)
    assert skipped(result) == 2
    assert "image not in image_data.json" in result.stderr
    assert "question_answers.json: image_id 77" in result.stderr
    assert rows_of(data, "vg_qas") == 1


def test_visual_genome_huge_string_is_skipped_or_stops_cleanly(tmp_path: Path) -> None:
    """One 50 MB region phrase: the record is skipped (counted), or the file is refused by name."""
    regions = [
        {"id": 1, "regions": [{"region_id": 1, "image_id": 1, "phrase": "a man", "x": 1, "y": 1, "width": 5,
                               "height": 5}]},
        {"id": 2, "regions": [{"region_id": 2, "image_id": 2, "phrase": "y" * HUGE_BYTES, "x": 1, "y": 1,
                               "width": 5, "height": 5}]},
    ]  # fmt: skip
    raw = _vg_release(tmp_path, **{"region_descriptions.json": regions})
    result = ingest_cli("visual-genome", raw, tmp_path / "data")
    if result.returncode == 2:
        assert_stops_naming(result, "region_descriptions.json")
    else:
        assert skipped(result) == 1
        assert rows_of(tmp_path / "data", "vg_regions") == 1


def test_visual_genome_failed_ingest_leaves_the_previous_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    raw = _vg_release(tmp_path)
    assert ingest_cli("visual-genome", raw, data).returncode == 0
    live = os.readlink(data / "visual_genome")
    objects_before = rows_of(data, "vg_objects")

    (raw / "objects.json").write_bytes(b'[{"image_id": 1, "objects": [')
    assert_stops_naming(ingest_cli("visual-genome", raw, data), "objects.json")

    assert os.readlink(data / "visual_genome") == live
    assert rows_of(data, "vg_objects") == objects_before
    assert rows_of(data, "vg_images") == 3
    assert [p.name for p in data.glob(".visual_genome-*")] == [live]
