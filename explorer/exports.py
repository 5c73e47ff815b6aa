"""Write the rows of the current filter to a file with DuckDB's COPY (Parquet, CSV, JSON lines, COCO).

Rows never pass through Python: `COPY (SELECT ... WHERE <filter> LIMIT ?) TO ? (FORMAT ...)` streams them
from the Parquet export to a file in `DATA/downloads/`, inside the locked connection's allowed folder.
The target path is bound as a parameter and built here from a random token and the filter's slug only.
A COCO file is three such COPYs (images, annotations, categories) joined into one JSON object by byte copy.
JourneyDB exports match what the gallery shows (words through the text index, `jq.selection_where`).
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explorer.filters import JourneyFilter, VGFilter
from explorer.queries import journeydb as jq
from explorer.queries.visual_genome import filter_where
from explorer.store import QueryError, Store

DEFAULT_LIMIT = 100_000
KEEP_SECONDS = 3600
KEEP_FILES = 20
EXPORT_TIMEOUT_S = 300.0
COPY_BUFFER_BYTES = 1 << 20
TOKEN_BYTES = 8  # of the random hex prefix of every file's name (`explorer.serving` serves only such names)

FORMATS: dict[str, tuple[str, str, str]] = {
    # format -> (file extension, COPY options, MIME type)
    "parquet": ("parquet", "FORMAT parquet, COMPRESSION zstd", "application/vnd.apache.parquet"),
    "csv": ("csv", "FORMAT csv, HEADER true", "text/csv"),
    "jsonl": ("jsonl", "FORMAT json", "application/x-ndjson"),
    "coco": ("json", "FORMAT json", "application/json"),
}
FORMAT_LABELS = {"parquet": "Parquet", "csv": "CSV", "jsonl": "JSON lines", "coco": "COCO detection JSON"}

TABLES: dict[str, dict[str, str]] = {
    "journeydb": {"images": "Images", "images_questions": "Images with their questions"},
    "visual_genome": {"images": "Images", "objects": "Objects of the images"},
}
"""Per dataset: what a tabular export holds -> label."""

# {where} is a fixed fragment from explorer.queries.filters over alias `i`; values travel in params.
# {order}: JourneyDB rows come in the gallery's order, row_id (image_id in exports without it; `_jdb_order`).
# The rows are chosen by their key first (a narrow scan), then read by it: a top-N over the wide rows decoded
# every prompt and caption of the 4.4M (full scale: 11 s and ~1.3 GB for 100,000 rows). The file is in {order}
# order, so the second scan's key range skips the row groups past the last one chosen.
_JDB_CHOSEN = """chosen AS MATERIALIZED (SELECT i.{order} AS k FROM journeydb_images i WHERE {where} ORDER BY k LIMIT ?),
sel AS (SELECT i.* FROM journeydb_images i WHERE i.{order} IN (SELECT k FROM chosen)
        AND i.{order} BETWEEN (SELECT min(k) FROM chosen) AND (SELECT max(k) FROM chosen))"""
JDB_IMAGES_SQL = f"WITH {_JDB_CHOSEN} SELECT * FROM sel ORDER BY {{order}}"
JDB_IMAGES_COUNT_SQL = "SELECT count(*) FROM journeydb_images i WHERE {where}"
JDB_IMAGES_QUESTIONS_SQL = f"""
WITH {_JDB_CHOSEN},
qs AS (
    SELECT image_id,
           list({{{{'kind': kind, 'qa_index': qa_index, 'question': question, 'options': options, 'answer': answer}}}}
                ORDER BY kind, qa_index) AS questions
    FROM journeydb_questions WHERE {{qkey}} IN (SELECT {{qkey}} FROM sel)
        AND {{qkey}} BETWEEN (SELECT min({{qkey}}) FROM sel) AND (SELECT max({{qkey}}) FROM sel)
    GROUP BY image_id
)
SELECT sel.*, coalesce(qs.questions, []) AS questions
FROM sel LEFT JOIN qs ON qs.image_id = sel.image_id ORDER BY sel.{{order}}
"""
VG_IMAGES_SQL = "SELECT i.* FROM vg_images i WHERE {where} ORDER BY i.image_id LIMIT ?"
VG_IMAGES_COUNT_SQL = "SELECT count(*) FROM vg_images i WHERE {where}"
VG_OBJECTS_SQL = (
    "SELECT o.* FROM vg_objects o WHERE o.image_id IN (SELECT i.image_id FROM vg_images i WHERE {where})"
    " ORDER BY o.image_id, o.object_id LIMIT ?"
)
VG_OBJECTS_COUNT_SQL = (
    "SELECT count(*) FROM vg_objects o WHERE o.image_id IN (SELECT i.image_id FROM vg_images i WHERE {where})"
)
# A COCO detection file is one JSON object of three arrays. Each array is written by its own COPY (FORMAT json,
# ARRAY true), which streams, and the three files are joined into one (`_write_coco`). Built as one row of
# three lists instead, a full-scale export (100,000 images, ~3.5M annotations) held 5.7 GB in memory.
# Categories are numbered 1.. in name order among the exported objects; the annotation id is object_id.
_COCO_IMAGES = (
    "SELECT i.image_id, i.img_path, i.width, i.height FROM vg_images i WHERE {where} ORDER BY i.image_id LIMIT ?"
)
_COCO_CATEGORIES = """cats AS (
    SELECT row_number() OVER (ORDER BY name) AS id, name FROM (
        SELECT DISTINCT coalesce(o.name, '') AS name FROM vg_objects o WHERE o.image_id IN (SELECT image_id FROM imgs)))"""
VG_COCO_PARTS = {
    "images": f"SELECT image_id AS id, img_path AS file_name, width, height FROM ({_COCO_IMAGES}) ORDER BY id",
    "annotations": f"""
