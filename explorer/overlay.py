"""Drawing Visual Genome annotations: boxes on thumbnails (Pillow), the annotated image and the scene graph
(Plotly figures). No Streamlit here.

Boxes stay in image pixels (as annotated, possibly past the edges); thumbnails scale them by `Thumb.scale`,
the figure places the picture on axes of the image's own size so that boxes need no conversion.
Data text reaches Plotly only through `plotly_text`: Plotly renders a subset of HTML (`<b>`, `<a>`,
`<br>`, ...) in hover text, legend names and annotations, and decodes `&lt;`-style entities, so escaping
`&`, `<` and `>` makes every tag show literally.
"""

from __future__ import annotations

import base64
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import plotly.graph_objects as go
from PIL import Image, ImageDraw, ImageFont
from plotly.colors import qualitative

from explorer.images import Thumb, placeholder
from explorer.queries.visual_genome import Box, ImageAnnotations, VGObject, VGRelationship

PALETTE: tuple[str, ...] = (*qualitative.Dark24, *qualitative.Alphabet)
REGION_COLOR = "#FFB000"
ARROW_COLOR = "#FFFFFF"
MAX_REGIONS = 60
MAX_RELATIONSHIPS = 200
DIM = 0.3
"""Opacity factor of the objects that are not the selected one."""


def plotly_text(text: object) -> str:
    """`text` made literal for Plotly's HTML-subset rendering (tags shown as typed, one line)."""
    value = " ".join(str(text).split())
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def class_colors(names: Iterable[str]) -> dict[str, str]:
    """A distinct colour per name, in the order given (repeats cycle after len(PALETTE) names)."""
    unique = list(dict.fromkeys(names))
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(unique)}


def hex_rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def rgba(color: str, alpha: float) -> str:
    r, g, b = hex_rgb(color)
    return f"rgba({r},{g},{b},{alpha:.3f})"


# Thumbnails -------------------------------------------------------------------------------------------


def fit_placeholder(width: int, height: int, reason: str, size: int) -> Thumb:
    """A placeholder thumbnail with the image's aspect ratio (longest side `size`) and the matching scale."""
    scale = size / max(1, width, height)
    canvas = placeholder(max(1, round(width * scale)), max(1, round(height * scale)), reason)
    return Thumb(canvas, scale, reason)


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:
        return ImageFont.load_default()


def scaled_rect(box: Box, scale: float) -> tuple[int, int, int, int]:
    """The box's pixel rectangle (inclusive corners) on an image scaled by `scale`."""
    x0, y0 = round(box.x * scale), round(box.y * scale)
    x1 = max(x0, round((box.x + box.w) * scale) - 1)
    y1 = max(y0, round((box.y + box.h) * scale) - 1)
    return x0, y0, x1, y1


