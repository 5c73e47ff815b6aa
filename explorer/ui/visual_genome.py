"""Streamlit parts of the Visual Genome page: URL <-> widgets, the filter sidebar, the gallery, one image."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import streamlit as st
from PIL import Image

from explorer import overlay
from explorer.filters import MAX_QUERY_LEN, AttributeFilter, Triple, VGFilter
from explorer.images import ImageUnavailable, open_image, placeholder, thumbnail, to_jpeg
from explorer.queries import visual_genome as q
from explorer.store import QueryError, Store
from explorer.textsafe import count_label, escape_markdown
from explorer.ui.common import export_stamp, set_url
from explorer.ui.gallery import Tile, pager, thumb_grid
from explorer.urlstate import UrlParams

DATASET = "visual_genome"
PAGE_KEY = "vg.page"  # the number input of `pager(..., key="vg")`
URL_KEY = "vg._url"
PENDING_PAGE_KEY = "vg._pending_page"
IMAGE_KEY = "vg._image"
FILTER_KEYS = ("vg.object", "vg.attribute", "vg.attr_pairs", "vg.rel", "vg.q")
IMAGE_WIDGET_KEYS = ("vg.classes", "vg.focus", "vg.figure", "vg.layer.objects", "vg.layer.relationships",
                     "vg.layer.regions", "vg.opacity")  # fmt: skip
ANY = "any"


@dataclass(frozen=True)
class VGView:
    """What the URL says the page shows: the filter, the gallery page, and the open image if any."""

    filter: VGFilter = field(default_factory=VGFilter)
    page: int = 1
    image_id: int | None = None

    def to_url(self) -> dict[str, str | int | list[str] | None]:
        return {**self.filter.to_url(), "page": self.page if self.page > 1 else None, "id": self.image_id}


# Option lists, cached per export ----------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def _counts(_store: Store, kind: str, stamp: tuple[str, ...]) -> dict[str, int]:
    frame = {"object": q.object_counts, "attribute": q.attribute_counts, "predicate": q.predicate_counts}[kind](_store)
    return dict(zip(frame.iloc[:, 0].astype(str), frame["n_images"].astype(int), strict=True))


def option_counts(store: Store, kind: str) -> dict[str, int]:
    """Name -> number of images, most frequent first, for `object`, `attribute` or `predicate`."""
    return _counts(store, kind, export_stamp(store.data_dir))


def _with_count(counts: Mapping[str, int]) -> Any:
    return lambda name: f"{name} ({counts.get(name, 0):,})"


# URL ----------------------------------------------------------------------------------------------------


def read_url(store: Store, params: UrlParams) -> VGView:
    """The view the URL asks for, with unknown names, malformed values and missing images dropped (noticed)."""
    f = VGFilter.from_url(params)

    def known_names(values: list[str]) -> list[str]:
        found = set(q.known_objects(store, [v.lower() for v in values]))
        return [v for v in values if v.lower() in found]

    objects = tuple(dict.fromkeys(o.lower() for o in params.known("object", known_names)))
    attrs_known = set(q.known_attributes(store, [a.attribute for a in f.attributes]))
    pair_objects = set(q.known_objects(store, [a.object for a in f.attributes if a.object]))
    attributes = []
    for attr in f.attributes:
        if attr.attribute in attrs_known and (attr.object is None or attr.object in pair_objects):
            attributes.append(attr)
        else:
            params.notices.append(f"No object has the attribute '{attr}'; it was left out.")  # escaped when shown
    names = set(q.known_objects(store, [n for t in f.relationships for n in (t.subject, t.object) if n]))
    predicates = set(q.known_predicates(store, [t.predicate for t in f.relationships if t.predicate]))
    triples = []
    for triple in f.relationships:
        ok = all(n is None or n in names for n in (triple.subject, triple.object))
        if ok and (triple.predicate is None or triple.predicate in predicates):
            triples.append(triple)
        else:
            params.notices.append(f"No relationship matches '{triple}'; it was left out.")
    clean = VGFilter(objects, tuple(attributes), tuple(triples), f.q)
    page = params.integer("page", 1, lo=1)
    image_id: int | None = params.integer("id", 0, lo=0, hi=q.MAX_IMAGE_ID) or None
    if "id" in params.raw and image_id is not None and q.image_row(store, image_id) is None:
        params.notices.append(f"There is no Visual Genome image with id {image_id}; showing the gallery.")
        image_id = None
    return VGView(clean, page, image_id)


def _normal(url: Mapping[str, str | int | list[str] | None]) -> dict[str, list[str]]:
    """The query string `set_url` writes for these values (to tell our own URL from a new one)."""
    out: dict[str, list[str]] = {}
    for key, value in url.items():
        if value is None or value == "" or value == []:
            continue
        out[key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return out


def restore_widgets(view: VGView, raw: Mapping[str, list[str]]) -> None:
    """On first load, or when the URL changed from outside (a link, back/forward), set widgets from it."""
    if st.session_state.get(URL_KEY) == dict(raw):
        return
    f = view.filter
    st.session_state["vg.object"] = list(f.objects)
    st.session_state["vg.attribute"] = [a.attribute for a in f.attributes if a.object is None]
    st.session_state["vg.attr_pairs"] = [str(a) for a in f.attributes if a.object is not None]
    st.session_state["vg.rel"] = [str(t) for t in f.relationships]
    st.session_state["vg.q"] = f.q
    st.session_state[PAGE_KEY] = view.page
    st.session_state[URL_KEY] = dict(raw)


def publish(view: VGView) -> None:
    """Write the view to the URL and remember it as ours."""
    url = view.to_url()
    set_url(url)
    st.session_state[URL_KEY] = _normal(url)


# Sidebar filters ----------------------------------------------------------------------------------------


def _add_pair() -> None:
    attribute, name = st.session_state.get("vg.pair.attribute"), st.session_state.get("vg.pair.object")
    if attribute and name:
        entry = str(AttributeFilter(attribute, name))
        current = list(st.session_state.get("vg.attr_pairs", []))
        if entry not in current:
            st.session_state["vg.attr_pairs"] = [*current, entry]
    st.session_state["vg.pair.attribute"] = None
    st.session_state["vg.pair.object"] = None


def _add_triple() -> None:
    parts = [st.session_state.get(f"vg.triple.{p}") for p in ("subject", "predicate", "object")]
    triple = Triple.parse("|".join(p or "" for p in parts))
    if triple is not None:
        current = list(st.session_state.get("vg.rel", []))
        if str(triple) not in current:
            st.session_state["vg.rel"] = [*current, str(triple)]
    for p in ("subject", "predicate", "object"):
        st.session_state[f"vg.triple.{p}"] = None


def triple_label(text: str) -> str:
    """`man|riding|` -> `man | riding | any`"""
    return " | ".join(p or ANY for p in text.split("|"))


def sidebar_filters(store: Store) -> VGFilter:
    """The filter widgets (in the sidebar); returns the filter they describe."""
    objects = option_counts(store, "object")
    attributes = option_counts(store, "attribute")
    predicates = option_counts(store, "predicate")
    with st.sidebar:
        st.header("Filters")
        chosen_objects = st.multiselect(
            "Objects (all of them)", list(objects), key="vg.object", format_func=_with_count(objects),
            placeholder="e.g. dog, frisbee", help="Images that contain every chosen object. Counts are images.",
        )  # fmt: skip
        chosen_attrs = st.multiselect(
            "Attributes (on any object)", list(attributes), key="vg.attribute", format_func=_with_count(attributes),
            placeholder="e.g. red",
        )  # fmt: skip
        st.markdown("**Attribute on object**")
        left, right = st.columns(2)
        with left:
            attr = st.selectbox("attribute", list(attributes), index=None, key="vg.pair.attribute",
                                placeholder="attribute", label_visibility="collapsed")  # fmt: skip
        with right:
            name = st.selectbox("object", list(objects), index=None, key="vg.pair.object", placeholder="object",
                                label_visibility="collapsed")  # fmt: skip
        st.button("Add attribute on object", key="vg.pair.add", on_click=_add_pair, disabled=not (attr and name),
                  icon=":material/add:", width="stretch")  # fmt: skip
        pairs: list[str] = list(st.session_state.get("vg.attr_pairs", []))
        if pairs:
            pairs = st.multiselect("Active (same object)", pairs, key="vg.attr_pairs",
                                   format_func=lambda p: " ".join(p.split("|")))  # fmt: skip
        st.markdown("**Relationship** subject | predicate | object")
        parts = []
        for part, options, hint in (("subject", objects, "any subject"), ("predicate", predicates, "any predicate"),
                                    ("object", objects, "any object")):  # fmt: skip
            parts.append(
                st.selectbox(part, list(options), index=None, key=f"vg.triple.{part}", placeholder=hint,
                             format_func=_with_count(options), label_visibility="collapsed")
            )  # fmt: skip
        st.button("Add relationship", key="vg.triple.add", on_click=_add_triple, disabled=not any(parts),
                  icon=":material/add:", width="stretch")  # fmt: skip
        rels: list[str] = list(st.session_state.get("vg.rel", []))
        if rels:
            rels = st.multiselect("Active relationships", rels, key="vg.rel", format_func=triple_label)
        text = st.text_input("Text in region descriptions or Q&A", key="vg.q", max_chars=MAX_QUERY_LEN,
                             placeholder="e.g. frisbee")  # fmt: skip
    parsed_pairs = [a for a in (AttributeFilter.parse(p) for p in pairs) if a is not None]
    triples = [t for t in (Triple.parse(r) for r in rels) if t is not None]
    return VGFilter(
        objects=tuple(chosen_objects),
        attributes=(*(AttributeFilter(a) for a in chosen_attrs), *parsed_pairs),
        relationships=tuple(triples),
        q=text.strip(),
    )


def apply_filter(view: VGView, f: VGFilter) -> VGView:
    """The view after the widgets: a changed filter goes back to page 1 of the gallery."""
    if f == view.filter:
        return view
    st.session_state[PAGE_KEY] = 1
    return VGView(f, 1, None)


# Gallery ------------------------------------------------------------------------------------------------


def _tiles(store: Store, rows: list[q.ImageRow], boxes: list[q.MatchedBox]) -> list[Tile]:
    colors = overlay.class_colors(sorted({b.label for b in boxes}))
    per_image: dict[int, list[tuple[str, q.Box]]] = {}
    for b in boxes:
        per_image.setdefault(b.image_id, []).append((b.label, b.box))
    tiles = []
    stamp = export_stamp()
    for row in rows:
        found = tuple(per_image.get(row.image_id, []))
        picture, reason = _tile(store, stamp, row, found, tuple((k, colors[k]) for k, _ in found))
        labels = ", ".join(dict.fromkeys(label for label, _ in found))
        note = "; ".join(n for n in (labels, reason) if n) or None
        tiles.append(Tile(str(row.image_id), picture, f"#{row.image_id} · {row.width}×{row.height}", note))
    return tiles


@st.cache_data(max_entries=4096, show_spinner=False)
def _tile(
    _store: Store,
    stamp: tuple[str, ...],
    row: q.ImageRow,
    found: tuple[tuple[str, q.Box], ...],
    colors: tuple[tuple[str, str], ...],
) -> tuple[bytes, str | None]:
    """One gallery tile with its matched boxes drawn, encoded once per process; and the placeholder reason."""
    settings = _store.settings
    root = _store.image_root(DATASET)
    if root is None:
        thumb = overlay.fit_placeholder(row.width, row.height, "image folder unknown", settings.thumb_size)
    else:
        thumb = thumbnail(root, row.img_path, settings.thumbs_dir / DATASET, settings.thumb_size)
        if thumb.is_placeholder:
            thumb = overlay.fit_placeholder(row.width, row.height, thumb.reason or "", settings.thumb_size)
    picture = overlay.draw_boxes(thumb.image, list(found), thumb.scale, dict(colors)) if found else thumb.image
    return to_jpeg(picture), thumb.reason


def gallery(store: Store, view: VGView) -> VGView:
    """The count, pager and thumbnail grid; returns the view (a new page or an opened image)."""
    size = store.settings.page_size
    shown = q.gallery_page(store, view.filter, view.page, size)  # count and page in one evaluation
    total = shown.total
    st.markdown(f"**{count_label(total)}**")
    if total == 0:
        st.info("No image matches these filters. Remove one in the sidebar.")
        return replace(view, page=1)
    view = replace(view, page=shown.page)
    st.session_state[PAGE_KEY] = view.page
    page = pager(total, view.page, size, key="vg")
    if page != view.page:  # Previous/Next: the number input follows on the next run
        st.session_state[PENDING_PAGE_KEY] = page
        publish(replace(view, page=page))
        st.rerun()
    rows = shown.rows
    boxes = q.matched_boxes(store, view.filter, [r.image_id for r in rows])
    clicked = thumb_grid(_tiles(store, rows, boxes), key="vg", columns=6)
    if clicked is not None:
        publish(replace(view, image_id=int(clicked)))
        st.rerun()
    return view


def current_page(view: VGView) -> VGView:
    """The page to show: one chosen with Previous/Next on the last run, else the number input's, else the URL's."""
    pending = st.session_state.pop(PENDING_PAGE_KEY, None)
    page = pending if pending is not None else st.session_state.get(PAGE_KEY, view.page)
    return replace(view, page=page if isinstance(page, int) and page >= 1 else view.page)


# One image ----------------------------------------------------------------------------------------------


def load_picture(store: Store, image: q.ImageRow) -> tuple[Image.Image, str | None]:
    """The image, or a neutral canvas of its annotated size and the reason it is not the image."""
    root = store.image_root(DATASET)
    try:
        if root is None:
            raise ImageUnavailable("image folder unknown")
        return open_image(root, image.img_path), None
    except ImageUnavailable as err:
        return placeholder(image.width, image.height, str(err)), str(err)


def _on_figure_select() -> None:
    """A click on a box selects that object in the object selectbox."""
    state = st.session_state.get("vg.figure")
    points = (state or {}).get("selection", {}).get("points", []) if state else []
    ids = [p.get("customdata") for p in points if isinstance(p.get("customdata"), int)]
    if ids:
        st.session_state["vg.focus"] = ids[0]


def objects_frame(ann: q.ImageAnnotations) -> pd.DataFrame:
    return pd.DataFrame(
        [{"object": o.name, "id": o.object_id, "attributes": ", ".join(o.attributes), "synsets": ", ".join(o.synsets),
          "x": o.box.x, "y": o.box.y, "w": o.box.w, "h": o.box.h} for o in ann.objects],
        columns=["object", "id", "attributes", "synsets", "x", "y", "w", "h"],
    )  # fmt: skip


def relationships_frame(relationships: list[q.VGRelationship]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"subject": r.subject_name, "subject id": r.subject_id, "predicate": r.predicate, "object": r.object_name,
          "object id": r.object_id, "synsets": ", ".join(r.synsets)} for r in relationships],
        columns=["subject", "subject id", "predicate", "object", "object id", "synsets"],
    )  # fmt: skip


def regions_frame(ann: q.ImageAnnotations) -> pd.DataFrame:
    return pd.DataFrame(
        [{"region": r.region_id, "description": r.phrase, "x": r.box.x, "y": r.box.y, "w": r.box.w, "h": r.box.h}
         for r in ann.regions],
        columns=["region", "description", "x", "y", "w", "h"],
    )  # fmt: skip


# The two figures cost a few hundred ms of Plotly validation per run; they depend only on the image, the
# export and the options, and st.plotly_chart only reads them (to_dict), so one shared copy serves all.
@st.cache_resource(show_spinner=False, max_entries=64)
def _annotated_figure(
    _picture: Image.Image, _ann: q.ImageAnnotations, _options: overlay.FigureOptions, key: tuple[Any, ...]
) -> Any:
    return overlay.annotated_figure(_picture, _ann, _options)


@st.cache_resource(show_spinner=False, max_entries=64)
def _scene_graph(_ann: q.ImageAnnotations, key: tuple[Any, ...]) -> Any:
    return overlay.scene_graph_figure(_ann)


def _reset_image_widgets(image_id: int) -> None:
    if st.session_state.get(IMAGE_KEY) != image_id:
        for key in IMAGE_WIDGET_KEYS:
            if key != "vg.figure":  # the chart's selection is read-only
                st.session_state.pop(key, None)
        st.session_state[IMAGE_KEY] = image_id


def image_view(store: Store, view: VGView) -> VGView:
    """One image with its annotations: the zoomable figure, the selected object, lists, the scene graph."""
    assert view.image_id is not None
    try:
        ann = q.image_annotations(store, view.image_id)
    except QueryError as err:
        st.error(f"The annotations could not be read: {escape_markdown(str(err))}")
        return view
    if ann is None:
        st.warning(f"There is no Visual Genome image with id {view.image_id}.")
        return replace(view, image_id=None)
    _reset_image_widgets(view.image_id)
    if st.button("Back to the results", key="vg.back", icon=":material/arrow_back:"):
        publish(replace(view, image_id=None))
        st.rerun()
    image = ann.image
    st.subheader(f"Image {image.image_id}")
    st.caption(
        f"{image.width}×{image.height} px · {count_label(len(ann.objects), 'object')} · "
        f"{count_label(len(ann.relationships), 'relationship')} · {count_label(len(ann.regions), 'region')} · "
        f"{count_label(len(ann.qas), 'question')}"
    )
    picture, reason = load_picture(store, image)
    if reason:
        st.warning(f"The image file cannot be shown ({reason}); the annotations are drawn on a blank canvas "
                   f"of the image's size ({image.width}×{image.height}).")  # fmt: skip
    counts = overlay.class_counts(ann.objects)
    by_id = {o.object_id: o for o in ann.objects}
    c1, c2, c3 = st.columns([2, 3, 3])
    with c1:
        show_objects = st.checkbox("Objects", value=True, key="vg.layer.objects")
        show_rels = st.checkbox("Relationships", value=True, key="vg.layer.relationships")
        show_regions = st.checkbox(f"Regions ({len(ann.regions):,})", value=False, key="vg.layer.regions")
    with c2:
        classes = st.multiselect("Classes shown", list(counts), default=list(counts), key="vg.classes",
                                 format_func=_with_count(counts), placeholder="no class")  # fmt: skip
        opacity = st.slider("Box opacity", 0.1, 1.0, 0.9, 0.05, key="vg.opacity")
    with c3:
        focus = st.selectbox("Selected object", list(by_id), index=None, key="vg.focus",
                             format_func=lambda oid: overlay.object_label(by_id[oid]) if oid in by_id else str(oid),
                             placeholder="click a box or pick one")  # fmt: skip
    options = overlay.FigureOptions(
        objects=show_objects, relationships=show_rels, regions=show_regions,
        hidden_classes=frozenset(counts) - set(classes), opacity=opacity, focus=focus,
        height=max(420, min(760, round(900 * image.height / max(1, image.width)))),
    )  # fmt: skip
    st.plotly_chart(
        _annotated_figure(picture, ann, options, (export_stamp(store.data_dir), image.image_id, reason, repr(options))),
        key="vg.figure", on_select=_on_figure_select,
        selection_mode="points", config={"scrollZoom": True, "displaylogo": False},
    )  # fmt: skip
    notes = []
    if show_regions and len(ann.regions) > options.max_regions:
        notes.append(f"The first {options.max_regions} of {len(ann.regions):,} regions are drawn.")
    if show_rels and len(ann.relationships) > options.max_relationships:
        notes.append(f"The first {options.max_relationships} of {len(ann.relationships):,} relationships are drawn.")
    st.caption(" ".join(notes) or "Scroll to zoom, drag to pan, double-click to reset. Click a legend entry to "
               "hide a class; click a box corner to select its object.")  # fmt: skip
    if focus in by_id:
        obj = by_id[focus]
        st.markdown(f"**{escape_markdown(overlay.object_label(obj))}**")
        st.text(f"attributes: {', '.join(obj.attributes) or '–'}\nsynsets: {', '.join(obj.synsets) or '–'}")
        st.dataframe(relationships_frame(overlay.relationships_of(ann, focus)), hide_index=True,
                     key="vg.focus.relationships")  # fmt: skip
    tabs = st.tabs(["Objects", "Relationships", "Regions", "Questions", "Scene graph"])
    with tabs[0]:
        st.dataframe(objects_frame(ann), hide_index=True, key="vg.objects")
    with tabs[1]:
        st.dataframe(relationships_frame(ann.relationships), hide_index=True, key="vg.relationships")
    with tabs[2]:
        st.dataframe(regions_frame(ann), hide_index=True, key="vg.regions")
    with tabs[3]:
        st.dataframe(ann.qas[["question", "answer", "qtype"]], hide_index=True, key="vg.qas")
    with tabs[4]:
        if ann.relationships:
            st.plotly_chart(_scene_graph(ann, (export_stamp(store.data_dir), image.image_id)), key="vg.scene_graph",
                            config={"scrollZoom": True, "displaylogo": False})  # fmt: skip
        else:
            st.info("This image has no relationships.")
    return view
