"""JourneyDB release -> `DATA/journeydb/` (see docs/EXPORT.md).

The release (https://journeydb.github.io, https://huggingface.co/datasets/JourneyDB/JourneyDB) is rooted
at RAW and holds one JSON object per line in

    data/train/train_anno_realease_repath.jsonl(.tgz)     (sic; the older train_anno.jsonl is ignored)
    data/valid/valid_anno_repath.jsonl(.tgz)
    data/test/test_questions.jsonl(.tgz)                 (no prompt/Task1/Task2, Task3 without Answer)

with the images extracted under `data/<split>/imgs/NNN/<uuid>.jpg`. A line looks like

    {"img_path": "./000/<uuid>.jpg", "prompt": "an elegant gold and white tikka head jewelry, --ar 3:2 --v 5",
     "Task1": {"Style": ["elegant", "gold"], "Content": ["tikka"], "Atmosphere": [], "Others": []},
     "Task2": {"Caption": "An elegant gold and white tikka head jewelry."},
     "Task3": {"Style Relevant Questions and Answers":
                  [{"Question": "...", "Options": {"A": "...", "B": "...", "C": "...", "D": "..."},
                    "Answer": "B"}],
               "Content Relevant Questions and Answers": [...]}}

The files run to millions of lines, so nothing is parsed line by line in Python: DuckDB reads each file
as raw text lines (in parallel, in file order, so line numbers are kept), parses them once with
`json_transform` into a work database on disk, and writes Parquet.
Only prompts holding a backslash go through a Python function (literal `\\u2019` escapes), and only image
files that exist are opened (header only) for their size.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from PIL import Image
from rich.progress import Progress

from explorer import mjparams, textindex
from explorer.ingest.aggregates import write_aggregates
from explorer.ingest.common import (
    MAX_EXAMPLES,
    IngestError,
    IngestReport,
    find_release_file,
    make_progress,
    materialize,
    staged_export,
    write_manifest,
)
from explorer.store import sql_string

DATASET = "journeydb"
SPLITS = ("train", "valid", "test")
ANNOTATION_NAMES = {
    "train": "train_anno_realease_repath.jsonl",
    "valid": "valid_anno_repath.jsonl",
    "test": "test_questions.jsonl",
}
LEGACY_TRAIN_NAME = "train_anno.jsonl"
TAG_KINDS = {"Style": "style", "Content": "content", "Atmosphere": "atmosphere", "Others": "other"}
QA_KINDS = {
    "style": "Style Relevant Questions and Answers",
    "content": "Content Relevant Questions and Answers",
}
MAX_LINE_BYTES = 16 << 20  # longer lines are counted and skipped; the reader buffer is twice this
# DuckDB's share: the text index (tantivy's heap and merges, its batches) is built beside the table writes.
# At full scale 800 MB against 1 GB: peak RSS 1.49 against 1.69-1.96 GB, time the same (136 against 138-143 s).
MEMORY_LIMIT = "800MB"
# Small row groups for the per-image tables: a lookup of one image (or of one page's 48 row ids) then
# decompresses a few thousand rows per column instead of the default 122,880 (see docs/EXPORT.md).
IMAGE_ROW_GROUP = 16_384
TAG_ROW_GROUP = 65_536

# Skip reasons (whole record dropped) and issues (record kept, a field nulled or emptied).
MALFORMED = "malformed JSON line"
NOT_OBJECT = "line is not a JSON object"
NO_IMG_PATH = "missing or unusable img_path"
DUPLICATE = "duplicate image_id (first kept)"
OUTSIDE = "img_path outside the image folder (record kept, img_path null)"
BAD_PROMPT = "prompt is not a string (nulled)"
BAD_TASK1 = "Task1 or a tag field has the wrong type (emptied)"
BAD_TASK2 = "Task2 or Caption has the wrong type (nulled)"
BAD_TASK3 = "Task3 or a question list has the wrong type (emptied)"
BAD_QUESTION = "malformed question (dropped)"
REJECT_REASONS = {
    "INVALID ENCODING": "line is not valid UTF-8",
    "LINE SIZE OVER MAXIMUM": f"line longer than {MAX_LINE_BYTES >> 20} MB",
}
UNREADABLE = "unreadable line"
BLANK = "blank"  # whitespace-only lines are not records: dropped without counting

_TAG_LISTS = '{"Style": ["VARCHAR"], "Content": ["VARCHAR"], "Atmosphere": ["VARCHAR"], "Others": ["VARCHAR"]}'
_QUESTION = (
    '[{"Question": "VARCHAR", "Options": {"A": "VARCHAR", "B": "VARCHAR", "C": "VARCHAR", "D": "VARCHAR"}, '
    '"Answer": "VARCHAR"}]'
)
# Every line is parsed once, questions included: the Task3 lists wait in `rec` (in the work database on
# disk) until questions.parquet is written.
RECORD_STRUCTURE = (
    f'{{"img_path": "VARCHAR", "prompt": "VARCHAR", "Task1": {_TAG_LISTS}, "Task2": {{"Caption": "VARCHAR"}}, '
    f'"Task3": {{"{QA_KINDS["style"]}": {_QUESTION}, "{QA_KINDS["content"]}": {_QUESTION}}}}}'
)
_QUESTION_TYPE = (
    'STRUCT("Question" VARCHAR, "Options" STRUCT("A" VARCHAR, "B" VARCHAR, "C" VARCHAR, "D" VARCHAR),'
    ' "Answer" VARCHAR)[]'
)
TASK3_TYPE = f'STRUCT("{QA_KINDS["style"]}" {_QUESTION_TYPE}, "{QA_KINDS["content"]}" {_QUESTION_TYPE})'
# json_type() of these paths is consulted only for records where a field came back NULL or looks like
# JSON text, to tell "missing" from "wrong type" without parsing every line twice.
TYPE_PATHS = [
    "$.img_path",
    "$.prompt",
    "$.Task1",
    "$.Task1.Style",
    "$.Task1.Content",
    "$.Task1.Atmosphere",
    "$.Task1.Others",
    "$.Task2",
    "$.Task2.Caption",
    "$.Task3",
    f'$.Task3."{QA_KINDS["style"]}"',
    f'$.Task3."{QA_KINDS["content"]}"',
]

CREATE_RECORDS_SQL = f"""
CREATE TABLE rec (
    split VARCHAR, split_order TINYINT, status VARCHAR, issues VARCHAR[],
    image_id VARCHAR, img_path VARCHAR, prompt VARCHAR, prompt_text VARCHAR, prompt_words INTEGER, tail VARCHAR,
    caption VARCHAR,
    styles VARCHAR[], contents VARCHAR[], atmospheres VARCHAR[], others VARCHAR[], t3 {TASK3_TYPE}
);
CREATE TABLE split_starts (split_order TINYINT, start BIGINT);
"""

# clean_tags trims only the tags that need it: trim with a character set costs more than the test (its
# half of the tag cleaning, ~5 CPU-seconds at full scale).
CREATE_MACROS_SQL = """
CREATE MACRO is_jsonish(s) AS left(s, 1) IN ('[', '{');
CREATE MACRO clean_tags(l) AS coalesce(list_filter(
    list_transform(l, lambda x: lower(CASE WHEN regexp_matches(x, '^[ \t\r\n]|[ \t\r\n]$')
                                           THEN trim(x, ' \t\r\n') ELSE x END)),
    lambda x: x IS NOT NULL AND x <> '' AND left(x, 1) NOT IN ('[', '{')), []::VARCHAR[]);
