"""Visual Genome release files -> the `visual_genome/` Parquet export (see docs/EXPORT.md).

Format reference: https://visualgenome.org/api/v0/api_readme. Every file is one JSON array with one
record per image; each file is read as `<name>.json` or as the released `<name>.json.zip`:

    image_data.json           [{"image_id": 1, "url": ".../VG_100K_2/1.jpg", "width": 800, "height": 600,
                                "coco_id": null, "flickr_id": null}, ...]            (v1.0: "id")
    objects.json              [{"image_id": 1, "image_url": "...", "objects": [{"object_id": 1058549,
                                "names": ["trees"], "synsets": ["tree.n.01"], "merged_object_ids": [],
                                "x": 0, "y": 0, "w": 799, "h": 557}, ...]}, ...]
                              (v1.2: no merged_object_ids; v1.0: "id" for image and object, maybe "name")
    attributes.json           [{"image_id": 1, "attributes": [{"object_id": 1058498, "names": ["clock"],
                                "attributes": ["green", "tall"], "x": .., ...}, ...]}, ...]
                              ("attributes" absent when an object has none; v1.0: "id", "object_names")
    relationships.json        [{"image_id": 1, "relationships": [{"relationship_id": 15927,
                                "predicate": "ON", "synsets": ["along.r.01"],
                                "subject": {"object_id": 5045, "name": "shade", "x": .., "y": .., "w": ..,
                                            "h": .., "synsets": [..]},
                                "object": {"object_id": 1058534, "names": ["sidewalk"],
                                           "merged_object_ids": [5046], ...}}, ...]}, ...]
                              (v1.0: "id" for image, relationship and endpoints)
    region_descriptions.json  [{"id": 1, "regions": [{"region_id": 1382, "image_id": 1,
                                "phrase": "the clock is green in colour", "x": .., "y": ..,
                                "width": .., "height": ..}, ...]}, ...]     (v1.0: region "id", "image")
    question_answers.json     [{"id": 1, "qas": [{"qa_id": 986768, "image_id": 1,
                                "question": "What color is the clock?", "answer": "Green.",
                                "q_objects": [], "a_objects": []}, ...]}, ...]

image_data.json and objects.json are required; the other four are optional (empty tables and a note
when absent). synsets.json, object_alias.txt and relationship_alias.txt are not used: names and
predicates are exported as annotated (trimmed, lowercased), not mapped to aliases or synsets.

Files are up to ~1 GB, so nothing is loaded into Python: DuckDB streams each file with `read_json` and
explicit column types, unnests and cleans in SQL in a work database on disk (so memory stays bounded), and
COPYs sorted Parquet (ZSTD). A file holding a value of the wrong type (a string where a list belongs) fails
that typed read; it is then re-read leniently (`records=false` + `json_transform`), where such values come
out as NULL and are skipped and counted.
Each image record is unnested with a leading NULL "header" element (k = 0), so records without an image
id or without their list are still seen and counted. Zipped files are unpacked one ahead on a thread.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from rich.progress import Progress, TaskID

from explorer.ingest.aggregates import write_aggregates
from explorer.ingest.common import (
    IngestError,
    IngestReport,
    find_release_file,
    make_progress,
    materialize,
    staged_export,
    write_manifest,
)
from explorer.store import sql_string

DATASET = "visual_genome"
# DuckDB's share. Full scale, work database on disk: peak RSS 1.25 GB, 49-51 s (800 MB: 1.05 GB, 57 s; 600 MB:
# 0.8 GB, 61 s). The earlier in-memory work database needed 1.5 GB for the same time (peak 1.7 GB).
MEMORY_LIMIT = "1000MB"
# The per-image tables get small row groups, so one image's annotations decompress a few thousand rows
# per column instead of the default 122,880 (see docs/EXPORT.md).
PER_IMAGE_TABLES = frozenset({"images", "objects", "relationships", "regions", "qas"})
PER_IMAGE_ROW_GROUP = 16_384
# The postings tables (image_terms, triple_images*) are sorted by their lookup key; groups of this size let a
# filter on one term read a few groups (min/max pruning) while keeping the files' footers small.
POSTINGS_TABLES = frozenset({"image_terms", "triple_images", "triple_images_by_object"})
POSTINGS_ROW_GROUP = 32_768
ROW_GROUP_SIZES = {
    **dict.fromkeys(PER_IMAGE_TABLES, PER_IMAGE_ROW_GROUP),
    **dict.fromkeys(POSTINGS_TABLES, POSTINGS_ROW_GROUP),
}
# Largest single image record accepted; the biggest real ones are well under 1 MB.
MAX_RECORD_BYTES = 16 << 20
WHITESPACE = " \t\n\r"
IMAGE_FOLDER_RE = r"(VG_100K(?:_2)?)/[^/]*$"

Structure = str | list["Structure"] | dict[str, "Structure"]

_BOX: dict[str, Structure] = {"x": "BIGINT", "y": "BIGINT", "w": "BIGINT", "h": "BIGINT"}
_ENDPOINT: dict[str, Structure] = {
    "object_id": "BIGINT",
    "id": "BIGINT",
    "name": "VARCHAR",
    "names": ["VARCHAR"],
    **_BOX,
}


@dataclass(frozen=True)
class ReleaseFile:
    """One per-image JSON file of the release: how its records are typed and cleaned."""

    key: str  # names the work tables and the exported table
    names: tuple[str, ...]  # accepted file names, the first present wins
    list_key: str | None  # the per-image list ("objects"); None for image_data.json
    item_type: dict[str, Structure]  # structure of one list element (of one record for image_data)
    item_columns: str = ""  # SQL over the element `o`
    item_reason: str = ""  # SQL naming why an element is skipped, NULL when usable
    join: str = ""  # SQL joined onto the cleaned elements
    id_column: str = ""
    singular: str = ""
    required: bool = False
    missing_note: str = ""

    @property
    def record_type(self) -> dict[str, Structure]:
        if self.list_key is None:
            return self.item_type
        return {"image_id": "BIGINT", "id": "BIGINT", self.list_key: [self.item_type]}


IMAGE_DATA = ReleaseFile(
    "images",
    ("image_data.json",),
    None,
    {
        "image_id": "BIGINT",
        "id": "BIGINT",
        "url": "VARCHAR",
        "width": "BIGINT",
        "height": "BIGINT",
        "coco_id": "BIGINT",
        "flickr_id": "BIGINT",
    },
    required=True,
)
ATTRIBUTES = ReleaseFile(
    "attributes",
    ("attributes.json",),
    "attributes",
    # JSON rather than a list type, to tell "no attributes key" from "attributes of the wrong type".
    {"object_id": "BIGINT", "id": "BIGINT", "attributes": "JSON"},
    item_columns="""
        coalesce(o.object_id, o.id) AS object_id,
        json_type(o.attributes) AS kind,
        CASE WHEN json_type(o.attributes) = 'ARRAY'
             THEN vg_terms(json_transform(o.attributes, '["VARCHAR"]')) ELSE [] END AS attributes""",
    item_reason="""CASE
        WHEN object_id IS NULL THEN 'attribute entry without an integer object_id'
        WHEN kind NOT IN ('ARRAY', 'NULL') THEN 'attributes that are not a list' END""",
    missing_note="attributes.json not found: every object's attributes list is empty.",
)
OBJECTS = ReleaseFile(
    "objects",
    ("objects.json", "objects_v1_2.json"),
    "objects",
    {"object_id": "BIGINT", "id": "BIGINT", "names": ["VARCHAR"], "name": "VARCHAR", "synsets": ["VARCHAR"], **_BOX},
    item_columns="""
        coalesce(o.object_id, o.id) AS object_id,
        vg_terms(coalesce(o.names, [o.name])) AS names,
        vg_synsets(o.synsets) AS synsets,
        try_cast(o.x AS INTEGER) AS x, try_cast(o.y AS INTEGER) AS y,
        try_cast(o.w AS INTEGER) AS w, try_cast(o.h AS INTEGER) AS h""",
    item_reason="""CASE
        WHEN object_id IS NULL THEN 'object without an integer object_id'
        WHEN len(names) = 0 THEN 'object without a name'
        WHEN x IS NULL OR y IS NULL OR w IS NULL OR h IS NULL THEN 'object without an integer box' END""",
    join="LEFT JOIN attributes_by_object USING (object_id)",
    id_column="object_id",
    singular="object",
    required=True,
)
RELATIONSHIPS = ReleaseFile(
    "relationships",
    ("relationships.json", "relationships_v1_2.json"),
    "relationships",
    {
        "relationship_id": "BIGINT",
        "id": "BIGINT",
        "predicate": "VARCHAR",
        "synsets": ["VARCHAR"],
        "subject": _ENDPOINT,
        "object": _ENDPOINT,
    },
    item_columns="""
        coalesce(o.relationship_id, o.id) AS relationship_id,
        lower(vg_trim(o.predicate)) AS predicate,
        vg_synsets(o.synsets) AS synsets,
        coalesce(o.subject.object_id, o.subject.id) AS subject_id,
        vg_terms(coalesce(o.subject.names, [o.subject.name]))[1] AS subject_name,
        try_cast(o.subject.x AS INTEGER) AS subject_x, try_cast(o.subject.y AS INTEGER) AS subject_y,
        try_cast(o.subject.w AS INTEGER) AS subject_w, try_cast(o.subject.h AS INTEGER) AS subject_h,
        coalesce(o.object.object_id, o.object.id) AS object_id,
        vg_terms(coalesce(o.object.names, [o.object.name]))[1] AS object_name,
        try_cast(o.object.x AS INTEGER) AS object_x, try_cast(o.object.y AS INTEGER) AS object_y,
        try_cast(o.object.w AS INTEGER) AS object_w, try_cast(o.object.h AS INTEGER) AS object_h""",
    item_reason="""CASE
        WHEN relationship_id IS NULL THEN 'relationship without an integer relationship_id'
        WHEN predicate IS NULL THEN 'relationship without a predicate'
        WHEN subject_id IS NULL OR object_id IS NULL THEN 'relationship without subject and object ids'
        WHEN subject_x IS NULL OR subject_y IS NULL OR subject_w IS NULL OR subject_h IS NULL
          OR object_x IS NULL OR object_y IS NULL OR object_w IS NULL OR object_h IS NULL
            THEN 'relationship without integer subject and object boxes' END""",
    id_column="relationship_id",
    singular="relationship",
    missing_note="relationships.json not found: no relationships exported.",
)
REGIONS = ReleaseFile(
    "regions",
    ("region_descriptions.json",),
    "regions",
    {
        "region_id": "BIGINT",
        "id": "BIGINT",
        "phrase": "VARCHAR",
        "x": "BIGINT",
        "y": "BIGINT",
        "width": "BIGINT",
        "height": "BIGINT",
        "w": "BIGINT",
        "h": "BIGINT",
    },
    item_columns="""
        coalesce(o.region_id, o.id) AS region_id,
        vg_trim(o.phrase) AS phrase,
        try_cast(o.x AS INTEGER) AS x, try_cast(o.y AS INTEGER) AS y,
        try_cast(coalesce(o.width, o.w) AS INTEGER) AS w,
        try_cast(coalesce(o.height, o.h) AS INTEGER) AS h""",
    item_reason="""CASE
        WHEN region_id IS NULL THEN 'region without an integer region_id'
        WHEN phrase IS NULL THEN 'region without a phrase'
        WHEN x IS NULL OR y IS NULL OR w IS NULL OR h IS NULL THEN 'region without an integer box' END""",
    id_column="region_id",
    singular="region",
    missing_note="region_descriptions.json not found: no region descriptions exported.",
)
QAS = ReleaseFile(
    "qas",
    ("question_answers.json",),
    "qas",
    {"qa_id": "BIGINT", "id": "BIGINT", "question": "VARCHAR", "answer": "VARCHAR"},
    item_columns="""
        coalesce(o.qa_id, o.id) AS qa_id,
        vg_trim(o.question) AS question,
        vg_trim(o.answer) AS answer,
        nullif(regexp_replace(lower(split_part(vg_trim(o.question), ' ', 1)),
                              '^[^a-z0-9]+|[^a-z0-9]+$', '', 'g'), '') AS qtype""",
    item_reason="""CASE
        WHEN qa_id IS NULL THEN 'qa without an integer qa_id'
        WHEN question IS NULL OR answer IS NULL THEN 'qa without a question and answer' END""",
    id_column="qa_id",
    singular="qa",
    missing_note="question_answers.json not found: no question answers exported.",
)
# attributes before objects: objects are written with their attributes joined on.
RELEASE_FILES = (IMAGE_DATA, ATTRIBUTES, OBJECTS, RELATIONSHIPS, REGIONS, QAS)
UNUSED_FILES = ("synsets.json", "object_alias.txt", "relationship_alias.txt")

# -- SQL ---------------------------------------------------------------------------------------------

MACROS_SQL = f"""
CREATE OR REPLACE TEMP MACRO vg_trim(s) AS trim(s, '{WHITESPACE}');
-- trimmed, lowercased, without empties, de-duplicated in first-seen order
CREATE OR REPLACE TEMP MACRO vg_clean_terms(l) AS
    list_filter(list_transform(coalesce(l, []), lambda s: lower(vg_trim(s))), lambda s: coalesce(s, '') <> '');
