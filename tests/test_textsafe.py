"""Dataset text is escaped for markdown; highlighting wraps matches without turning data into markup."""

from __future__ import annotations

from explorer.textsafe import count_label, escape_markdown, highlight_markdown, shorten


def test_escape_markdown_disarms_markup() -> None:
    payload = "<script>alert(1)</script> **bold** [x](http://e.vil) :red[hi] $x$ `code`"
    escaped = escape_markdown(payload)
    for raw in ("<script>", "**", "](", ":red[", "$x$", "`code`"):
        assert raw not in escaped
    assert escaped.replace("\\", "") == payload


def test_highlight_wraps_matches_case_insensitively() -> None:
    md = highlight_markdown("A Cat and a cat_dog <b>", ["cat"])
    assert md.count(":orange-background[") == 2
    assert ":orange-background[Cat]" in md
    assert "\\<b\\>" in md
    assert highlight_markdown("plain", []) == "plain"


def test_labels() -> None:
    assert count_label(1) == "1 image"
    assert count_label(0) == "0 images"
    assert count_label(1234567) == "1,234,567 images"
    assert shorten("one two three four", 9) == "one two…"
    assert shorten("short") == "short"
