"""Plotly figures from the stats queries' results (no Streamlit here).

Plotly renders a subset of HTML in titles, tick labels and hover text (`<b>`, `<br>`, `<a>`, and strips
unknown tags such as `<script>`), so every piece of data text goes through `plotly_text`, which turns
`&`, `<` and `>` into entities: Plotly then shows the characters literally.
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from explorer.queries.stats import Counts, Matrix

SELECTION_COLOR = "#4c78a8"
WHOLE_COLOR = "#bab0ac"
MAX_LABEL = 48


def plotly_text(text: Any) -> str:
    """`text` with the characters Plotly would read as markup replaced by entities."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _labels(raw: list[str]) -> list[str]:
    """Escaped, shortened labels; kept whole where shortening would make two labels equal."""
    short = [r if len(r) <= MAX_LABEL else r[: MAX_LABEL - 1] + "…" for r in raw]
    seen: dict[str, int] = {}
    for s in short:
        seen[s] = seen.get(s, 0) + 1
    return [plotly_text(s if seen[s] == 1 else r) for s, r in zip(short, raw, strict=True)]


def _num(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": plotly_text(title)},
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.15},
        clickmode="event+select",
    )
    return fig


def _amount(n: Any, share: Any, unit: str) -> str:
    if _num(share) is None:  # the "other" row of a multi-valued statistic: an image may count twice
        return f"{int(n):,} summed over these values"
    return f"{int(n):,} {unit} ({_num(share):.1f}%)"


def _hover(label: str, unit: str, n: Any, share: Any, n_all: Any, share_all: Any, filtered: bool) -> str:
    """Hover text of one bar (label already escaped): exact counts, and the whole dataset when filtered."""
    if not filtered:
        return f"<b>{label}</b><br>{_amount(n, share, unit)}"
    return f"<b>{label}</b><br>selection: {_amount(n, share, unit)}<br>whole dataset: {_amount(n_all, share_all, unit)}"


def bar_chart(counts: Counts, title: str, *, horizontal: bool = True, height: int | None = None) -> go.Figure:
    """Bars of `counts` (the selection); when filtered, shares of the selection and of the whole dataset.

    `customdata` of every bar is `[raw value or "", hover text]`: the raw value lets a click add it to the
    filter; the hover text gives the exact numbers.
    """
    frame = counts.frame
    unit = counts.unit
    # The "other" row of a multi-valued statistic sums image-value pairs: its bar would dwarf the others and
    # mean something else, so it is listed with its sum in the label and drawn without a bar.
    unshared = [bool(rest) and _num(share) is None for rest, share in zip(frame["rest"], frame["share"], strict=True)]
    raw_labels = [
        f"{label}: {int(n):,} summed" if skip else str(label)
        for label, n, skip in zip(frame["label"], frame["n"], unshared, strict=True)
    ]
    labels = _labels(raw_labels)
    custom = [
        ["" if rest else str(v), _hover(label, unit, n, s, na, sa, counts.filtered)]
        for v, rest, label, n, s, na, sa in zip(
            frame["value"],
            frame["rest"],
            labels,
            frame["n"],
            frame["share"],
            frame["n_all"],
            frame["share_all"],
            strict=True,
        )
    ]
    hover = "%{customdata[1]}<extra></extra>"
    fig = go.Figure()
    if counts.filtered:
        traces = [
            ("selection", [_num(s) for s in frame["share"]], SELECTION_COLOR),
            ("whole dataset", [_num(s) for s in frame["share_all"]], WHOLE_COLOR),
        ]
        axis = f"share of {unit} (%)"
    else:
        traces = [("selection", [int(n) for n in frame["n"]], SELECTION_COLOR)]
        axis = unit
    traces = [
        (name, [None if skip else v for v, skip in zip(values, unshared, strict=True)], color)
        for name, values, color in traces
    ]
    for name, values, color in traces:
        xy = {"x": values, "y": labels} if horizontal else {"x": labels, "y": values}
        fig.add_trace(
            go.Bar(
                **xy,
                name=name,
                orientation="h" if horizontal else "v",
                marker_color=color,
                customdata=custom,
                hovertemplate=hover,
            )
        )
    fig.update_layout(barmode="group", showlegend=counts.filtered)
    if horizontal:
        fig.update_yaxes(autorange="reversed", type="category", automargin=True)
        fig.update_xaxes(title_text=axis)
    else:
        fig.update_xaxes(type="category")
        fig.update_yaxes(title_text=axis)
    rows = len(labels) * (2 if counts.filtered else 1)
    return _layout(fig, title, height or (max(260, 80 + 22 * rows) if horizontal else 340))


def answers_chart(frame: Any, title: str) -> go.Figure:
    """Grouped bars: share of each answer letter within each question kind (exact counts on hover)."""
    fig = go.Figure()
    for kind in sorted(set(frame["kind"])):
        part = frame[frame["kind"] == kind]
        fig.add_trace(
            go.Bar(
                x=list(part["value"]),
                y=list(part["share"]),
                name=f"{kind} questions",
                customdata=[[int(n)] for n in part["n"]],
                hovertemplate="answer %{x}: %{customdata[0]:,} questions (%{y:.1f}%)<extra>"
                + plotly_text(kind)
                + "</extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="answer letter", type="category")
    fig.update_yaxes(title_text="share of questions (%)")
    return _layout(fig, title, 320)


def cooccurrence_heatmap(matrix: Matrix, title: str, row_name: str, col_name: str) -> go.Figure:
    """A heatmap of `matrix` (rows × columns, 0 where a pair never occurs) with exact counts on hover."""
    cells = {(r, c): int(n) for r, c, n in matrix.frame.itertuples(index=False)}
    z = [[cells.get((r, c), 0) for c in matrix.cols] for r in matrix.rows]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=_labels(matrix.cols),
            y=_labels(matrix.rows),
            colorscale="Blues",
            hovertemplate=f"{row_name} %{{y}} × {col_name} %{{x}}: %{{z:,}} {matrix.unit}<extra></extra>",
            colorbar={"title": {"text": matrix.unit}},
        )
    )
    fig.update_xaxes(title_text=col_name, type="category", tickangle=-45)
    fig.update_yaxes(title_text=row_name, type="category", autorange="reversed")
    return _layout(fig, title, max(360, 140 + 26 * len(matrix.rows)))


def centre_heatmap(grid: Any, bins: int, title: str) -> go.Figure:
    """Objects per cell of the image, by box centre normalised by image width and height."""
    z = [[0] * bins for _ in range(bins)]
    for cx, cy, n in grid.itertuples(index=False):
        z[int(cy)][int(cx)] += int(n)
    centres = [(k + 0.5) / bins for k in range(bins)]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=centres,
            y=centres,
            colorscale="Viridis",
            hovertemplate="centre x %{x:.2f}, y %{y:.2f}: %{z:,} objects<extra></extra>",
            colorbar={"title": {"text": "objects"}},
        )
    )
    fig.update_xaxes(title_text="box centre x / image width", range=[0, 1], constrain="domain")
    fig.update_yaxes(
        title_text="box centre y / image height", range=[1, 0], scaleanchor="x", scaleratio=1, constrain="domain"
    )
    return _layout(fig, title, 420)