CREATE OR REPLACE TEMP MACRO vg_unique(l) AS list_filter(l, lambda s, i: list_position(l, s) = i);
CREATE OR REPLACE TEMP MACRO vg_terms(l) AS vg_unique(vg_clean_terms(l));
CREATE OR REPLACE TEMP MACRO vg_synsets(l) AS
    list_filter(list_transform(coalesce(l, []), lambda s: vg_trim(s)), lambda s: coalesce(s, '') <> '');
"""

# Fast path: DuckDB types the records while parsing, but fails on a value of the wrong type.
TYPED_SOURCE_SQL = """
SELECT row_number() OVER () AS rec_no, {fields}
FROM read_json(?, format = 'array', columns = {columns}, maximum_object_size = {max_bytes})
"""

# Lenient path: a value of the wrong type becomes NULL, which cleaning counts as a skip.
LENIENT_SOURCE_SQL = """
SELECT rec_no, {r_fields}
FROM (
    SELECT row_number() OVER () AS rec_no, json_transform(json, '{structure}') AS r
    FROM read_json(?, format = 'array', records = false, columns = {{'json': 'JSON'}},
                   maximum_object_size = {max_bytes})
)
"""

CLEAN_IMAGES_SQL = """
CREATE OR REPLACE TABLE images_clean AS
SELECT rec_no, image_id, url, width, height, coco_id, flickr_id,
       CASE WHEN folder <> '' THEN folder || '/' || image_id || '.jpg' END AS img_path,
       CASE WHEN image_id IS NULL THEN 'image record without an integer image_id' END AS reason
