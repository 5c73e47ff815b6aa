"""Streamlit pieces of the JourneyDB gallery: URL <-> widget state, sidebar filters, the grid, the sample view.

The URL is the source of truth. Each run parses it into a `ViewState`; when that differs from the state the
widgets were last synced to (first load, a shared link, back/forward, a programmatic `navigate`), the widget
keys are written from it before any widget is drawn. Widgets are then drawn without `value=`, and what they
hold is written back to the URL with `set_url`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

import streamlit as st
from PIL import Image

from explorer.filters import MAX_QUERY_LEN, SPLITS, TAG_KINDS, JourneyFilter, search_words
from explorer.images import ImageUnavailable, Thumb, open_image, placeholder, thumbnail, to_jpeg
from explorer.queries import journeydb as q
from explorer.store import QueryError, Store
from explorer.textsafe import count_label, escape_markdown, highlight_markdown, shorten
from explorer.ui.common import export_stamp, set_url, show_notices
from explorer.ui.gallery import pager
from explorer.urlstate import MAX_PAGE, UrlParams

PAGE_SIZES = (24, 48, 96)
DEFAULT_PAGE_SIZE = 48
GRID_COLUMNS = 4
SIBLING_LIMIT = 6
MAX_ID_LEN = 64
SYNCED = "jdb._synced"
ANY = ""  # the option of the split / version / aspect-ratio selects that filters nothing
GRID = "jdb.grid"
PAGE_KEY = f"{GRID}.page"
TAG_LABELS = {"style": "Style", "content": "Content", "atmosphere": "Atmosphere"}
VALUE_LABELS = {"split": "Split", "version": "Midjourney version", "ar": "Aspect ratio"}
FILTER_KEYS = ("jdb.q", *(f"jdb.{k}" for k in TAG_KINDS), "jdb.match", "jdb.split", "jdb.version", "jdb.ar", "jdb.size")


@dataclass(frozen=True)
class ViewState:
    """Everything the URL of this page holds."""

    filter: JourneyFilter = field(default_factory=JourneyFilter)
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE
    image_id: str | None = None

    def to_url(self) -> dict[str, str | int | list[str] | None]:
        return {
            **self.filter.to_url(),
            "size": self.size if self.size != DEFAULT_PAGE_SIZE else None,
            "page": self.page if self.page > 1 else None,
            "id": self.image_id,
        }


# ---- cached option lists ---------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def _tag_options(_store: Store, stamp: tuple[str, ...], kind: str) -> dict[str, int]:
    frame = q.tag_counts(_store, kind)
    return dict(zip(frame["tag"], (int(n) for n in frame["n_images"]), strict=True))


@st.cache_data(show_spinner=False, max_entries=16)
def _value_options(_store: Store, stamp: tuple[str, ...], name: str) -> dict[str, int]:
    frame = q.value_counts(_store, name)
    return dict(zip(frame["value"], (int(n) for n in frame["n_images"]), strict=True))


def tag_options(store: Store, kind: str) -> dict[str, int]:
    """Tag -> image count of `kind`, most frequent first (cached per export)."""
    return _tag_options(store, export_stamp(), kind)


def value_options(store: Store, name: str) -> dict[str, int]:
    """Value -> image count of `split`, `version` or `ar` (cached per export)."""
    return _value_options(store, export_stamp(), name)


# ---- URL -> state ----------------------------------------------------------------------------------------


def read_url(store: Store, params: UrlParams) -> ViewState:
    """The view the URL asks for; unknown or hostile values become defaults with a notice in `params`."""
    base = JourneyFilter.from_url(params)
    tags = {
        kind: tuple(params.known(kind, lambda values, kind=kind: q.known_tags(store, kind, values)))
        for kind in TAG_KINDS
    }
    version, ar = base.version, base.aspect_ratio
    if version is not None and version not in value_options(store, "version"):
        params.notices.append("No image has that Midjourney 'version'; showing all versions.")
        version = None
    if ar is not None and ar not in value_options(store, "ar"):
        params.notices.append("No image has that aspect ratio ('ar'); showing all aspect ratios.")
        ar = None
    size = params.integer("size", DEFAULT_PAGE_SIZE, lo=1, hi=MAX_PAGE)
    if size not in PAGE_SIZES:
        params.notices.append(f"'size' must be one of {', '.join(map(str, PAGE_SIZES))}; using {DEFAULT_PAGE_SIZE}.")
        size = DEFAULT_PAGE_SIZE
    f = replace(
        base, styles=tags["style"], contents=tags["content"], atmospheres=tags["atmosphere"],
        version=version, aspect_ratio=ar,
    )  # fmt: skip
    return ViewState(
        filter=f,
        page=params.integer("page", 1, lo=1, hi=MAX_PAGE),
        size=size,
        image_id=params.text("id", max_len=MAX_ID_LEN) or None,
    )


def sync_widgets(state: ViewState) -> None:
    """Write the widget keys from `state` when the URL changed since the widgets were last synced."""
    ss = st.session_state
    if ss.get(SYNCED) == state and all(key in ss for key in FILTER_KEYS):
        return
    f = state.filter
    ss["jdb.q"] = f.q
    for kind, values in f.tags().items():
        ss[f"jdb.{kind}"] = list(values)
    ss["jdb.match"] = f.match
    ss["jdb.split"] = f.split or ANY
    ss["jdb.version"] = f.version or ANY
    ss["jdb.ar"] = f.aspect_ratio or ANY
    ss["jdb.size"] = state.size
    ss[PAGE_KEY] = state.page
    ss[SYNCED] = state


def commit(state: ViewState) -> None:
    """Write `state` to the URL; the widgets already show it."""
    set_url(state.to_url())
    st.session_state[SYNCED] = state


def navigate(state: ViewState) -> NoReturn:
    """Go to `state` (a click on Open, a tag, Back, Next): URL first, widgets follow on the rerun."""
    set_url(state.to_url())
    st.rerun()


# ---- sidebar ---------------------------------------------------------------------------------------------


def _with_selected(options: dict[str, int], selected: list[str], extra: dict[str, int]) -> dict[str, int]:
    missing = {t: extra.get(t, 0) for t in selected if t not in options}
    return {**options, **missing} if missing else options


def _value_select(store: Store, name: str) -> str | None:
    """A select over the values of `name` with their counts; "" (shown as "any") stands for no filter."""
    counts = value_options(store, name)
    if name == "split":
        counts = {s: counts[s] for s in SPLITS if s in counts} | counts
    key = f"jdb.{name}"
    if st.session_state.get(key) is None:
        st.session_state[key] = ANY
    current = st.session_state[key]
    options = [ANY, *counts]
    if current not in options:  # a split the URL asked for that no image has: keep it selectable
        options.append(current)
    value = st.selectbox(
        VALUE_LABELS[name],
        options,
        key=key,
        format_func=lambda v: "any" if v == ANY else f"{v} ({counts.get(v, 0):,})",
    )
    return value or None


def sidebar_filters(store: Store, url_state: ViewState) -> ViewState:
    """Draw the filter widgets; the state they ask for (page 1 and no sample when the filter changed)."""
    ss = st.session_state
    with st.sidebar:
        st.header("Filters")
        text = st.text_input(
            "Search prompts and captions",
            key="jdb.q",
            max_chars=MAX_QUERY_LEN,
            placeholder="words, e.g. moon cat",
            help="Case-insensitive; every word must occur in the prompt or the caption.",
        )
        chosen: dict[str, tuple[str, ...]] = {}
        for kind in TAG_KINDS:
            selected = list(ss.get(f"jdb.{kind}") or [])
            counts = tag_options(store, kind)
            counts = _with_selected(counts, selected, q.tag_counts_of(store, kind, selected))
            chosen[kind] = tuple(
                st.multiselect(
                    TAG_LABELS[kind],
                    list(counts),
                    key=f"jdb.{kind}",
                    format_func=lambda t, c=counts: f"{t} ({c.get(t, 0):,})",
                    placeholder="type to search tags",
                    select_all=False,
                )
            )
        match = st.radio(
            "Images must have",
            ("all", "any"),
            key="jdb.match",
            horizontal=True,
            format_func=lambda m: "all chosen tags" if m == "all" else "any chosen tag",
        )
        split = _value_select(store, "split")
        version = _value_select(store, "version")
        ar = _value_select(store, "ar")
        size = st.selectbox("Images per page", PAGE_SIZES, key="jdb.size")
    f = JourneyFilter(
        q=(text or "").strip(),
        styles=chosen["style"],
        contents=chosen["content"],
        atmospheres=chosen["atmosphere"],
        match="any" if match == "any" else "all",
        split=split,
        version=version,
        aspect_ratio=ar,
    )
    size = int(size or DEFAULT_PAGE_SIZE)
    if f == url_state.filter and size == url_state.size:
        return url_state
    ss[PAGE_KEY] = 1  # the pager is drawn later in this run: it may still be set
    return ViewState(filter=f, page=1, size=size)


# ---- pictures --------------------------------------------------------------------------------------------


def _square(img: Image.Image, side: int) -> Image.Image:
    """`img` centred on a square canvas so that the grid's rows line up."""
    canvas = Image.new("RGB", (side, side), (246, 247, 249))
    canvas.paste(img, ((side - img.width) // 2, (side - img.height) // 2))
    return canvas


@st.cache_data(max_entries=4096, show_spinner=False)
def _tile(_store: Store, stamp: tuple[str, ...], img_path: str | None, side: int) -> tuple[bytes, str | None]:
    """A grid tile, encoded once per process: the square-padded thumbnail and why it is a placeholder."""
    thumb = thumb_of(_store, img_path)
    return to_jpeg(_square(thumb.image, side)), thumb.reason


def thumb_of(store: Store, img_path: str | None) -> Thumb:
    """The cached thumbnail of an image (a placeholder naming the reason when there is none)."""
    size = store.settings.thumb_size
    root = store.image_root("journeydb")
    if root is None:
        reason = "image folder unknown"
        return Thumb(placeholder(size, size, reason), 1.0, reason)
    return thumbnail(root, img_path, store.settings.thumbs_dir / "journeydb", size)


def full_image(store: Store, img_path: str | None) -> tuple[Image.Image, str | None]:
    """The full-size image, or a placeholder and the reason."""
    root = store.image_root("journeydb")
    try:
        if root is None:
            raise ImageUnavailable("image folder unknown")
        return open_image(root, img_path), None
    except ImageUnavailable as err:
        return placeholder(512, 512, str(err)), str(err)


# ---- gallery ---------------------------------------------------------------------------------------------


def gallery(store: Store, state: ViewState, params: UrlParams) -> ViewState:
    """Count, pager and the grid of the current page; navigates on Next/Previous/Open."""
    f = state.filter
    shown = q.gallery_page(store, f, state.page, state.size)
    total = shown.total
    st.markdown(f"**{count_label(total)}**", help="Images matching the filters in the sidebar.")
    if total == 0:
        st.info("No image matches these filters. Remove a tag or a search word in the sidebar.")
        return replace(state, page=1)
    page = shown.page
    if page < state.page:
        params.notices.append(f"There is no page {state.page:,}; showing page {page:,}, the last.")
        st.session_state[PAGE_KEY] = page
    chosen = pager(total, page, state.size, key=GRID)
    if chosen != page:
        navigate(replace(state, page=chosen))
    words = search_words(f.q)
    clicked = _grid(store, shown.rows, words)
    if clicked is not None:
        navigate(replace(state, page=page, image_id=clicked))
    return replace(state, page=page)


def _grid(store: Store, records: list[q.ImageRow], words: list[str]) -> str | None:
    clicked: str | None = None
    side = store.settings.thumb_size
    stamp = export_stamp()
    for start in range(0, len(records), GRID_COLUMNS):
        row = records[start : start + GRID_COLUMNS]
        for column, rec in zip(st.columns(GRID_COLUMNS), row, strict=False):
            picture, reason = _tile(store, stamp, rec.img_path, side)
            text = rec.prompt_text or rec.caption or ""
            with column, st.container(border=True):
                st.image(picture, width="stretch")
                st.markdown(highlight_markdown(shorten(text, 90), words) if text else "*no prompt*")
                if reason:
                    st.caption(escape_markdown(reason))
                if st.button("Open", key=f"{GRID}.open.{rec.image_id}", width="stretch"):
                    clicked = rec.image_id
    return clicked


# ---- sample ----------------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _params_table(s: q.Sample) -> str:
    lines = ["| parameter | value |", "|---|---|"]
    lines += [f"| {name} | {escape_markdown(_fmt(value))} |" for name, value in s.params.items()]
    return "\n".join(lines)


def _questions(s: q.Sample) -> None:
    if not s.questions:
        st.caption("No questions for this image.")
        return
    for kind, column in zip(("style", "content"), st.columns(2), strict=True):
        with column:
            st.markdown(f"**{kind.capitalize()} questions**")
            qs = [x for x in s.questions if x.kind == kind]
            if not qs:
                st.caption("none")
            for n, question in enumerate(qs, start=1):
                with st.container(border=True):
                    st.markdown(f"**{n}\\.** {escape_markdown(question.question)}")
                    lines = []
                    for letter, option in zip("ABCD", question.options, strict=False):
                        text = f"{letter}\\. {escape_markdown(option)}"
                        if question.answer == letter:
                            lines.append(f":green[**{text}**] :material/check_circle: **correct**")
                        else:
                            lines.append(text)
                    st.markdown("  \n".join(lines))
                    if question.answer is None:
                        st.caption("answer withheld (test split)" if s.answers_withheld else "no answer recorded")


def _tag_chips(s: q.Sample) -> tuple[str, str] | None:
    """Style, content and atmosphere tags as pills; returns the (kind, tag) clicked."""
    picked: tuple[str, str] | None = None
    for kind in TAG_KINDS:
        tags = list(s.tags[kind])
        if not tags:
            continue
        value = st.pills(
            TAG_LABELS[kind],
            tags,
            key=f"jdb.sample.{kind}",
            format_func=escape_markdown,
            help="Click a tag to add it to the filter and go back to the gallery.",
        )
        if value is not None:
            picked = (kind, str(value))
    if s.tags["other"]:
        st.markdown("**Other tags**  \n" + " · ".join(escape_markdown(t) for t in s.tags["other"]))
    if not any(s.tags.values()):
        st.caption("No tags for this image.")
    return picked


def _siblings(store: Store, s: q.Sample, state: ViewState) -> None:
    others = q.same_prompt(store, s, SIBLING_LIMIT)
    st.subheader("Same prompt", divider="gray")
    if not others:
        st.caption("No other image was made from this prompt.")
        return
    st.caption(f"{count_label(len(others))} made from the same prompt.")
    side = store.settings.thumb_size
    columns = st.columns(6)
    for column, rec in zip(columns, others, strict=False):
        with column:
            st.image(_square(thumb_of(store, rec.img_path).image, side), width="stretch")
            if st.button("Open", key=f"jdb.sibling.{rec.image_id}", width="stretch"):
                navigate(replace(state, image_id=rec.image_id))


def sample_view(store: Store, state: ViewState, params: UrlParams) -> ViewState:
    """The sample `state.image_id` with everything annotated for it; the gallery when there is no such image."""
    s = q.sample(store, state.image_id or "")
    if s is None:
        params.notices.append("No image has that 'id'; showing the gallery.")
        return gallery(store, replace(state, image_id=None), params)
    if st.button("Back to gallery", key="jdb.back", icon=":material/arrow_back:"):
        navigate(replace(state, image_id=None))
    words = search_words(state.filter.q)
    left, right = st.columns([3, 2], gap="large")
    with left:
        image, reason = full_image(store, s.img_path)
        st.image(image, width="stretch")
        size = f" · {s.width}×{s.height} px" if s.width and s.height else ""
        st.caption(f"{escape_markdown(s.image_id)} · {s.split} split{size}")
        if reason:
            st.warning(f"No picture: {escape_markdown(reason)}.", icon=":material/hide_image:")
    with right:
        st.subheader("Prompt", divider="gray")
        st.markdown(highlight_markdown(s.prompt_text, words) if s.prompt_text else "*no prompt*")
        with st.expander("Prompt as written"):
            if s.prompt is None:
                st.caption("no prompt in the release")
            else:
                st.code(s.prompt, language=None, wrap_lines=True)
        st.subheader("Caption", divider="gray")
        st.markdown(highlight_markdown(s.caption, words) if s.caption else "*no caption*")
        st.subheader("Tags", divider="gray")
        picked = _tag_chips(s)
        if picked is not None:
            navigate(ViewState(filter=state.filter.with_tag(*picked), size=state.size))
        st.subheader("Midjourney parameters", divider="gray")
        st.markdown(_params_table(s))
        if s.mj_params:
            st.code(s.mj_params, language=None, wrap_lines=True)
        else:
            st.caption("No parameters in the prompt.")
    st.subheader("Questions", divider="gray")
    _questions(s)
    _siblings(store, s, state)
    return state


def explore(store: Store, url_state: ViewState, params: UrlParams) -> ViewState:
    """The whole page below the title: notices, sidebar, then the sample or the gallery; URL kept in step."""
    notices = st.container()
    state = sidebar_filters(store, url_state)
    try:
        state = sample_view(store, state, params) if state.image_id else gallery(store, state, params)
    except QueryError as err:
        st.error(f"The data could not be read: {escape_markdown(str(err))}")
    commit(state)
    with notices:
        show_notices(params)
    return state
