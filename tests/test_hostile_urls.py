"""Hostile URL parameters on every page: a safe default or an empty result with a short notice, never an exception.

Each case puts the same hostile value into every parameter the page reads, so one run exercises text,
tag, choice, integer and id parsing at once (the page parameter alone guarantees a notice).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.sample import JDB_CORRUPT_FILE_ID, JDB_MISSING_FILE_ID, JDB_PATH_ESCAPE_ID, VG_CORRUPT_IMAGE_ID
from tests.conftest import app_test

JDB_PARAMS = ("q", "style", "content", "atmosphere", "match", "split", "version", "ar", "size", "page", "id")
VG_PARAMS = ("object", "attribute", "rel", "q", "page", "id")
PAGES = {
    "app_pages/home.py": ("q", "page", "id"),
    "app_pages/journeydb.py": JDB_PARAMS,
    "app_pages/journeydb_stats.py": JDB_PARAMS,
    "app_pages/visual_genome.py": VG_PARAMS,
    "app_pages/visual_genome_stats.py": VG_PARAMS,
    "app_pages/sql.py": ("q", "page", "size"),
}
VALUES = {
    "sql-or": "' OR 1=1 --",
    "sql-drop": '"; DROP TABLE x; --',
    "quotes": 'it\'s "quoted" `back` \\slash',
    "percent-00": "%00",
    "nul": "cat\x00dog",
    "long": "x" * 10_000,
    "negative": "-7",
    "huge": "1" + "0" * 30,
    "non-numeric": "twelve",
    "unknown": "no-such-tag-or-object-zz",
    "pipes": "|||",
    "pipe": "|",
    "html": "<img src=x onerror=alert(1)>",
    "unicode": "\u202e\ufeff\U0001f600 cat",
}
MAX_NOTICE_CHARS = 400


def _check(at, *, page: str, expect_warning: bool = True) -> None:
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning]
    if expect_warning and page != "app_pages/home.py":
        assert warnings, f"no notice on {page}"
    for text in warnings:
        assert len(text) <= MAX_NOTICE_CHARS, text[:200]
        assert "Traceback" not in text


@pytest.mark.parametrize("value_id", list(VALUES))
@pytest.mark.parametrize("page", list(PAGES))
def test_hostile_value_in_every_parameter(page: str, value_id: str, app_env: Path) -> None:
    value = VALUES[value_id]
    at = app_test(page, {name: value for name in PAGES[page]})
    _check(at, page=page)


@pytest.mark.parametrize("page", list(PAGES))
def test_parameters_repeated_a_hundred_times(page: str, app_env: Path) -> None:
    names = (*PAGES[page][:3], "page")
    same = app_test(page, {name: ["1"] * 100 for name in names})
    _check(same, page=page, expect_warning=False)
    distinct = app_test(page, {name: [f"v{i}" for i in range(100)] for name in names})
    _check(distinct, page=page)


@pytest.mark.parametrize("page", list(PAGES))
def test_more_than_a_thousand_parameters_are_ignored(page: str, app_env: Path) -> None:
    """Streamlit drops a query string of over 1,000 parameters whole: the page shows its defaults."""
    at = app_test(page, {name: [f"v{i}" for i in range(100)] for name in (*PAGES[page], *"abcdefghijk")})
    _check(at, page=page, expect_warning=False)


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("app_pages/visual_genome.py", {"rel": "|||"}),
        ("app_pages/visual_genome.py", {"rel": "||"}),
        ("app_pages/visual_genome.py", {"attribute": "|"}),
        ("app_pages/visual_genome.py", {"attribute": "red|car|x"}),
        ("app_pages/visual_genome_stats.py", {"rel": "|||"}),
        ("app_pages/visual_genome_stats.py", {"attribute": "|"}),
        ("app_pages/visual_genome.py", {"id": "-1"}),
        ("app_pages/visual_genome.py", {"id": "99999999"}),
        ("app_pages/visual_genome.py", {"id": "1e3"}),
        ("app_pages/visual_genome.py", {"page": "0"}),
        ("app_pages/journeydb.py", {"id": "no-such-image"}),
        ("app_pages/journeydb.py", {"id": "../../etc/passwd"}),
        ("app_pages/journeydb.py", {"page": "999999"}),
        ("app_pages/journeydb.py", {"size": "0"}),
        ("app_pages/journeydb_stats.py", {"split": "nope"}),
        ("app_pages/journeydb_stats.py", {"match": "some"}),
        ("app_pages/sql.py", {"q": "SELECT 1", "page": "-3"}),
        ("app_pages/sql.py", {"q": "SELECT 1", "size": "1000000000000000000000000000000"}),
    ],
)
def test_one_bad_value_gives_a_notice(page: str, query: dict[str, str], app_env: Path) -> None:
    _check(app_test(page, query), page=page)


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("app_pages/journeydb_stats.py", {"style": "no-such-tag-zz"}),
        ("app_pages/visual_genome_stats.py", {"object": "no-such-object-zz"}),
        ("app_pages/journeydb.py", {"q": "' OR 1=1 --"}),
        ("app_pages/visual_genome.py", {"q": '"; DROP TABLE x; --'}),
    ],
)
def test_valid_but_unmatched_values_give_an_empty_result(page: str, query: dict[str, str], app_env: Path) -> None:
    at = app_test(page, query)
    assert not at.exception
    texts = [m.value for m in at.markdown] + [i.value for i in at.info] + [w.value for w in at.warning]
    assert any(t.startswith(("**0 images", "### 0 images")) or "No " in t for t in texts), texts


def test_sql_injection_in_the_console_stays_one_read_only_statement(app_env: Path) -> None:
    at = app_test("app_pages/sql.py", {"q": "SELECT 1; DROP VIEW journeydb_images"})
    assert not at.exception
    assert at.error, "a second statement is refused with an error"
    after = app_test("app_pages/sql.py", {"q": "SELECT count(*) AS n FROM journeydb_images"})
    assert not after.exception and not after.error
    assert int(after.dataframe[0].value["n"][0]) > 0


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM '/etc/hostname'",
        "COPY (SELECT 1) TO '/tmp/explorer-hostile.csv'",
        "SELECT * FROM read_parquet('../../../etc/passwd')",
        "ATTACH '/tmp/explorer-hostile.duckdb' AS x",
        "SELECT * FROM glob('/*')",
    ],
)
def test_sql_page_cannot_reach_files_outside_the_export(sql: str, app_env: Path) -> None:
    at = app_test("app_pages/sql.py", {"q": sql})
    assert not at.exception
    assert at.error, "refused with a plain error"
    assert not Path("/tmp/explorer-hostile.csv").exists()
    assert not Path("/tmp/explorer-hostile.duckdb").exists()
    for frame in at.dataframe:
        assert "root:" not in frame.value.to_string()


def test_sql_page_cannot_modify_the_export(app_env: Path) -> None:
    images = next((app_env / "journeydb").resolve().glob("images.parquet"))
    before = images.stat().st_mtime_ns
    target = str(images).replace("'", "''")
    at = app_test("app_pages/sql.py", {"q": f"COPY (SELECT 1 AS x) TO '{target}' (FORMAT parquet)"})
    assert not at.exception and at.error
    assert images.stat().st_mtime_ns == before


@pytest.mark.parametrize(
    ("image_id", "reason"),
    [
        (JDB_PATH_ESCAPE_ID, "no image path recorded"),  # ingest nulls a path that leaves the image folder
        (JDB_MISSING_FILE_ID, "image file missing"),
        (JDB_CORRUPT_FILE_ID, "image file unreadable"),
    ],
)
def test_journeydb_sample_view_shows_a_placeholder_with_the_reason(image_id: str, reason: str, app_env: Path) -> None:
    at = app_test("app_pages/journeydb.py", {"id": image_id})
    assert not at.exception
    shown = [c.value for c in at.caption] + [w.value for w in at.warning] + [m.value for m in at.markdown]
    assert any(reason in text for text in shown), shown


def test_symlink_leading_outside_the_image_folder_shows_a_placeholder(
    sample_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JourneyDB image file replaced by a symlink to a file outside the image folder is not opened."""
    import shutil

    from explorer.config import Settings
    from explorer.store import Store

    data = tmp_path / "data"
    shutil.copytree(sample_data, data, symlinks=True, ignore=shutil.ignore_patterns("raw", "thumbs", "downloads"))
    raw = tmp_path / "raw"
    shutil.copytree(sample_data / "raw" / "journeydb", raw)
    manifest_path = data / "journeydb" / "manifest.json"
    manifest_path.write_text(manifest_path.read_text().replace(str((sample_data / "raw" / "journeydb").resolve()),
                                                               str(raw.resolve())))  # fmt: skip
    store = Store(Settings(data_dir=data))
    image_id, img_path = store.rows(
        "SELECT image_id, img_path FROM journeydb_images WHERE width IS NOT NULL ORDER BY image_id LIMIT 1"
    )[0]
    secret = tmp_path / "outside.jpg"
    shutil.copy(raw / "data" / img_path, secret)  # a perfectly readable picture, but outside the folder
    target = raw / "data" / img_path
    target.unlink()
    target.symlink_to(secret)
    monkeypatch.setenv("EXPLORER_DATA", str(data))
    at = app_test("app_pages/journeydb.py", {"id": image_id})
    assert not at.exception
    shown = [c.value for c in at.caption] + [w.value for w in at.warning] + [m.value for m in at.markdown]
    assert any("outside the image folder refused" in text for text in shown), shown


