"""Tiny Visual Genome releases written in code, in the release's own JSON layouts and quirks."""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path
from typing import Any

URL = "https://cs.stanford.edu/people/rak248/{folder}/{image_id}.jpg"


def write_release(raw: Path, files: dict[str, Any], *, zipped: bool = False) -> Path:
    """Write each file as `<name>` or as the released `<name>.zip`; bytes are written as they are."""
    raw.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else json.dumps(content).encode()
        if zipped:
            with zipfile.ZipFile(raw / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(name, data)
        else:
            (raw / name).write_bytes(data)
    return raw


def box(rng: random.Random) -> dict[str, int]:
    return {"x": rng.randint(0, 500), "y": rng.randint(0, 400), "w": rng.randint(1, 300), "h": rng.randint(1, 200)}


def image(image_id: int, folder: str, *, key: str = "image_id", **extra: Any) -> dict[str, Any]:
    return {
        "width": 800,
        "url": URL.format(folder=folder, image_id=image_id),
        "height": 600,
        key: image_id,
        "coco_id": None,
        "flickr_id": None,
        **extra,
    }


def quirky_release(seed: int = 7) -> dict[str, Any]:
    """A v1.4-style release that carries every quirk the ingest must handle (see the test for each)."""
    rng = random.Random(seed)
    man = {"object_id": 10, "names": [" Man ", "man", "Person"], "synsets": ["man.n.01"], "merged_object_ids": []}
    man |= {"x": -1, "y": 0, "w": 801, "h": 600}  # overruns the 800x600 image: kept as given
    tree = {"object_id": 11, "names": ["TREE  "], "synsets": [" tree.n.01 "], "merged_object_ids": [5], **box(rng)}
    dog = {"object_id": 12, "name": "Dog", **box(rng)}  # v1.0 style single name
    car = {"object_id": 20, "names": ["car"], "synsets": ["car.n.01"], "merged_object_ids": [], **box(rng)}
    return {
        "image_data.json": [
            image(1, "VG_100K"),
            image(2, "VG_100K_2", coco_id=123, flickr_id=456),
            image(3, "VG_100K"),
            image(2, "VG_100K"),  # duplicate id: the first one is kept
            "not a record",
            image(4, "VG_100K_2", key="id"),  # v1.0 key
        ],
        "objects.json": [
            {
                "image_id": 1,
                "image_url": URL.format(folder="VG_100K_2", image_id=1),  # wrong in v1.4: ignored
                "objects": [
                    man,
                    tree,
                    dog,
                    {"object_id": 13, "names": "cat", **box(rng)},  # string where a list belongs
                    None,
                    {"object_id": 10, "names": ["again"], **box(rng)},  # duplicate object id
                ],
            },
            {"image_id": 2, "image_url": URL.format(folder="VG_100K_2", image_id=2), "objects": [car]},
            {"image_id": 99, "objects": [{"object_id": 990, "names": ["ghost"], **box(rng)}]},  # unknown image
            {"image_id": 3, "objects": "oops"},
            {"id": 4, "objects": []},
        ],
        "attributes.json": [
            {
                "image_id": 1,
                "attributes": [
                    {"object_id": 10, "names": ["man"], "attributes": [" Tall", "tall ", "Happy", ""], **box(rng)},
                    {"object_id": 11, "names": ["tree"], **box(rng)},  # no attributes key
                    {"object_id": 12, "names": ["dog"], "attributes": "brown", **box(rng)},  # not a list
                    {"object_id": 777, "names": ["lost"], "attributes": ["gone"], **box(rng)},  # not in objects
                ],
            },
            {"image_id": 2, "attributes": [{"object_id": 20, "names": ["car"], "attributes": ["RED"], **box(rng)}]},
        ],
        "relationships.json": [
            {
                "image_id": 1,
                "relationships": [
                    {
                        "relationship_id": 100,
                        "predicate": " ON ",
                        "synsets": ["along.r.01"],
                        "subject": {"object_id": 10, "name": "Man", "synsets": [], **{k: man[k] for k in "xywh"}},
                        "object": {"object_id": 11, "names": ["Tree"], "merged_object_ids": [5], "x": 1, "y": 2,
                                   "w": 3, "h": 4},
                    },
                    {
                        "relationship_id": 101,
                        "predicate": "on",
                        "synsets": [],
                        "subject": {"object_id": 5555, "name": " hat", "x": 5, "y": 6, "w": 7, "h": 8},
                        "object": {"object_id": 10, "names": ["man"], "x": 9, "y": 10, "w": 11, "h": 12},
                    },
                    {"relationship_id": 102, "predicate": None, "subject": {"object_id": 10, **box(rng)},
                     "object": {"object_id": 11, **box(rng)}},
                    {"relationship_id": 100, "predicate": "near", "subject": {"object_id": 10, **box(rng)},
                     "object": {"object_id": 11, **box(rng)}},  # duplicate relationship id
                ],
            },
            {
                "id": 2,  # v1.0 keys throughout
                "relationships": [
                    {"id": 200, "predicate": "Has", "subject": {"id": 20, "name": "car", **box(rng)},
                     "object": {"id": 21, "name": "wheel", **box(rng)}},
                ],
            },
        ],
        "region_descriptions.json": [
            {"id": 1, "regions": [
                {"region_id": 1000, "image_id": 1, "phrase": "  a man near a tree \n", "x": 1, "y": 2,
                 "width": 30, "height": 40},
                {"region_id": 1001, "image_id": 1, "phrase": None, "x": 1, "y": 2, "width": 3, "height": 4},
            ]},
            {"id": 2, "regions": [{"id": 2000, "image": 2, "phrase": "v1.0 style", "x": 0, "y": 0, "width": 5,
                                   "height": 6}]},
        ],
        "question_answers.json": [
            {"id": 1, "qas": [
                {"qa_id": 5000, "image_id": 1, "question": " What is the man doing?", "answer": " Standing. ",
                 "q_objects": [], "a_objects": []},
                {"qa_id": 5001, "image_id": 1, "question": "How many trees?", "answer": "One."},
            ]},
            {"id": 99, "qas": [{"qa_id": 9900, "image_id": 99, "question": "Why?", "answer": "No."}]},
        ],
    }  # fmt: skip


def clean_release(n_images: int = 3, seed: int = 1) -> dict[str, Any]:
    """A small well-formed v1.4 release (every value of the expected type)."""
    rng = random.Random(seed)
    images, objects, relationships = [], [], []
    object_id = 1
    for image_id in range(1, n_images + 1):
        images.append(image(image_id, rng.choice(["VG_100K", "VG_100K_2"])))
        objs = []
        for _ in range(3):
            objs.append(
                {
                    "object_id": object_id,
                    "names": [rng.choice(["man", "tree", "sign"])],
                    "synsets": [],
                    "merged_object_ids": [],
                    **box(rng),
                }
            )
            object_id += 1
        objects.append({"image_id": image_id, "objects": objs})
        subject, obj = objs[0], objs[1]
        relationships.append(
            {
                "image_id": image_id,
                "relationships": [
                    {
                        "relationship_id": image_id,
                        "predicate": "near",
                        "synsets": [],
                        "subject": {"object_id": subject["object_id"], "names": subject["names"], **box(rng)},
                        "object": {"object_id": obj["object_id"], "name": obj["names"][0], **box(rng)},
                    }
                ],
            }
        )
    return {"image_data.json": images, "objects.json": objects, "relationships.json": relationships}  # fmt: skip
