"""Point lookups: the rows of one key (an image) in an export file, read with pyarrow instead of DuckDB.

Opening one image reads a few dozen rows from each of several large files, all written sorted by their key
(`image_id`, or `row_id` for JourneyDB). The row-group statistics in each file's footer (kept in memory,
per file version) say which row groups can hold the key; only those are read and filtered. At full scale
(Visual Genome, 16,384-row groups) a table's rows for one image took 5-7 ms through a DuckDB query and
1-2.5 ms this way: most of a DuckDB query's time there is planning and scheduling, not reading.

Only files the store has a view of are read, so the lockdown of `explorer.store` still bounds what is read.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from explorer.store import QueryError, Store

FOOTER_CACHE_SIZE = 32  # file versions whose row-group bounds are kept (the app looks up in ~8 files)


@dataclass(frozen=True)
class _Bounds:
    """A file's footer and, per row group, the (low, high) of the key column; None where not recorded."""

    metadata: pq.FileMetaData
    columns: frozenset[str]
    ranges: tuple[tuple[Any, Any] | None, ...]


@functools.lru_cache(maxsize=FOOTER_CACHE_SIZE)
def _bounds(path: str, key: str, version: tuple[int, int, int]) -> _Bounds:
    """Row-group bounds of `key` in `path` (`version`: inode, size and mtime, so a new export is re-read)."""
    metadata = pq.read_metadata(path)
    # Statistics are kept per Parquet leaf column: a struct before the key has several, a list one.
    leaves = [metadata.schema.column(number).path for number in range(metadata.num_columns)]
    if key not in leaves:
        raise KeyError(key)
    column = leaves.index(key)
    names = metadata.schema.to_arrow_schema().names
    ranges: list[tuple[Any, Any] | None] = []
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(column).statistics
        ranges.append((stats.min, stats.max) if stats is not None and stats.has_min_max else None)
    return _Bounds(metadata, frozenset(names), tuple(ranges))


def rows_with_key(
    store: Store, view: str, key: str, value: int | str, columns: Sequence[str], *, order_by: Sequence[str] = ()
) -> pa.Table:
    """The `columns` of the rows of `view` whose `key` equals `value`, sorted by `order_by` (ascending).

    Raises QueryError when the file cannot be read (missing, damaged, or without one of the columns).
    """
    path = store.views.get(view)
    if path is None:
        raise QueryError(f"The export has no {view} table.")
    try:
        stat = os.stat(path)
        bounds = _bounds(str(path), key, (stat.st_ino, stat.st_size, stat.st_mtime_ns))
        groups = [
            number
            for number, bound in enumerate(bounds.ranges)
            if bound is None or (bound[0] <= value <= bound[1])  # type: ignore[operator]
        ]
        wanted = list(dict.fromkeys([key, *columns, *order_by]))
        missing = [name for name in wanted if name not in bounds.columns]
        if missing:  # pyarrow would leave them out silently
            raise KeyError(", ".join(missing))
        table = pq.ParquetFile(path, metadata=bounds.metadata).read_row_groups(groups, columns=wanted)
        table = table.filter(pc.equal(table[key], pa.scalar(value, table.schema.field(key).type)))
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException) as err:
        raise QueryError(f"Could not read {Path(path).name}: {err}") from err
    if order_by and table.num_rows > 1:
        table = table.sort_by([(name, "ascending") for name in order_by])
    return table.select(list(columns))


def key_rows(
    store: Store, view: str, key: str, value: int | str, columns: Sequence[str], *, order_by: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """`rows_with_key` as tuples of the `columns`, like `Store.rows` returns them."""
    table = rows_with_key(store, view, key, value, columns, order_by=order_by)
    return list(zip(*(table.column(name).to_pylist() for name in columns), strict=True))
