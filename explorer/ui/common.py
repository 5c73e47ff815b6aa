"""Shared Streamlit helpers: the cached store, URL state, notices."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from explorer.config import Settings
from explorer.store import Store
from explorer.textsafe import escape_markdown
from explorer.urlstate import UrlParams

DATASET_TITLES = {"journeydb": "JourneyDB", "visual_genome": "Visual Genome"}


def settings() -> Settings:
    return Settings.from_env()


def export_stamp(data_dir: Path | None = None) -> tuple[str, ...]:
    """Changes whenever an ingest publishes a new export: part of every cache key over the data.

    The published name is a symlink to a fresh folder per ingest, so reading the link is enough (cheap: it
    runs many times per page view); a plain folder falls back to the manifest's modification time.
    """
    data_dir = data_dir or settings().data_dir
    stamps = []
    for dataset in DATASET_TITLES:
        folder = data_dir / dataset
        try:
            version = os.readlink(folder) if folder.is_symlink() else str((folder / "manifest.json").stat().st_mtime_ns)
        except OSError:
            version = ""
        stamps.append(f"{dataset}:{version}")
    return tuple(stamps)


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(data_dir: str, stamp: tuple[str, ...]) -> Store:
    current = settings()
    return Store(Settings(**{**current.__dict__, "data_dir": Path(data_dir)}))


def get_store() -> Store:
    """The one shared, locked-down DuckDB store of this process (queries take their own cursor)."""
    current = settings()
    return _store(str(current.data_dir), export_stamp(current.data_dir))


def url_params() -> UrlParams:
    """The current query string as a UrlParams (values always lists)."""
    qp = st.query_params
    return UrlParams({key: qp.get_all(key) for key in qp})


def set_url(params: Mapping[str, str | int | list[str] | None]) -> None:
    """Replace the query string with the given non-empty values (lists become repeated keys)."""
    clean: dict[str, str | list[str]] = {}
    for key, value in params.items():
        if value is None or value == "" or value == []:
            continue
        clean[key] = [str(v) for v in value] if isinstance(value, list) else str(value)
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    normal = {k: (v if isinstance(v, list) else [v]) for k, v in clean.items()}
    if current != normal:
        st.query_params.from_dict(clean)


def show_notices(params: UrlParams) -> None:
    """One short warning per problem found in the URL."""
    for notice in dict.fromkeys(params.notices):
        st.warning(escape_markdown(notice), icon=":material/info:")  # notices may quote URL values


def require_dataset(store: Store, dataset: str) -> bool:
    """Say how to get the data when `dataset` has no export yet; True when it is there."""
    if store.has_dataset(dataset):
        return True
    title = DATASET_TITLES.get(dataset, dataset)
    cli_name = dataset.replace("_", "-")
    st.info(
        f"No {title} export in `{store.data_dir}` yet. Build the demo data with "
        f"`explorer sample --out {store.data_dir}`, or convert the real release with "
        f"`explorer ingest {cli_name} RAW --out {store.data_dir}`."
    )
    return False
