"""JourneyDB gallery: filter Midjourney images by tags, parameters and prompt words; open one to read it all."""

import streamlit as st

from explorer.ui.common import get_store, require_dataset, url_params
from explorer.ui.download import download_panel
from explorer.ui.journeydb import explore, read_url, sync_widgets

store = get_store()
st.title("JourneyDB")
if not require_dataset(store, "journeydb"):
    st.stop()

params = url_params()
state = read_url(store, params)
sync_widgets(state)
state = explore(store, state, params)
with st.sidebar:
    download_panel(store, "journeydb", state.filter, key="jdb.download")
