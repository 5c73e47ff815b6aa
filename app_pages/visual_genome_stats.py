"""Visual Genome stats: distributions of the filtered selection (same URL parameters as the gallery)."""

import streamlit as st

from explorer.ui.common import get_store, require_dataset
from explorer.ui.download import download_panel
from explorer.ui.stats import vg_filter, vg_sections

store = get_store()
st.title("Visual Genome stats")
if require_dataset(store, "visual_genome"):
    f = vg_filter(store)
    vg_sections(store, f)
    with st.sidebar:
        download_panel(store, "visual_genome", f, key="vgstats.download")
