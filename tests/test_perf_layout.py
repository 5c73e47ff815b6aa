"""Layout properties the fast paths rely on (row groups, row_id postings); no timings are asserted."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from explorer.filters import JourneyFilter
from explorer.ingest.journeydb import IMAGE_ROW_GROUP, PLAIN_COLUMNS
from explorer.ingest.visual_genome import PER_IMAGE_ROW_GROUP, PER_IMAGE_TABLES
from explorer.queries import journeydb as q
from explorer.queries.filters import journeydb_where


def _max_row_group(path: Path) -> int:
    meta = pq.ParquetFile(path).metadata
    return max(meta.row_group(i).num_rows for i in range(meta.num_row_groups))


def test_per_image_tables_have_small_row_groups(sample_data: Path) -> None:
    for name in ("images", "questions"):
        assert _max_row_group(sample_data / "journeydb" / f"{name}.parquet") <= IMAGE_ROW_GROUP
    for name in PER_IMAGE_TABLES:
        assert _max_row_group(sample_data / "visual_genome" / f"{name}.parquet") <= PER_IMAGE_ROW_GROUP


@pytest.mark.parametrize("name", ["images", "questions", "tag_ids"])
def test_row_ids_are_delta_encoded(sample_data: Path, name: str) -> None:
    meta = pq.ParquetFile(sample_data / "journeydb" / f"{name}.parquet").metadata
    column = meta.schema.names.index("row_id")
    for i in range(meta.num_row_groups):
        encodings = meta.row_group(i).column(column).encodings
        assert "DELTA_BINARY_PACKED" in encodings and "RLE_DICTIONARY" not in encodings


def test_unique_text_columns_have_no_dictionary_and_the_rest_do(sample_data: Path) -> None:
    meta = pq.ParquetFile(sample_data / "journeydb" / "images.parquet").metadata
    names = [meta.schema.column(i).path.split(".")[0] for i in range(meta.num_columns)]
    for column, name in enumerate(names):
        dictionary = "RLE_DICTIONARY" in meta.row_group(0).column(column).encodings
        assert dictionary == (name not in PLAIN_COLUMNS), name
    assert {"prompt", "caption", "split", "styles"} <= set(names)


def test_tag_ids_are_the_tags_keyed_by_row_id_in_order(sample_store) -> None:  # type: ignore[no-untyped-def]
    postings = sample_store.rows("SELECT kind, tag, row_id FROM journeydb_tag_ids")
    assert postings == sorted(postings)
    joined = sample_store.rows(
        "SELECT t.kind, t.tag, i.row_id FROM journeydb_tags t JOIN journeydb_images i USING (image_id) ORDER BY ALL"
    )
    assert postings == joined


FILTERS = [
    JourneyFilter(),
    JourneyFilter(styles=("anime",)),
    JourneyFilter(styles=("anime", "vibrant")),
    JourneyFilter(styles=("anime",), atmospheres=("dreamy",), match="any"),
    JourneyFilter(styles=("anime",), split="train"),
    JourneyFilter(split="valid"),
    JourneyFilter(q="cat"),
    JourneyFilter(q="lighthouse fog"),
    JourneyFilter(q="cat", styles=("anime",)),
    JourneyFilter(q="cat", styles=("anime", "vibrant")),
    JourneyFilter(q="cat", styles=("anime",), atmospheres=("dreamy",), match="any"),
    JourneyFilter(q="cat", split="train"),
    JourneyFilter(q="the", split="valid", styles=("anime",)),
    JourneyFilter(q="cat", contents=("no such tag",)),
    JourneyFilter(q="%"),
]


@pytest.mark.parametrize("f", FILTERS, ids=str)
def test_fast_paths_match_the_generic_sql(sample_store, f: JourneyFilter) -> None:  # type: ignore[no-untyped-def]
    """Index/postings answers equal the one-statement SQL over images (same index, image_id semi-joins)."""
    where, params = journeydb_where(f, index=q.access(sample_store).index)
    expected = [
        r[0]
        for r in sample_store.rows(f"SELECT i.image_id FROM journeydb_images i WHERE {where} ORDER BY i.row_id", params)
    ]
    assert q.count_images(sample_store, f) == len(expected)
    shown = [row.image_id for page in (1, 2) for row in q.image_page(sample_store, f, page, 7)]
    assert shown == expected[:14]