def draw_boxes(
    image: Image.Image,
    boxes: Sequence[tuple[str, Box]],
    scale: float,
    colors: dict[str, str],
    *,
    labels: bool = True,
) -> Image.Image:
    """A copy of `image` with each `(label, box)` outlined in its label's colour, the label written on top."""
    out = image.convert("RGB")
    draw = ImageDraw.Draw(out)
    line = max(2, round(min(out.size) / 110))
    font = _font(max(9, min(out.size) // 20))
    for label, box in boxes:
        color = hex_rgb(colors.get(label, PALETTE[0]))
        x0, y0, x1, y1 = scaled_rect(box, scale)
        draw.rectangle([x0, y0, x1, y1], outline=color, width=line)
    if labels:  # labels after all outlines, so that no outline crosses a label
        for label, box in boxes:
            color = hex_rgb(colors.get(label, PALETTE[0]))
            x0, y0, _, _ = scaled_rect(box, scale)
            _, top, right, bottom = draw.textbbox((0, 0), label, font=font)
            # above the box when there is room (small objects stay visible), else just inside its top
            tx = min(max(0, x0), max(0, out.size[0] - right - 1))
            ty = y0 - bottom - 2 if y0 - bottom - 2 >= 0 else min(max(0, y0), out.size[1] - bottom - 1)
            draw.rectangle([tx - 1, ty + top - 1, tx + right + 1, ty + bottom + 1], fill=color)
            draw.text((tx, ty), label, fill=(255, 255, 255), font=font)
    return out


# One image: the annotated figure ----------------------------------------------------------------------


def image_data_uri(image: Image.Image, max_side: int = 1280) -> str:
    """The picture as a JPEG data URI (downscaled past `max_side`; the figure stretches it to full size)."""
    picture = image.convert("RGB")
    if max(picture.size) > max_side:
        picture = picture.copy()
        picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def class_counts(objects: Sequence[VGObject]) -> dict[str, int]:
    """Objects per class name, most frequent first (ties by name)."""
    counts = Counter(o.name for o in objects)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def object_label(obj: VGObject) -> str:
    """`dog #1058016`"""
    return f"{obj.name} #{obj.object_id}"


def object_hover(obj: VGObject) -> str:
    lines = [f"<b>{plotly_text(obj.name)}</b> #{obj.object_id}"]
    if len(obj.names) > 1:
        lines.append("names: " + plotly_text(", ".join(obj.names)))
    lines.append("attributes: " + (plotly_text(", ".join(obj.attributes)) or "–"))
    lines.append("synsets: " + (plotly_text(", ".join(obj.synsets)) or "–"))
    lines.append(f"box: x {obj.box.x:g}, y {obj.box.y:g}, {obj.box.w:g}×{obj.box.h:g}")
    return "<br>".join(lines)


def _outline(box: Box) -> tuple[list[float], list[float]]:
    x0, y0, x1, y1 = box.x, box.y, box.x + box.w, box.y + box.h
    return [x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0]


@dataclass(frozen=True)
class FigureOptions:
    """What the annotated figure shows."""

    objects: bool = True
    relationships: bool = True
    regions: bool = False
    hidden_classes: frozenset[str] = frozenset()
    opacity: float = 0.9
    focus: int | None = None
    max_regions: int = MAX_REGIONS
    max_relationships: int = MAX_RELATIONSHIPS
    height: int = 640


def annotated_figure(picture: Image.Image, ann: ImageAnnotations, options: FigureOptions) -> go.Figure:
    """The image with its boxes (one trace per object, grouped per class in the legend: `dog (2)`),
    relationship arrows from subject centre to object centre labelled with the predicate, and regions.

    Each object's trace carries its object id in `customdata`, so a click selection names the object.
    Classes in `options.hidden_classes` stay in the legend (`legendonly`) so a click brings them back.
    """
    width, height = ann.image.width, ann.image.height
    fig = go.Figure()
    fig.add_layout_image(
        source=image_data_uri(picture), xref="x", yref="y", x=0, y=0, sizex=width, sizey=height,
        xanchor="left", yanchor="top", sizing="stretch", layer="below",
    )  # fmt: skip
    counts = class_counts(ann.objects)
    colors = class_colors(counts)
    focus = options.focus if any(o.object_id == options.focus for o in ann.objects) else None
    if options.objects:
        by_class: dict[str, list[VGObject]] = defaultdict(list)
        for obj in ann.objects:
            by_class[obj.name].append(obj)
        for name, n in counts.items():
            color = colors[name]
            hidden = name in options.hidden_classes
            for i, obj in enumerate(by_class[name]):
                xs, ys = _outline(obj.box)
                is_focus = obj.object_id == focus
                opacity = options.opacity if focus is None or is_focus else options.opacity * DIM
                fig.add_trace(
                    go.Scatter(
                        x=xs, y=ys, mode="lines+markers", fill="toself", fillcolor=rgba(color, 0.06),
                        line={"color": color, "width": 5 if is_focus else 2},
                        marker={"size": 5, "color": color},
                        name=f"{plotly_text(name)} ({n})", legendgroup=f"object:{name}", showlegend=i == 0,
                        text=object_hover(obj), hoverinfo="text", hoveron="fills+points",
                        customdata=[obj.object_id] * len(xs), opacity=opacity,
                        visible="legendonly" if hidden else True, uid=f"object-{obj.object_id}",
                    )
                )  # fmt: skip
    if options.regions and ann.regions:
        shown = ann.regions[: options.max_regions]
        for i, region in enumerate(shown):
            xs, ys = _outline(region.box)
            fig.add_trace(
                go.Scatter(
                    x=xs, y=ys, mode="lines", fill="toself", fillcolor=rgba(REGION_COLOR, 0.05),
                    line={"color": REGION_COLOR, "width": 1.5, "dash": "dash"},
                    name=f"regions ({len(shown)})", legendgroup="regions", showlegend=i == 0,
                    text=f"<b>region #{region.region_id}</b><br>{plotly_text(region.phrase)}",
                    hoverinfo="text", hoveron="fills+points", opacity=options.opacity, legendrank=2000,
                )
            )  # fmt: skip
    if options.relationships:
        for annotation in relationship_annotations(ann, options, focus):
            fig.add_annotation(annotation)
    fig.update_xaxes(range=[0, width], visible=False, constrain="domain", fixedrange=False)
    fig.update_yaxes(range=[height, 0], visible=False, scaleanchor="x", scaleratio=1, constrain="domain")
    fig.update_layout(
        height=options.height, margin={"l": 0, "r": 0, "t": 0, "b": 0}, dragmode="pan", hovermode="closest",
        legend={"title": {"text": "classes"}, "itemsizing": "constant", "groupclick": "togglegroup"},
        clickmode="event+select", uirevision=f"image-{ann.image.image_id}",
    )  # fmt: skip
    return fig


def relationship_annotations(
    ann: ImageAnnotations, options: FigureOptions, focus: int | None = None
) -> list[go.layout.Annotation]:
    """An arrow (subject centre -> object centre) and a predicate label per relationship.

    Relationships with an end in a hidden class are left out; with a selected object, the others are dimmed.
    """
    ends = resolve_endpoints(ann.objects, ann.relationships)
    out: list[go.layout.Annotation] = []
    for rel in ann.relationships[: options.max_relationships]:
        if rel.subject_name in options.hidden_classes or rel.object_name in options.hidden_classes:
            continue
        involved = focus is None or focus in (ends.get(rel.subject_id), ends.get(rel.object_id))
        opacity = 1.0 if involved else DIM
        (sx, sy), (ox, oy) = rel.subject_box.center, rel.object_box.center
        hover = plotly_text(f"{rel.subject_name} #{rel.subject_id} {rel.predicate} {rel.object_name} #{rel.object_id}")
        out.append(
            go.layout.Annotation(
                x=ox, y=oy, ax=sx, ay=sy, xref="x", yref="y", axref="x", ayref="y", text="", showarrow=True,
                arrowhead=2, arrowsize=1.2, arrowwidth=2, arrowcolor=ARROW_COLOR, opacity=opacity,
                hovertext=hover, name=f"arrow-{rel.relationship_id}",
            )
        )  # fmt: skip
        out.append(
            go.layout.Annotation(
                x=(sx + ox) / 2, y=(sy + oy) / 2, xref="x", yref="y", text=plotly_text(rel.predicate),
                showarrow=False, font={"size": 11, "color": "#111111"}, bgcolor="rgba(255,255,255,0.8)",
                borderpad=1, opacity=opacity, hovertext=hover, name=f"predicate-{rel.relationship_id}",
            )
        )  # fmt: skip
    return out


# Scene graph ------------------------------------------------------------------------------------------


def _iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0.0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    inter = ix * iy
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union > 0 else 0.0


def resolve_endpoints(objects: Sequence[VGObject], relationships: Sequence[VGRelationship]) -> dict[int, int]:
    """Relationship end id -> object id of this image.

    About a fifth of v1.4 relationship ends carry an old id that is not in objects.json; such an end is
    matched to the object of the same name whose box overlaps it best (IoU >= 0.5), else kept as is.
    """
    by_id = {o.object_id: o for o in objects}
    out: dict[int, int] = {}
    for rel in relationships:
        for end_id, name, box in ((rel.subject_id, rel.subject_name, rel.subject_box),
                                  (rel.object_id, rel.object_name, rel.object_box)):  # fmt: skip
            if end_id in out:
                continue
            if end_id in by_id:
                out[end_id] = end_id
                continue
            best = max((o for o in objects if o.name == name), key=lambda o, b=box: _iou(o.box, b), default=None)
            out[end_id] = best.object_id if best is not None and _iou(best.box, box) >= 0.5 else end_id
    return out


def relationships_of(ann: ImageAnnotations, object_id: int) -> list[VGRelationship]:
    """The relationships in which the object is subject or object (old end ids resolved)."""
    ends = resolve_endpoints(ann.objects, ann.relationships)
    return [r for r in ann.relationships if object_id in (ends.get(r.subject_id), ends.get(r.object_id))]


def scene_graph(ann: ImageAnnotations) -> nx.MultiDiGraph:
    """Objects that take part in a relationship as nodes (name, box), relationships as edges (predicate)."""
    ends = resolve_endpoints(ann.objects, ann.relationships)
    by_id = {o.object_id: o for o in ann.objects}
    graph = nx.MultiDiGraph()
    for rel in ann.relationships:
        for end_id, name in ((rel.subject_id, rel.subject_name), (rel.object_id, rel.object_name)):
            node = ends[end_id]
            if node not in graph:
                graph.add_node(node, name=by_id[node].name if node in by_id else name, known=node in by_id)
        graph.add_edge(ends[rel.subject_id], ends[rel.object_id], predicate=rel.predicate)
    return graph


def scene_graph_figure(ann: ImageAnnotations, height: int = 520) -> go.Figure:
    """The scene graph laid out by networkx: nodes coloured and labelled by class, arrows labelled by
    predicate (several predicates between the same pair share one label)."""
    graph = scene_graph(ann)
    fig = go.Figure()
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=False,
                      hovermode="closest", dragmode="pan")  # fmt: skip
    if graph.number_of_nodes() == 0:
        return fig
    pos = nx.spring_layout(nx.Graph(graph), seed=7, k=1.4 / max(1, graph.number_of_nodes()) ** 0.5)
    colors = class_colors(class_counts(ann.objects))
    labels: dict[tuple[int, int], list[str]] = defaultdict(list)
    for src, dst, data in graph.edges(data=True):
        if data["predicate"] not in labels[(src, dst)]:
            labels[(src, dst)].append(data["predicate"])
    for (src, dst), predicates in labels.items():
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        text = plotly_text(" / ".join(predicates))
        if src != dst:
            fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                               showarrow=True, arrowhead=2, arrowsize=1.1, arrowwidth=1.5, arrowcolor="#888888",
                               standoff=11, startstandoff=11)  # fmt: skip
        fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2 + (0.04 if src == dst else 0), text=text,
                           showarrow=False, font={"size": 11}, bgcolor="rgba(255,255,255,0.85)",
                           name=f"edge-{src}-{dst}")  # fmt: skip
    nodes = list(graph.nodes(data=True))
    fig.add_trace(
        go.Scatter(
            x=[pos[n][0] for n, _ in nodes], y=[pos[n][1] for n, _ in nodes], mode="markers+text",
            marker={"size": 20, "color": [colors.get(d["name"], "#999999") for _, d in nodes],
                    "line": {"width": 1, "color": "#333333"}},
            text=[plotly_text(d["name"]) for _, d in nodes], textposition="bottom center",
            hovertext=[f"{plotly_text(d['name'])} #{n}" + ("" if d["known"] else " (not in objects)")
                       for n, d in nodes],
            hoverinfo="text", customdata=[n for n, _ in nodes], name="objects",
        )
    )  # fmt: skip
    return fig
