"""The app's DuckDB store: views over the export, bound parameters, a locked-down engine."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from explorer.config import Settings
from explorer.ingest.common import IngestReport, staged_export, write_manifest
from explorer.store import QueryError, QueryTimeout, Store


@pytest.fixture
def tiny_store(tmp_path: Path) -> Store:
    data = tmp_path / "data"
    with staged_export(data, "journeydb") as folder:
        duckdb.execute(f"COPY (SELECT 'id' || i AS image_id, i AS n FROM range(100) t(i)) TO '{folder}/images.parquet'")
        write_manifest(folder, IngestReport("journeydb"), image_root=data, source=data)
    (tmp_path / "secret.csv").write_text("a\n1\n")
    return Store(Settings(data_dir=data, query_timeout_s=2))


def test_views_and_bound_parameters(tiny_store: Store) -> None:
    assert tiny_store.has("journeydb_images")
    assert not tiny_store.has("vg_objects")
    assert tiny_store.has_dataset("journeydb") and not tiny_store.has_dataset("visual_genome")
    assert tiny_store.scalar("SELECT count(*) FROM journeydb_images WHERE n >= ?", [90]) == 10
    hostile = "id1' OR '1'='1"
    assert tiny_store.scalar("SELECT count(*) FROM journeydb_images WHERE image_id = ?", [hostile]) == 0


def test_cannot_read_outside_the_export(tiny_store: Store, tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="disabled by configuration"):
        tiny_store.rows(f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')")
    with pytest.raises(QueryError, match="disabled by configuration"):
        tiny_store.rows("SELECT * FROM read_csv('/etc/passwd')")


def test_cannot_read_other_export_files_or_modify_the_export(tiny_store: Store) -> None:
    manifest = tiny_store.data_dir / "journeydb" / "manifest.json"
    with pytest.raises(QueryError, match="disabled by configuration"):
        tiny_store.rows(f"SELECT * FROM read_json('{manifest}')")
    target = tiny_store.views["journeydb_images"]
    with pytest.raises(QueryError, match="disabled by configuration"):
        tiny_store.rows(f"COPY (SELECT 1 AS image_id) TO '{target}' (FORMAT parquet)")
    assert tiny_store.scalar("SELECT count(*) FROM journeydb_images") == 100
    # The downloads folder is the one place it may write (and read back).
    out = tiny_store.downloads_dir / "x.csv"
    tiny_store.rows(f"COPY (SELECT * FROM journeydb_images LIMIT 3) TO '{out}' (FORMAT csv)")
    assert tiny_store.scalar(f"SELECT count(*) FROM read_csv('{out}')") == 3


def test_duckdb_memory_is_bounded_by_the_settings(tmp_path: Path, tiny_store: Store) -> None:
    assert tiny_store.scalar("SELECT current_setting('memory_limit')") == "512.0 MiB"
    small = Store(Settings(data_dir=tiny_store.data_dir, memory_limit_mb=256))
    assert small.scalar("SELECT current_setting('memory_limit')") == "256.0 MiB"


def test_cannot_change_settings_or_load_extensions(tiny_store: Store) -> None:
    with pytest.raises(QueryError, match="locked"):
        tiny_store.rows("SET enable_external_access=true")
    with pytest.raises(QueryError):
        tiny_store.rows("INSTALL fts")
    with pytest.raises(QueryError):
        tiny_store.rows("LOAD fts")


def test_long_query_is_interrupted(tiny_store: Store) -> None:
    with pytest.raises(QueryTimeout, match="stopped after"):
        tiny_store.rows("SELECT count(*) FROM range(10000000000) a", timeout=0.5)


def test_empty_data_folder_has_no_views(tmp_path: Path) -> None:
    store = Store(Settings(data_dir=tmp_path / "nothing"))
    assert store.views == {}
    assert not store.has_dataset("journeydb")


def test_queries_run_with_the_footer_cache(tiny_store: Store) -> None:
    # Queries run on cursors; a setting made for the connection alone would not reach them.
    assert tiny_store.scalar("SELECT current_setting('parquet_metadata_cache')") is True
    assert tiny_store.scalar("SELECT current_setting('enable_external_access')") is False


def _tag_export(data: Path, *, with_tags_file: bool) -> Store:
    """A JourneyDB export of three images' tag postings, with or without schema_version 2's tags.parquet."""
    with staged_export(data, "journeydb") as folder:
        con = duckdb.connect()
        con.execute(
            f"COPY (SELECT * FROM (VALUES ('a', 0), ('b', 1), ('c', 2)) t(image_id, row_id)) TO '{folder}/image_ids.parquet'"
        )
        con.execute(
            "COPY (SELECT * FROM (VALUES ('style', 'anime', 2), ('style', 'anime', 0), ('content', 'cat', 1))"
            f" t(kind, tag, row_id)) TO '{folder}/tag_ids.parquet'"
        )
        if with_tags_file:
            con.execute(f"COPY (SELECT 'old' AS image_id, 'style' AS kind, 'x' AS tag) TO '{folder}/tags.parquet'")
        write_manifest(folder, IngestReport("journeydb"), image_root=data, source=data)
    return Store(Settings(data_dir=data))


def test_journeydb_tags_is_derived_from_the_postings(tmp_path: Path) -> None:
    store = _tag_export(tmp_path / "data", with_tags_file=False)
    assert store.has("journeydb_tags") and "journeydb_tags" not in store.views
    assert "journeydb_tags" in store.view_names and store.view_datasets["journeydb_tags"] == "journeydb"
    rows = store.rows("SELECT image_id, kind, tag FROM journeydb_tags ORDER BY ALL")
    assert rows == [("a", "style", "anime"), ("b", "content", "cat"), ("c", "style", "anime")]
    # The derived view reads only the export's files: the lock-down applies to it as to the others.
    with pytest.raises(QueryError, match="disabled by configuration"):
        store.rows("SELECT * FROM read_csv('/etc/passwd')")


def test_an_older_export_keeps_its_tags_file(tmp_path: Path) -> None:
    store = _tag_export(tmp_path / "data", with_tags_file=True)
    assert "journeydb_tags" in store.views and not store.derived
    assert store.rows("SELECT * FROM journeydb_tags") == [("old", "style", "x")]
