"""The JourneyDB page through AppTest: URL contract, hostile parameters, the sample view."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from explorer.sample import JDB_CORRUPT_FILE_ID, JDB_MISSING_FILE_ID, JDB_PATH_ESCAPE_ID, JDB_XSS_ID
from tests.conftest import app_test

PAGE = "app_pages/journeydb.py"


def _count_text(at) -> str:
    texts = [m.value for m in at.markdown if re.fullmatch(r"\*\*[\d,]+ images?\*\*", m.value)]
    assert len(texts) == 1, [m.value for m in at.markdown][:5]
    return texts[0].strip("*")


def _warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def test_gallery_counts_and_pages(app_env: Path, sample_store) -> None:
    at = app_test(PAGE)
    assert not at.exception
    assert _count_text(at) == "300 images"
    assert len([b for b in at.button if (b.key or "").startswith("jdb.grid.open.")]) == 48
    assert at.number_input(key="jdb.grid.page").value == 1


def test_filter_url_restores_widgets(app_env: Path, sample_store) -> None:
    expected = sample_store.scalar(
        "SELECT count(*) FROM journeydb_images WHERE list_contains(styles, 'anime') AND split = 'train'"
    )
    at = app_test(PAGE, {"style": ["anime"], "split": "train", "size": "24", "q": "  "})
    assert not at.exception
    assert _count_text(at) == f"{expected} images"
    assert at.multiselect(key="jdb.style").value == ["anime"]
    assert at.selectbox(key="jdb.split").value == "train"
    assert at.selectbox(key="jdb.size").value == 24
    assert _warnings(at) == []


def test_one_match_says_one_image(app_env: Path) -> None:
    at = app_test(PAGE, {"q": "onerror"})
    assert _count_text(at) == "1 image"
    assert any(":orange-background[onerror]" in m.value for m in at.markdown)


def test_changing_a_widget_updates_the_url_and_resets_the_page(app_env: Path) -> None:
    at = app_test(PAGE, {"style": ["anime"], "page": "2", "size": "24"})
    assert at.number_input(key="jdb.grid.page").value == 2
    at.multiselect(key="jdb.atmosphere").select("dreamy").run()
    assert not at.exception
    assert "dreamy" in str(at.query_params["atmosphere"])
    assert "page" not in at.query_params
    at.text_input(key="jdb.q").input("lighthouse").run()
    assert "lighthouse" in str(at.query_params["q"])


def test_next_button_moves_a_page_and_keeps_the_input_in_step(app_env: Path) -> None:
    at = app_test(PAGE, {"size": "24"})
    first = next(b.key for b in at.button if (b.key or "").startswith("jdb.grid.open."))
    at.button(key="jdb.grid.next").click().run()
    assert not at.exception
    assert at.number_input(key="jdb.grid.page").value == 2
    assert "2" in str(at.query_params["page"])
    assert first not in [b.key for b in at.button]


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ({"page": "-1"}, "out of range"),
        ({"page": "abc"}, "whole number"),
        ({"page": "99999999999"}, "no page"),
        ({"style": "' OR 1=1 --"}, "No data has the style"),
        ({"id": "../../etc/passwd"}, "No image has that"),
        ({"q": "x" * 5000}, "over"),
        ({"size": "7"}, "size"),
        ({"version": "6; DROP TABLE x"}, "version"),
        ({"ar": "<script>"}, "aspect ratio"),
        ({"match": "sometimes"}, "match"),
        ({"split": "' OR ''='"}, "split"),
    ],
)
def test_hostile_params_give_defaults_with_a_notice(app_env: Path, query: dict[str, str], notice: str) -> None:
    at = app_test(PAGE, query)
    assert not at.exception, at.exception
    assert _count_text(at) == "300 images"
    assert any(notice.lower() in w.replace("\\", "").lower() for w in _warnings(at)), _warnings(at)


def test_unknown_tags_are_dropped_known_ones_kept(app_env: Path) -> None:
    at = app_test(PAGE, {"style": ["anime", "no-such-style"]})
    assert not at.exception
    assert at.multiselect(key="jdb.style").value == ["anime"]
    assert _count_text(at) == "30 images"


def test_xss_record_shows_the_payload_as_text(app_env: Path) -> None:
    at = app_test(PAGE, {"id": JDB_XSS_ID})
    assert not at.exception
    assert len(at.get("html")) == 0
    markdown = [m.value for m in at.markdown]
    assert any("\\<script\\>alert\\(1\\)\\<\\/script\\>" in m for m in markdown)
    for m in markdown:  # every < in data is escaped, so markdown renders it as a character
        assert not re.search(r"(?<!\\)<", m), m
    assert any("<script>alert(1)</script>" in c.value for c in at.code)  # the raw prompt, as code text


def test_sample_view_shows_questions_with_the_answer_marked(app_env: Path, sample_store) -> None:
    at = app_test(PAGE, {"id": JDB_XSS_ID, "style": "cyberpunk"})
    text = "\n".join(m.value for m in at.markdown)
    assert ":material/check_circle: **correct**" in text
    assert "Style questions" in text and "Content questions" in text
    assert "| version | 5\\.2 |" in text
    assert next(p.options for p in at.button_group)[0] == "cyberpunk"


def test_test_split_sample_says_answer_withheld(app_env: Path, sample_store) -> None:
    image_id = sample_store.scalar(
        "SELECT image_id FROM journeydb_questions WHERE split = 'test' ORDER BY image_id LIMIT 1"
    )
    at = app_test(PAGE, {"id": image_id})
    assert not at.exception
    assert any("answer withheld" in c.value for c in at.caption)
    assert not any("**correct**" in m.value for m in at.markdown)


@pytest.mark.parametrize(
    ("image_id", "reason"),
    [
        (JDB_MISSING_FILE_ID, "image file missing"),
        (JDB_CORRUPT_FILE_ID, "unreadable"),
        (JDB_PATH_ESCAPE_ID, "no image path"),
    ],
)
def test_unavailable_pictures_say_why(app_env: Path, image_id: str, reason: str) -> None:
    at = app_test(PAGE, {"id": image_id})
    assert not at.exception
    assert any(reason in w for w in _warnings(at)), _warnings(at)


def test_open_tag_chip_and_back(app_env: Path) -> None:
    at = app_test(PAGE, {"size": "24", "atmosphere": "dreamy"})
    open_key = next(b.key for b in at.button if (b.key or "").startswith("jdb.grid.open."))
    at.button(key=open_key).click().run()
    assert not at.exception
    assert str(at.query_params["id"]).strip("[]'") == open_key.rsplit(".", 1)[1]
    at.button(key="jdb.back").click().run()
    assert "id" not in at.query_params
    assert "dreamy" in str(at.query_params["atmosphere"])
    at.button(key=open_key).click().run()
    style_chips = at.button_group[0]
    tag = style_chips.options[0]
    style_chips.set_value(tag).run()
    assert not at.exception
    assert "id" not in at.query_params
    assert at.multiselect(key="jdb.style").value == [tag]
    assert at.multiselect(key="jdb.atmosphere").value == ["dreamy"]
