"""Plotly figures: types, titles saying what they count, exact numbers on hover, data text escaped."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from explorer import charts
from explorer.filters import JourneyFilter, VGFilter
from explorer.queries import stats
from explorer.queries.stats import Counts, Matrix

HOSTILE = "<script>alert(1)</script> & <b>bold</b>"


def _counts(filtered: bool) -> Counts:
    frame = pd.DataFrame(
        {
            "value": [HOSTILE, "cat", None],
            "label": [HOSTILE, "cat", "other (3 tags)"],
            "n": [12345, 7, 40],
            "share": [50.0, 1.5, None],
            "rest": [0, 0, 3],
            "n_all": [20000, 9, 99] if filtered else [None] * 3,
            "share_all": [40.0, 0.1, None] if filtered else [None] * 3,
        }
    )
    frame["value"] = frame["value"].astype(object)
    return Counts(frame=frame, unit="images", total=24690, total_all=50000, filtered=filtered)


def test_plotly_text_escapes_markup():
    assert charts.plotly_text("<b>a</b> & <script>") == "&lt;b&gt;a&lt;/b&gt; &amp; &lt;script&gt;"


def test_bar_chart_unfiltered_counts_with_exact_hover_and_escaped_names():
    fig = charts.bar_chart(_counts(False), "Top styles · images per tag")
    assert isinstance(fig, go.Figure) and len(fig.data) == 1 and fig.data[0].type == "bar"
    assert "images" in fig.layout.title.text and fig.layout.xaxis.title.text == "images"
    labels = list(fig.data[0].y)
    assert labels[0] == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    assert all("<" not in label for label in labels)
    raw, hover = fig.data[0].customdata[0]
    assert raw == HOSTILE  # the raw value travels for the click, never rendered
    assert "12,345 images (50.0%)" in hover and "<script>" not in hover and "&lt;script&gt;" in hover
    assert fig.data[0].customdata[2][0] == ""  # "other" is not clickable
    assert "summed" in fig.data[0].customdata[2][1]


def test_bar_chart_filtered_compares_with_the_whole():
    fig = charts.bar_chart(_counts(True), "Top styles · images per tag", horizontal=False)
    assert [t.name for t in fig.data] == ["selection", "whole dataset"]
    assert fig.layout.yaxis.title.text == "share of images (%)"
    assert list(fig.data[0].y[:2]) == [50.0, 1.5] and list(fig.data[1].y[:2]) == [40.0, 0.1]
    hover = fig.data[0].customdata[0][1]
    assert "selection: 12,345 images (50.0%)" in hover and "whole dataset: 20,000 images (40.0%)" in hover


def test_heatmaps(sample_store):
    matrix = Matrix(
        ["<i>x</i>", "b"], ["c"], pd.DataFrame({"row_value": ["b"], "col_value": ["c"], "n": [3]}), "images"
    )
    fig = charts.cooccurrence_heatmap(matrix, "Style × content · images", "style", "content")
    assert fig.data[0].type == "heatmap" and [list(r) for r in fig.data[0].z] == [[0], [3]]
    assert list(fig.data[0].y) == ["&lt;i&gt;x&lt;/i&gt;", "b"] and "images" in fig.data[0].hovertemplate
    grid = stats.vg_box_centres(sample_store, VGFilter())
    fig = charts.centre_heatmap(grid, stats.CENTRE_BINS, "Box centres · objects")
    z = fig.data[0].z
    assert len(z) == len(z[0]) == stats.CENTRE_BINS
    assert sum(map(sum, z)) == grid["n"].sum() and "objects" in fig.data[0].hovertemplate


def test_charts_from_real_queries(sample_store):
    fig = charts.bar_chart(
        stats.journeydb_counts(sample_store, JourneyFilter(styles=("anime",)), "style"), "t · images"
    )
    assert len(fig.data) == 2
    answers = stats.journeydb_answers(sample_store, JourneyFilter())
    fig = charts.answers_chart(answers, "Answer letters · questions")
    assert {t.name for t in fig.data} == {"content questions", "style questions"}
    assert "questions" in fig.data[0].hovertemplate