CREATE MACRO first_seen(l) AS list_filter(l, lambda x, i: list_position(l, x) = i);
CREATE MACRO path_parts(p) AS list_filter(string_split(p, '/'), lambda s: s <> '' AND s <> '.');
CREATE MACRO stem_of(name) AS
    CASE WHEN name NOT IN ('..', '') THEN nullif(regexp_replace(name, '[.][^.]*$', ''), '') END;
CREATE MACRO type_ok(t, want) AS t IS NULL OR t = 'NULL' OR t = want;
CREATE MACRO bad_qas(l) AS coalesce(len(list_filter(l, lambda x: x.Question IS NULL OR is_jsonish(x.Question))), 0);
"""


def read_lines_sql(path_param: str, *, rejects: bool) -> str:
    """`read_csv` reading a file as raw text lines, blank ones included (as NULL or blanks), in file order."""
    store = ", store_rejects = true, rejects_table = 'rejects', rejects_scan = 'rejects_scan'" if rejects else ""
    return (
        f"read_csv({path_param}, columns = {{'line': 'VARCHAR'}}, delim = '\x01', quote = '', escape = '', "
        f"header = false, auto_detect = false, max_line_size = {MAX_LINE_BYTES}, buffer_size = {2 * MAX_LINE_BYTES}, "
        f"ignore_errors = true{store})"
    )


# The prompt split into its text and its Midjourney parameter tail, computed while parsing (the regular
# expressions run once per record, in parallel). Literal escapes are decoded first: only rare rows reach Python.
_DECODED = "CASE WHEN contains(prompt, '\\') THEN decode_escapes(prompt) ELSE prompt END"
_PROMPT_PARTS = f"""
    decoded AS (SELECT *, {_DECODED} AS decoded FROM kept),
    cut AS (SELECT *, {mjparams.sql_raw_tail("decoded")} AS raw_tail FROM decoded),
    heads AS (SELECT *, {mjparams.sql_prompt_head("decoded", "raw_tail")} AS head,
                        {mjparams.sql_params_tail("raw_tail")} AS tail FROM cut),
    collapsed AS (SELECT *, {mjparams.sql_collapse_whitespace("head")} AS collapsed FROM heads),
    texts AS (SELECT *, {mjparams.sql_trim_text("collapsed")} AS prompt_text FROM collapsed)"""


# Pass one over the raw lines of one annotation file. $1 path, $2 split, $3 split order. Every line the
# reader yields becomes one row, in file order (preserve_insertion_order; the reader runs in parallel, which
# WITH ORDINALITY would prevent), so a row's line number is its rowid minus its split's start.
PARSE_SQL = f"""
INSERT INTO rec
WITH lines AS (
    SELECT line, TRY(json_transform(line, '{RECORD_STRUCTURE}')) AS j
    FROM {read_lines_sql("$1", rejects=True)}
), checked AS (
    SELECT j,
        CASE WHEN j IS NULL THEN CASE WHEN coalesce(trim(line, ' \t\r'), '') = '' THEN '{BLANK}'
                                      WHEN json_valid(line) THEN '{NOT_OBJECT}' ELSE '{MALFORMED}' END
             WHEN NOT starts_with(line, '{{') AND left(ltrim(line, ' \t\r'), 1) <> '{{' THEN '{NOT_OBJECT}'
        END AS status,
        CASE WHEN j IS NOT NULL AND (
                j.img_path IS NULL OR NOT contains(j.img_path, '/') OR is_jsonish(j.img_path)
                OR is_jsonish(j.prompt)
                OR j.Task1.Style IS NULL OR j.Task1.Content IS NULL
                OR j.Task1.Atmosphere IS NULL OR j.Task1.Others IS NULL
                OR j.Task2 IS NULL OR is_jsonish(j.Task2.Caption)
                OR j.Task3."{QA_KINDS["style"]}" IS NULL OR j.Task3."{QA_KINDS["content"]}" IS NULL)
             THEN json_type(line, {TYPE_PATHS!r}) END AS types
    FROM lines
), fields AS (
    SELECT status, j,
        CASE WHEN status IS NULL AND (types IS NULL OR types[1] = 'VARCHAR') THEN j.img_path END AS path,
        types IS NOT NULL AND NOT type_ok(types[2], 'VARCHAR') AS bad_prompt,
        types IS NOT NULL AND NOT (type_ok(types[3], 'OBJECT') AND type_ok(types[4], 'ARRAY')
            AND type_ok(types[5], 'ARRAY') AND type_ok(types[6], 'ARRAY') AND type_ok(types[7], 'ARRAY'))
            AS bad_task1,
        types IS NOT NULL AND NOT (type_ok(types[8], 'OBJECT') AND type_ok(types[9], 'VARCHAR')) AS bad_task2,
        types IS NOT NULL AND NOT (type_ok(types[10], 'OBJECT') AND type_ok(types[11], 'ARRAY')
            AND type_ok(types[12], 'ARRAY')) AS bad_task3
    FROM checked
), paths AS (
    SELECT *,
        path_parts(path) AS parts,
        starts_with(path, '/') OR contains(path, '\\') OR regexp_matches(path, '^[A-Za-z]:')
            OR list_contains(string_split(path, '/'), '..') AS outside,
        clean_tags(j.Task1.Style) AS styles, clean_tags(j.Task1.Content) AS contents,
        clean_tags(j.Task1.Atmosphere) AS atmospheres, clean_tags(j.Task1.Others) AS others
    FROM fields
), named AS (
    SELECT *, stem_of(parts[-1]) AS image_id
    FROM paths
), kept AS (
    SELECT *, CASE WHEN NOT bad_prompt THEN j.prompt END AS prompt FROM named
), {_PROMPT_PARTS}
SELECT $2, $3,
    CASE WHEN status IS NOT NULL THEN status WHEN image_id IS NULL THEN '{NO_IMG_PATH}' END,
    list_filter([
        CASE WHEN outside THEN '{OUTSIDE}' END,
        CASE WHEN bad_prompt THEN '{BAD_PROMPT}' END,
        CASE WHEN bad_task1 THEN '{BAD_TASK1}' END,
        CASE WHEN bad_task2 THEN '{BAD_TASK2}' END,
        CASE WHEN bad_task3 THEN '{BAD_TASK3}' END,
        CASE WHEN bad_qas(j.Task3."{QA_KINDS["style"]}") + bad_qas(j.Task3."{QA_KINDS["content"]}") > 0
             THEN '{BAD_QUESTION}' END], lambda x: x IS NOT NULL),
    image_id,
    CASE WHEN NOT outside THEN $2 || '/imgs/' || array_to_string(parts, '/') END,
    prompt, prompt_text, ({mjparams.sql_count_words("prompt_text")})::INTEGER, tail,
    CASE WHEN NOT bad_task2 THEN j.Task2.Caption END,
    first_seen(styles), first_seen(contents), first_seen(atmospheres), first_seen(others), j.Task3
