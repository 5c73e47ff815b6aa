"""The galleries' page: how many images match and one page of them, clamped to the last page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from explorer.urlstate import page_count

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class GalleryPage(Generic[R]):
    """What the gallery shows: how many images match, the page shown (clamped to the last) and its rows."""

    total: int
    page: int
    rows: list[R]


def clamped(
    count_and_page: Callable[[int], tuple[int, list[T]]], page: int, page_size: int
) -> tuple[int, int, list[T]]:
    """(total, page, items) from `count_and_page(page)`; a page past the end is fetched again as the last one."""
    total, items = count_and_page(page)
    last = page_count(total, page_size)
    if page > last:
        page = last
        total, items = count_and_page(page)
    return total, page, items
