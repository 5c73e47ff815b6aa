"""The one DuckDB connection of the app: views over the export, locked down, a cursor per query."""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from explorer.config import DATASETS, Settings
from explorer.ingest.common import read_manifest

Params = Sequence[Any] | dict[str, Any] | None

# Views over other views, made when the export stores their data only in another form: name -> (the views
# they read, their SQL). Since schema_version 3 JourneyDB's tag postings are stored once, by row_id
# (tag_ids.parquet); `journeydb_tags` (image_id, kind, tag) joins the image ids back on.
DERIVED_VIEWS: dict[str, tuple[tuple[str, ...], str]] = {
    "journeydb_tags": (
        ("journeydb_tag_ids", "journeydb_image_ids"),
        "SELECT i.image_id, t.kind, t.tag FROM journeydb_tag_ids AS t JOIN journeydb_image_ids AS i USING (row_id)",
    ),
}


class QueryError(Exception):
    """A query failed; the message is fit to show to a user."""


class QueryTimeout(QueryError):
    """A query ran past its time limit and was interrupted."""


def sql_string(value: str) -> str:
    """`value` as a SQL string literal, for the few places DuckDB takes no parameter (paths in DDL/COPY)."""
    return "'" + value.replace("'", "''") + "'"


class Store:
    """Read-only access to the Parquet export through an in-process DuckDB.

    Every Parquet file `DATA/<dataset>/<name>.parquet` becomes a view `<prefix>_<name>` (prefixes in
    `explorer.config.DATASETS`: `journeydb_images`, `vg_objects`, ...). After the views exist the
    connection is locked: files outside the data folder cannot be read or written, settings cannot
    change and no extension can be installed or loaded. `DERIVED_VIEWS` are added where their file is absent.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir
        self.views: dict[str, Path] = {}  # view -> the Parquet file it reads
        self.derived: dict[str, str] = {}  # view -> its SQL over other views (DERIVED_VIEWS)
        self.view_datasets: dict[str, str] = {}  # view -> dataset folder it reads
        self.manifests: dict[str, dict[str, Any]] = {}
        self._con = duckdb.connect(":memory:")
        for dataset, prefix in DATASETS.items():
            folder = self.data_dir / dataset
            manifest = read_manifest(folder)
            if manifest is None:
                continue
            self.manifests[dataset] = manifest
            for path in sorted(folder.glob("*.parquet")):
                view = f"{prefix}_{path.stem}"
                if not view.replace("_", "").isalnum():
                    continue
                self._con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet({sql_string(str(path))})")
                self.views[view] = path
                self.view_datasets[view] = dataset
        for view, (needs, sql) in DERIVED_VIEWS.items():
            if view not in self.views and all(need in self.views for need in needs):
                self._con.execute(f"CREATE VIEW {view} AS {sql}")
                self.derived[view] = sql
                self.view_datasets[view] = self.view_datasets[needs[0]]
        self._lock_down()

    def _lock_down(self) -> None:
        """Allow reading exactly the exported Parquet files and writing only into `DATA/downloads/`."""
        con = self._con
        self._temp_dir = tempfile.mkdtemp(prefix="explorer-duckdb-")
        con.execute(f"SET temp_directory={sql_string(self._temp_dir)}")
        con.execute(f"SET memory_limit='{max(128, int(self.settings.memory_limit_mb))}MiB'")
        # Every query reads the same few files: keep their footers (row-group statistics) in memory instead
        # of parsing them again per query; point lookups get markedly faster. GLOBAL: a plain SET is local
        # to this connection, and queries run on cursors (connections of their own).
        con.execute("SET GLOBAL parquet_metadata_cache=true")
        readable = sorted({str(p) for path in self.views.values() for p in (path, path.resolve())})
        con.execute(f"SET allowed_paths=[{', '.join(sql_string(p) for p in readable)}]")
        downloads = self.downloads_dir
        with contextlib.suppress(OSError):
            downloads.mkdir(parents=True, exist_ok=True)
        writable = {str(downloads) + "/", str(downloads.resolve()) + "/"}
        con.execute(f"SET allowed_directories=[{', '.join(sql_string(p) for p in sorted(writable))}]")
        con.execute("SET enable_external_access=false")
        con.execute("SET autoinstall_known_extensions=false")
        con.execute("SET autoload_known_extensions=false")
        con.execute("SET lock_configuration=true")

    @property
    def downloads_dir(self) -> Path:
        """The one folder the connection may write to (files of "Download")."""
        return self.settings.downloads_dir

    @property
    def view_names(self) -> list[str]:
        """Every view a user can query: one per exported file, and the derived ones."""
        return sorted([*self.views, *self.derived])

    def has(self, *views: str) -> bool:
        """True when every named view exists (its Parquet file was exported, or it is derived from them)."""
        return all(v in self.views or v in self.derived for v in views)

    def has_dataset(self, dataset: str) -> bool:
        return dataset in self.manifests

    def image_root(self, dataset: str) -> Path | None:
        """Folder the export's images live in (recorded at ingest)."""
        manifest = self.manifests.get(dataset)
        root = manifest.get("image_root") if manifest else None
        return Path(root) if isinstance(root, str) else None

    def _run(self, sql: str, params: Params, timeout: float | None) -> duckdb.DuckDBPyConnection:
        cur = self._con.cursor()
        limit = self.settings.query_timeout_s if timeout is None else timeout
        timer = threading.Timer(limit, cur.interrupt)
        timer.daemon = True
        timer.start()
        try:
            return cur.execute(sql, params) if params is not None else cur.execute(sql)
        except duckdb.InterruptException as err:
            raise QueryTimeout(f"The query was stopped after {limit:g} s.") from err
        except duckdb.Error as err:
            raise QueryError(str(err).split("\n")[0]) from err
        finally:
            timer.cancel()

    def rows(self, sql: str, params: Params = None, *, timeout: float | None = None) -> list[tuple[Any, ...]]:
        """Run `sql` with bound `params` and return all result rows as tuples."""
        return self._run(sql, params, timeout).fetchall()

    def scalar(self, sql: str, params: Params = None, *, timeout: float | None = None) -> Any:
        rows = self.rows(sql, params, timeout=timeout)
        return rows[0][0] if rows else None

    def frame(self, sql: str, params: Params = None, *, timeout: float | None = None) -> pd.DataFrame:
        """Run `sql` and return the (small) result as a DataFrame."""
        return self._run(sql, params, timeout).df()

    def arrow(self, sql: str, params: Params = None, *, timeout: float | None = None) -> pa.Table:
        return self._run(sql, params, timeout).to_arrow_table()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor on the shared connection, for callers that stream (exports)."""
        return self._con.cursor()
