"""The SQL console: check that a user's text is one read-only SELECT, then run it a page at a time.

Defence in depth: the text is parsed with DuckDB's own parser (`extract_statements`) and only a single
SELECT-type statement passes (SELECT, WITH, FROM-first, VALUES, DESCRIBE, SHOW, SUMMARIZE); it then runs
on the Store's locked connection, where reading files outside the data folder, writing, changing settings
and loading extensions are refused by DuckDB itself, and a timer interrupts it after the time limit.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import duckdb
import pandas as pd

from explorer.store import QueryError, QueryTimeout, Store

MAX_SQL_CHARS = 10_000
PAGE_SIZES = (25, 50, 100, 500)
DEFAULT_PAGE_SIZE = 50
# Row counts of recent queries, per store (one export version): turning the page of a result runs only the
# page's query. A Store's views never change, so a count stays right (queries using random() aside).
COUNT_CACHE_SIZE = 32

# The user's query is validated first, then wrapped; the newlines keep a trailing `-- comment` inside.
CONSOLE_PAGE_SQL = "SELECT * FROM (\n{query}\n) AS console_query LIMIT ? OFFSET ?"
CONSOLE_COUNT_SQL = "SELECT count(*) FROM (\n{query}\n) AS console_query"

EXAMPLES: dict[str, str] = {
    "Most frequent styles": (
        "SELECT style, count(*) AS images\n"
        "FROM (SELECT unnest(styles) AS style FROM journeydb_images)\n"
        "GROUP BY style\nORDER BY images DESC, style\nLIMIT 20"
    ),
    "Images where a man rides a horse": (
        "SELECT DISTINCT r.image_id, i.img_path, i.width, i.height\n"
        "FROM vg_relationships r JOIN vg_images i USING (image_id)\n"
        "WHERE r.subject_name = 'man' AND r.predicate IN ('riding', 'rides', 'on') AND r.object_name = 'horse'\n"
        "ORDER BY r.image_id"
    ),
    "Objects per image": (
        "SELECT image_id, count(*) AS objects, count(DISTINCT name) AS distinct_names\n"
        "FROM vg_objects\nGROUP BY image_id\nORDER BY objects DESC, image_id"
    ),
    "QA types": "SELECT qtype, count(*) AS questions\nFROM vg_qas\nGROUP BY qtype\nORDER BY questions DESC, qtype",
}

_REFUSED = {
    duckdb.StatementType.COPY: "COPY writes files",
    duckdb.StatementType.EXPORT: "EXPORT writes files",
    duckdb.StatementType.COPY_DATABASE: "COPY writes files",
    duckdb.StatementType.ATTACH: "ATTACH opens other databases",
    duckdb.StatementType.DETACH: "DETACH changes the databases",
    duckdb.StatementType.SET: "settings cannot change",
    duckdb.StatementType.VARIABLE_SET: "settings cannot change",
    duckdb.StatementType.LOAD: "extensions cannot be installed or loaded",
    duckdb.StatementType.EXTENSION: "extensions cannot be installed or loaded",
    duckdb.StatementType.PRAGMA: "PRAGMA statements can change settings",
    duckdb.StatementType.CALL: "CALL runs table functions; use SELECT * FROM f(...)",
}


class ConsoleRefused(QueryError):
    """The text is not a single read-only SELECT; the message says why, in a sentence."""


@dataclass(frozen=True)
class ConsoleResult:
    """One page of a console query's result, the total number of rows and how long it took."""

    frame: pd.DataFrame
    total: int
    page: int
    page_size: int
    seconds: float


def _parse(sql: str) -> list[duckdb.Statement]:
    con = duckdb.connect(":memory:")  # a private parser: connections are not thread-safe
    try:
        return con.extract_statements(sql)
    except duckdb.Error as err:
        raise ConsoleRefused(str(err).split("\n")[0]) from err
    finally:
        con.close()


def _strip_tail(sql: str) -> str:
    """`sql` without trailing semicolons and comments (so that it can be wrapped in a subquery)."""
    tokens = duckdb.tokenize(sql)
    end = len(sql)
    for start, kind in reversed(tokens):
        text = sql[start:end].strip()
        if kind == duckdb.token_type.comment or (kind == duckdb.token_type.operator and text == ";"):
            end = start
            continue
        break
    return sql[:end].rstrip()


