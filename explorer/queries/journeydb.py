"""Queries of the JourneyDB gallery: counts and pages of matching images, option lists, one sample's detail."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from explorer.filters import JourneyFilter, search_words
from explorer.queries.filters import Where, journeydb_row_ids, journeydb_where
from explorer.queries.lookup import key_rows
from explorer.queries.paging import GalleryPage, clamped
from explorer.store import Store
from explorer.textindex import Facets, TextIndex, facet_term, tokens
from explorer.urlstate import page_count

MAX_PAGE_SIZE = 500
MAX_TAG_OPTIONS = 10_000
MAX_LOOKUP = 100

IMAGES_COUNT_SQL = "SELECT count(*) FROM journeydb_images i WHERE {where}"
IMAGES_PAGE_SQL = (
    "SELECT i.image_id, i.img_path, i.prompt_text, i.caption, i.split"
    " FROM journeydb_images i WHERE {where} ORDER BY i.image_id LIMIT ? OFFSET ?"
)
TAG_COUNTS_SQL = "SELECT tag, n_images FROM journeydb_tag_counts WHERE kind = ? ORDER BY n_images DESC, tag LIMIT ?"
KNOWN_TAGS_SQL = "SELECT tag FROM journeydb_tag_counts WHERE kind = ? AND list_contains(?::VARCHAR[], tag)"
TAG_COUNTS_OF_SQL = "SELECT tag, n_images FROM journeydb_tag_counts WHERE kind = ? AND list_contains(?::VARCHAR[], tag)"
VALUE_COUNTS_SQL = (
    "SELECT {column} AS value, count(*) AS n_images FROM journeydb_images"
    " WHERE {column} IS NOT NULL GROUP BY ALL ORDER BY n_images DESC, value"
)
# Exports with tag_ids.parquet: count and page the matching row ids, then read just the page's rows.
ROW_IDS_COUNT_SQL = "SELECT count(*) FROM ({ids})"
ROW_IDS_PAGE_SQL = "SELECT row_id FROM ({ids}) ORDER BY row_id LIMIT ? OFFSET ?"
# Count and one page of row ids from one evaluation of the row-id query.
ROW_IDS_COUNT_PAGE_SQL = """
WITH s AS MATERIALIZED ({ids})
SELECT (SELECT count(*) FROM s),
       (SELECT coalesce(list(row_id ORDER BY row_id), []) FROM (SELECT row_id FROM s ORDER BY row_id LIMIT ? OFFSET ?))
"""
ALL_IMAGES_COUNT_SQL = "SELECT count(*) FROM journeydb_images"
IMAGES_BY_ROW_ID_SQL = (
    "SELECT i.image_id, i.img_path, i.prompt_text, i.caption, i.split"
    " FROM journeydb_images i WHERE i.row_id IN (SELECT unnest(?::BIGINT[])) ORDER BY i.row_id"
)
SAMPLE_COLUMNS = (
    "image_id", "split", "img_path", "prompt", "prompt_text", "caption", "styles", "contents", "atmospheres",
    "others", "mj_version", "aspect_ratio", "quality", "stylize", "chaos", "seed", "mj_params", "prompt_hash",
    "width", "height",
)  # fmt: skip
QUESTION_COLUMNS = ("kind", "qa_index", "question", "options", "answer")
# Exports without image_ids.parquet (schema 1) are looked up by image_id in SQL; newer ones by row_id (`sample`).
SAMPLE_SQL = f"SELECT {', '.join(SAMPLE_COLUMNS)} FROM journeydb_images WHERE image_id = ?"
QUESTIONS_SQL = f"SELECT {', '.join(QUESTION_COLUMNS)} FROM journeydb_questions WHERE image_id = ? ORDER BY kind = 'content', qa_index"
SAME_PROMPT_SQL = (
    "SELECT image_id, img_path, prompt_text, caption, split FROM journeydb_images"
    " WHERE prompt_hash = ? AND image_id <> ? ORDER BY image_id LIMIT ?"
)

_LOOKUPS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="jdb-lookup")

# The columns a value list may be built over (identifiers never come from the user).
VALUE_COLUMNS = {"split": "split", "version": "mj_version", "ar": "aspect_ratio"}


@dataclass(frozen=True)
class Access:
    """What an export offers beyond the base tables (older exports lack some; see docs/EXPORT.md).

    `index`: the text index; `tag_row_ids`: tag postings by row_id (`tag_ids.parquet`); `n_tags`: the images
    column; `question_row_ids`: questions carry their image's row_id; `image_ids`: the image_id -> row_id
    table (`image_ids.parquet`, images in file order).
    """

    index: TextIndex | None = None
    tag_row_ids: bool = False
    n_tags: bool = False
    question_row_ids: bool = False
    image_ids: bool = False


def _columns(path: Path) -> frozenset[str]:
    try:
        return frozenset(pq.read_schema(path).names)
    except (OSError, pa.ArrowException):
        return frozenset()


@functools.lru_cache(maxsize=8)
def _access(folder: Path) -> Access:
    return Access(
        TextIndex.for_export(folder),
        (folder / "tag_ids.parquet").is_file(),
        "n_tags" in _columns(folder / "images.parquet"),
        "row_id" in _columns(folder / "questions.parquet"),
        (folder / "image_ids.parquet").is_file(),
    )


def access(store: Store) -> Access:
    """The `Access` of the store's JourneyDB export, cached per export version (its resolved folder)."""
    try:
        folder = (store.data_dir / "journeydb").resolve(strict=True)
    except OSError:
        return Access()
    return _access(folder)