FROM texts
"""

# The questions of every kept record, from the Task3 lists parsed with it, in file order (style before
# content, then qa_index: the order of the unnested lists); `rid` is numbered into row_id by `_write_questions`.
QUESTIONS_SQL = f"""
    WITH kept AS (SELECT rowid AS rid, image_id, split, t3 FROM rec WHERE status IS NULL),
    by_kind AS (
        SELECT rid, image_id, split,
            unnest([{{'kind': 'style', 'qas': t3."{QA_KINDS["style"]}"}},
                    {{'kind': 'content', 'qas': t3."{QA_KINDS["content"]}"}}]) AS k
        FROM kept
    ), q AS (
        SELECT rid, image_id, split, k.kind AS kind, unnest(k.qas) AS qa, unnest(range(len(k.qas))) AS qa_index
        FROM by_kind WHERE len(k.qas) > 0
    )
    SELECT image_id, split, kind, qa_index::INTEGER AS qa_index, qa.Question AS question,
        CASE WHEN qa.Options.A IS NOT NULL AND qa.Options.B IS NOT NULL AND qa.Options.C IS NOT NULL
                  AND qa.Options.D IS NOT NULL
             THEN [qa.Options.A, qa.Options.B, qa.Options.C, qa.Options.D]
             ELSE list_filter([qa.Options.A, qa.Options.B, qa.Options.C, qa.Options.D], lambda o: o IS NOT NULL)
        END AS options,
        nullif(trim(qa.Answer), '') AS answer, rid
    FROM q WHERE qa.Question IS NOT NULL AND NOT is_jsonish(qa.Question)
"""

# rowid order is (split order, line) order: the first of each image_id is kept.
MARK_DUPLICATES_SQL = f"""
UPDATE rec SET status = '{DUPLICATE}'
FROM (SELECT rid FROM (
          SELECT rowid AS rid, row_number() OVER (PARTITION BY image_id ORDER BY rowid) AS n
          FROM rec WHERE status IS NULL)
      WHERE n > 1) AS dup
