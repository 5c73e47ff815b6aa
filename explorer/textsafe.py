"""Show dataset text as text: escaping for Streamlit markdown, and highlighting of search words."""

from __future__ import annotations

import re
import string

# CommonMark lets any ASCII punctuation be backslash-escaped; escaping all of it also disarms Streamlit's
# own markdown extensions (`:color[...]`, `:emoji:`, `$latex$`) and raw HTML such as `<script>`.
_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
HIGHLIGHT = ":orange-background[{}]"


def escape_markdown(text: str) -> str:
    """`text` escaped so that `st.markdown` shows exactly these characters and renders nothing."""
    escaped = _PUNCT.sub(r"\\\1", text)
    # Line breaks stay visible as breaks; leading spaces would otherwise turn a line into a code block.
    return "  \n".join(line.lstrip() for line in escaped.splitlines()) if "\n" in escaped else escaped


def highlight_markdown(text: str, words: list[str]) -> str:
    """Markdown showing `text` literally with each case-insensitive occurrence of `words` highlighted."""
    words = [w for w in words if w]
    if not words:
        return escape_markdown(text)
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape_markdown(text[last : match.start()]))
        out.append(HIGHLIGHT.format(escape_markdown(match.group(0))))
        last = match.end()
    out.append(escape_markdown(text[last:]))
    return "".join(out)


def count_label(n: int, noun: str = "image") -> str:
    """`1 image`, `12,345 images`."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def shorten(text: str, limit: int = 90) -> str:
    """The start of `text`, cut at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut + "…"
