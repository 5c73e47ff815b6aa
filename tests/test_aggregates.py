"""Whole-dataset aggregates written at ingest: present in the export and equal to the live queries."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from explorer.ingest.aggregates import STEP, write_aggregates
from explorer.queries import stats

JDB_TABLES = ["versions", "aspect_ratios", "splits", "prompt_words", "tags_per_image", "answers", "cooccurrence"]
VG_TABLES = ["triples", "qtypes", "image_sizes", "objects_per_image", "relationships_per_image",
             "regions_per_image", "box_areas", "box_aspects", "box_centres", "object_attributes"]  # fmt: skip


def test_ingest_writes_the_stats_tables_and_counts_them(sample_data: Path):
    for dataset, tables in (("journeydb", JDB_TABLES), ("visual_genome", VG_TABLES)):
        manifest = json.loads((sample_data / dataset / "manifest.json").read_text())
        for table in tables:
            assert (sample_data / dataset / f"stats_{table}.parquet").is_file()
            assert manifest["rows"][f"stats_{table}"] > 0
        assert manifest["steps"][STEP] >= 0  # its time is among the ingest's steps


@pytest.mark.parametrize(("prefix", "name"), [("journeydb", k) for k, s in stats.JDB_STATS.items() if s.precomputed]
                         + [("vg", k) for k, s in stats.VG_STATS.items() if s.precomputed])  # fmt: skip
def test_precomputed_equals_the_live_query(sample_store, prefix, name):
    spec = (stats.JDB_STATS if prefix == "journeydb" else stats.VG_STATS)[name]
    stored = sorted(sample_store.rows(f"SELECT value, n FROM {prefix}_stats_{spec.precomputed}"))
    live = sorted(sample_store.rows(stats.live_sql(spec, prefix)))
    assert stored == live and live


def test_precomputed_answers_centres_and_cooccurrence_equal_live(sample_store):
    live_answers = sorted(sample_store.rows(stats.JDB_ANSWERS_SQL.format(selection="TRUE")))
    assert sorted(sample_store.rows(stats.JDB_ANSWERS_WHOLE_SQL)) == live_answers
    centres = stats.VG_BOX_CENTRES_SQL.format(bins=stats.CENTRE_BINS, last=stats.CENTRE_BINS - 1, where="TRUE")
    assert sorted(sample_store.rows(stats.VG_BOX_CENTRES_WHOLE_SQL)) == sorted(sample_store.rows(centres))
    top = stats.PRECOMPUTED_COOCCURRENCE_TOP
    styles = stats.journeydb_top_tags(sample_store, "style", top)
    contents = stats.journeydb_top_tags(sample_store, "content", top)
    live = stats.JDB_COOCCURRENCE_SQL.format(row_column="styles", col_column="contents", where="TRUE")
    stored = sample_store.rows(stats.JDB_COOCCURRENCE_WHOLE_SQL, [styles, contents])
    assert sorted(stored) == sorted(sample_store.rows(live, [styles, contents]))
    names = stats.vg_top_values(sample_store, "name", top)
    attributes = stats.vg_top_values(sample_store, "attribute", top)
    live = stats.VG_OBJECT_ATTRIBUTES_SQL.format(selection="TRUE")
    stored = sample_store.rows(stats.VG_OBJECT_ATTRIBUTES_WHOLE_SQL, [names, attributes])
    assert sorted(stored) == sorted(sample_store.rows(live, [names, attributes]))


def test_write_aggregates_on_a_copy_reports_rows(sample_data: Path, tmp_path: Path):
    folder = tmp_path / "vg"
    shutil.copytree(sample_data / "visual_genome", folder)
    for path in folder.glob("stats_*.parquet"):
        path.unlink()
    written = write_aggregates(folder, "visual_genome")
    assert set(written) == {f"stats_{t}" for t in VG_TABLES}
    assert all((folder / f"{name}.parquet").is_file() for name in written)


def test_stats_tables_are_sorted_by_value_in_bounded_row_groups(sample_data: Path, tmp_path: Path):
    """Sorted, so a lookup of a chart's shown values skips to their row groups (stats.WHOLE_VALUES_SQL)."""
    import duckdb
    import pyarrow.parquet as pq

    from explorer.ingest import aggregates

    shutil.copytree((sample_data / "visual_genome").resolve(), tmp_path / "vg")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aggregates, "STATS_ROW_GROUP", 64)  # the demo's tables are small: force several groups
        write_aggregates(tmp_path / "vg", "visual_genome")
    groups = 0
    for table in VG_TABLES:
        path = tmp_path / "vg" / f"stats_{table}.parquet"
        rows = duckdb.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()
        assert rows == duckdb.sql(f"SELECT * FROM read_parquet('{path}') ORDER BY ALL").fetchall(), table
        meta = pq.ParquetFile(path).metadata
        assert all(meta.row_group(g).num_rows <= 64 for g in range(meta.num_row_groups))
        groups += meta.num_row_groups
    assert groups > len(VG_TABLES)


def test_charts_are_the_same_without_the_stats_tables(sample_store, sample_data: Path, tmp_path: Path):
    """An export written before the stats tables: every chart computed live equals the one read from them."""
    from explorer.config import Settings
    from explorer.filters import JourneyFilter, VGFilter
    from explorer.store import Store

    for dataset in ("journeydb", "visual_genome"):
        shutil.copytree((sample_data / dataset).resolve(), tmp_path / dataset)
        for path in (tmp_path / dataset).glob("stats_*.parquet"):
            path.unlink()
    bare = Store(Settings(data_dir=tmp_path))
    assert not bare.has("vg_stats_triples") and sample_store.has("vg_stats_triples")
    name = sample_store.scalar("SELECT name FROM vg_object_counts ORDER BY n_images DESC, name LIMIT 1")
    style = sample_store.scalar("SELECT tag FROM journeydb_tag_counts WHERE kind = 'style' ORDER BY n_images DESC")
    charts = [(stats.vg_counts, stat, f) for stat in stats.VG_STATS for f in (VGFilter(), VGFilter(objects=(name,)))]
    charts += [
        (stats.journeydb_counts, stat, f)
        for stat in stats.JDB_STATS
        for f in (JourneyFilter(), JourneyFilter(styles=(style,)))
    ]
    for counts, stat, f in charts:
        stats.clear_caches()
        with_tables = counts(sample_store, f, stat, top=3).frame
        stats.clear_caches()
        assert counts(bare, f, stat, top=3).frame.equals(with_tables), (stat, f)
    assert len(charts) == 2 * (len(stats.VG_STATS) + len(stats.JDB_STATS))
