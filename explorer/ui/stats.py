"""Streamlit pieces of the two stats pages: the filter (URL + a light sidebar), cached queries, charts.

The stats pages read the galleries' URL parameters. Clicking a bar adds its value to the filter (the URL
is rewritten and the page reruns); the sidebar shows the active filter with multiselects to edit it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from explorer import charts
from explorer.filters import AttributeFilter, JourneyFilter, Triple, VGFilter
from explorer.queries import stats
from explorer.store import QueryError, Store
from explorer.textsafe import count_label, escape_markdown
from explorer.ui.common import export_stamp, set_url, show_notices, url_params

Filter = JourneyFilter | VGFilter
SIDEBAR_OPTIONS = 60
PLOTLY_CONFIG = {"displaylogo": False, "displayModeBar": False}

QUERIES: dict[str, Callable[..., Any]] = {
    "jdb.count": stats.count_journeydb_images,
    "jdb.counts": stats.journeydb_counts,
    "jdb.answers": stats.journeydb_answers,
    "jdb.cooccurrence": stats.journeydb_cooccurrence,
    "jdb.top_tags": lambda store, _f, kind, top: stats.journeydb_top_tags(store, kind, top),
    "vg.count": stats.count_vg_images,
    "vg.counts": stats.vg_counts,
    "vg.centres": stats.vg_box_centres,
    "vg.sized_objects": stats.vg_objects_on_sized_images,
    "vg.object_attributes": stats.vg_object_attributes,
    "vg.top_values": lambda store, _f, column, top: stats.vg_top_values(store, column, top),
}


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(_store: Store, stamp: tuple[str, ...], name: str, f: Filter, args: tuple[Any, ...]) -> Any:
    return QUERIES[name](_store, f, *args)


def query(store: Store, name: str, f: Filter, *args: Any) -> Any:
    """Run the named stats query, cached per published export and filter; None (and a warning) on failure."""
    try:
        return _cached(store, export_stamp(store.data_dir), name, f, tuple(args))
    except QueryError as err:
        st.warning(f"This chart could not be computed: {escape_markdown(str(err))}", icon=":material/warning:")
        return None


def _digest(f: Filter) -> str:
    return hashlib.sha1(repr(f.to_url()).encode()).hexdigest()[:10]


def _apply(new: Filter, old: Filter) -> None:
    if new != old:
        set_url(new.to_url())
        st.rerun()


def clickable_chart(fig: go.Figure, key: str, f: Filter, add: Callable[[Filter, str], Filter] | None) -> None:
    """Draw `fig`; a click on a bar whose customdata carries a value adds it to the filter (URL + rerun).

    The widget key includes the filter, so each filter state starts with no selection.
    """
    if add is None:
        st.plotly_chart(fig, key=f"{key}.{_digest(f)}", config=PLOTLY_CONFIG)
        return
    event = st.plotly_chart(
        fig, key=f"{key}.{_digest(f)}", on_select="rerun", selection_mode="points", config=PLOTLY_CONFIG
    )
    for point in (event.selection.points if event else None) or []:
        custom = point.get("customdata") or [""]
        raw = custom[0] if isinstance(custom, list) else ""
        if raw and raw != stats.NO_VALUE:
            _apply(add(f, str(raw)), f)


def _clean(params: dict[str, str | list[str] | None]) -> dict[str, str | list[str]]:
    return {k: v for k, v in params.items() if v not in (None, "", [])}


def selection_header(n: int, total: int, f: Filter, gallery: str) -> None:
    """State the selection as "N images", and link to the gallery with the same filter."""
    if f.is_empty:
        st.markdown(f"### {count_label(n)}")
        st.caption("The whole dataset. Click a bar to filter by its value.")
    else:
        st.markdown(f"### {count_label(n)}")
        st.caption(f"of {total:,} match the filter: {escape_markdown(describe(f))}. Click a bar to narrow it further.")
    st.page_link(
        gallery,
        label=f"Open {'these' if not f.is_empty else 'all'} {count_label(n)} in the gallery",
        icon=":material/photo_library:",
        query_params=_clean(f.to_url()),
    )


def describe(f: Filter) -> str:
    """The active filter in one line of plain text."""
    parts = []
    for key, value in f.to_url().items():
        if value in (None, "", []):
            continue
        values = value if isinstance(value, list) else [value]
        parts.append(f"{key} = {', '.join(values)}")
    return "; ".join(parts) or "none"


def _sync(prefix: str, f: Filter, values: dict[str, list[str]]) -> None:
    """Put the URL's filter into the sidebar widgets when the URL changed by other means (a bar click)."""
    marker = f"{prefix}.synced"
    if st.session_state.get(marker) != f:
        for key, current in values.items():
            st.session_state[f"{prefix}.{key}"] = current
        st.session_state[marker] = f


