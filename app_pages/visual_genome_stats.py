"""Visual Genome stats: distributions of the filtered selection (same URL parameters as the gallery)."""

import streamlit as st

from explorer.ui.common import get_store, require_dataset
from explorer.ui.stats import vg_filter, vg_sections

store = get_store()
st.title("Visual Genome stats")
if require_dataset(store, "visual_genome"):
    vg_sections(store, vg_filter(store))