def test_visual_genome_notice_quotes_the_value_once(app_env: Path) -> None:
    at = app_test("app_pages/visual_genome.py", {"attribute": "zzz|car", "rel": "zzz|on|"})
    assert not at.exception
    notices = [w.value for w in at.warning]
    assert any("zzz\\|car" in n for n in notices), notices
    assert any("zzz\\|on\\|" in n for n in notices), notices
    assert not any("\\\\" in n for n in notices), notices  # escaped for markdown once, not twice


def test_visual_genome_corrupt_image_warns_in_the_detail_view(app_env: Path) -> None:
    at = app_test("app_pages/visual_genome.py", {"id": str(VG_CORRUPT_IMAGE_ID)})
    assert not at.exception
    assert any("image file unreadable" in w.value for w in at.warning), [w.value for w in at.warning]


def test_visual_genome_gallery_notes_missing_and_corrupt_files(app_env: Path) -> None:
    at = app_test("app_pages/visual_genome.py")
    assert not at.exception
    notes = [c.value for c in at.caption]
    assert any("image file missing" in n for n in notes), notes
    assert any("image file unreadable" in n for n in notes), notes


def test_journeydb_gallery_notes_unavailable_files(app_env: Path) -> None:
    at = app_test("app_pages/journeydb.py", {"style": "pastel"})
    assert not at.exception
    notes = [c.value for c in at.caption]
    assert any("image file missing" in n for n in notes), notes


def test_sql_error_quoting_the_query_is_shown_as_text(app_env: Path) -> None:
    """DuckDB's messages quote the user's SQL: markdown in it (`:red[…]`, `**`) is escaped, not rendered."""
    at = app_test("app_pages/sql.py", {"q": 'SELECT * FROM ":red[**boom**]"'})
    assert not at.exception
    assert len(at.error) == 1
    assert "\\:red\\[\\*\\*boom\\*\\*\\]" in at.error[0].value, at.error[0].value
