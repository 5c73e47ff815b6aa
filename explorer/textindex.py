"""Full-text index over JourneyDB `prompt_text` + `caption`, with tantivy (https://github.com/quickwit-oss/tantivy-py).

A plain `ILIKE '%word%'` scan over 4.4M prompts takes over a second; this index answers a search in
milliseconds. The ingest builds it into the export folder as `journeydb/text_index/` (one tantivy
document per image: the tokens of `prompt_text` and `caption`, and the image's `row_id`, its position in
`images.parquet`). A search is the AND of its words, each matched as a whole token, case-insensitively
(tantivy's default tokenizer: split on anything not a letter or digit, lowercase); so `cat` finds
"a cat, sleeping" but not "category", unlike the ILIKE fallback used when the index is absent.

Each document's text also holds its image's facets (its style, content and atmosphere tags, split,
version and aspect ratio), each as one token: `f` and the first 16 hex digits of the MD5 of `kind=value`
(`facet_term`), so tags with spaces or punctuation stay whole and exact. A search combined with the
gallery's other filters is then answered by the index alone: a common word and a common tag need no list
of a million ids passed to SQL. Indexes built before facets (no FORMAT_FILE) answer text only.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import tantivy

INDEX_DIR = "text_index"
ROW_FIELD = "row_id"
TEXT_FIELD = "text"
FORMAT_FILE = "explorer.json"  # written after the commit: {"facets": 1}
# One document per image: row_id, its text, and its facets, from {source}: images.parquet, or any query with
# its columns (the ingest reads its work database, so the index is built while the tables are written). The
# facet tokens are added with Arrow (`document_texts`), one MD5 per distinct value (cached across batches):
# computed in DuckDB, an MD5 and list lambdas per value and row, the documents took 19 CPU-seconds at full
# scale, against 9 now. No read-ahead of the whole file (Arrow's pre-buffer held ~800 MB).
DOCS_SQL = """
SELECT row_id, concat_ws(' ', prompt_text, caption) AS text, styles, contents, atmospheres, split, mj_version,
    aspect_ratio
FROM {source}
"""
# (facet kind, DOCS_SQL column), in the order their tokens follow the text.
FACET_COLUMNS = (
    ("style", "styles"),
    ("content", "contents"),
    ("atmosphere", "atmospheres"),
    ("split", "split"),
    ("version", "mj_version"),
    ("ar", "aspect_ratio"),
)
FACET_CACHE_SIZE = 1_000_000  # (kind, value) -> token, across batches; cleared when full
DOCS_MEMORY_LIMIT = "256MB"
BATCH_ROWS = 65_536
WRITER_HEAP_BYTES = 128 << 20  # split between the writer threads; bounds the index's share of ingest RSS
# Above this many matches a caller gets no id list (see `row_ids`) and falls back to an ILIKE scan. An id
# costs ~1 µs (tantivy hit -> Python int -> bound list), a scanned image about as much, so the index wins
# until a word matches a large share of the images; the cap also bounds the list's memory.
DEFAULT_ID_CAP = 2_000_000
ID_CACHE_SIZE = 2  # a gallery page asks for the same words twice (count, then page): extract the ids once
MAX_TOKEN_LEN = 40  # tantivy's default tokenizer drops longer tokens
_TOKEN = re.compile(r"[^\W_]+")


def schema() -> tantivy.Schema:
    """Row id (fast field, for ordering and joining back to SQL) and the searchable text (no positions)."""
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field(ROW_FIELD, stored=False, indexed=False, fast=True)
    builder.add_text_field(TEXT_FIELD, stored=False, index_option="basic")
    return builder.build()


def facet_term(kind: str, value: str) -> str:
    """The index token of one facet (`kind`: style, content, atmosphere, split, version, ar)."""
    return "f" + hashlib.md5(f"{kind}={value}".encode()).hexdigest()[:16]


def _facet_tokens(kind: str, column: pa.Array, cache: dict[tuple[str, str], str]) -> pa.Array:
    """Per row, the tokens of the `kind` facet values in `column` (strings, or lists of strings), joined by
    spaces: empty or null where the row has none. Each distinct value is hashed once (dictionary encoding)."""
    listed = pa.types.is_list(column.type) or pa.types.is_large_list(column.type)
    values = pc.list_flatten(column) if listed else column
    encoded = pc.dictionary_encode(values)
    hashed = []
    for value in encoded.dictionary.to_pylist():
        token = cache.get((kind, value))
        if token is None:
            if len(cache) >= FACET_CACHE_SIZE:
                cache.clear()
            token = cache[(kind, value)] = facet_term(kind, value)
        hashed.append(token)
    per_value = pc.take(pa.array(hashed, pa.string()), encoded.indices)
    if not listed:
        return per_value
    lengths = pc.fill_null(pc.list_value_length(column), 0).to_numpy(zero_copy_only=False)
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]), pa.int64())
    # A null value inside a list becomes an empty token (binary_join would null the whole row).
    return pc.binary_join(pa.LargeListArray.from_arrays(offsets, per_value.fill_null("")), " ")


def document_texts(batch: pa.RecordBatch, cache: dict[tuple[str, str], str] | None = None) -> pa.Array:
    """The indexed text of each row of a DOCS_SQL batch: its `text`, then the tokens of the facets it has."""
    cache = {} if cache is None else cache
    names = set(batch.schema.names)
    # Never null: pyarrow 26 drops (not nulls) a row whose every part is null under null_handling="skip".
    parts = [batch.column("text").fill_null("")]
    parts += [_facet_tokens(kind, batch.column(name), cache) for kind, name in FACET_COLUMNS if name in names]
    return pc.binary_join_element_wise(*parts, " ", null_handling="skip")


@dataclass(frozen=True)
class Facets:
    """Conditions besides the words: every term of `all`, and at least one term of `any` when it has any."""

    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()


def tokens(words: Iterable[str]) -> list[str]:
    """The index terms of search words: lowercased runs of letters and digits, de-duplicated, in order."""
    found: list[str] = []
    for word in words:
        for token in _TOKEN.findall(word.lower()):
            if len(token) <= MAX_TOKEN_LEN and token not in found:
                found.append(token)
    return found


def docs_sql(source: str) -> str:
    """The documents (row_id, text) of the rows of `source`, a table or subquery with images.parquet's columns."""
    return DOCS_SQL.format(source=source)


