"""The "Download" panel of the gallery and stats pages: the current filter's rows as a file.

Two steps: "Prepare file" runs DuckDB's COPY into `DATA/downloads/` and shows what was written; the
download button then links to that file, which the server streams from disk (`explorer.serving`). Where the
app runs without that route (`streamlit run app.py`, AppTest) Streamlit's own download button serves it,
read into memory when clicked. Files are cleaned up after an hour (or when more than 20 pile up), whenever
another export is prepared.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from explorer import exports, serving
from explorer.filters import JourneyFilter, VGFilter
from explorer.store import QueryError, Store
from explorer.textsafe import count_label


def _size_label(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:,.1f} {unit}"


def _reader(path: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return path.read_bytes()
        except OSError:  # cleaned up meanwhile: an empty file beats a broken download
            return b""

    return read


def download_panel(store: Store, dataset: str, f: JourneyFilter | VGFilter, key: str) -> None:
    """A collapsed "Download" expander offering the rows matching `f` as Parquet, CSV, JSONL (or COCO).

    Nothing is counted or written until the user opens the panel. Widget keys start with `key`.
    """
    panel = st.expander("Download", key=f"{key}.open", icon=":material/download:", on_change="rerun")
    if not panel.open:
        return
    with panel:
        formats = exports.formats(dataset)
        fmt = st.segmented_control(
            "Format",
            formats,
            default=formats[0],
            format_func=lambda value: exports.FORMAT_LABELS[value],
            key=f"{key}.format",
        )
        fmt = fmt or formats[0]
        choices = exports.tables(store, dataset)
        if fmt == "coco":
            table = "objects"
            st.caption("The objects of the matching images as a COCO detection file (boxes in pixels).")
        else:
            table = st.radio(
                "Rows", list(choices), format_func=choices.__getitem__, horizontal=True, key=f"{key}.table"
            )
            table = table or "images"
        try:
            total = exports.count_rows(store, dataset, f, table, fmt)
        except QueryError as err:
            st.error(f"Could not count the matching rows: {err}")
            return
        unit = "image" if fmt == "coco" else "row"
        if total == 0:
            st.info(f"No {unit}s match the current filter.")
            return
        st.caption(count_label(total, f"matching {unit}"))
        limit = int(
            st.number_input(
                f"Export at most ({unit}s)",
                min_value=1,
                max_value=total,
                value=min(exports.DEFAULT_LIMIT, total),
                step=1000 if total > 10_000 else 1,
                key=f"{key}.limit",
            )
        )
        spec = (dataset, f, table, fmt, limit)
        if st.button("Prepare file", key=f"{key}.prepare", icon=":material/build:"):
            with st.spinner("Writing the file…"):
                try:
                    st.session_state[f"{key}.file"] = (spec, exports.export_view(
                        store, dataset, f, table=table, fmt=fmt, limit=limit
                    ))  # fmt: skip
                except QueryError as err:
                    st.session_state.pop(f"{key}.file", None)
                    st.error(f"Could not write the file: {err}")
        prepared = st.session_state.get(f"{key}.file")
        if prepared is None or prepared[0] != spec:
            return
        result: exports.ExportFile = prepared[1]
        st.caption(f"{result.rows:,} {result.unit}s · {_size_label(result.size)}")
        if serving.serves_downloads():
            st.link_button(
                f"Download {result.file_name}",
                serving.download_url(result.path),
                icon=":material/download:",
                type="primary",
            )
            return
        st.download_button(
            f"Download {result.file_name}",
            data=_reader(result.path),
            file_name=result.file_name,
            mime=result.mime,
            key=f"{key}.download",
            icon=":material/download:",
            type="primary",
            on_click="ignore",
        )
