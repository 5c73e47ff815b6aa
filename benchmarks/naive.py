"""The baseline a user would otherwise write: `json.loads`/`json.load` into Python, pandas DataFrames in
memory, filters in pandas. Run as `python -m benchmarks.naive DATASET RAW PARAMS_JSON`: loads one
release, times each query op (same parameters as the explorer run, read from PARAMS_JSON) and prints one
JSON object with the load time and per-op timings. The runner measures this process's peak RSS.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.generate import JDB_FILES

PAGE = 48
# The Visual Genome stats page's charts, each timed on its own and all in sequence ("page"), as the explorer's
# `vg.stats.*` ops: same selections (none, one object, one attribute), same bins and caps (explorer.queries.stats).
VG_STATS_OPS = (
    "page", "object", "attribute", "predicate", "triple", "qtype", "image_size", "objects_per_image",
    "relationships_per_image", "regions_per_image", "box_area", "box_aspect", "box_centres", "object_attributes",
)  # fmt: skip
TOP = 15
MATRIX_TOP = 10
PER_IMAGE_CAP = 60
CENTRE_BINS = 20


def load_journeydb(raw: Path) -> dict[str, pd.DataFrame]:
    """Every annotation line parsed with json.loads into images / tags / questions DataFrames."""
    images: list[dict[str, Any]] = []
    tags: list[tuple[str, str, str]] = []
    questions: list[tuple[str, str, int, str, str | None]] = []
    for split, name in JDB_FILES.items():
        path = raw / "data" / split / name
        if not path.exists():
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                image_id = Path(rec["img_path"]).stem
                task1 = rec.get("Task1") or {}
                row = {
                    "image_id": image_id,
                    "split": split,
                    "prompt": rec.get("prompt"),
                    "prompt_text": (rec.get("prompt") or "").split(" --")[0].rstrip(", "),
                    "caption": (rec.get("Task2") or {}).get("Caption"),
                }
                for key, kind in (("Style", "style"), ("Content", "content"), ("Atmosphere", "atmosphere")):
                    values = [t.strip().lower() for t in task1.get(key, [])]
                    row[kind] = values
                    tags.extend((image_id, kind, t) for t in values)
                images.append(row)
                for kind, key in (("style", "Style Relevant Questions and Answers"),
                                  ("content", "Content Relevant Questions and Answers")):  # fmt: skip
                    for n, qa in enumerate((rec.get("Task3") or {}).get(key, [])):
                        questions.append((image_id, kind, n, qa["Question"], qa.get("Answer")))
    return {
        "images": pd.DataFrame(images).sort_values("image_id", ignore_index=True),
        "tags": pd.DataFrame(tags, columns=["image_id", "kind", "tag"]),
        "questions": pd.DataFrame(questions, columns=["image_id", "kind", "qa_index", "question", "answer"]),
    }


def load_visual_genome(raw: Path) -> dict[str, pd.DataFrame]:
    """Each release file read with json.load, flattened into DataFrames."""
    with open(raw / "image_data.json", encoding="utf-8") as f:
        images = pd.DataFrame(json.load(f))
    with open(raw / "objects.json", encoding="utf-8") as f:
        data = json.load(f)
    objects = pd.DataFrame(
        [
            (r["image_id"], o["object_id"], o["names"][0].strip().lower(), o["x"], o["y"], o["w"], o["h"])
            for r in data
            for o in r["objects"]
        ],
        columns=["image_id", "object_id", "name", "x", "y", "w", "h"],
    )
    del data
    with open(raw / "attributes.json", encoding="utf-8") as f:
        data = json.load(f)
    attributes = pd.DataFrame(
        [
            (r["image_id"], o["object_id"], o["names"][0].strip().lower(), a.strip().lower())
            for r in data
            for o in r["attributes"]
            for a in (o.get("attributes") or [])
        ],
        columns=["image_id", "object_id", "name", "attribute"],
    )
    del data
    with open(raw / "relationships.json", encoding="utf-8") as f:
        data = json.load(f)
    relationships = pd.DataFrame(
        [
            (
                r["image_id"],
                x["relationship_id"],
                x["predicate"].strip().lower(),
                (x["subject"].get("name") or x["subject"]["names"][0]).strip().lower(),
                (x["object"].get("name") or x["object"]["names"][0]).strip().lower(),
            )
            for r in data
            for x in r["relationships"]
        ],
        columns=["image_id", "relationship_id", "predicate", "subject_name", "object_name"],
    )
    del data
    with open(raw / "region_descriptions.json", encoding="utf-8") as f:
        data = json.load(f)
    regions = pd.DataFrame(
        [
            (r["id"], g["region_id"], g["phrase"], g["x"], g["y"], g["width"], g["height"])
            for r in data
            for g in r["regions"]
        ],
        columns=["image_id", "region_id", "phrase", "x", "y", "w", "h"],
    )
    del data
    with open(raw / "question_answers.json", encoding="utf-8") as f:
        data = json.load(f)
    qas = pd.DataFrame(
        [(r["id"], q["qa_id"], q["question"], q["answer"]) for r in data for q in r["qas"]],
        columns=["image_id", "qa_id", "question", "answer"],
    )
    del data
    return {
        "images": images,
        "objects": objects,
        "attributes": attributes,
        "relationships": relationships,
        "regions": regions,
        "qas": qas,
    }


def _page(images: pd.DataFrame, mask: pd.Series | None = None, ids: Any = None) -> tuple[int, list[Any]]:
    frame = images if mask is None else images[mask]
    if ids is not None:
        frame = frame[frame["image_id"].isin(ids)]
    return len(frame), frame["image_id"].iloc[:PAGE].tolist()


def jdb_ops(d: dict[str, pd.DataFrame]) -> dict[str, Callable[[dict[str, Any]], Any]]:
    images, tags, questions = d["images"], d["tags"], d["questions"]

    def tag_page(p: dict[str, Any]) -> Any:
        ids = None
        for tag in p["styles"]:
            hit = tags.loc[(tags["kind"] == "style") & (tags["tag"] == tag), "image_id"]
            ids = set(hit) if ids is None else ids & set(hit)
        return _page(images, ids=ids or set())

    def tag_facets(p: dict[str, Any]) -> Any:
        return tags[tags["kind"] == p["kind"]]["tag"].value_counts().head(10_000)

    def text_search(p: dict[str, Any]) -> Any:
        mask = pd.Series(True, index=images.index)
        for word in p["words"]:
            mask &= images["prompt_text"].str.contains(word, case=False, regex=False, na=False) | images[
                "caption"
            ].str.contains(word, case=False, regex=False, na=False)
        return _page(images, mask)

    def sample(p: dict[str, Any]) -> Any:
        return images[images["image_id"] == p["image_id"]], questions[questions["image_id"] == p["image_id"]]

    def stats(p: dict[str, Any]) -> Any:
        return (
            images["split"].value_counts(),
            tags.groupby(["kind", "tag"]).size().nlargest(20),
            images["prompt_text"].str.split().str.len().value_counts(),
            questions["answer"].value_counts(),
        )

    return {
        "jdb.tag_page": tag_page,
        "jdb.tag_facets": tag_facets,
        "jdb.text_search": text_search,
        "jdb.sample": sample,
        "jdb.stats_page": stats,
    }


def vg_ops(d: dict[str, pd.DataFrame]) -> dict[str, Callable[[dict[str, Any]], Any]]:
    images, objects, attributes, rels = d["images"], d["objects"], d["attributes"], d["relationships"]
    regions, qas = d["regions"], d["qas"]

    def objects_and(p: dict[str, Any]) -> Any:
        hit = objects[objects["name"].isin(p["objects"])].groupby("image_id")["name"].nunique()
        return _page(images, ids=hit[hit == len(p["objects"])].index)

    def attribute(p: dict[str, Any]) -> Any:
        return _page(images, ids=attributes.loc[attributes["attribute"] == p["attribute"], "image_id"].unique())

    def triple(p: dict[str, Any]) -> Any:
        mask = pd.Series(True, index=rels.index)
        for column in ("subject_name", "predicate", "object_name"):
            if p.get(column):
                mask &= rels[column] == p[column]
        return _page(images, ids=rels.loc[mask, "image_id"].unique())

    def annotations(p: dict[str, Any]) -> Any:
        i = p["image_id"]
        return [t[t["image_id"] == i] for t in (images, objects, attributes, rels, regions, qas)]

    return {
        "vg.objects_and": objects_and,
        "vg.attribute": attribute,
        "vg.triple": triple,
        "vg.image_annotations": annotations,
        **{f"vg.stats.{name}": fn for name, fn in vg_stats_ops(d).items()},
    }


def vg_stats_ops(d: dict[str, pd.DataFrame]) -> dict[str, Callable[[dict[str, Any]], Any]]:
    """Each chart of the stats page over a selection ({} = all images, {"objects": [...]}, {"attribute": a})."""
    images, objects, attributes, rels = d["images"], d["objects"], d["attributes"], d["relationships"]
    regions, qas = d["regions"], d["qas"]
    qtypes = (
        qas["question"].str.strip().str.split(" ", n=1).str[0].str.lower()
        .str.replace(r"^[^a-z0-9]+|[^a-z0-9]+$", "", regex=True)
    )  # fmt: skip
    qas = qas.assign(qtype=qtypes.where(qtypes != "", "(none)"))

    def selected(p: dict[str, Any]) -> Any:
        if p.get("objects"):
            hit = objects[objects["name"].isin(p["objects"])].groupby("image_id")["name"].nunique()
            return hit[hit == len(set(p["objects"]))].index
        if p.get("attribute"):
            return attributes.loc[attributes["attribute"] == p["attribute"], "image_id"].unique()
        return None

    def sel(frame: pd.DataFrame, ids: Any) -> pd.DataFrame:
        return frame if ids is None else frame[frame["image_id"].isin(ids)]

    def images_per(frame: pd.DataFrame, keys: list[str], p: dict[str, Any], top: int = TOP) -> pd.Series:
        return sel(frame, selected(p)).groupby(keys)["image_id"].nunique().nlargest(top)

    def per_image(frame: pd.DataFrame, p: dict[str, Any]) -> pd.Series:
        ids = selected(p)
        counts = sel(frame, ids).groupby("image_id").size()
        return counts.reindex(sel(images, ids)["image_id"], fill_value=0).clip(upper=PER_IMAGE_CAP).value_counts()

    def sized(p: dict[str, Any]) -> pd.DataFrame:  # the selection's objects with their image's size
        return sel(objects, selected(p)).merge(images[["image_id", "width", "height"]], on="image_id")

    def boxes(p: dict[str, Any]) -> pd.DataFrame:
        o = sized(p)
        return o[(o["w"] > 0) & (o["h"] > 0)]

    def box_area(p: dict[str, Any]) -> pd.Series:
        o = boxes(p)
        o = o[(o["width"] > 0) & (o["height"] > 0)]
        area = np.log10((o["w"] * o["h"]) / (o["width"] * o["height"]))
        return np.clip(np.floor(area * 4), -16, 0).value_counts()

    def box_aspect(p: dict[str, Any]) -> pd.Series:
        o = boxes(p)
        return np.clip(np.floor(np.log2(o["w"] / o["h"]) * 2), -8, 7).value_counts()

    def box_centres(p: dict[str, Any]) -> pd.Series:
        o = sized(p)
        o = o[(o["width"] > 0) & (o["height"] > 0)]
        cx = np.clip(np.floor((o["x"] + o["w"] / 2) / o["width"] * CENTRE_BINS), 0, CENTRE_BINS - 1)
        cy = np.clip(np.floor((o["y"] + o["h"] / 2) / o["height"] * CENTRE_BINS), 0, CENTRE_BINS - 1)
        return pd.DataFrame({"cx": cx, "cy": cy}).value_counts()

    def object_attributes(p: dict[str, Any]) -> pd.Series:
        names = images_per(objects, ["name"], p, MATRIX_TOP).index
        attrs = images_per(attributes, ["attribute"], p, MATRIX_TOP).index
        a = sel(attributes, selected(p))
        a = a[a["name"].isin(names) & a["attribute"].isin(attrs)].drop_duplicates(["object_id", "attribute"])
        return a.groupby(["name", "attribute"]).size()  # objects, each attribute once per object

    ops: dict[str, Callable[[dict[str, Any]], Any]] = {
        "object": lambda p: images_per(objects, ["name"], p),
        "attribute": lambda p: images_per(attributes, ["attribute"], p),
        "predicate": lambda p: images_per(rels, ["predicate"], p),
        "triple": lambda p: images_per(rels, ["subject_name", "predicate", "object_name"], p),
        "qtype": lambda p: sel(qas, selected(p))["qtype"].value_counts().head(TOP),
        "image_size": lambda p: sel(images, selected(p)).groupby(["width", "height"]).size().nlargest(TOP),
        "objects_per_image": lambda p: per_image(objects, p),
        "relationships_per_image": lambda p: per_image(rels, p),
        "regions_per_image": lambda p: per_image(regions, p),
        "box_area": box_area,
        "box_aspect": box_aspect,
        "box_centres": box_centres,
        "object_attributes": object_attributes,
    }
    charts = dict(ops)
    ops["page"] = lambda p: [fn(p) for fn in charts.values()]
    assert set(ops) == set(VG_STATS_OPS)
    return ops


def time_ops(
    ops: dict[str, Callable[[dict[str, Any]], Any]], params: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """p50/p95 (ms) of each op over its parameter variants (one run each)."""
    out: dict[str, Any] = {}
    for name, fn in ops.items():
        times = []
        for p in params.get(name, [{}]):
            started = time.perf_counter()
            fn(p)
            times.append((time.perf_counter() - started) * 1000)
        out[name] = {"p50": statistics.median(times), "p95": _p95(times), "n": len(times)}
    return out


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    """`python -m benchmarks.naive journeydb|visual_genome RAW PARAMS_JSON`: load, time the ops, print JSON."""
    dataset, raw, params_path = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    params = json.loads(params_path.read_text(encoding="utf-8"))
    started = time.perf_counter()
    if dataset == "journeydb":
        jdb = load_journeydb(raw)
        load_s = time.perf_counter() - started
        ops = time_ops(jdb_ops(jdb), params)
    else:
        vg = load_visual_genome(raw)
        load_s = time.perf_counter() - started
        ops = time_ops(vg_ops(vg), params)
    print(json.dumps({"load_s": load_s, "ops": ops}))


if __name__ == "__main__":
    main()