def selection_where(store: Store, f: JourneyFilter) -> Where:
    """`journeydb_where(f)` with everything the export offers (text index, row_id tags)."""
    acc = access(store)
    return journeydb_where(f, index=acc.index, by_row_id=acc.tag_row_ids)


def _by_index(acc: Access, f: JourneyFilter) -> tuple[list[str], Facets] | None:
    """The words and facets when the text index alone answers `f`, else None.

    That is when `f` searches text and its other conditions (tags, split, version, aspect ratio) are facets
    the index holds; without text the tag postings answer faster.
    """
    words = search_words(f.q)
    if acc.index is None or not tokens(words):
        return None
    if replace(f, q="", match="all") == JourneyFilter():
        return words, Facets()
    if not acc.index.has_facets:
        return None
    tags = [facet_term(kind, tag) for kind, values in f.tags().items() for tag in values]
    columns = [
        facet_term(kind, value)
        for kind, value in (("split", f.split), ("version", f.version), ("ar", f.aspect_ratio))
        if value
    ]
    if f.match == "any" and tags:
        return words, Facets(all=tuple(columns), any=tuple(tags))
    return words, Facets(all=tuple(tags + columns))


def count_images(store: Store, f: JourneyFilter) -> int:
    """Number of images matching `f`."""
    acc = access(store)
    found = _by_index(acc, f)
    if found is not None and acc.index is not None:
        return acc.index.count(*found)
    if acc.tag_row_ids:
        ids = journeydb_row_ids(f, index=acc.index)
        if ids is None:
            return int(store.scalar(ALL_IMAGES_COUNT_SQL) or 0)
        return int(store.scalar(ROW_IDS_COUNT_SQL.format(ids=ids[0]), ids[1]) or 0)
    sql, params = journeydb_where(f, index=acc.index)
    return int(store.scalar(IMAGES_COUNT_SQL.format(where=sql), params) or 0)


@dataclass(frozen=True)
class ImageRow:
    """One image of a gallery page."""

    image_id: str
    img_path: str | None
    prompt_text: str | None
    caption: str | None
    split: str


