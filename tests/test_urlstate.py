"""URL parameters: hostile values become safe defaults with a notice."""

from __future__ import annotations

from explorer.urlstate import UrlParams, page_count


def test_values_are_stripped_deduplicated_and_bounded() -> None:
    params = UrlParams.from_pairs({"style": [" anime", "anime", "", "x" * 500, *[f"s{i}" for i in range(30)]]})
    values = params.values("style")
    assert values[0] == "anime"
    assert len(values) == 20
    assert "x" * 500 not in values
    assert any("over-long" in n for n in params.notices)
    assert any("first 20" in n for n in params.notices)


def test_integer_parsing_and_clamping() -> None:
    params = UrlParams.from_pairs({"page": "-5", "id": "abc", "big": "99999999999999999999", "ok": "7"})
    assert params.integer("page", 1, lo=1) == 1
    assert params.integer("id", 0) == 0
    assert params.integer("big", 1, lo=1, hi=100) == 100
    assert params.integer("ok", 1, lo=1) == 7
    assert params.integer("missing", 3) == 3
    assert len(params.notices) == 3


def test_choice_and_known() -> None:
    params = UrlParams.from_pairs({"split": "train'; DROP TABLE x;--", "tag": ["cat", "nope"]})
    assert params.choice("split", ["train", "valid", "test"]) is None
    assert params.known("tag", lambda vs: [v for v in vs if v == "cat"]) == ["cat"]
    assert any("nope" in n for n in params.notices)


def test_page_count() -> None:
    assert page_count(0, 48) == 1
    assert page_count(48, 48) == 1
    assert page_count(49, 48) == 2
