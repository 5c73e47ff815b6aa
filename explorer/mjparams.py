"""Midjourney prompt parameters (`--ar 3:2 --v 5`) and literal escapes (`\\u2019`) in JourneyDB prompts.

Every rule exists twice: as a Python function (the reference, tested directly) and as a DuckDB SQL
expression built from the same regular expressions (what the ingest runs over millions of rows). The
patterns are written in the common subset of Python `re` (with `re.ASCII`) and RE2, and tests check that
both give the same answers.

Parameters start at the first `--name` (or `—name` / `–name` with a known name) that is not glued to a
preceding letter, and run to the end of the prompt; inside that tail they may be glued (`--ar 16:9--v 5`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Names Midjourney accepts after a dash; only needed for em/en-dashes, which also occur in prose.
KNOWN_NAMES = (
    "ar|aspect|v|version|niji|q|quality|s|stylize|c|chaos|seed|sameseed|tile|no|style|iw|stop|w|weird|"
    "hd|test|testp|uplight|upbeta|upanime|creative|video|r|repeat|fast|relax|turbo|cref|sref|cw|sw|p|"
    "personalize|raw|draft|exp|beta|h|w|width|height"
)
_DASH = "(?:--|[—–])"
_WS = "[ \t\r\n]"
# Group 1: the parameter tail. The leading alternative keeps `cyber--punk`-style words out.
PARAMS_TAIL_RE = rf"(?:^|[^A-Za-z])((?:--[A-Za-z]|[—–](?:{KNOWN_NAMES})(?:[^A-Za-z]|$)).*)$"
PARAMS_STRIP_RE = rf"(^|[^A-Za-z])(?:--[A-Za-z]|[—–](?:{KNOWN_NAMES})(?:[^A-Za-z]|$)).*$"
_NUM = "[0-9]+(?:[.][0-9]+)?"
VERSION_RE = rf"(?i){_DASH}(?:v|version){_WS}*({_NUM})"
NIJI_RE = rf"(?i){_DASH}niji(?:{_WS}*({_NUM}))?(?:[^A-Za-z]|$)"
ASPECT_RE = rf"(?i){_DASH}(?:ar|aspect){_WS}*({_NUM}{_WS}*:{_WS}*{_NUM})"
QUALITY_RE = rf"(?i){_DASH}(?:q|quality){_WS}*([0-9]*[.]?[0-9]+)"
STYLIZE_RE = rf"(?i){_DASH}(?:s|stylize){_WS}*([0-9]+)"
CHAOS_RE = rf"(?i){_DASH}(?:c|chaos){_WS}*([0-9]+)"
SEED_RE = rf"(?i){_DASH}seed{_WS}*([0-9]+)"
WHITESPACE_RE = f"{_WS}+"

# Literal escapes: a surrogate pair, a single \uXXXX, \UXXXXXXXX, or \n \r \t \" \\ \/.
ESCAPE_RE = re.compile(
    r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})"
    r"|\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})|\\([nrt\"\\/])"
)
_SIMPLE_ESCAPES = {"n": " ", "r": " ", "t": " ", '"': '"', "\\": "\\", "/": "/"}
_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII | re.DOTALL)


_TAIL = _compile(PARAMS_TAIL_RE)
_VERSION = _compile(VERSION_RE)
_NIJI = _compile(NIJI_RE)
_ASPECT = _compile(ASPECT_RE)
_QUALITY = _compile(QUALITY_RE)
_STYLIZE = _compile(STYLIZE_RE)
_CHAOS = _compile(CHAOS_RE)
_SEED = _compile(SEED_RE)
_WHITESPACE = _compile(WHITESPACE_RE)


@dataclass(frozen=True)
class MJParams:
    """The parameters of one prompt, as exported in `journeydb_images`."""

    mj_version: str | None = None
    aspect_ratio: str | None = None
    quality: float | None = None
    stylize: int | None = None
    chaos: int | None = None
    seed: int | None = None
    mj_params: str | None = None


def _code_point(value: int) -> str:
    if value < 0x20 or 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        return " " if value < 0x20 else "\ufffd"
    return chr(value)


def _replace_escape(match: re.Match[str]) -> str:
    high, low, single, wide, simple = match.groups()
    if high is not None:
        return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00))
    if single is not None:
        return _code_point(int(single, 16))
    if wide is not None:
        return _code_point(int(wide, 16))
    return _SIMPLE_ESCAPES[simple]


def decode_escapes(text: str) -> str:
    """Decode literal escape text (`\\u2019`, surrogate pairs, `\\n`) left in a prompt by the release."""
    if "\\" not in text:
        return text
    return ESCAPE_RE.sub(_replace_escape, text)


def params_tail(prompt: str) -> str | None:
    """The parameter part of a prompt as written (`--ar 3:2 --v 5`), or None when there is none."""
    match = _TAIL.search(prompt)
    if match is None:
        return None
    tail = match.group(1).strip(" \t\r\n")
    return tail or None


def _group(pattern: re.Pattern[str], tail: str) -> str | None:
    match = pattern.search(tail)
    return match.group(1) if match else None


def _bounded_int(text: str | None, limit: int) -> int | None:
    if text is None:
        return None
    value = int(text)
    return value if value <= limit else None


def parse_params(prompt: str | None) -> MJParams:
    """Parse the Midjourney parameters at the end of a prompt (escapes are decoded first)."""
    if prompt is None:
        return MJParams()
    tail = params_tail(decode_escapes(prompt))
    if tail is None:
        return MJParams()
    version = _group(_VERSION, tail)
    niji = _NIJI.search(tail)
    if niji is not None:
        version = f"niji {niji.group(1)}" if niji.group(1) else "niji"
    aspect = _group(_ASPECT, tail)
    quality = _group(_QUALITY, tail)
    return MJParams(
        mj_version=version,
        aspect_ratio=_WHITESPACE.sub("", aspect) if aspect else None,
        quality=float(quality) if quality is not None else None,
        stylize=_bounded_int(_group(_STYLIZE, tail), _INT32_MAX),
        chaos=_bounded_int(_group(_CHAOS, tail), _INT32_MAX),
        seed=_bounded_int(_group(_SEED, tail), _INT64_MAX),
        mj_params=tail,
    )


def clean_text(text: str) -> str:
    """Collapse whitespace, trim, and drop the commas a removed parameter tail leaves behind."""
    return _WHITESPACE.sub(" ", text).strip(" ").rstrip(" ,")


def prompt_text(prompt: str | None) -> str | None:
    """The prompt for display and search: escapes decoded, parameters removed, trimmed."""
    if prompt is None:
        return None
    decoded = decode_escapes(prompt)
    match = _TAIL.search(decoded)
    head = decoded if match is None else decoded[: match.start(1)]
    return clean_text(head)


def count_words(text: str | None) -> int | None:
    """Words in an already cleaned text (single spaces between words)."""
    if text is None:
        return None
    return len(text.split(" ")) if text else 0


# --- The same rules as DuckDB SQL expressions over a column holding the *decoded* prompt. -------------


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_group(column: str, pattern: str) -> str:
    return f"nullif(regexp_extract({column}, {_sql_literal('(?s)' + pattern)}, 1), '')"


def sql_raw_tail(decoded: str) -> str:
    """SQL for the untrimmed parameter tail of an already decoded prompt column ('' when none)."""
    return f"regexp_extract({decoded}, {_sql_literal('(?s)' + PARAMS_TAIL_RE)}, 1)"


def sql_params_tail(raw_tail: str) -> str:
    """SQL for `params_tail`, given a column holding `sql_raw_tail`."""
    return f"nullif(trim({raw_tail}, ' \t\r\n'), '')"


def sql_prompt_head(decoded: str, raw_tail: str) -> str:
    """SQL for the prompt without its parameter tail, given the decoded prompt and `sql_raw_tail` columns."""
    return f"left({decoded}, length({decoded}) - length({raw_tail}))"


def sql_collapse_whitespace(text: str) -> str:
    """SQL for the first step of `clean_text`: runs of whitespace become one space.

    Plain substring tests spare most rows the regular expression, which is slow on long text.
    """
    return (
        f"CASE WHEN contains({text}, '  ') OR contains({text}, chr(9)) OR contains({text}, chr(10)) "
        f"OR contains({text}, chr(13)) THEN regexp_replace({text}, {_sql_literal(WHITESPACE_RE)}, ' ', 'g') "
        f"ELSE {text} END"
    )


def sql_trim_text(collapsed: str) -> str:
    """SQL for the second step of `clean_text`, over a column holding `sql_collapse_whitespace`.

    A regular expression, because DuckDB's trim with a character set is slower on long text.
    """
    return (
        f"CASE WHEN starts_with({collapsed}, ' ') OR ends_with({collapsed}, ' ') OR ends_with({collapsed}, ',') "
        f"THEN regexp_replace({collapsed}, '^ +|[ ,]+$', '', 'g') ELSE {collapsed} END"
    )


def sql_count_words(text: str) -> str:
    """SQL for `count_words` of a cleaned text column."""
    return f"CASE WHEN {text} = '' THEN 0 ELSE length({text}) - length(replace({text}, ' ', '')) + 1 END"


def sql_param_columns(tail: str) -> dict[str, str]:
    """SQL for each `MJParams` field, given a column holding the parameter tail (or NULL)."""
    niji = _sql_group(tail, NIJI_RE)
    niji_present = f"regexp_matches({tail}, {_sql_literal('(?s)' + NIJI_RE)})"
    aspect = _sql_group(tail, ASPECT_RE)
    return {
        "mj_version": (
            f"CASE WHEN {niji_present} THEN 'niji' || coalesce(' ' || {niji}, '') "
            f"ELSE {_sql_group(tail, VERSION_RE)} END"
        ),
        "aspect_ratio": f"regexp_replace({aspect}, {_sql_literal(WHITESPACE_RE)}, '', 'g')",
        "quality": f"TRY_CAST({_sql_group(tail, QUALITY_RE)} AS DOUBLE)",
        "stylize": f"TRY_CAST({_sql_group(tail, STYLIZE_RE)} AS INTEGER)",
        "chaos": f"TRY_CAST({_sql_group(tail, CHAOS_RE)} AS INTEGER)",
        "seed": f"TRY_CAST({_sql_group(tail, SEED_RE)} AS BIGINT)",
        "mj_params": tail,
    }