FROM (
    SELECT rec_no,
           coalesce(image_id, id) AS image_id,
           vg_trim(url) AS url,
           try_cast(width AS INTEGER) AS width,
           try_cast(height AS INTEGER) AS height,
           coco_id, flickr_id,
           regexp_extract(coalesce(url, ''), '{folder_re}', 1) AS folder
    FROM ({source})
)
"""

# One row per list element (k >= 1), plus a header row per image record (k = 0, element NULL) so that
# records without an image id or without their list are seen and counted. Stored as read: the JSON array
# is parsed and numbered (`rec_no`) on one thread, so the cleaning below runs as a second statement over
# this table, where DuckDB spreads it across threads (as one statement it ran on the reader's thread).
ITEMS_SQL = """
CREATE OR REPLACE TEMP TABLE {key}_items AS
SELECT rec_no, image_id, has_list, unnest(items) AS o, generate_subscripts(items, 1) - 1 AS k
FROM (
    SELECT rec_no, coalesce(image_id, id) AS image_id, "{list_key}" IS NOT NULL AS has_list,
           list_prepend(NULL, coalesce("{list_key}", [])) AS items
    FROM ({source})
)
"""

CLEAN_LIST_SQL = """
CREATE OR REPLACE TABLE {key}_clean AS
SELECT *,
       CASE WHEN k > 0 THEN {item_reason}
            WHEN image_id IS NULL THEN 'image record without an integer image_id'
            WHEN NOT has_list THEN 'image record without a "{list_key}" list'
       END AS reason
