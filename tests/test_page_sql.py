"""The SQL console page and the Download panel, through Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import app_test


def _main_table(at: AppTest):
    return at.main.dataframe[-1].value if at.main.dataframe else None


def test_query_from_the_url_runs_and_pages(app_env: Path) -> None:
    at = app_test("app_pages/sql.py", {"q": "SELECT * FROM vg_objects ORDER BY object_id", "page": "2"})
    assert not at.exception and not at.error
    assert at.text_area(key="sql.query").value == "SELECT * FROM vg_objects ORDER BY object_id"
    assert any(c.value.startswith("584 rows") or " rows · " in c.value for c in at.caption)
    table = _main_table(at)
    assert table is not None and len(table) == 50
    assert at.query_params["page"] == ["2"] or at.query_params["page"] == "2"


def test_run_button_updates_the_url(app_env: Path) -> None:
    at = app_test("app_pages/sql.py")
    assert not at.exception and any("Write a query" in i.value for i in at.info)
    at.text_area(key="sql.query").input("SELECT qtype, count(*) AS n FROM vg_qas GROUP BY qtype")
    at.button[[b.label for b in at.button].index("Run")].click().run()
    assert not at.exception and not at.error
    assert "GROUP BY qtype" in str(at.query_params["q"])
    assert len(_main_table(at)) == 5


def test_example_button_sets_query_and_url(app_env: Path) -> None:
    at = app_test("app_pages/sql.py")
    at.button(key="sql.example.QA types").click().run()
    assert not at.exception and not at.error
    assert "FROM vg_qas" in at.text_area(key="sql.query").value
    assert "FROM vg_qas" in str(at.query_params["q"])
    assert list(_main_table(at).columns) == ["qtype", "questions"]


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("COPY vg_qas TO '/tmp/x.csv'", "Only SELECT"),
        ("SELECT 1; DROP VIEW vg_qas", "one statement"),
        ("SELECT * FROM read_csv('/etc/passwd')", "can read only the export"),
        ("SET enable_external_access=true", "Only SELECT"),
        ("INSTALL httpfs", "Only SELECT"),
        ("ATTACH '/tmp/x.db'", "Only SELECT"),
        ('SELECT \'it\'\'s\' AS "a""b", "', "Parser Error"),
        ("SELECT * FROM no_such_view", "does not exist"),
        ("<script>alert(1)</script>", "Parser Error"),
    ],
)
def test_refused_or_broken_queries_show_a_plain_error(app_env: Path, q: str, message: str) -> None:
    at = app_test("app_pages/sql.py", {"q": q})
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value
    assert "Traceback" not in at.error[0].value and "\n" not in at.error[0].value


def test_huge_query_in_the_url_is_ignored_with_a_notice(app_env: Path) -> None:
    at = app_test("app_pages/sql.py", {"q": "SELECT " + "1+" * 20_000 + "1"})
    assert not at.exception
    assert any("over-long" in w.value.replace("\\", "") for w in at.warning)


def test_quotes_and_unicode_are_shown_as_data(app_env: Path) -> None:
    at = app_test("app_pages/sql.py", {"q": "SELECT 'a \"quoted\" ''value'' <b>x</b> :red[y] 😀' AS text"})
    assert not at.exception and not at.error
    assert _main_table(at)["text"][0] == "a \"quoted\" 'value' <b>x</b> :red[y] 😀"


def test_views_are_listed_in_the_sidebar(app_env: Path) -> None:
    at = app_test("app_pages/sql.py")
    labels = [e.label for e in at.sidebar.expander]
    assert {"journeydb_images", "vg_objects", "vg_qas"} <= set(labels)


PANEL_SCRIPT = """
from explorer.filters import JourneyFilter, VGFilter
from explorer.ui.common import get_store
from explorer.ui.download import download_panel

f = {filter}
download_panel(get_store(), "{dataset}", f, key="test.dl")
"""


def _panel(dataset: str, filter_expr: str) -> AppTest:
    at = AppTest.from_string(PANEL_SCRIPT.format(dataset=dataset, filter=filter_expr), default_timeout=30)
    return at.run()


def test_download_panel_is_lazy_until_opened(app_env: Path) -> None:
    at = _panel("journeydb", "JourneyFilter(split='train')")
    assert not at.exception
    assert not at.button  # closed: nothing counted or offered


def test_download_panel_prepares_a_file(app_env: Path) -> None:
    at = AppTest.from_string(
        PANEL_SCRIPT.format(dataset="visual_genome", filter="VGFilter(objects=('man',))"), default_timeout=30
    )
    at.session_state["test.dl.open"] = True
    at.run()
    assert not at.exception, at.exception
    assert any("matching rows" in c.value for c in at.caption)
    at.number_input(key="test.dl.limit").set_value(3).run()
    at.button(key="test.dl.prepare").click().run()
    assert not at.exception and not at.error
    prepared = at.session_state["test.dl.file"][1]
    assert prepared.rows == 3 and prepared.file_name == "visual_genome_object-man_3rows.parquet"
    assert prepared.path.exists() and prepared.path.parent == app_env / "downloads"
    buttons = at.get("download_button")
    assert len(buttons) == 1 and "visual_genome_object-man_3rows.parquet" in buttons[0].proto.label
    # Changing the options withdraws the prepared file until it is prepared again.
    at.number_input(key="test.dl.limit").set_value(2).run()
    assert not at.get("download_button")


def test_download_panel_coco_for_visual_genome(app_env: Path) -> None:
    at = AppTest.from_string(PANEL_SCRIPT.format(dataset="visual_genome", filter="VGFilter()"), default_timeout=30)
    at.session_state["test.dl.open"] = True
    at.session_state["test.dl.format"] = "coco"
    at.run()
    assert not at.exception
    assert any("matching images" in c.value for c in at.caption)
    at.button(key="test.dl.prepare").click().run()
    assert at.session_state["test.dl.file"][1].file_name == "visual_genome-coco_all_40images.json"


def test_download_panel_with_no_match(app_env: Path) -> None:
    at = AppTest.from_string(
        PANEL_SCRIPT.format(dataset="journeydb", filter="JourneyFilter(styles=('no-such-style',))"), default_timeout=30
    )
    at.session_state["test.dl.open"] = True
    at.run()
    assert not at.exception and any("No rows match" in i.value for i in at.info)