def _one_select(sql: str) -> duckdb.Statement:
    statements = _parse(sql)
    if not statements:
        raise ConsoleRefused("Enter a query.")
    if len(statements) > 1:
        raise ConsoleRefused("Only one statement at a time, please.")
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        name = statement.type.name.replace("_", " ")
        why = _REFUSED.get(statement.type, "the console is read-only")
        raise ConsoleRefused(f"Only SELECT queries can run here: this is a {name} statement ({why}).")
    if statement.named_parameters:
        raise ConsoleRefused("Query parameters (?, $1, $name) are not supported; write the values in the query.")
    return statement


def validate(sql: str) -> str:
    """The text of the one read-only SELECT in `sql`, ready to be wrapped; ConsoleRefused otherwise."""
    if not sql.strip():
        raise ConsoleRefused("Enter a query.")
    if len(sql) > MAX_SQL_CHARS:
        raise ConsoleRefused(f"The query is longer than {MAX_SQL_CHARS:,} characters.")
    if "\x00" in sql:
        raise ConsoleRefused("The query contains a NUL character.")
    query = _strip_tail(_one_select(sql).query)
    # The wrapped text must still be exactly one SELECT: nothing in the query may close the subquery.
    wrapped = _one_select(CONSOLE_COUNT_SQL.format(query=query))
    if wrapped.type != duckdb.StatementType.SELECT:  # pragma: no cover - _one_select checks
        raise ConsoleRefused("The query cannot be run.")
    return query


def friendly_error(message: str) -> str:
    """The first line of a DuckDB error, with a hint where the locked-down engine refused something."""
    first = message.split("\n")[0]
    if "disabled by configuration" in first:
        return f"The console can read only the export's views. {first}"
    if "lock_configuration" in first or "configuration has been locked" in first:
        return f"Settings cannot change in the console. {first}"
    return first


def run_console(
    store: Store, sql: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, timeout: float | None = None
) -> ConsoleResult:
    """Validate `sql`, count its rows and fetch page `page` (1-based, clamped) of `page_size` rows.

    Both queries share one time limit (the Store's, unless `timeout` is given). Raises ConsoleRefused,
    QueryTimeout or QueryError, each with a message fit to show.
    """
    query = validate(sql)
    limit = float(store.settings.query_timeout_s if timeout is None else timeout)
    page_size = max(1, min(page_size, max(PAGE_SIZES)))
    started = time.monotonic()
    try:
        total = _count(store, query, limit)
        pages = max(1, -(-total // page_size))
        page = min(max(1, page), pages)
        remaining = limit - (time.monotonic() - started)
        if remaining <= 0:
            raise QueryTimeout(f"The query was stopped after {limit:g} s.")
        frame = store.frame(
            CONSOLE_PAGE_SQL.format(query=query), [page_size, (page - 1) * page_size], timeout=remaining
        )
    except QueryTimeout:
        raise
    except QueryError as err:
        raise QueryError(friendly_error(str(err))) from err
    except duckdb.Error as err:  # errors while fetching, after the Store's own translation
        raise QueryError(friendly_error(str(err))) from err
    return ConsoleResult(frame, total, page, page_size, time.monotonic() - started)


@functools.lru_cache(maxsize=COUNT_CACHE_SIZE)  # failures are not cached: lru_cache keeps only results
def _count(store: Store, query: str, limit: float) -> int:
    """The number of rows of `query` (validated) on `store`, counted once per query and time limit."""
    return int(store.scalar(CONSOLE_COUNT_SQL.format(query=query), timeout=limit) or 0)


def view_columns(store: Store) -> dict[str, tuple[tuple[str, str], ...]]:
    """Every view of the export with its (column, type) pairs, for the console's reference list."""
    return dict(_view_columns(store))


@functools.lru_cache(maxsize=8)  # a Store is one export version: its schema never changes
def _view_columns(store: Store) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    return tuple(
        (view, tuple((str(r[0]), str(r[1])) for r in store.rows(f"DESCRIBE {view}")))
        for view in store.view_names  # names from the Store's own whitelist
    )