FROM (
    SELECT rec_no, k, image_id, has_list, {item_columns}
    FROM {key}_items
    WHERE k = 0 OR image_id IS NOT NULL
) {join}
"""

RECORD_COUNTS_SQL = "SELECT count(*) FILTER (reason IS NULL), count(*) FROM {key}_clean WHERE k = 0"

SKIPS_SQL = """
SELECT reason, count(*), arg_min(image_id, rec_no), min(rec_no)
FROM {key}_clean WHERE reason IS NOT NULL GROUP BY reason ORDER BY min(rec_no)
"""

KEEP_IMAGES_SQL = """
CREATE OR REPLACE TABLE images_kept AS
SELECT * EXCLUDE (reason) FROM images_clean WHERE reason IS NULL
QUALIFY row_number() OVER (PARTITION BY image_id ORDER BY rec_no) = 1
"""

FIRST_DUPLICATE_IMAGE_SQL = """
SELECT image_id FROM images_clean WHERE reason IS NULL
QUALIFY row_number() OVER (PARTITION BY image_id ORDER BY rec_no) > 1 ORDER BY rec_no LIMIT 1
"""

UNKNOWN_IMAGE_SQL = """
SELECT count(*), arg_min(image_id, rec_no) FROM {key}_clean
WHERE k > 0 AND reason IS NULL AND image_id NOT IN (SELECT image_id FROM images_kept)
"""

# Usable elements of known images, as a view: read two or three times, never stored.
KEPT_VIEW_SQL = """
CREATE OR REPLACE VIEW {key}_kept AS
SELECT * EXCLUDE (has_list, reason) FROM {key}_clean
WHERE k > 0 AND reason IS NULL AND image_id IN (SELECT image_id FROM images_kept)
"""

DUPLICATES_SQL = "SELECT count(*) - count(DISTINCT {id}) FROM {key}_kept"

# Only when ids repeat: keep the first occurrence.
FIRST_OF_ID_SQL = """
CREATE OR REPLACE TABLE {key}_first AS
SELECT * FROM {key}_kept QUALIFY row_number() OVER (PARTITION BY {id} ORDER BY rec_no, k) = 1
"""

FIRST_DUPLICATE_SQL = """
SELECT image_id, {id} FROM {key}_kept
QUALIFY row_number() OVER (PARTITION BY {id} ORDER BY rec_no, k) > 1 ORDER BY rec_no, k LIMIT 1
"""

# Attributes of every object id, over all its entries, in first-seen order.
ATTRIBUTES_BY_OBJECT_SQL = """
CREATE OR REPLACE TABLE attributes_by_object AS
SELECT object_id, vg_unique(list(attribute ORDER BY rec_no, k, j)) AS attributes
FROM (
    SELECT object_id, rec_no, k, unnest(attributes) AS attribute, generate_subscripts(attributes, 1) AS j
    FROM attributes_clean WHERE k > 0 AND reason IS NULL
)
GROUP BY object_id
"""

OBJECTS_SQL = """
CREATE OR REPLACE VIEW objects AS
SELECT image_id, object_id, names[1] AS name, names, synsets, x, y, w, h,
       coalesce(attributes, []::VARCHAR[]) AS attributes