WHERE rec.rowid = dup.rid
"""

# line_no: the line's position among the lines the reader yielded (`_true_line` adds the rejected ones).
SKIPPED_SQL = f"""
SELECT status AS reason, split, split_order, r.rowid - s.start + 1 AS line_no
FROM rec AS r JOIN split_starts AS s USING (split_order) WHERE status IS NOT NULL AND status <> '{BLANK}'
UNION ALL
SELECT unnest(issues), split, split_order, r.rowid - s.start + 1
FROM rec AS r JOIN split_starts AS s USING (split_order) WHERE status IS NULL AND len(issues) > 0
"""

EXISTING_PATHS_SQL = """
SELECT r.image_id, r.img_path FROM rec AS r JOIN files AS f ON r.img_path = f.img_path
WHERE r.status IS NULL
"""

_PARAMS = mjparams.sql_param_columns("tail")
# Parameter tails repeat a lot ("--ar 3:2 --v 5"): run the regular expressions once per distinct tail.
CREATE_PARAMS_SQL = f"""
CREATE TABLE params AS
SELECT tail,
    {_PARAMS["mj_version"]} AS mj_version,
    {_PARAMS["aspect_ratio"]} AS aspect_ratio,
    {_PARAMS["quality"]} AS quality,
    {_PARAMS["stylize"]} AS stylize,
    {_PARAMS["chaos"]} AS chaos,
    {_PARAMS["seed"]} AS seed
FROM (SELECT DISTINCT tail FROM rec WHERE status IS NULL AND tail IS NOT NULL)
"""
# images.parquet is written in file order (the order of row_id) from two streams of the kept records, both in
# rowid order: the wide columns from a plain scan (which keeps the table's order), and the columns that need a
# join (the parameters of the tail, the image size) sorted by rid, which is narrow and cheap to sort.
# `_write_images` checks that the two line up. Sorting the wide rows instead took ~50 s at full scale.
IMAGES_WIDE_SQL = """
    SELECT rowid AS rid, image_id, split, img_path, prompt, prompt_text, caption, styles, contents, atmospheres,
        others, tail AS mj_params, prompt_words, CASE WHEN prompt IS NOT NULL THEN hash(prompt) END AS prompt_hash,
        (len(styles) + len(contents) + len(atmospheres) + len(others))::INTEGER AS n_tags
    FROM rec WHERE status IS NULL
"""
IMAGES_JOINED_SQL = """
    SELECT t.rowid AS rid, p.mj_version, p.aspect_ratio, p.quality, p.stylize, p.chaos, p.seed,
        s.width::INTEGER AS width, s.height::INTEGER AS height
    FROM rec AS t LEFT JOIN sizes AS s ON t.image_id = s.image_id LEFT JOIN params AS p ON t.tail = p.tail
    WHERE t.status IS NULL
    ORDER BY rid
"""
IMAGE_COLUMNS = (
    "image_id", "split", "img_path", "prompt", "prompt_text", "caption", "styles", "contents", "atmospheres",
    "others", "mj_version", "aspect_ratio", "quality", "stylize", "chaos", "seed", "mj_params", "prompt_words",
    "prompt_hash", "width", "height", "row_id", "n_tags",
)  # fmt: skip

# row_id: the position of each kept image in images.parquet, i.e. in file order (splits in order, then lines),
# by the rowid (`rid`) of its record: the later passes join on that integer, not on the image_id string.
ROW_IDS_SQL = """
CREATE TABLE row_ids AS
SELECT rowid AS rid, image_id, (row_number() OVER (ORDER BY rowid) - 1)::BIGINT AS row_id
FROM rec WHERE status IS NULL
"""
# The text index's documents come from the work database (textindex.docs_sql over images.parquet's columns),
# so the index is built while images.parquet and the other tables are written.
INDEX_SOURCE_SQL = """(
    SELECT r.row_id, t.prompt_text, t.caption, t.styles, t.contents, t.atmospheres, t.split,
        p.mj_version, p.aspect_ratio
    FROM rec AS t JOIN row_ids AS r ON t.rowid = r.rid LEFT JOIN params AS p ON t.tail = p.tail
    WHERE t.status IS NULL)"""
# image_ids.parquet: image_id -> row_id, sorted by image_id, so a lookup of one image by its id reads one small
# row group here and then one row group of images.parquet by row_id.
IMAGE_IDS_SQL = """
COPY (SELECT image_id, row_id FROM row_ids ORDER BY image_id)
TO {path} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {row_group})
"""
IMAGE_IDS_ROW_GROUP = 8_192

# Every (image, kind, tag) once, keyed by row_id.
_TAG_ROWS = """
SELECT r.row_id, t.kind, unnest(t.tags) AS tag FROM (
    SELECT rowid AS rid, 'style' AS kind, styles AS tags FROM rec WHERE status IS NULL
    UNION ALL SELECT rowid, 'content', contents FROM rec WHERE status IS NULL
    UNION ALL SELECT rowid, 'atmosphere', atmospheres FROM rec WHERE status IS NULL
    UNION ALL SELECT rowid, 'other', others FROM rec WHERE status IS NULL) AS t
    JOIN row_ids AS r ON t.rid = r.rid