def journeydb_filter(store: Store) -> JourneyFilter:
    """The JourneyDB filter from the URL, editable in the sidebar (tags and text); notices shown."""
    params = url_params()
    f = JourneyFilter.from_url(params)
    show_notices(params)
    current = {"style": list(f.styles), "content": list(f.contents), "atmosphere": list(f.atmospheres), "q": f.q}
    _sync("jdb.stats", f, current)  # type: ignore[arg-type]
    chosen: dict[str, Any] = {}
    with st.sidebar:
        st.subheader("Filter")
        for kind in stats.JDB_TAG_COLUMNS:
            top = query(store, "jdb.top_tags", JourneyFilter(), kind, SIDEBAR_OPTIONS) or []
            options = list(dict.fromkeys([*current[kind], *top]))
            chosen[kind] = st.multiselect(f"{kind.capitalize()} tags", options, key=f"jdb.stats.{kind}")
        chosen["q"] = st.text_input("Words in prompt or caption", key="jdb.stats.q", max_chars=200)
        others = {k: v for k, v in (("split", f.split), ("version", f.version), ("ar", f.aspect_ratio)) if v}
        if others:
            st.caption("Also: " + escape_markdown("; ".join(f"{k} = {v}" for k, v in others.items())))
        if not f.is_empty and st.button("Clear filter", key="jdb.stats.clear", icon=":material/filter_alt_off:"):
            _apply(JourneyFilter(), f)
    new = replace(
        f,
        styles=tuple(chosen["style"]),
        contents=tuple(chosen["content"]),
        atmospheres=tuple(chosen["atmosphere"]),
        q=str(chosen["q"]).strip()[:200],
    )
    _apply(new, f)
    return f


def vg_filter(store: Store) -> VGFilter:
    """The Visual Genome filter from the URL, editable in the sidebar (objects, attributes, text)."""
    params = url_params()
    f = VGFilter.from_url(params)
    show_notices(params)
    attributes = [str(a) for a in f.attributes]
    current = {"object": list(f.objects), "attribute": attributes, "q": f.q}
    _sync("vg.stats", f, current)  # type: ignore[arg-type]
    with st.sidebar:
        st.subheader("Filter")
        names = query(store, "vg.top_values", VGFilter(), "name", SIDEBAR_OPTIONS) or []
        objects = st.multiselect(
            "Objects (all of them)", list(dict.fromkeys([*f.objects, *names])), key="vg.stats.object"
        )
        attrs = query(store, "vg.top_values", VGFilter(), "attribute", SIDEBAR_OPTIONS) or []
        chosen_attrs = st.multiselect(
            "Attributes (`red`, or `red|car`)", list(dict.fromkeys([*attributes, *attrs])), key="vg.stats.attribute"
        )
        q = st.text_input("Words in regions or Q&A", key="vg.stats.q", max_chars=200)
        if f.relationships:
            st.caption("Also relationships: " + escape_markdown("; ".join(str(t) for t in f.relationships)))
        if not f.is_empty and st.button("Clear filter", key="vg.stats.clear", icon=":material/filter_alt_off:"):
            _apply(VGFilter(), f)
    parsed = [AttributeFilter.parse(a) for a in chosen_attrs]
    new = replace(
        f,
        objects=tuple(o.lower() for o in objects),
        attributes=tuple(a for a in parsed if a is not None),
        q=str(q).strip()[:200],
    )
    _apply(new, f)
    return f