def build(images_parquet: Path, target: Path, *, threads: int = 2) -> int:
    """Index the text (`prompt_text` + `caption`) and facets of every row of `images_parquet` into `target`.

    Documents carry the row's `row_id`. Returns the number of documents indexed.
    """
    con = duckdb.connect(config={"memory_limit": DOCS_MEMORY_LIMIT, "threads": 1})
    try:
        docs = con.sql(docs_sql("read_parquet(?)"), params=[str(images_parquet)]).to_arrow_reader(BATCH_ROWS)
        return write(docs, target, threads=threads)
    finally:
        con.close()


def write(docs: Iterable[pa.RecordBatch], target: Path, *, threads: int = 2) -> int:
    """Index `docs` (batches of `docs_sql`: row_id, text and the facet columns; in any order) into a new index
    at `target`.

    Returns the number of documents indexed.
    """
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    index = tantivy.Index(schema(), path=str(target))
    writer = index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=threads)
    new_doc = tantivy.Document
    count = 0
    cache: dict[tuple[str, str], str] = {}
    try:
        for batch in docs:
            add = writer.add_document
            texts = document_texts(batch, cache).to_pylist()
            for row_id, text in zip(batch.column("row_id").to_pylist(), texts, strict=True):
                add(new_doc(row_id=row_id, text=text))  # keyword form: one call per document
            count += batch.num_rows
    except BaseException:
        # Stop tantivy's threads before the caller sees the error: the traceback keeps `writer` alive, and its
        # threads would go on writing segment files while the caller removes the folder.
        writer.rollback()
        writer.wait_merging_threads()
        raise
    writer.commit()
    writer.wait_merging_threads()
    (target / FORMAT_FILE).write_text(json.dumps({"facets": 1}), encoding="utf-8")
    return count


def _has_facets(folder: Path) -> bool:
    try:
        return bool(json.loads((folder / FORMAT_FILE).read_text(encoding="utf-8")).get("facets"))
    except (OSError, ValueError, AttributeError):
        return False


@dataclass(frozen=True)
class Page:
    """How many images match, and the row ids of one page of them in row-id (= image_id) order."""

    count: int
    row_ids: list[int]