WHERE len(t.tags) > 0
"""
# The distinct tags numbered in (kind, tag) order, with their image counts (tags are unique per image).
TAG_DICT_SQL = f"""
CREATE TABLE tag_dict AS
SELECT kind, tag, count(*) AS n_images, (row_number() OVER (ORDER BY kind, tag) - 1)::INTEGER AS tag_no
FROM ({_TAG_ROWS}) GROUP BY kind, tag
"""
# The postings as two integers, sorted: (tag_no, row_id) is (kind, tag, image_id) order, and 12 bytes a
# row sort in memory where the strings would spill. Strings are put back with Arrow (`_write_tags`).
TAG_POSTINGS_SQL = f"""
SELECT d.tag_no, p.row_id FROM ({_TAG_ROWS}) AS p JOIN tag_dict AS d ON p.kind = d.kind AND p.tag = d.tag
ORDER BY d.tag_no, p.row_id
"""
TAG_COUNTS_SQL = """
COPY (SELECT kind, tag, n_images FROM tag_dict ORDER BY kind, n_images DESC, tag)
TO {path} (FORMAT parquet, COMPRESSION zstd)
"""


def find_annotation_files(raw: Path, report: IngestReport | None = None) -> dict[str, Path]:
    """The annotation file of each split present under RAW (a `.jsonl` is preferred to its `.tgz`)."""
    found: dict[str, Path] = {}
    for split in SPLITS:
        path = find_release_file(raw / "data" / split, ANNOTATION_NAMES[split])
        if path is not None:
            found[split] = path
    if "train" not in found:
        legacy = find_release_file(raw / "data" / "train", LEGACY_TRAIN_NAME)
        if legacy is not None:
            found["train"] = legacy
            if report is not None:
                report.notes.append(
                    f"used {legacy.name}: its img_path values may not match the extracted images "
                    f"(the release's {ANNOTATION_NAMES['train']} is preferred)"
                )
    elif report is not None and find_release_file(raw / "data" / "train", LEGACY_TRAIN_NAME) is not None:
        report.notes.append(f"ignored {LEGACY_TRAIN_NAME} (superseded by {found['train'].name})")
    return found


def ingest(raw: Path, data_dir: Path, *, progress: bool = True) -> IngestReport:
    """Read the JourneyDB release rooted at RAW and publish `data_dir/journeydb/`."""
    started = time.monotonic()
    raw = Path(raw)
    report = IngestReport(dataset=DATASET)
    files = find_annotation_files(raw, report)
    if not files:
        names = ", ".join(f"data/{s}/{n}(.tgz)" for s, n in ANNOTATION_NAMES.items())
        raise IngestError(f"{raw} holds no JourneyDB annotation file (looked for {names}).")
    image_root = raw / "data"
    with staged_export(data_dir, DATASET) as folder:
        work = Path(tempfile.mkdtemp(prefix="work-", dir=folder))
        try:
            con = _connect(work)
            try:
                with make_progress(progress) as bars:
                    _load(con, files, work, report, bars)
                    _read_sizes(con, image_root, bars)
                    _write_tables(con, folder, report, bars)
                    report.record_steps(bars)
            finally:
                con.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)
        write_aggregates(folder, DATASET, report)
        report.seconds = time.monotonic() - started
        write_manifest(folder, report, image_root=image_root, source=raw)
    return report


def _connect(work: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB database file in the work folder, its tables stored zstd-compressed.

    In memory, the parsed records (~3 GB at full scale) filled the memory limit and were spilled to and
    re-read from temporary files by every later pass; on disk they take ~1.4 GB, and the buffer pool keeps
    only what a pass reads. Stored uncompressed (4.3 GB) the ingest was no faster and peaked ~250 MB higher.
    """
    con = duckdb.connect(
        str(work / "ingest.duckdb"), config={"memory_limit": MEMORY_LIMIT, "temp_directory": str(work / "duckdb")}
    )
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET force_compression = 'zstd'")
    con.execute("SET enable_progress_bar_print = false")
    con.create_function(
        "decode_escapes",
        _decode_escapes_arrow,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type="arrow",
        side_effects=False,
    )
    con.execute(CREATE_MACROS_SQL)
    con.execute(CREATE_RECORDS_SQL)
    return con


def _decode_escapes_arrow(prompts: pa.Array) -> pa.Array:
    return pa.array([None if p is None else mjparams.decode_escapes(p) for p in prompts.to_pylist()], pa.string())


def _run_with_progress(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None, bars: Progress, description: str
) -> None:
    """Run one long statement, showing DuckDB's own progress estimate as a bar."""
    task = bars.add_task(description, total=100)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            con.execute(sql, params)
        except BaseException as err:  # re-raised in the calling thread
            failure.append(err)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
            done = con.query_progress()
            if done >= 0:
                bars.update(task, completed=done)
    except BaseException:
        con.interrupt()
        worker.join()
        raise
    if failure:
        raise failure[0]
    bars.update(task, completed=100)


