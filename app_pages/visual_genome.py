"""Visual Genome: find images by objects, attributes, relationships and text; study one image's annotations."""

import streamlit as st

from explorer.ui import visual_genome as vg
from explorer.ui.common import get_store, require_dataset, show_notices, url_params
from explorer.ui.download import download_panel

store = get_store()
st.title("Visual Genome")
if not require_dataset(store, vg.DATASET):
    st.stop()

params = url_params()
view = vg.read_url(store, params)
vg.restore_widgets(view, params.raw)
show_notices(params)
view = vg.current_page(view)
view = vg.apply_filter(view, vg.sidebar_filters(store))
view = vg.image_view(store, view) if view.image_id is not None else vg.gallery(store, view)
vg.publish(view)
with st.sidebar:
    download_panel(store, vg.DATASET, view.filter, key="vg.download")
