"""Placeholder until this page is built."""

import streamlit as st

st.title("sql")
st.info("This page is not built yet.")
