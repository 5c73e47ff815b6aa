"""Midjourney parameter parsing and escape decoding: the Python reference and its SQL twin agree."""

from __future__ import annotations

import random

import duckdb
import pytest

from explorer import mjparams
from explorer.mjparams import MJParams, decode_escapes, parse_params, prompt_text


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        (
            "an elegant gold and white tikka head jewelry, --ar 3:2 --v 5",
            MJParams(mj_version="5", aspect_ratio="3:2", mj_params="--ar 3:2 --v 5"),
        ),
        ("castle --ar 16:9--v 5.2", MJParams(mj_version="5.2", aspect_ratio="16:9", mj_params="--ar 16:9--v 5.2")),
        ("castle —ar 2:3 —v 4", MJParams(mj_version="4", aspect_ratio="2:3", mj_params="—ar 2:3 —v 4")),
        ("girl --niji 5 --s 250", MJParams(mj_version="niji 5", stylize=250, mj_params="--niji 5 --s 250")),
        ("girl --niji --style expressive", MJParams(mj_version="niji", mj_params="--niji --style expressive")),
        (
            "x --aspect 4 : 5 --version 6 --quality .5 --stylize 1000 --chaos 40 --seed 123456789012",
            MJParams(
                mj_version="6",
                aspect_ratio="4:5",
                quality=0.5,
                stylize=1000,
                chaos=40,
                seed=123456789012,
                mj_params="--aspect 4 : 5 --version 6 --quality .5 --stylize 1000 --chaos 40 --seed 123456789012",
            ),
        ),
        ("tiles --tile --no text words --iw 2", MJParams(mj_params="--tile --no text words --iw 2")),
        ("photo --q 2 --c 10 --style raw", MJParams(quality=2.0, chaos=10, mj_params="--q 2 --c 10 --style raw")),
        (
            "--V 5 --AR 1:2 upper case",
            MJParams(mj_version="5", aspect_ratio="1:2", mj_params="--V 5 --AR 1:2 upper case"),
        ),
        ("a cyber--punk city", MJParams()),
        ("a long pause -- then --v 4", MJParams(mj_version="4", mj_params="--v 4")),
        ("the north—south road", MJParams()),
        (
            "--seed 99999999999999999999 --s 99999999999",
            MJParams(mj_params="--seed 99999999999999999999 --s 99999999999"),
        ),
        ("no params at all", MJParams()),
        ("", MJParams()),
        (None, MJParams()),
    ],
)
def test_parse_params(prompt: str | None, expected: MJParams) -> None:
    assert parse_params(prompt) == expected


@pytest.mark.parametrize(
    ("prompt", "text"),
    [
        (
            "an elegant gold and white tikka head jewelry, --ar 3:2 --v 5",
            "an elegant gold and white tikka head jewelry",
        ),
        ("it\\u2019s a caf\\u00e9 --v 5", "it’s a café"),
        ("smile \\ud83d\\ude00 ok", "smile 😀 ok"),
        ("lone \\ud83d surrogate", "lone \ufffd surrogate"),
        ("line\\nbreak\\ttab  and   spaces ", "line break tab and spaces"),
        ("  leading, trailing ,, --ar 1:1", "leading, trailing"),
        ("\\u2014ar 3:2 escaped em-dash", ""),
        ('quote \\"x\\" back\\\\slash', 'quote "x" back\\slash'),
        ("--v 5", ""),
        (None, None),
    ],
)
def test_prompt_text(prompt: str | None, text: str | None) -> None:
    assert prompt_text(prompt) == text


def test_decode_escapes_leaves_unknown_backslashes() -> None:
    assert decode_escapes("C:\\path \\q \\u12") == "C:\\path \\q \\u12"
    assert decode_escapes("\\U0001F600") == "😀"
    assert decode_escapes("nul\\u0000byte") == "nul byte"


def test_count_words() -> None:
    assert mjparams.count_words("a b c") == 3
    assert mjparams.count_words("") == 0
    assert mjparams.count_words(None) is None


def _random_prompts(n: int) -> list[str]:
    rng = random.Random(42)
    pieces = [
        "cat", "Dragon", "—", "--", " -- ", "--ar 16:9", "--ar 3 : 2", "--v 5.1", "--V 4", "--niji", "--niji 6",
        "—ar 1:2", "–v 3", "--q .25", "--quality 1", "--s 750", "--stylize 20", "--c 5", "--chaos 100",
        "--seed 42", "--tile", "--no red", "--style raw", "--iw 1.5", ",", "  ", "\t", "\n", "café", "😀",
        "x--v 5", "5--ar 2:1", "north—south", "—no", "--video", "--sameseed 3", "\\u2019", ":: 2",
    ]  # fmt: skip
    return ["".join(rng.choice([" ", ""]) + rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(n)]


def test_sql_matches_python() -> None:
    prompts = [*_random_prompts(3000), "--v 5", "", "a, --ar 1:1", " , ,", "x --seed 99999999999999999999"]
    decoded = [decode_escapes(p) for p in prompts]
    con = duckdb.connect()
    con.execute("CREATE TABLE p (i INTEGER, decoded VARCHAR)")
    con.executemany("INSERT INTO p VALUES (?, ?)", list(enumerate(decoded)))
    cols = mjparams.sql_param_columns("tail")
    rows = con.execute(
        f"""
        WITH a AS (SELECT i, decoded, {mjparams.sql_raw_tail("decoded")} AS raw_tail FROM p),
        b AS (SELECT *, {mjparams.sql_prompt_head("decoded", "raw_tail")} AS head,
                        {mjparams.sql_params_tail("raw_tail")} AS tail FROM a),
        c AS (SELECT *, {mjparams.sql_collapse_whitespace("head")} AS collapsed FROM b),
        d AS (SELECT *, {mjparams.sql_trim_text("collapsed")} AS text FROM c)
        SELECT i, text, {mjparams.sql_count_words("text")}, {cols["mj_version"]}, {cols["aspect_ratio"]},
               {cols["quality"]}, {cols["stylize"]}, {cols["chaos"]}, {cols["seed"]}, {cols["mj_params"]}
        FROM d ORDER BY i
        """
    ).fetchall()
    assert len(rows) == len(prompts)
    mismatches = []
    for prompt, row in zip(prompts, rows, strict=True):
        p = parse_params(prompt)
        text = prompt_text(prompt)
        want = (text, mjparams.count_words(text), p.mj_version, p.aspect_ratio, p.quality, p.stylize, p.chaos,
                p.seed, p.mj_params)  # fmt: skip
        if tuple(row[1:]) != want:
            mismatches.append((prompt, tuple(row[1:]), want))
    assert mismatches == []
    # The corpus really exercises the rules.
    assert sum(1 for r in rows if r[3] is not None) > 300
    assert sum(1 for r in rows if r[3] is not None and r[3].startswith("niji")) > 50
    assert sum(1 for r in rows if r[4] is not None) > 300
