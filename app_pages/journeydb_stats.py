"""JourneyDB stats: distributions of the filtered selection (same URL parameters as the gallery)."""

import streamlit as st

from explorer.ui.common import get_store, require_dataset
from explorer.ui.stats import journeydb_filter, journeydb_sections

store = get_store()
st.title("JourneyDB stats")
if require_dataset(store, "journeydb"):
    journeydb_sections(store, journeydb_filter(store))
