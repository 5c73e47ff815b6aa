"""The Visual Genome page through AppTest: URL restore, counts, notices, the image view."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.sample import VG_MISSING_IMAGE_ID, VG_SHOWCASE_IMAGE_ID
from tests.conftest import app_test

PAGE = "app_pages/visual_genome.py"


def _markdown(at) -> list[str]:
    return [m.value for m in at.markdown]


def _qp(at, key: str) -> list[str]:
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def _count(at) -> str:
    return next(v for v in _markdown(at) if v.endswith("images**") or v.endswith("image**"))


def test_gallery_shows_every_image(app_env: Path) -> None:
    at = app_test(PAGE)
    assert not at.exception, at.exception
    assert _count(at) == "**40 images**"
    assert len(at.get("image")) == 40  # all 40 on the first page of 48


def test_filters_from_the_url_restore_widgets(app_env: Path) -> None:
    at = app_test(PAGE, {"object": ["dog", "frisbee"], "attribute": ["red|car"], "rel": ["man|riding|"]})
    assert not at.exception, at.exception
    assert at.multiselect(key="vg.object").value == ["dog", "frisbee"]
    assert at.multiselect(key="vg.attr_pairs").value == ["red|car"]
    assert at.multiselect(key="vg.rel").value == ["man|riding|"]
    assert _count(at) == "**1 image**"
    assert any("red car" in c.value and "frisbee" in c.value for c in at.caption)  # the matched boxes
    assert _qp(at, "object") == ["dog", "frisbee"]


def test_text_filter_from_the_url(app_env: Path) -> None:
    at = app_test(PAGE, {"q": "wooden bench"})
    assert not at.exception
    assert at.text_input(key="vg.q").value == "wooden bench"
    assert _count(at) != "**40 images**"


def test_changing_a_widget_updates_the_url_and_count(app_env: Path) -> None:
    at = app_test(PAGE)
    at.multiselect(key="vg.object").select("frisbee").run()
    assert not at.exception
    assert _qp(at, "object") == ["frisbee"]
    assert _count(at) != "**40 images**"
    at.multiselect(key="vg.object").select("dog").run()
    assert _qp(at, "object") == ["frisbee", "dog"]


def test_adding_an_attribute_on_object_and_a_triple(app_env: Path) -> None:
    at = app_test(PAGE)
    at.selectbox(key="vg.pair.attribute").select("red")
    at.selectbox(key="vg.pair.object").select("car").run()
    at.button(key="vg.pair.add").click().run()
    assert not at.exception, at.exception
    assert at.multiselect(key="vg.attr_pairs").value == ["red|car"]
    at.selectbox(key="vg.triple.predicate").select("riding").run()
    at.button(key="vg.triple.add").click().run()
    assert at.multiselect(key="vg.rel").value == ["|riding|"]
    assert _qp(at, "attribute") == ["red|car"] and _qp(at, "rel") == ["|riding|"]
    assert _count(at) == "**1 image**"


@pytest.mark.parametrize(
    "query",
    [
        {"object": "dog' OR 1=1 --"},
        {"object": "x" * 5000},
        {"attribute": ["red|car|blue", "|", "<script>alert(1)</script>"]},
        {"rel": ["man|riding", "a|b|c|d", "||", "man|'; DROP TABLE vg_images; --|horse"]},
        {"page": "-3"},
        {"page": "99999999999999999999"},
        {"page": "abc"},
        {"id": "-1"},
        {"id": "abc"},
        {"id": "99999999999999999999999"},
        {"id": "123456"},
        {"q": "%' UNION SELECT 1 --"},
    ],
)
def test_hostile_params_give_notices_not_exceptions(app_env: Path, query: dict[str, str | list[str]]) -> None:
    at = app_test(PAGE, query)
    assert not at.exception, at.exception
    if "q" not in query:
        assert at.warning, f"no notice for {query}"
    assert any(v.endswith("images**") or v.endswith("image**") for v in _markdown(at)) or at.info


def test_unknown_names_are_noticed_and_dropped(app_env: Path) -> None:
    at = app_test(PAGE, {"object": ["dog", "unicorn"]})
    assert not at.exception
    assert any("unicorn" in w.value for w in at.warning)
    assert at.multiselect(key="vg.object").value == ["dog"]
    assert _qp(at, "object") == ["dog"]


def test_image_view(app_env: Path) -> None:
    at = app_test(PAGE, {"id": str(VG_SHOWCASE_IMAGE_ID)})
    assert not at.exception, at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # the annotated image and the scene graph
    assert not at.warning
    assert any(s.value == f"Image {VG_SHOWCASE_IMAGE_ID}" for s in at.subheader)
    frames = [df.value for df in at.dataframe]
    assert any("object" in f.columns and "dog" in set(f["object"]) for f in frames)
    assert any("predicate" in f.columns and "riding" in set(f["predicate"]) for f in frames)
    assert any("description" in f.columns and len(f) for f in frames)
    assert any("question" in f.columns and "What is the man riding?" in set(f["question"]) for f in frames)
    assert "dog (1)" in charts[0].proto.spec and "riding" in charts[1].proto.spec


def test_selecting_an_object_lists_its_relationships(app_env: Path) -> None:
    at = app_test(PAGE, {"id": str(VG_SHOWCASE_IMAGE_ID)})
    focus = at.selectbox(key="vg.focus")
    dog = next(o for o in focus.options if o.startswith("dog #"))
    focus.select(int(dog.split("#")[1])).run()
    assert not at.exception, at.exception
    assert any(m.value.startswith("**dog") for m in at.markdown)
    related = [df.value for df in at.dataframe if "predicate" in df.value.columns and len(df.value) < 5]
    assert [list(f["predicate"]) for f in related] == [["near"]]


def test_class_and_layer_toggles(app_env: Path) -> None:
    at = app_test(PAGE, {"id": str(VG_SHOWCASE_IMAGE_ID)})
    before = at.get("plotly_chart")[0].proto.spec
    at.multiselect(key="vg.classes").unselect("dog").run()
    at.checkbox(key="vg.layer.relationships").uncheck().run()
    assert not at.exception
    after = at.get("plotly_chart")[0].proto.spec
    assert '"legendonly"' in after and '"legendonly"' not in before
    assert "arrowhead" in before and "arrowhead" not in after


def test_missing_image_file_warns_and_draws_on_a_canvas(app_env: Path) -> None:
    at = app_test(PAGE, {"id": str(VG_MISSING_IMAGE_ID)})
    assert not at.exception, at.exception
    assert any("image file missing" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) >= 1


def test_back_to_the_results_keeps_the_filter(app_env: Path) -> None:
    at = app_test(PAGE, {"object": "dog", "id": str(VG_SHOWCASE_IMAGE_ID)})
    at.button(key="vg.back").click().run()
    assert not at.exception
    assert "id" not in at.query_params and _qp(at, "object") == ["dog"]
    assert _count(at) != "**40 images**"
