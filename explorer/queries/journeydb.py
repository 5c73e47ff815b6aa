"""Queries of the JourneyDB gallery: counts and pages of matching images, option lists, one sample's detail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from explorer.filters import JourneyFilter
from explorer.queries.filters import journeydb_where
from explorer.store import Store

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
SAMPLE_SQL = (
    "SELECT image_id, split, img_path, prompt, prompt_text, caption, styles, contents, atmospheres, others,"
    " mj_version, aspect_ratio, quality, stylize, chaos, seed, mj_params, prompt_hash, width, height"
    " FROM journeydb_images WHERE image_id = ?"
)
QUESTIONS_SQL = (
    "SELECT kind, qa_index, question, options, answer FROM journeydb_questions"
    " WHERE image_id = ? ORDER BY kind = 'content', qa_index"
)
SAME_PROMPT_SQL = (
    "SELECT image_id, img_path, prompt_text, caption, split FROM journeydb_images"
    " WHERE prompt_hash = ? AND image_id <> ? ORDER BY image_id LIMIT ?"
)

# The columns a value list may be built over (identifiers never come from the user).
VALUE_COLUMNS = {"split": "split", "version": "mj_version", "ar": "aspect_ratio"}


def count_images(store: Store, f: JourneyFilter) -> int:
    """Number of images matching `f`."""
    where, params = journeydb_where(f)
    return int(store.scalar(IMAGES_COUNT_SQL.format(where=where), params) or 0)


@dataclass(frozen=True)
class ImageRow:
    """One image of a gallery page."""

    image_id: str
    img_path: str | None
    prompt_text: str | None
    caption: str | None
    split: str


def image_page(store: Store, f: JourneyFilter, page: int, page_size: int) -> list[ImageRow]:
    """One page (1-based) of the images matching `f`, in image_id order."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    offset = (max(1, page) - 1) * page_size
    where, params = journeydb_where(f)
    return [ImageRow(*row) for row in store.rows(IMAGES_PAGE_SQL.format(where=where), [*params, page_size, offset])]


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
    rows = store.rows(SAMPLE_SQL, [image_id])
    if not rows:
        return None
    (
        iid, split, img_path, prompt, prompt_text, caption, styles, contents, atmospheres, others,
        version, ar, quality, stylize, chaos, seed, mj_params, prompt_hash, width, height,
    ) = rows[0]  # fmt: skip
    questions = tuple(
        Question(kind, int(index), question or "", tuple(options or ()), answer)
        for kind, index, question, options, answer in store.rows(QUESTIONS_SQL, [image_id])
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