def image_page(store: Store, f: JourneyFilter, page: int, page_size: int) -> list[ImageRow]:
    """One page (1-based) of the images matching `f`, in row_id order (the release's; image_id before schema 2)."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    offset = (max(1, page) - 1) * page_size
    acc = access(store)
    found = _by_index(acc, f)
    if found is not None and acc.index is not None:
        row_ids = acc.index.page(found[0], page_size, offset, facets=found[1]).row_ids
    elif acc.tag_row_ids:
        ids = journeydb_row_ids(f, index=acc.index)
        if ids is None:  # row ids are 0..n-1
            row_ids = list(range(offset, offset + page_size))
        else:
            row_ids = [r[0] for r in store.rows(ROW_IDS_PAGE_SQL.format(ids=ids[0]), [*ids[1], page_size, offset])]
    else:
        sql, params = journeydb_where(f, index=acc.index)
        rows = store.rows(IMAGES_PAGE_SQL.format(where=sql), [*params, page_size, offset])
        return [ImageRow(*row) for row in rows]
    if not row_ids:
        return []
    return [ImageRow(*row) for row in store.rows(IMAGES_BY_ROW_ID_SQL, [row_ids])]


def gallery_page(store: Store, f: JourneyFilter, page: int, page_size: int) -> GalleryPage[ImageRow]:
    """The count of the images matching `f` and page `page` (1-based; past the end: the last page).

    Where the text index or the tag postings answer `f`, count and page come from one search or one
    evaluation of the filter.
    """
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(1, page)
    acc = access(store)
    found = _by_index(acc, f)
    ids = journeydb_row_ids(f, index=acc.index) if acc.tag_row_ids and found is None else None
    index = acc.index
    if found is not None and index is not None:

        def count_and_page(n: int) -> tuple[int, list[int]]:
            result = index.page(found[0], page_size, (n - 1) * page_size, facets=found[1])
            return result.count, result.row_ids

    elif ids is not None:
        sql = ROW_IDS_COUNT_PAGE_SQL.format(ids=ids[0])

        def count_and_page(n: int) -> tuple[int, list[int]]:
            total, row_ids = store.rows(sql, [*ids[1], page_size, (n - 1) * page_size])[0]
            return int(total), list(row_ids)

    else:
        total = count_images(store, f)
        page = min(page, page_count(total, page_size))
        return GalleryPage(total, page, image_page(store, f, page, page_size) if total else [])
    total, page, row_ids = clamped(count_and_page, page, page_size)
    rows = [ImageRow(*row) for row in store.rows(IMAGES_BY_ROW_ID_SQL, [row_ids])] if row_ids else []
    return GalleryPage(total, page, rows)


def tag_counts(store: Store, kind: str, limit: int = MAX_TAG_OPTIONS) -> pd.DataFrame:
    """The most frequent tags of `kind` (style, content, atmosphere) with their image counts: tag, n_images."""
    rows = store.rows(TAG_COUNTS_SQL, [kind, limit])
    return pd.DataFrame.from_records(rows, columns=["tag", "n_images"])


def tag_counts_of(store: Store, kind: str, tags: list[str]) -> dict[str, int]:
    """Image counts of the given tags of `kind` (unknown tags are absent)."""
    if not tags:
        return {}
    return {tag: int(n) for tag, n in store.rows(TAG_COUNTS_OF_SQL, [kind, tags[:MAX_LOOKUP]])}


def known_tags(store: Store, kind: str, tags: list[str]) -> list[str]:
    """Those of `tags` that exist as tags of `kind` (one batched lookup)."""
    if not tags:
        return []
    return [row[0] for row in store.rows(KNOWN_TAGS_SQL, [kind, tags[:MAX_LOOKUP]])]


def value_counts(store: Store, name: str) -> pd.DataFrame:
    """Distinct values of `split`, `version` or `ar` with their image counts: value, n_images."""
    column = VALUE_COLUMNS[name]
    rows = store.rows(VALUE_COUNTS_SQL.format(column=column))
    return pd.DataFrame.from_records(rows, columns=["value", "n_images"])


@dataclass(frozen=True)
class Question:
    """One Task3 question: its options in A–D order and the correct letter (None when withheld)."""

    kind: str
    index: int
    question: str
    options: tuple[str, ...]
    answer: str | None


@dataclass(frozen=True)
class Sample:
    """Everything annotated for one image."""

    image_id: str
    split: str
    img_path: str | None
    prompt: str | None
    prompt_text: str | None
    caption: str | None
    tags: dict[str, tuple[str, ...]]
    params: dict[str, Any]
    mj_params: str | None
    prompt_hash: int | None
    width: int | None
    height: int | None
    questions: tuple[Question, ...]

    @property
    def answers_withheld(self) -> bool:
        return self.split == "test"


def sample(store: Store, image_id: str) -> Sample | None:
    """The image `image_id` with its tags, parameters and questions; None when there is no such image."""
    acc = access(store)
    if acc.image_ids and acc.question_row_ids:
        # image_id -> row_id, then both tables by row_id: point lookups with pyarrow (`lookup`), no SQL.
        found = key_rows(store, "journeydb_image_ids", "image_id", image_id, ("row_id",))
        if not found:
            return None
        row_id = found[0][0]
        questions_future = _LOOKUPS.submit(key_rows, store, "journeydb_questions", "row_id", row_id, QUESTION_COLUMNS)
        rows = key_rows(store, "journeydb_images", "row_id", row_id, SAMPLE_COLUMNS)
        # QUESTIONS_SQL's order: style before content, then qa_index.
        question_rows = sorted(questions_future.result(), key=lambda q: (q[0] == "content", q[1]))
    else:
        questions_future = _LOOKUPS.submit(store.rows, QUESTIONS_SQL, [image_id])
        rows = store.rows(SAMPLE_SQL, [image_id])
        question_rows = questions_future.result()
    if not rows:
        return None
    (
        iid, split, img_path, prompt, prompt_text, caption, styles, contents, atmospheres, others,
        version, ar, quality, stylize, chaos, seed, mj_params, prompt_hash, width, height,
    ) = rows[0]  # fmt: skip
    questions = tuple(
        Question(kind, int(index), question or "", tuple(options or ()), answer)
        for kind, index, question, options, answer in question_rows
    )
    return Sample(
        image_id=iid,
        split=split,
        img_path=img_path,
        prompt=prompt,
        prompt_text=prompt_text,
        caption=caption,
        tags={
            "style": tuple(styles or ()),
            "content": tuple(contents or ()),
            "atmosphere": tuple(atmospheres or ()),
            "other": tuple(others or ()),
        },
        params={
            "version": version,
            "aspect ratio": ar,
            "quality": quality,
            "stylize": stylize,
            "chaos": chaos,
            "seed": seed,
        },
        mj_params=mj_params,
        prompt_hash=prompt_hash,
        width=width,
        height=height,
        questions=questions,
    )


def same_prompt(store: Store, s: Sample, limit: int = 12) -> list[ImageRow]:
    """Other images made from the same prompt as `s` (at most `limit`)."""
    if s.prompt_hash is None:
        return []
    return [ImageRow(*row) for row in store.rows(SAME_PROMPT_SQL, [s.prompt_hash, s.image_id, limit])]
