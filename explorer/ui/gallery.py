"""The thumbnail grid and pager shared by both galleries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st
from PIL import Image

from explorer.textsafe import escape_markdown
from explorer.urlstate import page_count


@dataclass(frozen=True)
class Tile:
    """One thumbnail of a gallery: its id, picture, caption text (shown as text) and an optional note."""

    id: str
    image: Image.Image | bytes
    caption: str
    note: str | None = None


def pager(total: int, page: int, page_size: int, key: str) -> int:
    """Previous / page number / Next; returns the page asked for (1-based), clamped to the pages that exist.

    The number input is keyed `{key}.page`, so Streamlit ignores a `value=` after its first run: callers
    that move the page themselves (URL, Next) set `st.session_state[f"{key}.page"]` before calling.
    """
    pages = page_count(total, page_size)
    page = min(max(1, page), pages)
    if pages == 1:
        return page
    state_key = f"{key}.page"
    current = st.session_state.get(state_key)
    if not isinstance(current, int) or not 1 <= current <= pages:
        st.session_state[state_key] = page
    left, mid, right = st.columns([1, 2, 1], vertical_alignment="bottom")
    with mid:
        chosen = st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key=state_key)
    with left:
        if st.button("‹ Previous", key=f"{key}.prev", disabled=page <= 1, width="stretch"):
            return page - 1
    with right:
        if st.button("Next ›", key=f"{key}.next", disabled=page >= pages, width="stretch"):
            return page + 1
    return int(chosen)


def thumb_grid(tiles: Sequence[Tile], key: str, columns: int = 6) -> str | None:
    """Draw the tiles in rows of `columns`; return the id whose Open button was clicked, if any."""
    clicked: str | None = None
    for start in range(0, len(tiles), columns):
        for column, tile in zip(st.columns(columns), tiles[start : start + columns], strict=False):
            with column, st.container(border=True):
                st.image(tile.image, width="stretch")
                st.markdown(escape_markdown(tile.caption) or "*no prompt*")
                if tile.note:
                    st.caption(escape_markdown(tile.note))
                if st.button("Open", key=f"{key}.open.{tile.id}", width="stretch"):
                    clicked = tile.id
    return clicked