FROM {source}
"""

ORPHAN_ATTRIBUTES_SQL = """
SELECT count(*), arg_min(image_id, rec_no) FROM attributes_clean
WHERE k > 0 AND reason IS NULL AND len(attributes) > 0 AND object_id NOT IN (SELECT object_id FROM objects)
"""

# The object and attribute postings (kind, term, image_id, n), kept until the relationships are read so that
# image_terms.parquet is written sorted in one go; the name and attribute counts are summed from them too.
OBJECT_TERMS_SQL = """
CREATE OR REPLACE TABLE object_terms AS
SELECT 'object' AS kind, name AS term, image_id, count(*)::INTEGER AS n FROM objects GROUP BY ALL
UNION ALL
SELECT 'attribute', attribute, image_id, count(*)::INTEGER
FROM (SELECT image_id, unnest(attributes) AS attribute FROM objects) GROUP BY ALL
"""

# Triples as in the "triple" statistic: a missing subject or object name is the empty string.
TRIPLE_TERM_SQL = "concat_ws('|', coalesce(subject_name, ''), coalesce(predicate, ''), coalesce(object_name, ''))"

PER_IMAGE_SQL = "CREATE OR REPLACE TABLE n_{key} AS SELECT image_id, count(*) AS n FROM {source} GROUP BY image_id"

# The exported tables, by the release file they come from; {source} is that file's kept rows.
EXPORTS: dict[str, dict[str, str]] = {
    "objects": {
        "objects": """
            SELECT image_id, object_id, name, names, synsets, x, y, w, h, attributes
            FROM objects ORDER BY image_id, object_id""",
        "object_attributes": """
            SELECT image_id, object_id, name, unnest(attributes) AS attribute FROM objects
            ORDER BY attribute, image_id, object_id""",
        "object_counts": """
            SELECT term AS name, sum(n)::BIGINT AS n_objects, count(*) AS n_images
            FROM object_terms WHERE kind = 'object' GROUP BY term ORDER BY n_objects DESC, name""",
        "attribute_counts": """
            SELECT term AS attribute, sum(n)::BIGINT AS n_objects, count(*) AS n_images
            FROM object_terms WHERE kind = 'attribute' GROUP BY term ORDER BY n_objects DESC, attribute""",
    },
    "relationships": {
        "relationships": """
            SELECT image_id, relationship_id, predicate, synsets,
                   subject_id, subject_name, subject_x, subject_y, subject_w, subject_h,
                   object_id, object_name, object_x, object_y, object_w, object_h
            FROM {source} ORDER BY image_id, relationship_id""",
        "predicate_counts": """
            SELECT predicate, count(*) AS n_relationships, count(DISTINCT image_id) AS n_images
            FROM {source} GROUP BY predicate ORDER BY n_relationships DESC, predicate""",
        "image_terms": f"""
            SELECT kind, term, image_id, n FROM (
                SELECT kind, term, image_id, n FROM object_terms
                UNION ALL
                SELECT 'predicate', predicate, image_id, count(*)::INTEGER FROM {{source}} GROUP BY ALL
                UNION ALL
                SELECT 'triple', {TRIPLE_TERM_SQL}, image_id, count(*)::INTEGER FROM {{source}} GROUP BY ALL
            ) ORDER BY kind, term, image_id""",
        "triple_images": """
            SELECT DISTINCT subject_name, predicate, object_name, image_id FROM {source}
            ORDER BY subject_name, object_name, predicate, image_id""",
        "triple_images_by_object": """
            SELECT DISTINCT subject_name, predicate, object_name, image_id FROM {source}
            ORDER BY object_name, predicate, subject_name, image_id""",
    },
    "regions": {
        "regions": "SELECT image_id, region_id, phrase, x, y, w, h FROM {source} ORDER BY image_id, region_id",
    },
    "qas": {
        "qas": "SELECT image_id, qa_id, question, answer, qtype FROM {source} ORDER BY image_id, qa_id",
    },
}

IMAGES_EXPORT_SQL = """
SELECT i.image_id, i.url, i.width, i.height, i.coco_id, i.flickr_id, i.img_path,
       coalesce(o.n, 0)::INTEGER AS n_objects, coalesce(r.n, 0)::INTEGER AS n_relationships,
       coalesce(g.n, 0)::INTEGER AS n_regions, coalesce(q.n, 0)::INTEGER AS n_qas
