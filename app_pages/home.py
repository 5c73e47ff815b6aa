"""Home: what is loaded, and where to go."""

import streamlit as st

from explorer.queries.home import view_row_counts
from explorer.ui.common import DATASET_TITLES, get_store, require_dataset

store = get_store()
st.title("explorer")
st.caption("Browse JourneyDB and Visual Genome: filter by style or object, inspect annotations, chart distributions.")

counts = view_row_counts(store)
links = {
    "journeydb": [("app_pages/journeydb.py", "Gallery"), ("app_pages/journeydb_stats.py", "Stats")],
    "visual_genome": [("app_pages/visual_genome.py", "Gallery"), ("app_pages/visual_genome_stats.py", "Stats")],
}
for column, (dataset, title) in zip(st.columns(2), DATASET_TITLES.items(), strict=True):
    with column:
        st.subheader(title)
        if not require_dataset(store, dataset):
            continue
        manifest = store.manifests[dataset]
        st.caption(f"Ingested {manifest.get('ingested_at', '?')} from `{manifest.get('source', '?')}`")
        images = counts[counts["view"] == ("journeydb_images" if dataset == "journeydb" else "vg_images")]["rows"]
        st.metric("Images", f"{int(images.sum()):,}")
        st.dataframe(
            counts[counts["dataset"] == dataset][["view", "rows"]],
            hide_index=True,
            column_config={"rows": st.column_config.NumberColumn(format="localized")},
            key=f"home.counts.{dataset}",
        )
        for page, label in links[dataset]:
            st.page_link(page, label=f"{title} {label.lower()}", icon=":material/arrow_forward:")
st.page_link("app_pages/sql.py", label="SQL console over the export", icon=":material/terminal:")