# -- how a clicked value changes each filter ----------------------------------------------------------


def _jdb_tag(kind: str) -> Callable[[Filter, str], Filter]:
    return lambda f, value: f.with_tag(kind, value)  # type: ignore[union-attr]


JDB_CLICKS: dict[str, Callable[[Filter, str], Filter]] = {
    **{kind: _jdb_tag(kind) for kind in stats.JDB_TAG_COLUMNS},
    "version": lambda f, value: replace(f, version=value),  # type: ignore[type-var]
    "aspect_ratio": lambda f, value: replace(f, aspect_ratio=value),  # type: ignore[type-var]
    "split": lambda f, value: replace(f, split=value),  # type: ignore[type-var]
}


def _with_attribute(f: VGFilter, value: str) -> VGFilter:
    attr = AttributeFilter(value)
    return f if attr in f.attributes else replace(f, attributes=(*f.attributes, attr))


def _with_triple(f: VGFilter, triple: Triple | None) -> VGFilter:
    if triple is None or triple in f.relationships:
        return f
    return replace(f, relationships=(*f.relationships, triple))


VG_CLICKS: dict[str, Callable[[Filter, str], Filter]] = {
    "object": lambda f, value: f.with_object(value),  # type: ignore[union-attr]
    "attribute": lambda f, value: _with_attribute(f, value),  # type: ignore[arg-type]
    "predicate": lambda f, value: _with_triple(f, Triple(predicate=value)),  # type: ignore[arg-type]
    "triple": lambda f, value: _with_triple(f, Triple.parse(value)),  # type: ignore[arg-type]
}

# -- the sections of each page ----------------------------------------------------------------------

JDB_TITLES = {
    "style": "Styles · images per tag",
    "content": "Contents · images per tag",
    "atmosphere": "Atmospheres · images per tag",
    "version": "Midjourney version · images",
    "aspect_ratio": "Aspect ratio (--ar) · images",
    "split": "Split sizes · images",
    "prompt_words": "Prompt length in words · images",
    "tags_per_image": "Task1 tags per image · images",
}
VG_TITLES = {
    "object": "Object names · images with one",
    "attribute": "Attributes · images with one",
    "predicate": "Predicates · images with one",
    "triple": "Subject–predicate–object · images with one",
    "objects_per_image": "Objects / image · images",
    "relationships_per_image": "Relations / image · images",
    "regions_per_image": "Regions / image · images",
    "box_area": "Box area relative to the image · objects",
    "box_aspect": "Box aspect (width / height) · objects",
    "image_size": "Image sizes (width × height) · images",
    "qtype": "Question types (first word) · questions",
}
VERTICAL = {"prompt_words", "tags_per_image", "objects_per_image", "relationships_per_image", "regions_per_image",
            "box_area", "box_aspect", "split"}  # fmt: skip


def _bars(store: Store, dataset: str, f: Filter, stat: str) -> None:
    prefix, titles, clicks = ("jdb", JDB_TITLES, JDB_CLICKS) if dataset == "journeydb" else ("vg", VG_TITLES, VG_CLICKS)
    try:
        fig = _bar_figure(store, export_stamp(store.data_dir), prefix, f, stat, titles[stat])
    except QueryError as err:
        st.warning(f"This chart could not be computed: {escape_markdown(str(err))}", icon=":material/warning:")
        return
    if fig is None:
        st.caption(f"{titles[stat]}: nothing in this selection.")
        return
    clickable_chart(fig, f"{prefix}.stats.{stat}", f, clicks.get(stat))