FROM images_kept i
LEFT JOIN n_objects o USING (image_id)
LEFT JOIN n_relationships r USING (image_id)
LEFT JOIN n_regions g USING (image_id)
LEFT JOIN n_qas q USING (image_id)
ORDER BY image_id
"""
TABLE_ORDER = (
    "images",
    "objects",
    "relationships",
    "regions",
    "qas",
    "object_attributes",
    "object_counts",
    "attribute_counts",
    "predicate_counts",
    "image_terms",
    "triple_images",
    "triple_images_by_object",
)


# -- ingest ------------------------------------------------------------------------------------------


def ingest(raw: Path, data_dir: Path, *, progress: bool = True) -> IngestReport:
    """Read the Visual Genome release files in `raw` and publish `data_dir/visual_genome/`."""
    started = time.monotonic()
    raw = Path(raw)
    if not raw.is_dir():
        raise IngestError(f"{raw} is not a folder holding the Visual Genome release files.")
    sources = {spec.key: find_release_file(raw, *spec.names) for spec in RELEASE_FILES}
    for spec in RELEASE_FILES:
        if spec.required and sources[spec.key] is None:
            raise IngestError(f"{raw / spec.names[0]} (or its .zip) is missing; it is required.")

    report = IngestReport(DATASET)
    with staged_export(Path(data_dir), DATASET) as folder, make_progress(progress) as bar:
        work = folder / "_work"
        work.mkdir()
        try:
            with _Unpacker(work) as unpacker:
                con = _connect(work)
                try:
                    run = _Run(con, folder, unpacker, report, bar)
                    run.read_all(sources)
                finally:
                    con.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _add_notes(raw, sources, report)
        report.rows = {table: report.rows[table] for table in TABLE_ORDER}
        write_aggregates(folder, DATASET, report)
        report.seconds = time.monotonic() - started
        write_manifest(folder, report, image_root=raw, source=raw)
    return report


def _connect(work: Path) -> duckdb.DuckDBPyConnection:
    """A work database on disk in `work` (zstd), held to MEMORY_LIMIT; it spills to `work/spill` beyond that."""
    spill = work / "spill"
    spill.mkdir()
    con = duckdb.connect(str(work / "work.duckdb"), config={"memory_limit": MEMORY_LIMIT, "temp_directory": str(spill)})
    con.execute("SET force_compression = 'zstd'")
    con.execute(MACROS_SQL)
    return con


def _add_notes(raw: Path, sources: dict[str, Path | None], report: IngestReport) -> None:
    for spec in RELEASE_FILES:
        if sources[spec.key] is None and spec.missing_note:
            report.notes.append(spec.missing_note)
    unused = [name for name in UNUSED_FILES if find_release_file(raw, name) is not None]
    if unused:
        report.notes.append(f"not used: {', '.join(unused)} (names are exported as annotated).")
    if not any((raw / name).is_dir() for name in ("VG_100K", "VG_100K_2")):
        report.notes.append(f"no VG_100K/ or VG_100K_2/ folder in {raw}: images will not display.")


class _Unpacker:
    """Unzips release files one ahead on a second thread, while DuckDB parses the current one."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vg-unzip")
        self.pending: dict[Path, Future[Path]] = {}

    def __enter__(self) -> _Unpacker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def prefetch(self, source: Path | None) -> None:
        if source is not None and source.name.endswith(".zip") and source not in self.pending:
            self.pending[source] = self.pool.submit(materialize, source, self.work, _member_name(source))

    def get(self, source: Path) -> Path:
        """A plain JSON file with the contents of `source`."""
        self.prefetch(source)
        future = self.pending.pop(source, None)
        return future.result() if future is not None else source


