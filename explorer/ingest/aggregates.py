"""Whole-dataset aggregates for the stats pages, written at ingest as `stats_*.parquet` beside the tables.

They run the same SQL as the pages' live queries (`explorer.queries.stats`) with no filter, over views named
as in the app (`journeydb_images`, `vg_objects`, ...) on the staging folder, so an unfiltered stats page
reads a few small tables instead of scanning millions of rows.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from explorer.config import DATASETS
from explorer.ingest.common import IngestReport
from explorer.queries import stats
from explorer.store import sql_string

STATS_PREFIX = "stats_"
STEP = "Writing stats tables"  # its name among the ingest steps (IngestReport.steps)
# Sorted by their first column (the value) in row groups of this size: looking up a chart's shown values in the
# whole dataset's counts (stats.WHOLE_VALUES_SQL) reads a few groups, found by their min/max, instead of every
# value (~2M triples at full scale), and a whole-table read runs on every thread.
STATS_ROW_GROUP = 32_768


def _connect(folder: Path, prefix: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    for path in sorted(folder.glob("*.parquet")):
        if not path.stem.replace("_", "").isalnum() or path.stem.startswith(STATS_PREFIX):
            continue
        con.execute(f"CREATE VIEW {prefix}_{path.stem} AS SELECT * FROM read_parquet({sql_string(str(path))})")
    return con


def _queries(dataset: str, con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, list[object]]]:
    """Stats table name -> (SQL, params) for `dataset`."""
    top = stats.PRECOMPUTED_COOCCURRENCE_TOP
    if dataset == "journeydb":
        out = {
            spec.precomputed: (stats.live_sql(spec, "journeydb"), [])
            for spec in stats.JDB_STATS.values()
            if spec.precomputed
        }
        out["answers"] = (stats.JDB_ANSWERS_SQL.format(selection="TRUE"), [])
        styles = _top(con, stats.JDB_TOP_TAGS_SQL, [top, "style"])
        contents = _top(con, stats.JDB_TOP_TAGS_SQL, [top, "content"])
        cooccurrence = stats.JDB_COOCCURRENCE_SQL.format(row_column="styles", col_column="contents", where="TRUE")
        out["cooccurrence"] = (cooccurrence, [styles, contents])
        return out
    out = {spec.precomputed: (stats.live_sql(spec, "vg"), []) for spec in stats.VG_STATS.values() if spec.precomputed}
    bins = stats.CENTRE_BINS
    out["box_centres"] = (stats.VG_BOX_CENTRES_SQL.format(bins=bins, last=bins - 1, where="TRUE"), [])
    names = _top(con, stats.VG_TOP_NAMES_SQL.format(column="name", view="vg_object_counts"), [top])
    attributes = _top(con, stats.VG_TOP_NAMES_SQL.format(column="attribute", view="vg_attribute_counts"), [top])
    out["object_attributes"] = (stats.VG_OBJECT_ATTRIBUTES_SQL.format(selection="TRUE"), [names, attributes])
    return out


def _top(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> list[str]:
    rows = con.execute(sql, params).fetchall()
    return list(rows[0][0] or []) if rows else []


def write_aggregates(folder: Path, dataset: str, report: IngestReport | None = None) -> dict[str, int]:
    """Write `stats_*.parquet` for `dataset` ("journeydb" or "visual_genome") into `folder`; rows per table."""
    started = time.monotonic()
    prefix = DATASETS[dataset]
    con = _connect(Path(folder), prefix)
    written: dict[str, int] = {}
    try:
        for name, (sql, params) in _queries(dataset, con).items():
            table = con.sql(f"SELECT * FROM ({sql}) ORDER BY ALL", params=params).to_arrow_table()
            target = Path(folder) / f"{STATS_PREFIX}{name}.parquet"
            pq.write_table(table, target, compression="zstd", row_group_size=STATS_ROW_GROUP)
            written[f"{STATS_PREFIX}{name}"] = table.num_rows
    finally:
        con.close()
    if report is not None:
        report.rows.update(written)
        report.steps[STEP] = time.monotonic() - started
    return written