def _load(
    con: duckdb.DuckDBPyConnection, files: dict[str, Path], work: Path, report: IngestReport, bars: Progress
) -> None:
    """Parse every annotation file (unpacked into `work` when released as an archive) into the `rec` table and
    account for what was skipped."""
    rejected: dict[str, list[int]] = {}
    unreadable: list[tuple[int, int, str]] = []
    for order, (split, path) in enumerate(files.items()):
        if path.suffix != ".jsonl":
            task = bars.add_task(f"Unpacking {path.name}", total=1)
            source = materialize(path, work)
            bars.update(task, completed=1)
        else:
            source = path
        _check_text_file(source, path)
        overlong = _overlong_lines(source)
        if overlong:  # blanked before DuckDB reads them: it drops lines past its buffer without a trace
            source = _blank_lines(source, set(overlong), work / f"{split}.short.jsonl")
            unreadable += [(order, line, REJECT_REASONS["LINE SIZE OVER MAXIMUM"]) for line in overlong]
        try:
            con.execute("INSERT INTO split_starts SELECT ?, count(*) FROM rec", [order])
            con.execute("SET preserve_insertion_order = true")
            _run_with_progress(con, PARSE_SQL, [str(source), split, order], bars, f"Parsing {split}")
            con.execute("SET preserve_insertion_order = false")
        except duckdb.Error as err:
            raise IngestError(f"{path} could not be read as JSON lines ({err}).") from err
        rejects = con.execute(
            "SELECT line, error_type FROM rejects ORDER BY line"
            if _has_table(con, "rejects")
            else "SELECT NULL, NULL WHERE false"
        ).fetchall()
        rejected[split] = [int(line) for line, _ in rejects]
        (objects,) = con.execute(
            "SELECT count(*) FROM rec WHERE split = ? AND (status IS NULL OR status NOT IN (?, ?, ?))",
            [split, MALFORMED, NOT_OBJECT, BLANK],
        ).fetchone()  # type: ignore[misc]
        if objects == 0:
            raise IngestError(f"{path} is not a JSON-lines file: no line of it is a JSON object.")
        for line, error_type in rejects:
            unreadable.append((order, int(line), REJECT_REASONS.get(error_type, UNREADABLE)))
        _clear_rejects(con)
    con.execute(MARK_DUPLICATES_SQL)
    _account(con, files, rejected, unreadable, report)


def _check_text_file(source: Path, original: Path) -> None:
    """Refuse a file that is plainly not text (e.g. an archive under a .jsonl name)."""
    with open(source, "rb") as f:
        head = f.read(4096)
    if head.startswith((b"\x1f\x8b", b"PK\x03\x04", b"\xfd7zXZ", b"BZh")) or b"\x00" in head:
        raise IngestError(f"{original} is a binary or compressed file, not JSON lines.")


def _overlong_lines(source: Path) -> list[int]:
    """Numbers of the lines longer than MAX_LINE_BYTES (one sequential read in chunks of that size)."""
    found: list[int] = []
    lines = carry = 0
    with open(source, "rb") as f:
        while chunk := f.read(MAX_LINE_BYTES):
            first = chunk.find(b"\n")
            if first < 0:
                carry += len(chunk)
                continue
            if carry + first > MAX_LINE_BYTES:  # lines wholly inside a chunk are shorter than the limit
                found.append(lines + 1)
            lines += chunk.count(b"\n")
            carry = len(chunk) - chunk.rfind(b"\n") - 1
    if carry > MAX_LINE_BYTES:
        found.append(lines + 1)
    return found


def _blank_lines(source: Path, blank: set[int], target: Path) -> Path:
    """A copy of `source` with the given lines emptied, so that every other line keeps its number."""
    number = 1
    with open(source, "rb") as src, open(target, "wb") as dst:
        while piece := src.readline(MAX_LINE_BYTES):  # bounded reads: a blanked line may be gigabytes
            if number not in blank:
                dst.write(piece)
            if piece.endswith(b"\n"):
                if number in blank:
                    dst.write(b"\n")
                number += 1
    return target


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0]  # type: ignore[index]
    )