WITH imgs AS ({_COCO_IMAGES}), {_COCO_CATEGORIES}
SELECT o.object_id AS id, o.image_id, c.id AS category_id, [o.x, o.y, o.w, o.h] AS bbox, o.w * o.h AS area,
    0 AS iscrowd, o.attributes
FROM vg_objects o JOIN cats c ON c.name = coalesce(o.name, '')
WHERE o.image_id IN (SELECT image_id FROM imgs)
ORDER BY o.image_id, o.object_id""",
    "categories": f"WITH imgs AS ({_COCO_IMAGES}), {_COCO_CATEGORIES} SELECT id, name FROM cats ORDER BY id",
}
COCO_COPY_OPTIONS = "FORMAT json, ARRAY true"
COPY_SQL = "COPY (\n{select}\n) TO ? ({options})"

_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.+-]*$")


@dataclass(frozen=True)
class ExportFile:
    """A written export: where it is, the name to offer it under, its MIME type and what it holds."""

    path: Path
    file_name: str
    mime: str
    rows: int
    unit: str
    size: int


def formats(dataset: str) -> list[str]:
    """The formats offered for `dataset` (COCO only for Visual Genome)."""
    return ["parquet", "csv", "jsonl", "coco"] if dataset == "visual_genome" else ["parquet", "csv", "jsonl"]


def tables(store: Store, dataset: str) -> dict[str, str]:
    """What a tabular export of `dataset` can hold (only choices whose views exist)."""
    needs = {"images_questions": "journeydb_questions", "objects": "vg_objects"}
    return {k: v for k, v in TABLES.get(dataset, {}).items() if k not in needs or store.has(needs[k])}


def _where(store: Store, dataset: str, f: JourneyFilter | VGFilter) -> tuple[str, list[Any]]:
    if dataset == "journeydb" and isinstance(f, JourneyFilter):
        return jq.selection_where(store, f)  # as the gallery matches: words through the text index, tag postings
    if dataset == "visual_genome" and isinstance(f, VGFilter):
        return filter_where(store, f)
    raise ValueError(f"no export for dataset {dataset!r} with {type(f).__name__}")


def _jdb_order(store: Store) -> str:
    """The column JourneyDB exports are ordered by: row_id (the gallery's order) where the export has it."""
    return "row_id" if jq.access(store).tag_row_ids else "image_id"


def _jdb_question_key(store: Store) -> str:
    """The column questions are matched to their images by: row_id (the file's order) where they have it."""
    return "row_id" if jq.access(store).question_row_ids else "image_id"


def _select_and_count(dataset: str, table: str, fmt: str) -> tuple[str, str, str]:
    """(SELECT template ending in `LIMIT ?`, COUNT template, unit) for an export."""
    if dataset == "visual_genome" and fmt == "coco":
        return VG_COCO_PARTS["images"], VG_IMAGES_COUNT_SQL, "image"
    choices = {
        ("journeydb", "images"): (JDB_IMAGES_SQL, JDB_IMAGES_COUNT_SQL, "row"),
        ("journeydb", "images_questions"): (JDB_IMAGES_QUESTIONS_SQL, JDB_IMAGES_COUNT_SQL, "row"),
        ("visual_genome", "images"): (VG_IMAGES_SQL, VG_IMAGES_COUNT_SQL, "row"),
        ("visual_genome", "objects"): (VG_OBJECTS_SQL, VG_OBJECTS_COUNT_SQL, "row"),
    }
    if (dataset, table) not in choices or fmt not in FORMATS:
        raise ValueError(f"unknown export {dataset}/{table}/{fmt}")
    return choices[(dataset, table)]


def count_rows(store: Store, dataset: str, f: JourneyFilter | VGFilter, table: str, fmt: str) -> int:
    """How many rows (images, for COCO) an export of the current filter would hold without a limit."""
    where, params = _where(store, dataset, f)
    _, count_sql, _ = _select_and_count(dataset, table, fmt)
    return int(store.scalar(count_sql.format(where=where), params) or 0)


def file_name(dataset: str, f: JourneyFilter | VGFilter, table: str, fmt: str, rows: int) -> str:
    """`journeydb_style-anime_q-cat_1234rows.parquet`: dataset, what, filter slug, size, extension."""
    ext = FORMATS[fmt][0]
    if fmt == "coco":
        name = f"{dataset}-coco_{f.slug()}_{rows}images.{ext}"
    else:
        what = "" if table == "images" else "-" + table.replace("_", "-")
        name = f"{dataset}{what}_{f.slug()}_{rows}rows.{ext}"
    if not _SAFE_NAME.match(name):  # the slug is [a-z0-9_-]; anything else is a bug, never user text
        raise ValueError(f"unsafe export file name {name!r}")
    return name


def downloads_dir(store: Store) -> Path:
    """`DATA/downloads`: inside the locked connection's allowed directories, so COPY may write there."""
    return store.downloads_dir


def clean_downloads(folder: Path, *, keep_seconds: float = KEEP_SECONDS, keep_files: int = KEEP_FILES) -> int:
    """Delete exports older than `keep_seconds` and all but the newest `keep_files`; return how many."""
    if not folder.is_dir():
        return 0
    files = sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.stat().st_mtime, reverse=True)
    now = time.time()
    removed = 0
    for index, path in enumerate(files):
        if index >= keep_files or now - path.stat().st_mtime > keep_seconds:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def export_view(
    store: Store,
    dataset: str,
    f: JourneyFilter | VGFilter,
    *,
    table: str = "images",
    fmt: str = "parquet",
    limit: int = DEFAULT_LIMIT,
    timeout: float = EXPORT_TIMEOUT_S,
) -> ExportFile:
    """Write the rows matching `f` (at most `limit`) to a new file in the downloads folder.

    Raises QueryError with a message fit to show when DuckDB or the file system refuses.
    """
    select, count_sql, unit = _select_and_count(dataset, table, fmt)
    where, params = _where(store, dataset, f)
    limit = max(1, int(limit))
    rows = min(limit, int(store.scalar(count_sql.format(where=where), params) or 0))
    name = file_name(dataset, f, table, fmt, rows)
    folder = downloads_dir(store)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        clean_downloads(folder)
    except OSError as err:
        raise QueryError(f"Cannot write to the downloads folder {folder}: {err.strerror}") from err
    path = folder / f"{secrets.token_hex(TOKEN_BYTES)}-{name}"  # the token keeps sessions from overwriting each other
    if fmt == "coco":
        _write_coco(store, where, [*params, limit], path, timeout)
    else:
        if dataset == "journeydb":
            select = select.format(where=where, order=_jdb_order(store), qkey=_jdb_question_key(store))
        else:
            select = select.format(where=where, order="image_id")
        sql = COPY_SQL.format(select=select, options=FORMATS[fmt][1])
        store.rows(sql, [*params, limit, str(path)], timeout=timeout)
    return ExportFile(path, name, FORMATS[fmt][2], rows, unit, path.stat().st_size)


def _write_coco(store: Store, where: str, params: list[Any], path: Path, timeout: float) -> None:
    """`{"images": [...], "annotations": [...], "categories": [...]}` at `path`, each array written by a COPY
    to a file of its own (`params` select the images: the filter's, then the limit) and copied in."""
    parts = {key: path.with_name(f"{path.stem}.{key}.part") for key in VG_COCO_PARTS}
    try:
        for key, select in VG_COCO_PARTS.items():
            sql = COPY_SQL.format(select=select.format(where=where), options=COCO_COPY_OPTIONS)
            store.rows(sql, [*params, str(parts[key])], timeout=timeout)
        with path.open("wb") as out:
            for number, (key, part) in enumerate(parts.items()):
                out.write(('{"' if number == 0 else ',"').encode() + key.encode() + b'":')
                with part.open("rb") as source:
                    shutil.copyfileobj(source, out, COPY_BUFFER_BYTES)
            out.write(b"}\n")
    except OSError as err:
        path.unlink(missing_ok=True)
        raise QueryError(f"Cannot write the COCO file: {err.strerror or err}") from err
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        for part in parts.values():
            part.unlink(missing_ok=True)
