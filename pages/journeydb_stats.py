"""Placeholder until this page is built."""

import streamlit as st

st.title("journeydb_stats")
st.info("This page is not built yet.")