def _clear_rejects(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("rejects", "rejects_scan"):
        if _has_table(con, name):
            con.execute(f"DROP TABLE {name}")


def _account(
    con: duckdb.DuckDBPyConnection,
    files: dict[str, Path],
    rejected: dict[str, list[int]],
    unreadable: list[tuple[int, int, str]],
    report: IngestReport,
) -> None:
    """Count skipped records and nulled fields per reason, with the first few file/line locations."""
    counts: dict[str, int] = {}
    for _, _, reason in unreadable:
        counts[reason] = counts.get(reason, 0) + 1
    for reason, count in con.execute(f"SELECT reason, count(*) FROM ({SKIPPED_SQL}) GROUP BY reason").fetchall():
        counts[reason] = counts.get(reason, 0) + int(count)
    order = {split: n for n, split in enumerate(files)}
    located = [
        (order[split], _true_line(int(ordinal), rejected.get(split, [])), reason)
        for reason, split, ordinal in con.execute(
            f"SELECT reason, split, line_no FROM ({SKIPPED_SQL}) ORDER BY split_order, line_no LIMIT ?",
            [MAX_EXAMPLES],
        ).fetchall()
    ]
    names = list(files.values())
    shown: dict[str, int] = {}
    for split_order, line, reason in sorted(located + unreadable)[:MAX_EXAMPLES]:
        report.skip(reason, 1, f"{names[split_order].name} line {line}")
        shown[reason] = shown.get(reason, 0) + 1
    for reason, count in sorted(counts.items()):
        report.skip(reason, count - shown.get(reason, 0))


def _true_line(ordinal: int, rejected: list[int]) -> int:
    """The file line of the `ordinal`-th line DuckDB kept, given the (sorted) lines it rejected."""
    line = ordinal
    for rejected_line in rejected:
        if rejected_line <= line:
            line += 1
        else:
            break
    return line


def _read_sizes(con: duckdb.DuckDBPyConnection, image_root: Path, bars: Progress) -> None:
    """Width and height of every referenced image file that exists, read from its header."""
    root = image_root.resolve()
    existing: list[str] = []
    for split in SPLITS:
        imgs = image_root / split / "imgs"
        if imgs.is_dir():
            existing.extend(_list_files(imgs, f"{split}/imgs"))
    con.register("files", pa.table({"img_path": pa.array(existing, pa.string())}))
    pairs = con.execute(EXISTING_PATHS_SQL).fetchall() if existing else []
    con.unregister("files")
    ids: list[str] = []
    widths: list[int | None] = []
    heights: list[int | None] = []
    if pairs:
        task = bars.add_task("Reading image sizes", total=len(pairs))
        for n, (image_id, rel) in enumerate(pairs, 1):
            size = _image_size(root / rel, root)
            if size is not None:
                ids.append(image_id)
                widths.append(size[0])
                heights.append(size[1])
            if n % 1000 == 0:
                bars.update(task, completed=n)
        bars.update(task, completed=len(pairs))
    sizes = pa.table(
        {
            "image_id": pa.array(ids, pa.string()),
            "width": pa.array(widths, pa.int32()),
            "height": pa.array(heights, pa.int32()),
        }
    )
    con.register("sizes_arrow", sizes)
    con.execute("CREATE TABLE sizes AS SELECT * FROM sizes_arrow")
    con.unregister("sizes_arrow")


def _list_files(folder: Path, prefix: str) -> list[str]:
    """Relative paths (`prefix/…`) of the regular files under `folder`, not following directory links."""
    found: list[str] = []
    stack = [(str(folder), prefix)]
    while stack:
        current, rel = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            name = f"{rel}/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, name))
            elif entry.is_file():
                found.append(name)
    return found


def _image_size(path: Path, root: Path) -> tuple[int, int] | None:
    """(width, height) from the file header; None when unreadable or when a link leads outside `root`."""
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            return None
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


class _Aligned:
    """Rows of a batch stream taken in slices of any length (to line one stream up with another)."""

    def __init__(self, reader: pa.RecordBatchReader) -> None:
        self._reader = reader
        self._pending: list[pa.RecordBatch] = []
        self._rows = 0

    def _pull(self) -> None:
        """Read one more batch (StopIteration at the end of the stream)."""
        batch = self._reader.read_next_batch()
        self._pending.append(batch)
        self._rows += batch.num_rows

    def take(self, n: int) -> pa.Table:
        while self._rows < n:
            self._pull()  # StopIteration when the stream is shorter: a bug, not data
        table = pa.Table.from_batches(self._pending, schema=self._reader.schema)
        rest = table.slice(n)
        self._pending = rest.to_batches()
        self._rows = rest.num_rows
        return table.slice(0, n)

    def exhausted(self) -> bool:
        """Whether every row has been taken."""
        while self._rows == 0:
            try:
                self._pull()
            except StopIteration:
                return True
        return False


_MISALIGNED = "internal error: the image streams do not line up; nothing was published."


def _ordered(rid: pa.Array, last: int) -> int:
    """The last rid of `rid`, after checking that the stream's rids never go down (file order kept)."""
    values = rid.to_numpy()
    if len(values) and (values[0] < last or (len(values) > 1 and bool(np.any(np.diff(values) < 0)))):
        raise IngestError("internal error: DuckDB returned the records out of file order; nothing was published.")
    return int(values[-1]) if len(values) else last


@contextmanager
def _in_file_order(con: duckdb.DuckDBPyConnection, sql: str) -> Iterator[pa.RecordBatchReader]:
    """The result of `sql` as batches in the table's order (preserve_insertion_order for this query only)."""
    con.execute("SET preserve_insertion_order = true")
    reader: pa.RecordBatchReader | None = None
    try:
        reader = con.sql(sql).to_arrow_reader(IMAGE_ROW_GROUP)
        yield reader
    finally:
        if reader is not None:
            reader.close()  # an unread result would refuse the next statement on `con` and hide the error
        con.execute("SET preserve_insertion_order = false")


def _write_images(con: duckdb.DuckDBPyConnection, path: Path, bars: Progress) -> None:
    """images.parquet in file order (row_id 0, 1, …), from the wide and the joined stream (see IMAGES_WIDE_SQL)."""
    task = bars.add_task("Writing images", total=1)
    cursor = con.cursor()
    joined_reader = cursor.sql(IMAGES_JOINED_SQL).to_arrow_reader(IMAGE_ROW_GROUP)
    joined = _Aligned(joined_reader)
    try:
        with _in_file_order(con, IMAGES_WIDE_SQL) as wide:
            fields = {f.name: f for f in [*wide.schema, *joined_reader.schema, pa.field("row_id", pa.int64())]}
            schema = pa.schema([fields[name] for name in IMAGE_COLUMNS])
            row_id = 0
            with pq.ParquetWriter(path, schema, compression="zstd", **_encoding(schema)) as writer:
                for batch in wide:
                    extra = joined.take(batch.num_rows)
                    # Equal to the joined stream, which is sorted by rid: so in file order too.
                    if not batch.column("rid").equals(extra.column("rid").combine_chunks()):
                        raise IngestError(_MISALIGNED)
                    columns = {name: batch.column(name) for name in batch.schema.names}
                    columns.update({name: extra.column(name).combine_chunks() for name in extra.schema.names})
                    columns["row_id"] = pa.array(np.arange(row_id, row_id + batch.num_rows), pa.int64())
                    row_id += batch.num_rows
                    out = pa.record_batch([columns[name] for name in IMAGE_COLUMNS], schema=schema)
                    writer.write_batch(out, row_group_size=IMAGE_ROW_GROUP)
            if not joined.exhausted():
                raise IngestError(_MISALIGNED)
    finally:
        cursor.close()
    bars.update(task, completed=1)


def _write_questions(con: duckdb.DuckDBPyConnection, path: Path, bars: Progress) -> None:
    """questions.parquet in file order, each question numbered with its image's row_id (from its record's rid)."""
    task = bars.add_task("Writing questions", total=1)
    kept = con.sql("SELECT rid FROM row_ids ORDER BY row_id").to_arrow_table().column(0).to_numpy()
    with _in_file_order(con, QUESTIONS_SQL) as reader:
        names = [name for name in reader.schema.names if name != "rid"] + ["row_id"]
        schema = pa.schema([*(reader.schema.field(name) for name in names[:-1]), pa.field("row_id", pa.int64())])
        last = -1
        with pq.ParquetWriter(path, schema, compression="zstd", **_encoding(schema)) as writer:
            for batch in reader:
                rid = batch.column("rid")
                last = _ordered(rid, last)
                row_id = pa.array(np.searchsorted(kept, rid.to_numpy()), pa.int64())
                columns = [batch.column(name) for name in names[:-1]]
                writer.write_batch(pa.record_batch([*columns, row_id], schema=schema), row_group_size=IMAGE_ROW_GROUP)
    bars.update(task, completed=1)


# Columns with (nearly) one value per row are stored without a dictionary. Arrow dictionary-encodes every
# column by default and falls back to plain pages once the dictionary page is full, so a lookup of one image
# decoded a whole 1 MB dictionary page per text column: without them one image's row reads ~25% faster
# (full scale: p50 20 -> 15 ms) and the file is slightly smaller.
PLAIN_COLUMNS = frozenset({"image_id", "img_path", "prompt", "prompt_text", "caption", "prompt_hash", "row_id"})


def _encoding(schema: pa.Schema) -> dict[str, Any]:
    """Writer options: PLAIN_COLUMNS without a dictionary, `row_id` delta-encoded (it rises within each row
    group), the rest dictionary-encoded as usual.

    With a dictionary, the unique, sorted row ids made the semi-joins on them (filtered statistics) read
    and decode about three times as much.
    """
    leaves = [f"{f.name}.list.element" if pa.types.is_list(f.type) else f.name for f in schema]  # Parquet paths
    options: dict[str, Any] = {
        "use_dictionary": [leaf for leaf, name in zip(leaves, schema.names, strict=True) if name not in PLAIN_COLUMNS]
    }
    if "row_id" in schema.names:
        options["column_encoding"] = {"row_id": "DELTA_BINARY_PACKED"}
    return options


def _write_tags(con: duckdb.DuckDBPyConnection, tag_ids_path: Path, bars: Progress) -> None:
    """Write tag_ids.parquet (kind, tag, row_id) from the sorted integer postings.

    The postings are stored once, keyed by row_id: with each row's image_id as well (schema_version 2's
    tags.parquet) they took 15 times the disk (a random 32-character id per row does not compress) and
    ~2.5 times the time to write. The app's `journeydb_tags` view puts image_id back (`explorer.store`).
    """
    task = bars.add_task("Writing tags", total=1)
    names = con.sql("SELECT kind, tag FROM tag_dict ORDER BY tag_no").to_arrow_table()
    kinds, tags = names.column("kind").combine_chunks(), names.column("tag").combine_chunks()
    schema = pa.schema([("kind", pa.string()), ("tag", pa.string()), ("row_id", pa.int64())])
    with pq.ParquetWriter(tag_ids_path, schema, compression="zstd", **_encoding(schema)) as out:
        for batch in con.sql(TAG_POSTINGS_SQL).to_arrow_reader(TAG_ROW_GROUP):
            tag_no, row_id = batch.column(0), batch.column(1)
            kind = pc.take(kinds, tag_no).cast(pa.string())
            tag = pc.take(tags, tag_no).cast(pa.string())
            out.write_batch(pa.record_batch([kind, tag, row_id.cast(pa.int64())], schema=schema))
    bars.update(task, completed=1)


def _write_tables(con: duckdb.DuckDBPyConnection, folder: Path, report: IngestReport, bars: Progress) -> None:
    """Write the five tables and the text index, and record the tables' row counts."""
    names = ("images", "image_ids", "questions", "tag_ids", "tag_counts")
    targets = {name: folder / f"{name}.parquet" for name in names}
    _run_with_progress(con, ROW_IDS_SQL, None, bars, "Numbering images")
    _run_with_progress(con, CREATE_PARAMS_SQL, None, bars, "Parsing parameters")
    # The text index (the longest step) reads the work database on its own cursor and is built on a thread
    # while this one writes the tables.
    docs = con.cursor()
    text_index = textindex.BackgroundBuild(
        lambda: docs.sql(textindex.docs_sql(INDEX_SOURCE_SQL)).to_arrow_reader(textindex.BATCH_ROWS),
        folder / textindex.INDEX_DIR,
    )
    try:
        _write_images(con, targets["images"], bars)
        sql = IMAGE_IDS_SQL.format(path=sql_string(str(targets["image_ids"])), row_group=IMAGE_IDS_ROW_GROUP)
        _run_with_progress(con, sql, None, bars, "Writing image ids")
        _write_questions(con, targets["questions"], bars)
        _run_with_progress(con, TAG_DICT_SQL, None, bars, "Collecting tags")
        _write_tags(con, targets["tag_ids"], bars)
        _run_with_progress(
            con, TAG_COUNTS_SQL.format(path=sql_string(str(targets["tag_counts"]))), None, bars, "Counting tags"
        )
        task = bars.add_task("Indexing prompt and caption text", total=1)
        text_index.wait()
        bars.update(task, completed=1)
    except BaseException:
        docs.interrupt()  # stop the index's reader before its cursor goes away
        text_index.abandon()
        raise
    finally:
        docs.close()
    for name, path in targets.items():
        (rows,) = con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()  # type: ignore[misc]
        report.rows[name] = int(rows)
