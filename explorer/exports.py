"""Write the rows of the current filter to a file with DuckDB's COPY (Parquet, CSV, JSON lines, COCO).

Rows never pass through Python: `COPY (SELECT ... WHERE <filter> LIMIT ?) TO ? (FORMAT ...)` streams them
from the Parquet export to a file in `DATA/downloads/`, inside the locked connection's allowed folder.
The target path is bound as a parameter and built here from a random token and the filter's slug only.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explorer.filters import JourneyFilter, VGFilter
from explorer.queries import journeydb as jq
from explorer.queries.filters import journeydb_where
from explorer.queries.visual_genome import filter_where
from explorer.store import QueryError, Store

DEFAULT_LIMIT = 100_000
KEEP_SECONDS = 3600
KEEP_FILES = 20
EXPORT_TIMEOUT_S = 300.0

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
JDB_IMAGES_SQL = "SELECT i.* FROM journeydb_images i WHERE {where} ORDER BY i.{order} LIMIT ?"
JDB_IMAGES_COUNT_SQL = "SELECT count(*) FROM journeydb_images i WHERE {where}"
JDB_IMAGES_QUESTIONS_SQL = """
WITH sel AS (SELECT i.* FROM journeydb_images i WHERE {where} ORDER BY i.{order} LIMIT ?),
qs AS (
    SELECT image_id,
           list({{'kind': kind, 'qa_index': qa_index, 'question': question, 'options': options, 'answer': answer}}
                ORDER BY kind, qa_index) AS questions
    FROM journeydb_questions WHERE image_id IN (SELECT image_id FROM sel) GROUP BY image_id
)
SELECT sel.*, coalesce(qs.questions, []) AS questions
FROM sel LEFT JOIN qs ON qs.image_id = sel.image_id ORDER BY sel.{order}
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
# One row of three lists, written by COPY ... (FORMAT json) as one JSON object: a COCO detection file.
# Categories are numbered 1.. in name order among the exported objects; the annotation id is object_id.
VG_COCO_SQL = """
WITH imgs AS (
    SELECT i.image_id, i.img_path, i.width, i.height FROM vg_images i WHERE {where} ORDER BY i.image_id LIMIT ?
),
objs AS (
    SELECT o.object_id, o.image_id, coalesce(o.name, '') AS name, o.x, o.y, o.w, o.h, o.attributes
    FROM vg_objects o WHERE o.image_id IN (SELECT image_id FROM imgs)
),
cats AS (SELECT row_number() OVER (ORDER BY name) AS id, name FROM (SELECT DISTINCT name FROM objs))
SELECT
    coalesce((SELECT list({{'id': image_id, 'file_name': img_path, 'width': width, 'height': height}}
                          ORDER BY image_id) FROM imgs), []) AS images,
    coalesce((SELECT list({{'id': o.object_id, 'image_id': o.image_id, 'category_id': c.id,
                           'bbox': [o.x, o.y, o.w, o.h], 'area': o.w * o.h, 'iscrowd': 0,
                           'attributes': o.attributes}} ORDER BY o.image_id, o.object_id)
              FROM objs o JOIN cats c ON c.name = o.name), []) AS annotations,
    coalesce((SELECT list({{'id': id, 'name': name}} ORDER BY id) FROM cats), []) AS categories
"""
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
        return journeydb_where(f)
    if dataset == "visual_genome" and isinstance(f, VGFilter):
        return filter_where(store, f)
    raise ValueError(f"no export for dataset {dataset!r} with {type(f).__name__}")


def _jdb_order(store: Store) -> str:
    """The column JourneyDB exports are ordered by: row_id (the gallery's order) where the export has it."""
    return "row_id" if jq.access(store).tag_row_ids else "image_id"


def _select_and_count(dataset: str, table: str, fmt: str) -> tuple[str, str, str]:
    """(SELECT template ending in `LIMIT ?`, COUNT template, unit) for an export."""
    if dataset == "visual_genome" and fmt == "coco":
        return VG_COCO_SQL, VG_IMAGES_COUNT_SQL, "image"
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
    path = folder / f"{secrets.token_hex(8)}-{name}"  # the token keeps sessions from overwriting each other
    order = _jdb_order(store) if dataset == "journeydb" else "image_id"
    sql = COPY_SQL.format(select=select.format(where=where, order=order), options=FORMATS[fmt][1])
    store.rows(sql, [*params, limit, str(path)], timeout=timeout)
    return ExportFile(path, name, FORMATS[fmt][2], rows, unit, path.stat().st_size)