class TextIndex:
    """A searcher over one export's `text_index/` folder. Thread-safe; open with `TextIndex.open`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index = tantivy.Index.open(str(folder))
        self._schema = self._index.schema
        self._searcher = self._index.searcher()
        self.has_facets = _has_facets(folder)
        self._ids: dict[tuple[tuple[str, ...], int], list[int] | None] = {}
        self._ids_lock = threading.Lock()

    _cache: ClassVar[dict[Path, TextIndex]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def open(cls, folder: Path) -> TextIndex | None:
        """The index in `folder` (cached per resolved path), or None when there is none."""
        try:
            resolved = folder.resolve(strict=True)
        except OSError:
            return None
        with cls._lock:
            cached = cls._cache.get(resolved)
            if cached is None:
                if not (resolved / "meta.json").is_file():
                    return None
                try:
                    cached = cls(resolved)
                except (OSError, ValueError):
                    return None
                cls._cache[resolved] = cached
            return cached

    @classmethod
    def for_export(cls, journeydb_folder: Path) -> TextIndex | None:
        """The index of the JourneyDB export in `journeydb_folder` (e.g. `DATA/journeydb`), if built."""
        return cls.open(journeydb_folder / INDEX_DIR)

    @property
    def num_docs(self) -> int:
        return int(self._searcher.num_docs)

    def query(self, words: Iterable[str], facets: Facets = Facets()) -> tantivy.Query | None:
        """All of `words` as tokens, and the `facets` (needs `has_facets`); None when the words hold no token."""
        terms = tokens(words)
        if not terms:
            return None
        must, should = tantivy.Occur.Must, tantivy.Occur.Should
        parts = [(must, self._term(t)) for t in [*terms, *facets.all]]
        if facets.any:
            parts.append((must, tantivy.Query.boolean_query([(should, self._term(t)) for t in facets.any])))
        return parts[0][1] if len(parts) == 1 else tantivy.Query.boolean_query(parts)

    def _term(self, term: str) -> tantivy.Query:
        return tantivy.Query.term_query(self._schema, TEXT_FIELD, term)

    def count(self, words: Iterable[str], facets: Facets = Facets()) -> int:
        """Number of images whose prompt or caption holds every word (and that have the `facets`)."""
        query = self.query(words, facets)
        if query is None:
            return self.num_docs
        return int(self._searcher.search(query, limit=1, count=True).count or 0)

    def page(self, words: Iterable[str], limit: int, offset: int = 0, facets: Facets = Facets()) -> Page:
        """Count and one page of matching row ids, ascending (the order of images.parquet)."""
        query = self.query(words, facets)
        if query is None:
            query = tantivy.Query.all_query()
        result = self._searcher.search(
            query, limit=limit, offset=offset, count=True, order_by_field=ROW_FIELD, order=tantivy.Order.Asc
        )
        return Page(int(result.count or 0), [int(key) for key, _ in result.hits])

    def row_ids(self, words: Iterable[str], cap: int = DEFAULT_ID_CAP) -> list[int] | None:
        """Row ids of every matching image (ascending), or None when more than `cap` match."""
        query = self.query(words)
        if query is None:
            return None
        key = (tuple(tokens(words)), cap)
        with self._ids_lock:
            if key in self._ids:
                return self._ids[key]
        if self._searcher.search(query, limit=1, count=True).count > cap:
            ids = None
        else:
            result = self._searcher.search(
                query, limit=cap, count=False, order_by_field=ROW_FIELD, order=tantivy.Order.Asc
            )
            ids = [int(key) for key, _ in result.hits]
        with self._ids_lock:
            self._ids[key] = ids
            while len(self._ids) > ID_CACHE_SIZE:
                self._ids.pop(next(iter(self._ids)))
        return ids


class BackgroundBuild:
    """`write` on a thread, so the index is made while the ingest writes its tables.

    `docs` is called on that thread and returns the batches to index (see `write`).
    """

    def __init__(self, docs: Callable[[], Iterable[pa.RecordBatch]], target: Path, *, threads: int = 2) -> None:
        self._docs = 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(docs, target, threads), name="text-index", daemon=True)
        self._thread.start()

    def _run(self, docs: Callable[[], Iterable[pa.RecordBatch]], target: Path, threads: int) -> None:
        try:
            self._docs = write(docs(), target, threads=threads)
        except BaseException as err:  # re-raised by wait() in the ingest's thread
            self._error = err

    def abandon(self) -> None:
        """Wait for the thread to end, dropping its result or error (after the caller stopped its reader)."""
        self._thread.join()

    def wait(self) -> int:
        """Block until the index is committed; return its document count (re-raises a build failure)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._docs
