"""Tiny JourneyDB release trees generated in code (seeded), with every quirk the real files have."""

from __future__ import annotations

import io
import json
import random
import tarfile
import uuid
from pathlib import Path
from typing import Any

from PIL import Image

TRAIN_NAME = "train_anno_realease_repath.jsonl"
VALID_NAME = "valid_anno_repath.jsonl"
TEST_NAME = "test_questions.jsonl"
LEGACY_TRAIN_NAME = "train_anno.jsonl"

WORDS = [
    "elegant",
    "gold",
    "white",
    "tikka",
    "jewelry",
    "portrait",
    "cinematic",
    "lighting",
    "castle",
    "forest",
    "neon",
    "city",
    "dragon",
    "watercolor",
    "misty",
    "morning",
    "ancient",
    "temple",
    "cyberpunk",
    "girl",
    "robot",
    "ocean",
    "sunset",
    "glowing",
    "flowers",
]
STYLES = ["Elegant", " gold ", "watercolor", "CINEMATIC", "neon"]
CONTENTS = ["tikka", "castle", "dragon", "Robot", "girl"]
ATMOSPHERES = ["misty", "calm", "Dark"]
PARAMS = ["--ar 3:2 --v 5", "--v 5.2", "--niji 5 --s 250", "--ar 16:9--v 5", "—ar 2:3 --q 2", "", ""]


def image_uuid(rng: random.Random) -> str:
    """A uuid drawn from `rng` (reproducible)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def make_questions(rng: random.Random, *, answers: bool) -> dict[str, Any]:
    """A Task3 block with 1-3 style and 1-3 content questions."""

    def one(kind: str, i: int) -> dict[str, Any]:
        q: dict[str, Any] = {
            "Question": f"Which {kind} fits best ({i})?",
            "Options": {letter: f"{kind} option {letter}{i}" for letter in "ABCD"},
        }
        if answers:
            q["Answer"] = rng.choice("ABCD")
        return q

    return {
        "Style Relevant Questions and Answers": [one("style", i) for i in range(rng.randint(1, 3))],
        "Content Relevant Questions and Answers": [one("content", i) for i in range(rng.randint(1, 3))],
    }


def make_record(rng: random.Random, split: str, image_id: str | None = None) -> dict[str, Any]:
    """One well-formed record of `split` (test records carry only img_path and unanswered Task3)."""
    image_id = image_id or image_uuid(rng)
    path = f"./{rng.randint(0, 999):03d}/{image_id}.jpg"
    if split == "test":
        return {"img_path": path, "Task3": make_questions(rng, answers=False)}
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 30)))
    params = rng.choice(PARAMS)
    return {
        "img_path": path,
        "prompt": f"{words}, {params}" if params else words,
        "Task1": {
            "Style": rng.sample(STYLES, rng.randint(0, 3)),
            "Content": rng.sample(CONTENTS, rng.randint(1, 3)),
            "Atmosphere": rng.sample(ATMOSPHERES, rng.randint(0, 2)),
            "Others": [],
        },
        "Task2": {"Caption": f"A picture of {words}."},
        "Task3": make_questions(rng, answers=True),
    }


def to_lines(items: list[Any]) -> bytes:
    """JSONL bytes: dicts/lists are dumped, bytes and str are written as given (for malformed lines)."""
    out = bytearray()
    for item in items:
        if isinstance(item, bytes):
            out += item
        elif isinstance(item, str):
            out += item.encode("utf-8")
        else:
            out += json.dumps(item).encode("utf-8")
        out += b"\n"
    return bytes(out)


def write_annotations(raw: Path, split: str, name: str, data: bytes, *, tgz: bool = False) -> Path:
    """Write `data/<split>/<name>` (or `<name>.tgz`, a gzip tar holding `<name>`) under `raw`."""
    folder = raw / "data" / split
    folder.mkdir(parents=True, exist_ok=True)
    if not tgz:
        path = folder / name
        path.write_bytes(data)
        return path
    path = folder / f"{name}.tgz"
    with tarfile.open(path, "w:gz") as tf:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return path


def write_image(raw: Path, split: str, img_path: str, size: tuple[int, int]) -> Path:
    """Draw a tiny JPEG at `data/<split>/imgs/<img_path>`."""
    path = raw / "data" / split / "imgs" / img_path.removeprefix("./")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (200, 120, 40)).save(path, "JPEG")
    return path
