"""Placeholder until this page is built."""

import streamlit as st

st.title("journeydb")
st.info("This page is not built yet.")
