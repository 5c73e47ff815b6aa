"""The shared ingest machinery: atomic publish, archive unpacking, the report."""

from __future__ import annotations

import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from rich.console import Console

from explorer.ingest.common import (
    IngestError,
    IngestReport,
    find_release_file,
    materialize,
    read_manifest,
    staged_export,
    write_manifest,
)


def _publish(data: Path, content: str) -> None:
    with staged_export(data, "demo") as folder:
        (folder / "table.txt").write_text(content)
        write_manifest(folder, IngestReport("demo"), image_root=data, source=data)


def test_staged_export_publishes_and_replaces(tmp_path: Path) -> None:
    _publish(tmp_path, "one")
    assert (tmp_path / "demo").is_symlink()
    assert (tmp_path / "demo" / "table.txt").read_text() == "one"
    first = os.readlink(tmp_path / "demo")
    _publish(tmp_path, "two")
    assert (tmp_path / "demo" / "table.txt").read_text() == "two"
    assert os.readlink(tmp_path / "demo") != first
    assert not (tmp_path / first).exists(), "the previous version is removed after the swap"
    assert read_manifest(tmp_path / "demo")["dataset"] == "demo"


def test_failed_ingest_keeps_previous_export(tmp_path: Path) -> None:
    _publish(tmp_path, "good")
    with pytest.raises(RuntimeError), staged_export(tmp_path, "demo") as folder:
        (folder / "table.txt").write_text("half")
        raise RuntimeError("killed halfway")
    assert (tmp_path / "demo" / "table.txt").read_text() == "good"
    assert [p.name for p in tmp_path.glob(".demo-*")] == [os.readlink(tmp_path / "demo")]


def test_stale_staging_from_killed_ingest_is_cleaned(tmp_path: Path) -> None:
    _publish(tmp_path, "good")
    stale = tmp_path / ".demo-19990101T000000-dead"
    stale.mkdir()
    (stale / "table.txt").write_text("partial")
    _publish(tmp_path, "next")
    assert not stale.exists()
    assert (tmp_path / "demo" / "table.txt").read_text() == "next"


def test_legacy_plain_folder_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "table.txt").write_text("old")
    _publish(tmp_path, "new")
    assert (tmp_path / "demo" / "table.txt").read_text() == "new"


def test_find_release_file_prefers_plain_then_archives(tmp_path: Path) -> None:
    assert find_release_file(tmp_path, "objects.json") is None
    (tmp_path / "objects.json.zip").write_bytes(b"")
    assert find_release_file(tmp_path, "objects.json") == tmp_path / "objects.json.zip"
    (tmp_path / "objects.json").write_text("[]")
    assert find_release_file(tmp_path, "objects.json") == tmp_path / "objects.json"


def test_materialize_zip_and_tgz(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    with zipfile.ZipFile(tmp_path / "objects.json.zip", "w") as zf:
        zf.writestr("objects.json", "[1, 2]")
    assert json.loads(materialize(tmp_path / "objects.json.zip", work).read_text()) == [1, 2]

    payload = b'{"a": 1}\n'
    with tarfile.open(tmp_path / "x.jsonl.tgz", "w:gz") as tf:
        info = tarfile.TarInfo("x.jsonl")
        info.size = len(payload)
        tf.addfile(info, io.BytesIO(payload))
    assert materialize(tmp_path / "x.jsonl.tgz", work).read_bytes() == payload


def test_materialize_refuses_bad_archives(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "objects.json.zip", "w") as zf:
        zf.writestr("something_else.json", "[]")
    with pytest.raises(IngestError, match=r"objects\.json\.zip .*without the expected member objects\.json"):
        materialize(tmp_path / "objects.json.zip", tmp_path)
    (tmp_path / "x.jsonl.tgz").write_bytes(b"plain text, not gzip")
    with pytest.raises(IngestError, match=r"x\.jsonl\.tgz is not a readable gzip"):
        materialize(tmp_path / "x.jsonl.tgz", tmp_path)
    (tmp_path / "y.json.zip").write_bytes(b"not a zip")
    with pytest.raises(IngestError, match=r"y\.json\.zip is not a readable zip"):
        materialize(tmp_path / "y.json.zip", tmp_path)


def test_report_counts_and_renders() -> None:
    report = IngestReport("demo", rows={"images": 1234})
    for line in range(1, 10):
        report.skip("malformed JSON", where=f"a.jsonl line {line}")
    report.skip("duplicate image id", count=3)
    assert report.total_skipped == 12
    assert len(report.examples) == 5
    console = Console(file=io.StringIO(), width=120)
    report.render(console)
    text = console.file.getvalue()
    assert "1,234 rows" in text
    assert "skipped 12 records" in text
    assert "a.jsonl line 1: malformed JSON" in text


def test_report_names_the_slowest_steps() -> None:
    report = IngestReport("demo", steps={"a": 1.0, "b": 2.5, "c": 0.2, "d": 0.1, "e": 0.05, "f": 0.01})
    out = io.StringIO()
    report.render(Console(file=out, width=200))
    assert "slowest steps: b 2.5 s, a 1.0 s, c 0.2 s, d 0.1 s, e 0.1 s" in out.getvalue()
    assert report.to_dict()["steps"] == {"a": 1.0, "b": 2.5, "c": 0.2, "d": 0.1, "e": 0.05, "f": 0.01}