@st.cache_resource(show_spinner=False, max_entries=1024)
def _bar_figure(
    _store: Store, stamp: tuple[str, ...], prefix: str, f: Filter, stat: str, title: str
) -> go.Figure | None:
    """The bar chart of one statistic, built once per export and filter (Plotly figures are slow to build).

    Shared between sessions, never mutated: `st.plotly_chart` only serialises it.
    """
    counts = QUERIES[f"{prefix}.counts"](_store, f, stat, stats.TOP)
    if counts.frame.empty:
        return None
    return charts.bar_chart(counts, title, horizontal=stat not in VERTICAL)


def _bar_rows(store: Store, dataset: str, f: Filter, rows: tuple[tuple[str, ...], ...]) -> None:
    for row in rows:
        for column, stat in zip(st.columns(len(row)), row, strict=True):
            with column:
                _bars(store, dataset, f, stat)


def _header_and_bars(store: Store, dataset: str, f: Filter, whole: Filter, rows: tuple[tuple[str, ...], ...]) -> bool:
    """The "N images" header, then the bar charts in `rows`; False when there is nothing more to draw."""
    prefix = "jdb" if dataset == "journeydb" else "vg"
    total = query(store, f"{prefix}.count", whole)
    n = query(store, f"{prefix}.count", f)
    if n is None or total is None:
        return False
    selection_header(n, total, f, f"app_pages/{dataset}.py")
    if n == 0:
        st.info("No image matches this filter.")
        return False
    _bar_rows(store, dataset, f, rows)
    return True


def journeydb_sections(store: Store, f: JourneyFilter) -> None:
    """Every chart of the JourneyDB stats page."""
    rows = (
        ("style", "content", "atmosphere"),
        ("version", "aspect_ratio", "split"),
        ("prompt_words", "tags_per_image"),
    )
    if not _header_and_bars(store, "journeydb", f, JourneyFilter(), rows):
        return
    left, right = st.columns(2)
    with left:
        answers = query(store, "jdb.answers", f)
        if answers is not None and not answers.empty:
            fig = charts.answers_chart(answers, "Q&A answer letters · questions (not test)")
            clickable_chart(fig, "jdb.stats.answers", f, None)
    with right:
        matrix = query(store, "jdb.cooccurrence", f, "style", "content", stats.COOCCURRENCE_TOP)
        if matrix is not None and matrix.rows and matrix.cols:
            fig = charts.cooccurrence_heatmap(matrix, "Style × content over the top tags · images", "style", "content")
            clickable_chart(fig, "jdb.stats.cooccurrence", f, None)


def vg_sections(store: Store, f: VGFilter) -> None:
    """Every chart of the Visual Genome stats page."""
    rows = (("object", "attribute"), ("predicate", "triple"),
            ("objects_per_image", "relationships_per_image", "regions_per_image"), ("box_area", "box_aspect"))  # fmt: skip
    if not _header_and_bars(store, "visual_genome", f, VGFilter(), rows):
        return
    left, right = st.columns(2)
    with left:
        grid = query(store, "vg.centres", f, stats.CENTRE_BINS)
        objects = query(store, "vg.sized_objects", f)
        if grid is not None and objects:
            title = "Box centres in the image · objects"
            clickable_chart(charts.centre_heatmap(grid, stats.CENTRE_BINS, title), "vg.stats.centres", f, None)
    with right:
        matrix = query(store, "vg.object_attributes", f, stats.COOCCURRENCE_TOP)
        if matrix is not None and matrix.rows and matrix.cols:
            fig = charts.cooccurrence_heatmap(
                matrix, "Object × attribute over the top names · objects", "object", "attribute"
            )
            clickable_chart(fig, "vg.stats.object_attributes", f, None)
    _bar_rows(store, "visual_genome", f, (("image_size", "qtype"),))
