"""`explorer serve` from any directory; a page URL opened first on a fresh server gets the app's navigation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import serve_app
from tests.streamlit_client import StreamlitSession

APP_PAGE_TITLES = ["Home", "JourneyDB", "JourneyDB stats", "Visual Genome", "Visual Genome stats", "SQL console"]


@pytest.mark.parametrize("first_page", ["visual_genome", "sql"])
def test_first_request_to_a_page_uses_app_navigation(sample_data: Path, first_page: str) -> None:
    # Streamlit falls back to its old `pages/` folder discovery when a sub-page is the first thing a fresh
    # server runs; the page scripts live in app_pages/ so that app.py's st.navigation always applies.
    with serve_app(sample_data) as url:
        session = StreamlitSession(url)
        try:
            result = session.run(first_page, "")
            assert result.finished and result.exceptions == 0
            assert result.page == first_page
            assert list(session.titles.values()) == APP_PAGE_TITLES
        finally:
            session.close()
