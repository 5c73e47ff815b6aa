"""JourneyDB stats: distributions of the filtered selection (same URL parameters as the gallery)."""

import streamlit as st

from explorer.ui.common import get_store, require_dataset
from explorer.ui.download import download_panel
from explorer.ui.stats import journeydb_filter, journeydb_sections

store = get_store()
st.title("JourneyDB stats")
if require_dataset(store, "journeydb"):
    f = journeydb_filter(store)
    journeydb_sections(store, f)
    with st.sidebar:
        download_panel(store, "journeydb", f, key="jdbstats.download")
