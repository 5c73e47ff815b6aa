"""Placeholder until this page is built."""

import streamlit as st

st.title("visual_genome_stats")
st.info("This page is not built yet.")
