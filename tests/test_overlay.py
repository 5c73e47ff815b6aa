"""Boxes on thumbnails, the annotated figure and the scene graph, built from hand-made annotations."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from PIL import Image

from explorer import overlay
from explorer.images import PLACEHOLDER_BG, placeholder
from explorer.queries.visual_genome import Box, ImageAnnotations, ImageRow, VGObject, VGRegion, VGRelationship


def _obj(object_id: int, name: str, box: Box, attributes: tuple[str, ...] = ()) -> VGObject:
    return VGObject(object_id, name, (name,), (f"{name}.n.01",), box, attributes)


def _annotations() -> ImageAnnotations:
    man = _obj(1, "man", Box(100, 50, 60, 150), ("standing",))
    dog = _obj(2, "dog", Box(200, 160, 50, 40), ("brown", "<b>furry</b>"))
    dog2 = _obj(3, "dog", Box(300, 160, 50, 40))
    frisbee = _obj(4, "<script>alert(1)</script>", Box(170, 100, 20, 8))
    rels = [
        VGRelationship(10, "near", ("near.r.01",), 2, "dog", dog.box, 1, "man", man.box),
        # an end with an old id (not among the objects) and a slightly different box: resolved to object 1
        VGRelationship(11, "holding <i>", (), 99, "man", Box(101, 51, 59, 149), 4, frisbee.name, frisbee.box),
    ]
    regions = [VGRegion(20, "a dog & a <a href='x'>man</a>", Box(95, 45, 160, 160))]
    qas = pd.DataFrame({"qa_id": [1], "qtype": ["what"], "question": ["What?"], "answer": ["A dog."]})
    image = ImageRow(7, "VG_100K/7.jpg", 400, 300, n_objects=4)
    return ImageAnnotations(image, [man, dog, dog2, frisbee], rels, regions, qas)


def _legend(fig: go.Figure) -> list[str]:
    return [t.name for t in fig.data if t.showlegend]


def test_box_drawn_at_the_scaled_pixels() -> None:
    image = Image.new("RGB", (200, 100), (0, 0, 0))
    box = Box(40, 20, 100, 60)  # in an original of 400 x 200: scale 0.5 -> (20, 10) .. (69, 39)
    out = overlay.draw_boxes(image, [("dog", box)], 0.5, {"dog": "#FF0000"}, labels=False)
    assert out.getpixel((20, 25)) == (255, 0, 0)  # left edge
    assert out.getpixel((69, 25)) == (255, 0, 0)  # right edge
    assert out.getpixel((45, 39)) == (255, 0, 0)  # bottom edge
    assert out.getpixel((45, 25)) == (0, 0, 0)  # inside stays untouched
    assert out.getpixel((18, 25)) == (0, 0, 0)  # just outside
    assert out.getpixel((71, 25)) == (0, 0, 0)
    assert image.getpixel((20, 25)) == (0, 0, 0)  # the input is not modified


def test_box_label_written_in_the_box_colour() -> None:
    image = Image.new("RGB", (200, 100), (0, 0, 0))
    out = overlay.draw_boxes(image, [("dog", Box(40, 40, 200, 100))], 0.5, {"dog": "#00FF00"})
    colours = {out.getpixel((x, y)) for x in range(20, 40) for y in range(0, 20)}  # above the box
    assert (0, 255, 0) in colours and any(min(c) > 200 for c in colours)  # white text on the colour


def test_boxes_past_the_edges_are_clipped() -> None:
    image = Image.new("RGB", (100, 100), (0, 0, 0))
    out = overlay.draw_boxes(image, [("car", Box(-30, 10, 80, 200))], 1.0, {"car": "#0000FF"}, labels=False)
    assert out.size == (100, 100)
    assert out.getpixel((49, 50)) == (0, 0, 255)


def test_placeholder_keeps_the_aspect_ratio_and_scale() -> None:
    thumb = overlay.fit_placeholder(800, 400, "image file missing", 256)
    assert thumb.image.size == (256, 128)
    assert thumb.scale == 256 / 800
    assert thumb.reason == "image file missing"
    out = overlay.draw_boxes(thumb.image, [("dog", Box(400, 200, 200, 100))], thumb.scale, {"dog": "#FF0000"},
                             labels=False)  # fmt: skip
    assert out.getpixel((128, 80)) == (255, 0, 0)


def test_class_colours_distinct_and_stable() -> None:
    colors = overlay.class_colors(["dog", "man", "dog", "car"])
    assert list(colors) == ["dog", "man", "car"]
    assert len(set(colors.values())) == 3
    assert overlay.class_colors(["dog", "man", "car"]) == colors


def test_plotly_text_makes_tags_literal() -> None:
    assert overlay.plotly_text("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert overlay.plotly_text("a &lt; b\n<b>") == "a &amp;lt; b &lt;b&gt;"


def test_figure_has_legend_per_class_with_counts() -> None:
    ann = _annotations()
    fig = overlay.annotated_figure(Image.new("RGB", (400, 300)), ann, overlay.FigureOptions())
    assert _legend(fig) == ["dog (2)", "&lt;script&gt;alert(1)&lt;/script&gt; (1)", "man (1)"]
    object_traces = [t for t in fig.data if t.legendgroup.startswith("object:")]
    assert len(object_traces) == 4  # one per object, grouped per class: hover and click name the object
    assert {t.legendgroup for t in object_traces} == {"object:dog", "object:man", "object:<script>alert(1)</script>"}
    dogs = [t for t in object_traces if t.legendgroup == "object:dog"]
    assert len({t.line.color for t in dogs}) == 1
    assert dogs[0].line.color != next(t for t in object_traces if t.legendgroup == "object:man").line.color
    man = next(t for t in object_traces if t.legendgroup == "object:man")
    assert list(man.x) == [100, 160, 160, 100, 100] and list(man.y) == [50, 50, 200, 200, 50]
    assert man.fill == "toself" and man.hoveron == "fills+points"
    assert set(man.customdata) == {1}
    image = fig.layout.images[0]
    assert (image.sizex, image.sizey, image.x, image.y) == (400, 300, 0, 0)
    assert image.source.startswith("data:image/jpeg;base64,")
    assert list(fig.layout.yaxis.range) == [300, 0]  # image coordinates: y grows downwards


def test_hover_text_is_escaped() -> None:
    fig = overlay.annotated_figure(Image.new("RGB", (400, 300)), _annotations(), overlay.FigureOptions(regions=True))
    texts = " ".join(str(t.text) for t in fig.data) + " ".join(
        str(a.hovertext) + a.text for a in fig.layout.annotations
    )
    assert "<script>" not in texts and "&lt;script&gt;" in texts
    assert "<b>furry</b>" not in texts and "&lt;b&gt;furry&lt;/b&gt;" in texts
    assert "<a href" not in texts and "a dog &amp; a &lt;a href='x'&gt;man&lt;/a&gt;" in texts
    assert "holding &lt;i&gt;" in texts


def test_relationships_are_arrows_labelled_with_the_predicate() -> None:
    ann = _annotations()
    fig = overlay.annotated_figure(Image.new("RGB", (400, 300)), ann, overlay.FigureOptions())
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    labels = [a.text for a in fig.layout.annotations if not a.showarrow]
    assert len(arrows) == 2 and labels == ["near", "holding &lt;i&gt;"]
    near = arrows[0]
    assert (near.ax, near.ay) == (225, 180)  # tail at the subject (dog) centre
    assert (near.x, near.y) == (130, 125)  # head at the object (man) centre
    assert near.axref == "x" and near.arrowhead


def test_layers_classes_and_focus() -> None:
    ann = _annotations()
    picture = Image.new("RGB", (400, 300))
    bare = overlay.annotated_figure(picture, ann, overlay.FigureOptions(objects=False, relationships=False))
    assert len(bare.data) == 0 and len(bare.layout.annotations) == 0
    with_regions = overlay.annotated_figure(picture, ann, overlay.FigureOptions(regions=True))
    assert "regions (1)" in _legend(with_regions)
    hidden = overlay.annotated_figure(picture, ann, overlay.FigureOptions(hidden_classes=frozenset({"dog"})))
    assert {t.visible for t in hidden.data if t.legendgroup == "object:dog"} == {"legendonly"}
    assert [a.text for a in hidden.layout.annotations if not a.showarrow] == ["holding &lt;i&gt;"]
    focused = overlay.annotated_figure(picture, ann, overlay.FigureOptions(focus=2, opacity=1.0))
    by_id = {t.customdata[0]: t for t in focused.data}
    assert by_id[2].line.width > by_id[1].line.width
    assert by_id[2].opacity == 1.0 and by_id[1].opacity < 0.5


def test_old_relationship_ends_resolve_to_objects() -> None:
    ann = _annotations()
    ends = overlay.resolve_endpoints(ann.objects, ann.relationships)
    assert ends[99] == 1 and ends[2] == 2
    assert [r.relationship_id for r in overlay.relationships_of(ann, 1)] == [10, 11]


def test_scene_graph_figure() -> None:
    ann = _annotations()
    graph = overlay.scene_graph(ann)
    assert set(graph.nodes) == {1, 2, 4}  # the old id 99 is the man
    fig = overlay.scene_graph_figure(ann)
    nodes = fig.data[-1]
    assert sorted(nodes.text) == sorted(["man", "dog", "&lt;script&gt;alert(1)&lt;/script&gt;"])
    assert sorted(a.text for a in fig.layout.annotations if a.text) == ["holding &lt;i&gt;", "near"]
    assert sum(1 for a in fig.layout.annotations if a.showarrow) == 2


def test_missing_image_canvas_has_the_image_size() -> None:
    ann = _annotations()
    canvas = placeholder(ann.image.width, ann.image.height, "image file missing")
    assert canvas.size == (400, 300) and canvas.getpixel((200, 20)) == PLACEHOLDER_BG
    fig = overlay.annotated_figure(canvas, ann, overlay.FigureOptions())
    assert (fig.layout.images[0].sizex, fig.layout.images[0].sizey) == (400, 300)
