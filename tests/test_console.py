"""The SQL console: only one read-only SELECT passes, and the locked store refuses the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.queries.console import EXAMPLES, ConsoleRefused, run_console, validate, view_columns
from explorer.store import QueryError, QueryTimeout, Store


def test_select_runs_a_page_with_the_total(sample_store: Store) -> None:
    result = run_console(sample_store, "SELECT * FROM vg_objects ORDER BY object_id", page=2, page_size=25)
    total = sample_store.scalar("SELECT count(*) FROM vg_objects")
    assert result.total == total and result.page == 2 and len(result.frame) == 25
    first_ids = sample_store.rows("SELECT object_id FROM vg_objects ORDER BY object_id LIMIT 25 OFFSET 25")
    assert list(result.frame["object_id"]) == [r[0] for r in first_ids]
    assert result.seconds >= 0


def test_page_is_clamped_to_the_last(sample_store: Store) -> None:
    result = run_console(sample_store, "SELECT * FROM range(10)", page=99, page_size=25)
    assert result.page == 1 and len(result.frame) == 10


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1;",
        "SELECT 1; /* trailing */ ;",
        "SELECT 1 -- a trailing comment",
        "-- leading comment\nSELECT 1",
        "SELECT 1 /* ) ; COPY vg_qas TO 'x.csv' */",
        "WITH a AS (SELECT 1 AS x) SELECT * FROM a",
        "FROM vg_qas LIMIT 1",
        "DESCRIBE vg_objects",
        "SUMMARIZE vg_qas",
        "SELECT ';' AS semicolon",
    ],
)
def test_read_only_select_variants_pass(sample_store: Store, sql: str) -> None:
    assert run_console(sample_store, sql).total >= 1


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("COPY vg_qas TO '/tmp/out.csv'", "COPY"),
        ("COPY (SELECT 1) TO 'x.parquet' (FORMAT parquet)", "COPY"),
        ("EXPORT DATABASE '/tmp/db'", "EXPORT"),
        ("CREATE TABLE t AS SELECT 1", "CREATE"),
        ("INSERT INTO vg_qas VALUES (1)", "INSERT"),
        ("DROP VIEW vg_qas", "DROP"),
        ("ATTACH '/tmp/other.db' AS other", "ATTACH"),
        ("DETACH memory", "DETACH"),
        ("SET enable_external_access = true", "SET"),
        ("RESET lock_configuration", "SET"),
        ("USE memory", "SET"),
        ("INSTALL httpfs", "LOAD"),
        ("LOAD httpfs", "LOAD"),
        ("PRAGMA enable_profiling", "PRAGMA"),
        ("CALL read_csv('/etc/passwd')", "CALL"),
        ("CHECKPOINT", "CALL"),
        ("SELECT 1; SELECT 2", "one statement"),
        ("SELECT 1; COPY vg_qas TO 'x.csv'", "one statement"),
        ("SELECT 1 /* */; DROP VIEW vg_qas", "one statement"),
        ("SELECT 1) TO '/tmp/x.csv'; (SELECT 1", "Parser Error"),
        ("SELECT 1 /* unterminated", "Parser Error"),
        ("SELECT ?", "parameters"),
        ("SELECT $name", "parameters"),
        ("PIVOT vg_qas ON qtype", "MULTI"),
        ("", "Enter a query"),
        ("-- only a comment", "Enter a query"),
        ("SELECT 1\x00", "NUL"),
        ("SELECT " + "1 + " * 5000 + "1", "longer than"),
    ],
)
def test_refused_statements(sample_store: Store, sql: str, message: str) -> None:
    with pytest.raises(ConsoleRefused, match=message):
        run_console(sample_store, sql)
    assert sample_store.has("vg_qas")  # nothing was dropped


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM read_parquet('/etc/*.parquet')",
        "SELECT * FROM glob('/etc/*')",
        "SELECT * FROM sniff_csv('/etc/passwd')",
        "SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')",
    ],
)
def test_files_outside_the_export_cannot_be_read(sample_store: Store, sql: str) -> None:
    with pytest.raises(QueryError, match="can read only the export"):
        run_console(sample_store, sql)


def test_replacement_scan_of_a_path_finds_nothing(sample_store: Store) -> None:
    with pytest.raises(QueryError, match="does not exist"):
        run_console(sample_store, "FROM '/etc/passwd'")


def test_relative_escape_from_the_data_folder_is_refused(sample_store: Store, sample_data: Path) -> None:
    sneaky = f"SELECT * FROM read_csv('{sample_data}/journeydb/../../../../etc/passwd')"
    with pytest.raises(QueryError, match="can read only the export"):
        run_console(sample_store, sneaky)


def test_query_function_cannot_smuggle_a_write(sample_store: Store, sample_data: Path) -> None:
    target = sample_data / "smuggled.csv"
    with pytest.raises(QueryError):
        run_console(sample_store, f"SELECT * FROM query('COPY (SELECT 1) TO ''{target}''')")
    assert not target.exists()


def test_settings_stay_locked(sample_store: Store) -> None:
    with pytest.raises(QueryError):
        run_console(sample_store, "SELECT * FROM query('SET enable_external_access=true')")
    assert sample_store.scalar("SELECT current_setting('enable_external_access')") is False


def test_slow_query_is_stopped(sample_store: Store) -> None:
    with pytest.raises(QueryTimeout, match="stopped after"):
        run_console(sample_store, "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b", timeout=0.5)
    assert run_console(sample_store, "SELECT 1").total == 1  # the connection still works


def test_validate_returns_wrappable_text() -> None:
    assert validate("SELECT 1 ; -- done") == "SELECT 1"


def test_examples_run_and_return_rows(sample_store: Store) -> None:
    for label, sql in EXAMPLES.items():
        assert run_console(sample_store, sql).total > 0, label


def test_view_columns_lists_every_view(sample_store: Store) -> None:
    columns = view_columns(sample_store)
    assert set(columns) == set(sample_store.views) | {"journeydb_tags"}  # derived from tag_ids and image_ids
    assert ("image_id", "BIGINT") in columns["vg_objects"]
    assert columns["journeydb_tags"] == (("image_id", "VARCHAR"), ("kind", "VARCHAR"), ("tag", "VARCHAR"))


def test_turning_the_page_does_not_count_again(sample_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    sql = "SELECT object_id FROM vg_objects WHERE object_id % 3 = 0 ORDER BY object_id"
    first = run_console(sample_store, sql, page=1, page_size=25)
    counted: list[str] = []
    scalar = sample_store.scalar
    monkeypatch.setattr(sample_store, "scalar", lambda q, *a, **k: counted.append(q) or scalar(q, *a, **k))
    second = run_console(sample_store, sql, page=2, page_size=25)
    assert counted == [] and second.total == first.total and second.page == 2
    expected = sample_store.rows(sql.replace("ORDER BY object_id", "ORDER BY object_id LIMIT 25 OFFSET 25"))
    assert list(second.frame["object_id"]) == [r[0] for r in expected]
    run_console(sample_store, sql.replace("% 3", "% 4"), page=1, page_size=25)  # another query is counted
    assert len(counted) == 1 and "% 4" in counted[0]
