"""The tantivy text index: built at ingest, searched by token, joined back to SQL through row_id."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from explorer.filters import JourneyFilter
from explorer.queries.filters import JDB_TEXT_IDS_SQL, JDB_TEXT_WORD_SQL, journeydb_where
from explorer.textindex import (
    INDEX_DIR,
    Facets,
    TextIndex,
    build,
    document_texts,
    facet_term,
    tokens,
    write,
)

PROMPTS = [
    ("a black cat on a red sofa", "A cat sleeping."),
    ("portrait of a woman, oil painting", None),
    (None, "A dragon over the castle."),
    ("Cyber-punk city at night", "Neon lights of the city."),
    ("a category of things", "Nothing about felines."),
]
# The facets of each row: styles, contents, split, version ("highly detailed" has a space, "café-noir" is not
# ASCII).
STYLES = [["anime", "highly detailed"], ["oil painting"], [], ["anime", "café-noir"], None]
CONTENTS = [["cat"], ["woman"], ["dragon"], ["city"], []]
SPLITS = ["train", "train", "valid", "valid", None]
VERSIONS = ["5", None, "5", "niji 5", "4"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> TextIndex:
    folder = tmp_path_factory.mktemp("textindex")
    images = folder / "images.parquet"
    tags = pa.list_(pa.string())
    pq.write_table(
        pa.table(
            {
                "row_id": pa.array(range(len(PROMPTS)), pa.int64()),
                "prompt_text": [p for p, _ in PROMPTS],
                "caption": [c for _, c in PROMPTS],
                "styles": pa.array(STYLES, tags),
                "contents": pa.array(CONTENTS, tags),
                "atmospheres": pa.array([[]] * len(PROMPTS), tags),
                "split": SPLITS,
                "mj_version": VERSIONS,
                "aspect_ratio": ["1:1"] * len(PROMPTS),
            }
        ),
        images,
        row_group_size=2,
    )
    assert build(images, folder / INDEX_DIR) == len(PROMPTS)
    opened = TextIndex.open(folder / INDEX_DIR)
    assert opened is not None
    return opened


def test_tokens_lowercase_split_and_dedupe() -> None:
    assert tokens(["Cyber-Punk", "CITY,", "city", "__"]) == ["cyber", "punk", "city"]


def test_words_match_whole_tokens_in_prompt_or_caption(index: TextIndex) -> None:
    assert index.row_ids(["cat"]) == [0]  # not "category"
    assert index.row_ids(["dragon"]) == [2]  # caption only
    assert index.row_ids(["CITY", "neon"]) == [3]  # all words, either field, any case
    assert index.row_ids(["cyber-punk"]) == [3]
    assert index.row_ids(["unicorn"]) == []
    assert index.count(["a"]) == 4


def test_page_counts_and_orders_by_row_id(index: TextIndex) -> None:
    page = index.page(["a"], limit=2, offset=1)
    assert page.count == 4
    assert page.row_ids == [1, 2]


def test_row_ids_refuses_more_than_the_cap(index: TextIndex) -> None:
    assert index.row_ids(["a"], cap=3) is None
    assert index.row_ids(["a"], cap=4) == [0, 1, 2, 4]


def test_open_without_an_index_is_none(tmp_path: Path) -> None:
    assert TextIndex.open(tmp_path / INDEX_DIR) is None
    assert TextIndex.for_export(tmp_path) is None


def test_journeydb_where_uses_the_index_and_falls_back_to_ilike(index: TextIndex) -> None:
    sql, params = journeydb_where(JourneyFilter(q="cat"), index=index)
    assert sql == JDB_TEXT_IDS_SQL and params == [[0]]
    sql, params = journeydb_where(JourneyFilter(q="cat"))
    assert sql == JDB_TEXT_WORD_SQL and params == ["%cat%", "%cat%"]


def test_ingest_builds_the_index_and_row_ids(sample_data: Path, sample_store) -> None:  # type: ignore[no-untyped-def]
    index = TextIndex.for_export(sample_data / "journeydb")
    assert index is not None
    n, distinct, lo, hi = sample_store.rows(
        "SELECT count(*), count(DISTINCT row_id), min(row_id), max(row_id) FROM journeydb_images"
    )[0]
    assert (distinct, lo, hi) == (n, 0, n - 1) and index.num_docs == n
    # row_id is the position in images.parquet (read in file order), and the index finds what the ILIKE scan
    # finds for a plain word.
    stored = duckdb.connect(config={"threads": 1}).execute(
        "SELECT row_id FROM read_parquet(?)", [str(sample_data / "journeydb" / "images.parquet")]
    )
    assert [r[0] for r in stored.fetchall()] == list(range(n))
    where, params = journeydb_where(JourneyFilter(q="cat"), index=index)
    via_index = sample_store.rows(f"SELECT image_id FROM journeydb_images i WHERE {where} ORDER BY 1", params)
    scanned = sample_store.rows(
        "SELECT image_id FROM journeydb_images i WHERE regexp_matches(lower(coalesce(prompt_text, '') || ' ' ||"
        " coalesce(caption, '')), '(^|[^a-z0-9])cat([^a-z0-9]|$)') ORDER BY 1"
    )
    assert via_index == scanned and via_index


def test_facets_narrow_a_search_exactly(index: TextIndex) -> None:
    assert index.has_facets
    every = Facets(all=(facet_term("style", "anime"),))
    assert index.page(["cat"], 10, facets=every).row_ids == [0]
    assert index.count(["city"], every) == 1
    assert index.count(["city"], Facets(all=(facet_term("style", "café-noir"),))) == 1  # not ASCII
    assert index.count(["cat"], Facets(all=(facet_term("style", "highly detailed"),))) == 1
    assert index.count(["cat"], Facets(all=(facet_term("style", "highly"),))) == 0  # whole values only
    assert index.count(["cat"], Facets(all=(facet_term("style", "Anime"),))) == 0  # case kept
    assert index.count(["a"], Facets(all=(facet_term("split", "train"), facet_term("version", "5")))) == 1
    either = Facets(any=(facet_term("content", "woman"), facet_term("content", "cat")))
    assert index.page(["a"], 10, facets=either).row_ids == [0, 1]
    assert index.count(["a"], Facets(all=(facet_term("split", "valid"),), any=either.any)) == 0


def test_document_texts_append_each_facet_token_in_order() -> None:
    """The Arrow path hashes each distinct value once per batch; every row still gets the tokens of its own
    values, in column order, with null lists, null values and empty lists adding nothing."""
    tags = pa.list_(pa.string())
    batch = pa.record_batch(
        {
            "row_id": pa.array([0, 1, 2, 3], pa.int64()),
            "text": ["a cat", None, "café", "x"],
            "styles": pa.array([["anime", "café-noir"], None, ["anime"], ["anime", None]], tags),
            "contents": pa.array([[], ["cat"], ["cat", "dog"], None], tags),
            "atmospheres": pa.array([None, None, None, ["calm"]], tags),
            "split": ["train", None, "valid", "train"],
            "mj_version": ["5", "5", None, "niji 5"],
            "aspect_ratio": [None, "1:1", "1:1", "16:9"],
        }
    )
    cache: dict[tuple[str, str], str] = {}
    texts = document_texts(batch, cache).to_pylist()
    s, c, a = (
        (lambda v: facet_term("style", v)),
        (lambda v: facet_term("content", v)),
        (lambda v: facet_term("atmosphere", v)),
    )
    sp, v, ar = (
        (lambda x: facet_term("split", x)),
        (lambda x: facet_term("version", x)),
        (lambda x: facet_term("ar", x)),
    )
    expected = [
        ["a", "cat", s("anime"), s("café-noir"), sp("train"), v("5")],
        [c("cat"), v("5"), ar("1:1")],
        ["café", s("anime"), c("cat"), c("dog"), sp("valid"), ar("1:1")],
        ["x", s("anime"), a("calm"), sp("train"), v("niji 5"), ar("16:9")],
    ]
    assert [text.split() for text in texts] == expected
    assert cache[("style", "anime")] == s("anime")  # reused by the next batch
    assert document_texts(batch.select(["row_id", "text"])).to_pylist() == ["a cat", "", "café", "x"]
    nothing = pa.record_batch(
        [pa.array([None], col.type) for col in batch.columns], schema=batch.schema
    )  # no text and no facet
    assert [text.split() for text in document_texts(nothing).to_pylist()] == [[]]  # stays a row


def test_facet_tokens_are_single_index_tokens() -> None:
    term = facet_term("style", "Highly Detailed, 8k")
    assert tokens([term]) == [term]
    assert term != facet_term("style", "highly detailed, 8k") and term != facet_term("content", "Highly Detailed, 8k")


def test_a_failed_write_stops_tantivys_writer(tmp_path: Path) -> None:
    """When the documents' reader fails (the ingest interrupts it), the writer is stopped before the error is
    raised, though the traceback (kept by the caller) still holds the frame: no thread of it goes on writing
    into a folder the caller is about to remove, and the index's writer lock is free."""
    import tantivy

    def docs():  # type: ignore[no-untyped-def]
        yield pa.record_batch([pa.array([0, 1], pa.int64()), pa.array(["a cat", "a dog"])], names=["row_id", "text"])
        raise RuntimeError("reader interrupted")

    with pytest.raises(RuntimeError, match="reader interrupted") as failure:
        write(docs(), tmp_path / "ix")
    assert failure.value.__traceback__ is not None  # the failed frame, with its writer, is still referenced
    tantivy.Index.open(str(tmp_path / "ix")).writer().rollback()  # raises if the failed writer held the lock
