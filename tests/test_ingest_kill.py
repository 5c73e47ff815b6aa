"""An ingest killed halfway (SIGKILL) leaves the previous export intact and readable; a re-run completes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from explorer.config import Settings
from explorer.store import Store


def _write_release(raw: Path, n: int, word: str) -> None:
    folder = raw / "data" / "train"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "train_anno_realease_repath.jsonl", "w") as out:
        for i in range(n):
            image_id = uuid.UUID(int=i + 1)
            record = {
                "img_path": f"./{i % 1000:03d}/{image_id}.jpg",
                "prompt": f"a {word} number {i} in the rain, --ar 3:2 --v 5",
                "Task1": {"Style": [word], "Content": ["thing"], "Atmosphere": [], "Others": []},
                "Task2": {"Caption": f"A {word}."},
                "Task3": {"Style Relevant Questions and Answers": [], "Content Relevant Questions and Answers": []},
            }
            out.write(json.dumps(record) + "\n")


def _ingest_cmd(raw: Path, data: Path) -> list[str]:
    return [sys.executable, "-m", "explorer.cli", "ingest", "journeydb", str(raw), "--out", str(data), "--quiet"]


def _count(data: Path, word: str) -> int:
    store = Store(Settings(data_dir=data))
    return int(store.scalar("SELECT count(*) FROM journeydb_images WHERE list_contains(styles, ?)", [word]))


def test_sigkill_midway_keeps_previous_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    small, big = tmp_path / "small", tmp_path / "big"
    _write_release(small, 50, "old")
    _write_release(big, 300_000, "new")
    subprocess.run(_ingest_cmd(small, data), check=True, capture_output=True, timeout=120)
    assert _count(data, "old") == 50

    proc = subprocess.Popen(_ingest_cmd(big, data), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    live = os.readlink(data / "journeydb")
    while not [p for p in data.glob(".journeydb-*") if p.name != live]:
        assert proc.poll() is None, "the ingest finished before it could be killed; make the input bigger"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)  # let it write part of the staging folder
    if proc.poll() is not None:
        pytest.skip("the ingest finished before the kill; machine too fast for this input size")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)

    assert os.readlink(data / "journeydb") == live, "the published export did not move"
    assert _count(data, "old") == 50, "the previous export is intact and readable"

    subprocess.run(_ingest_cmd(big, data), check=True, capture_output=True, timeout=300)
    assert _count(data, "new") == 300_000
    leftovers = [p.name for p in data.glob(".journeydb-*")]
    assert leftovers == [os.readlink(data / "journeydb")], "the killed run's staging folder was cleaned up"
