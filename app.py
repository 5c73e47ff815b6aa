"""Entry point: page config and navigation, nothing else."""

import streamlit as st

st.set_page_config(page_title="explorer · JourneyDB & Visual Genome", page_icon=":material/explore:", layout="wide")

pages = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", url_path="home", default=True),
    st.Page("app_pages/journeydb.py", title="JourneyDB", icon=":material/palette:", url_path="journeydb"),
    st.Page(
        "app_pages/journeydb_stats.py", title="JourneyDB stats", icon=":material/bar_chart:", url_path="journeydb_stats"
    ),
    st.Page(
        "app_pages/visual_genome.py", title="Visual Genome", icon=":material/image_search:", url_path="visual_genome"
    ),
    st.Page(
        "app_pages/visual_genome_stats.py",
        title="Visual Genome stats",
        icon=":material/analytics:",
        url_path="visual_genome_stats",
    ),
    st.Page("app_pages/sql.py", title="SQL console", icon=":material/terminal:", url_path="sql"),
]
st.navigation(pages).run()
