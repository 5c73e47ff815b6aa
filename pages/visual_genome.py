"""Placeholder until this page is built."""

import streamlit as st

st.title("visual_genome")
st.info("This page is not built yet.")
