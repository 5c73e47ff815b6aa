"""The app server `explorer serve` starts: Streamlit's app (`app.py`) plus the download route.

`streamlit run server.py` finds the `app` below; `streamlit run app.py` also works, without the route
(downloads then go through Streamlit's download button, held in memory).
"""

import streamlit as st

from explorer.config import Settings
from explorer.serving import download_routes

app = st.App("app.py", routes=download_routes(Settings.from_env()))
