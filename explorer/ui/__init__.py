"""Streamlit glue: the only library code that imports streamlit."""