class _Run:
    """The steps of one ingest over one work connection."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        folder: Path,
        unpacker: _Unpacker,
        report: IngestReport,
        bar: Progress,
    ) -> None:
        self.con = con
        self.folder = folder
        self.unpacker = unpacker
        self.report = report
        self.bar = bar
        steps = len(RELEASE_FILES) + sum(len(tables) for tables in EXPORTS.values()) + 1
        self.task: TaskID = bar.add_task("Visual Genome", total=steps)

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        self.bar.update(self.task, description=description)
        started = time.monotonic()
        yield
        self.report.steps[description] = self.report.steps.get(description, 0.0) + time.monotonic() - started
        self.bar.advance(self.task)

    def one_row(self, sql: str) -> tuple[Any, ...]:
        row = self.con.execute(sql).fetchone()
        assert row is not None
        return tuple(row)

    def read_all(self, sources: dict[str, Path | None]) -> None:
        for i, spec in enumerate(RELEASE_FILES):
            source = sources[spec.key]
            label = source.name if source is not None else spec.names[0]
            for later in RELEASE_FILES[i : i + 2]:
                self.unpacker.prefetch(sources[later.key])
            with self.step(f"reading {label}"):
                self.load(spec, source, label)
            if spec is IMAGE_DATA:
                self.keep_images(label)
            elif spec is ATTRIBUTES:
                self.con.execute(ATTRIBUTES_BY_OBJECT_SQL)
            else:
                self.keep_items(spec, label, sources[ATTRIBUTES.key])
        with self.step("writing images.parquet"):
            self.write("images", IMAGES_EXPORT_SQL)

    # -- reading -------------------------------------------------------------------------------------

    def load(self, spec: ReleaseFile, source: Path | None, label: str) -> None:
        """Parse and clean one release file into the work table `<key>_clean`."""
        if source is None:
            path = self.unpacker.work / f"absent-{spec.key}.json"
            path.write_text("[]", encoding="utf-8")
        else:
            path = self.unpacker.get(source)
            _check_not_empty(path, source)
        try:
            try:
                self.run_clean(_clean_sql(spec, lenient=False), path)
            except duckdb.InvalidInputException as err:
                if "JSON transform error" not in str(err):
                    raise
                self.report.notes.append(f"{label} has values of unexpected types: read leniently.")
                self.run_clean(_clean_sql(spec, lenient=True), path)
        except duckdb.Error as err:
            raise IngestError(f"{source} could not be read as a JSON array ({_first_line(err)}).") from err
        finally:
            if source is None or path != source:
                path.unlink(missing_ok=True)  # an unpacked copy: free its disk space early
        if spec.list_key is not None:
            usable, total = self.one_row(RECORD_COUNTS_SQL.format(key=spec.key))
            if source is not None and usable == 0 and (total > 0 or spec.required):
                raise IngestError(
                    f'{source} is not a JSON array of per-image records with an image id and a "{spec.list_key}" list.'
                )
        for reason, n, first_image, first_rec in self.con.execute(SKIPS_SQL.format(key=spec.key)).fetchall():
            where = f"image_id {first_image}" if first_image is not None else f"record {first_rec}"
            self.report.skip(reason, n, f"{label}: {where}")

    def run_clean(self, statements: tuple[str, ...], path: Path) -> None:
        first, *rest = statements
        self.con.execute(first, [str(path)])
        for statement in rest:
            self.con.execute(statement)

    def keep_images(self, label: str) -> None:
        self.con.execute(KEEP_IMAGES_SQL)
        (kept,) = self.one_row("SELECT count(*) FROM images_kept")
        (valid,) = self.one_row("SELECT count(*) FROM images_clean WHERE reason IS NULL")
        if kept == 0:
            raise IngestError(f"{label} holds no image records with an integer image_id.")
        if valid > kept:
            (first,) = self.one_row(FIRST_DUPLICATE_IMAGE_SQL)
            self.report.skip("duplicate image id", valid - kept, f"{label}: image_id {first}")
        (no_folder,) = self.one_row("SELECT count(*) FROM images_kept WHERE img_path IS NULL")
        if no_folder:
            self.report.notes.append(
                f"{no_folder:,} images in {label} have a url outside VG_100K/ and VG_100K_2/: img_path is null."
            )
        self.con.execute("DROP TABLE images_clean")

    def keep_items(self, spec: ReleaseFile, label: str, attributes_source: Path | None) -> None:
        """Drop elements of unknown images and repeated ids (keeping the first), then write the tables."""
        key, id_col = spec.key, spec.id_column
        unknown, first_unknown = self.one_row(UNKNOWN_IMAGE_SQL.format(key=key))
        self.report.skip(
            f"{spec.singular} of an image not in image_data.json", unknown, f"{label}: image_id {first_unknown}"
        )
        self.con.execute(KEPT_VIEW_SQL.format(key=key))
        source = f"{key}_kept"
        (duplicates,) = self.one_row(DUPLICATES_SQL.format(key=key, id=id_col))
        if duplicates:
            image_id, item_id = self.one_row(FIRST_DUPLICATE_SQL.format(key=key, id=id_col))
            self.report.skip(f"duplicate {id_col}", duplicates, f"{label}: image_id {image_id}: {id_col} {item_id}")
            self.con.execute(FIRST_OF_ID_SQL.format(key=key, id=id_col))
            source = f"{key}_first"
        if spec is OBJECTS:
            self.con.execute(OBJECTS_SQL.format(source=source))
            self.con.execute(OBJECT_TERMS_SQL)
            n, first_image = self.one_row(ORPHAN_ATTRIBUTES_SQL)
            where = f"{attributes_source.name if attributes_source else ATTRIBUTES.names[0]}: image_id {first_image}"
            self.report.skip("attributes of an object id not in objects.json", n, where)
            source = "objects"
        self.con.execute(PER_IMAGE_SQL.format(key=key, source=source))
        for table, sql in EXPORTS[key].items():
            with self.step(f"writing {table}.parquet"):
                self.write(table, sql.format(source=source))
        for statement in (
            *(
                ("DROP VIEW objects", "DROP TABLE attributes_clean", "DROP TABLE attributes_by_object")
                if spec is OBJECTS
                else ()
            ),
            *(("DROP TABLE object_terms",) if spec is RELATIONSHIPS else ()),
            f"DROP TABLE IF EXISTS {key}_first",
            f"DROP VIEW {key}_kept",
            f"DROP TABLE {key}_clean",
        ):
            self.con.execute(statement)

    def write(self, table: str, sql: str) -> None:
        target = sql_string(str(self.folder / f"{table}.parquet"))
        groups = f", ROW_GROUP_SIZE {ROW_GROUP_SIZES[table]}" if table in ROW_GROUP_SIZES else ""
        self.con.execute(f"COPY ({sql}) TO {target} (FORMAT parquet, COMPRESSION zstd{groups})")
        (n,) = self.one_row(f"SELECT count(*) FROM read_parquet({target})")
        self.report.rows[table] = n


def _sql_type(structure: Structure) -> str:
    """The DuckDB type of a json_transform structure: {"a": ["BIGINT"]} -> STRUCT("a" BIGINT[])."""
    if isinstance(structure, str):
        return structure
    if isinstance(structure, list):
        return f"{_sql_type(structure[0])}[]"
    return "STRUCT(" + ", ".join(f'"{name}" {_sql_type(t)}' for name, t in structure.items()) + ")"


def _clean_sql(spec: ReleaseFile, *, lenient: bool) -> tuple[str, ...]:
    """The statements that parse one release file (its path the first one's parameter) into `<key>_clean`."""
    record = spec.record_type
    if lenient:
        source = LENIENT_SOURCE_SQL.format(
            r_fields=", ".join(f'r."{name}" AS "{name}"' for name in record),
            structure=json.dumps(record),
            max_bytes=MAX_RECORD_BYTES,
        )
    else:
        columns = "{" + ", ".join(f"'{name}': '{_sql_type(t)}'" for name, t in record.items()) + "}"
        source = TYPED_SOURCE_SQL.format(
            fields=", ".join(f'"{name}"' for name in record), columns=columns, max_bytes=MAX_RECORD_BYTES
        )
    if spec.list_key is None:
        return (CLEAN_IMAGES_SQL.format(folder_re=IMAGE_FOLDER_RE, source=source),)
    return (
        ITEMS_SQL.format(key=spec.key, list_key=spec.list_key, source=source),
        CLEAN_LIST_SQL.format(
            key=spec.key,
            list_key=spec.list_key,
            item_columns=spec.item_columns,
            item_reason=spec.item_reason,
            join=spec.join,
        ),
        f"DROP TABLE {spec.key}_items",
    )


def _member_name(source: Path) -> str | None:
    """The file expected inside a released zip: `objects.json` in `objects.json.zip`."""
    return source.name[: -len(".zip")] if source.name.endswith(".zip") else None


def _check_not_empty(path: Path, source: Path) -> None:
    size = path.stat().st_size
    if size == 0 or (size < 4096 and not path.read_bytes().strip()):
        raise IngestError(f"{source} is empty.")


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    for prefix in ("Invalid Input Error: ", "IO Error: ", "Conversion Error: "):
        text = text.removeprefix(prefix)
    return text.rstrip(".")
