"""Aggregates behind the two stats pages: distributions of the filtered selection and of the whole dataset.

Every statistic is a named `Stat`: `live` counts `(value, n)` over the images matching a filter (the WHERE
clause of `queries/filters.py`, over the image view aliased `i`), `whole` reads the same counts from a
table written at ingest (`explorer/ingest/aggregates.py` runs `live` with `TRUE` to write it), so an
unfiltered page never scans the big tables. Identifiers are formatted only from the literals in this module;
values are always bound.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

import pandas as pd

from explorer.filters import JourneyFilter, VGFilter, search_words
from explorer.queries.filters import Where, journeydb_row_ids, vg_image_ids, vg_where
from explorer.queries.journeydb import access, count_images, selection_where
from explorer.queries.visual_genome import filter_where, has_postings
from explorer.store import Store

T = TypeVar("T")

TOP = 15
COOCCURRENCE_TOP = 10
PRECOMPUTED_COOCCURRENCE_TOP = 20
CENTRE_BINS = 20
NO_VALUE = "(none)"

JDB_SELECTION_SQL = "{alias}.image_id IN (SELECT i.image_id FROM journeydb_images i WHERE {where})"
VG_SELECTION_SQL = "{alias}.image_id IN (SELECT i.image_id FROM vg_images i WHERE {where})"

JDB_COUNT_SQL = "SELECT count(*) FROM journeydb_images i WHERE {where}"
VG_COUNT_SQL = "SELECT count(*) FROM vg_images i WHERE {where}"
VG_IDS_COUNT_SQL = "SELECT count(*) FROM ({ids})"


def _values_and_rest(counts: str, part: str) -> str:
    """SQL over `{counts}` (value, n rows) as `c`: the rows of `part`, then the rest summed into one row (value
    NULL, rest = how many values) as the totals minus the part's.

    `counts` says how `c` is held: "MATERIALIZED" (computed once) or "NOT MATERIALIZED" (read where used).
    `part` is the CTE `p` over `c`: a parenthesised query, prefixed with "MATERIALIZED" to compute it once.
    """
    return f"""
WITH c AS {counts} ({{counts}}), p AS {part}
SELECT value, n, 0 AS rest FROM p
UNION ALL SELECT NULL, a.n - b.n, a.k - b.k
FROM (SELECT coalesce(sum(n), 0) AS n, count(*) AS k FROM c) AS a,
     (SELECT coalesce(sum(n), 0) AS n, count(*) AS k FROM p) AS b
WHERE a.k > b.k
"""


# The n most frequent values (a heap, not a window over every value: the whole triples table has ~2M).
_TOP = "(SELECT value, n FROM c ORDER BY n DESC, value LIMIT ?)"
TOP_VALUES_SQL = _values_and_rest("MATERIALIZED", _TOP)
# The same over a table of counts (the precomputed whole): not materialized, so the top reads only what it
# needs and the totals only the n column.
TOP_VALUES_TABLE_SQL = _values_and_rest("NOT MATERIALIZED", _TOP)
# The whole dataset's counts for the given values. The shown values are a filter on the (value-sorted) stats
# table, which skips to their row groups; the totals read only n. Over live counts (an export without the
# stats tables) the counts are computed once.
_SHOWN = "MATERIALIZED (SELECT value, n FROM c WHERE list_contains(?, value))"
WHOLE_VALUES_SQL = _values_and_rest("NOT MATERIALIZED", _SHOWN)
WHOLE_VALUES_LIVE_SQL = _values_and_rest("MATERIALIZED", _SHOWN)

JDB_TAG_COLUMNS = {"style": "styles", "content": "contents", "atmosphere": "atmospheres"}
JDB_TAG_LIVE_SQL = (
    "SELECT value, count(*) AS n FROM (SELECT unnest(i.{column}) AS value FROM journeydb_images i WHERE {where})"
    " GROUP BY value"
)
JDB_TAG_WHOLE_SQL = "SELECT tag AS value, n_images AS n FROM journeydb_tag_counts WHERE kind = '{kind}'"
JDB_TOP_TAGS_SQL = "SELECT list(tag ORDER BY n_images DESC, tag)[1:?] FROM journeydb_tag_counts WHERE kind = ?"
# With the tag postings (tag_ids.parquet), filtered tag counts read only them: {selected} is a condition on
# t.row_id (`_selected_rows`), no images are scanned.
JDB_TAG_IDS_LIVE_SQL = (
    "SELECT t.tag AS value, count(*) AS n FROM journeydb_tag_ids t WHERE t.kind = '{kind}' AND {selected} GROUP BY ALL"
)
# The selection as a condition on a row_id column: a semi-join with its row-id query, or, for selections of at
# least BITMAP_SHARE of the images, one bit per image (`bitstring_agg`, bound as a BIT parameter). Testing a
# bit costs about the same for any selection; probing a hash table of the selection grows with it. Measured
# at full scale (4.4M images) for a selection of 1.07M: content counts 125-150 vs 180-210 ms, heatmap 190 vs
# 270 ms; for 120k the semi-join wins (96 vs 123 ms), DuckDB's join filter skipping most rows. The per-image
# statistics (images.parquet) always use the bitmap when the filter is a join (tags, text): 118 vs 140 ms.
BITMAP_SHARE = 0.08
JDB_BITMAP_SQL = "SELECT bitstring_agg(row_id::INTEGER, 0, ?) FROM ({ids})"
SELECTED_IN_SQL = "{alias}.row_id IN ({ids})"
SELECTED_BIT_SQL = "get_bit(?::BIT, {alias}.row_id::INTEGER) = 1"

JDB_ANSWERS_SQL = """
SELECT q.kind AS kind, q.answer AS value, count(*) AS n FROM journeydb_questions q
WHERE q.answer IS NOT NULL AND q.split <> 'test' AND {selection}
GROUP BY ALL ORDER BY kind, value
"""
JDB_ANSWERS_WHOLE_SQL = "SELECT kind, value, n FROM journeydb_stats_answers ORDER BY kind, value"
# Exports whose questions carry row_id: the selection is the row-id query, joined on the integer. Grouped
# by (kind, letter, withheld) with no other condition; the caller drops withheld and missing answers. With
# those conditions in the SQL, DuckDB filters the questions first and builds the join's hash table on them
# instead of on the selection: ~3x slower at full scale.
JDB_ANSWERS_IDS_SQL = """
SELECT q.kind AS kind, q.answer AS value, q.split = 'test' AS withheld, count(*) AS n
FROM journeydb_questions q WHERE {selected} GROUP BY ALL
"""
# Images carrying both a row tag and a column tag, over the given tag lists: one scan of the images.
JDB_COOCCURRENCE_SQL = """
SELECT a AS row_value, b AS col_value, count(*) AS n FROM (
  SELECT a, unnest(bs) AS b FROM (
    SELECT unnest(list_filter(i.{row_column}, lambda x: list_contains(?, x))) AS a,
           list_filter(i.{col_column}, lambda x: list_contains(?, x)) AS bs
    FROM journeydb_images i WHERE {where}))
GROUP BY ALL
"""
# Exports with tag postings: {selected} is the selection as a condition on a.row_id; the constant tag lists
# let the scans read only those tags' ranges of the (kind, tag, row_id)-sorted postings.
JDB_COOCCURRENCE_IDS_SQL = """
SELECT a.tag AS row_value, b.tag AS col_value, count(*) AS n
FROM journeydb_tag_ids a JOIN journeydb_tag_ids b ON a.row_id = b.row_id
WHERE a.kind = ? AND a.tag IN ({row_marks}) AND b.kind = ? AND b.tag IN ({col_marks}) AND {selected}
GROUP BY ALL
"""
JDB_COOCCURRENCE_WHOLE_SQL = """
SELECT row_value, col_value, n FROM journeydb_stats_cooccurrence
WHERE list_contains(?, row_value) AND list_contains(?, col_value)
"""

VG_TOP_NAMES_SQL = "SELECT list({column} ORDER BY n_images DESC, {column})[1:?] FROM {view}"
VG_BOX_CENTRES_SQL = """
SELECT least(greatest(floor((o.x + o.w / 2) / i.width * {bins}), 0), {last})::INTEGER AS cx,
       least(greatest(floor((o.y + o.h / 2) / i.height * {bins}), 0), {last})::INTEGER AS cy,
       count(*) AS n
FROM vg_objects o JOIN vg_images i ON o.image_id = i.image_id
WHERE i.width > 0 AND i.height > 0 AND ({where})
GROUP BY ALL
"""
VG_BOX_CENTRES_WHOLE_SQL = "SELECT cx, cy, n FROM vg_stats_box_centres"
# With the postings (image_terms.parquet), the filtered name/attribute/predicate/triple counts are count(*) over
# the (kind, term, image_id) rows of the selected images: unique per image, so the same images per value as
# count(DISTINCT image_id) over the objects or relationships, without their millions of rows.
VG_TERMS_LIVE_SQL = (
    "SELECT t.term AS value, count(*) AS n FROM vg_image_terms t WHERE t.kind = '{kind}' AND {selection} GROUP BY ALL"
)
VG_TERM_STATS = {"object": "object", "attribute": "attribute", "predicate": "predicate", "triple": "triple"}
# A selection of most images (one frequent name keeps 80% of them) counts fewer rows as the whole dataset's
# counts minus those of the other images; values left at 0 are dropped, so the result is the same. Measured at
# full scale, this pays from about three quarters of the images on (the join with the whole costs too).
VG_UNSELECTED_SQL = "t.image_id IN (SELECT i.image_id FROM vg_images i WHERE NOT coalesce(({where}), FALSE))"
VG_TERMS_BY_COMPLEMENT_SQL = """
SELECT value, w.n - coalesce(x.n, 0) AS n FROM ({whole}) AS w
LEFT JOIN (SELECT t.term AS value, count(*) AS n FROM vg_image_terms t WHERE t.kind = '{kind}' AND {unselected}
           GROUP BY ALL) AS x USING (value)
WHERE w.n > coalesce(x.n, 0)
"""
VG_OBJECT_ATTRIBUTES_SQL = """
SELECT a.name AS row_value, a.attribute AS col_value, count(*) AS n FROM vg_object_attributes a
WHERE list_contains(?, a.name) AND list_contains(?, a.attribute) AND {selection}
GROUP BY ALL
"""
VG_OBJECT_ATTRIBUTES_WHOLE_SQL = """
SELECT row_value, col_value, n FROM vg_stats_object_attributes
WHERE list_contains(?, row_value) AND list_contains(?, col_value)
"""
VG_OBJECTS_ON_SIZED_IMAGES_SQL = (
    "SELECT count(*) FROM vg_objects o JOIN vg_images i ON o.image_id = i.image_id"
    " WHERE i.width > 0 AND i.height > 0 AND ({where})"
)


@dataclass(frozen=True)
class Stat:
    """One distribution: `live` SQL over a selection (`{where}` over `i`, `{selection}` over `alias`)."""

    live: str
    whole: str | None  # None: read from the precomputed table `precomputed`
    precomputed: str | None  # stats table name written at ingest (without the dataset prefix)
    unit: str  # what n counts: images, objects, questions
    per_image: bool  # multi-valued per image: shares are of images, not of the sum of n
    order: Literal["n", "value"]
    noun: str  # what a value is, for "other (K <noun>s)"
    alias: str = "i"
    cap: int | None = None  # numeric values >= cap are folded into one "cap+" bin


def _jdb_tag_stat(kind: str) -> Stat:
    return Stat(
        live=JDB_TAG_LIVE_SQL.replace("{column}", JDB_TAG_COLUMNS[kind]),
        whole=JDB_TAG_WHOLE_SQL.replace("{kind}", kind),
        precomputed=None,
        unit="images",
        per_image=True,
        order="n",
        noun="tag",
    )


PROMPT_WORDS_BIN = 5
PROMPT_WORDS_CAP = 100
TAGS_PER_IMAGE_CAP = 30
PER_IMAGE_CAP = 60

JDB_STATS: dict[str, Stat] = {
    **{kind: _jdb_tag_stat(kind) for kind in JDB_TAG_COLUMNS},
    "version": Stat(
        f"SELECT coalesce(i.mj_version, '{NO_VALUE}') AS value, count(*) AS n FROM journeydb_images i"
        " WHERE {where} GROUP BY ALL",
        None, "versions", "images", False, "n", "version",
    ),
    "aspect_ratio": Stat(
        f"SELECT coalesce(i.aspect_ratio, '{NO_VALUE}') AS value, count(*) AS n FROM journeydb_images i"
        " WHERE {where} GROUP BY ALL",
        None, "aspect_ratios", "images", False, "n", "ratio",
    ),
    "split": Stat(
        "SELECT i.split AS value, count(*) AS n FROM journeydb_images i WHERE {where} GROUP BY ALL",
        None, "splits", "images", False, "value", "split",
    ),
    "prompt_words": Stat(
        f"SELECT least(i.prompt_words // {PROMPT_WORDS_BIN}, {PROMPT_WORDS_CAP // PROMPT_WORDS_BIN})"
        f" * {PROMPT_WORDS_BIN} AS value, count(*) AS n FROM journeydb_images i"
        " WHERE i.prompt_words IS NOT NULL AND ({where}) GROUP BY ALL",
        None, "prompt_words", "images", False, "value", "length", cap=PROMPT_WORDS_CAP,
    ),
    "tags_per_image": Stat(
        "SELECT least(len(i.styles) + len(i.contents) + len(i.atmospheres) + len(i.others),"
        f" {TAGS_PER_IMAGE_CAP}) AS value, count(*) AS n FROM journeydb_images i WHERE {{where}} GROUP BY ALL",
        None, "tags_per_image", "images", False, "value", "count", cap=TAGS_PER_IMAGE_CAP,
    ),
}  # fmt: skip

# log10 of the box area relative to the image, in quarter decades; log2 of w/h in half octaves.
BOX_AREA_STEPS = 4
BOX_AREA_MIN = -16
BOX_ASPECT_STEPS = 2
BOX_ASPECT_RANGE = (-8, 7)
_BOX_JOIN = "FROM vg_objects o JOIN vg_images i ON o.image_id = i.image_id"


def _vg_per_image(column: str) -> Stat:
    return Stat(
        f"SELECT least(i.{column}, {PER_IMAGE_CAP}) AS value, count(*) AS n FROM vg_images i"
        " WHERE {where} GROUP BY ALL",
        None, f"{column[2:]}_per_image", "images", False, "value", "count", cap=PER_IMAGE_CAP,
    )  # fmt: skip


VG_STATS: dict[str, Stat] = {
    "object": Stat(
        f"SELECT coalesce(o.name, '{NO_VALUE}') AS value, count(DISTINCT o.image_id) AS n FROM vg_objects o"
        " WHERE {selection} GROUP BY ALL",
        "SELECT name AS value, n_images AS n FROM vg_object_counts", None, "images", True, "n", "name", alias="o",
    ),
    "attribute": Stat(
        "SELECT a.attribute AS value, count(DISTINCT a.image_id) AS n FROM vg_object_attributes a"
        " WHERE {selection} GROUP BY ALL",
        "SELECT attribute AS value, n_images AS n FROM vg_attribute_counts", None, "images", True, "n",
        "attribute", alias="a",
    ),
    "predicate": Stat(
        "SELECT r.predicate AS value, count(DISTINCT r.image_id) AS n FROM vg_relationships r"
        " WHERE {selection} GROUP BY ALL",
        "SELECT predicate AS value, n_images AS n FROM vg_predicate_counts", None, "images", True, "n",
        "predicate", alias="r",
    ),
    "triple": Stat(
        "SELECT concat_ws('|', coalesce(r.subject_name, ''), coalesce(r.predicate, ''),"
        " coalesce(r.object_name, '')) AS value, count(DISTINCT r.image_id) AS n FROM vg_relationships r"
        " WHERE {selection} GROUP BY ALL",
        None, "triples", "images", True, "n", "triple", alias="r",
    ),
    "qtype": Stat(
        f"SELECT coalesce(nullif(q.qtype, ''), '{NO_VALUE}') AS value, count(*) AS n FROM vg_qas q"
        " WHERE {selection} GROUP BY ALL",
        None, "qtypes", "questions", False, "n", "type", alias="q",
    ),
    "image_size": Stat(
        f"SELECT coalesce(i.width || '×' || i.height, '{NO_VALUE}') AS value, count(*) AS n FROM vg_images i"
        " WHERE {where} GROUP BY ALL",
        None, "image_sizes", "images", False, "n", "size",
    ),
    "objects_per_image": _vg_per_image("n_objects"),
    "relationships_per_image": _vg_per_image("n_relationships"),
    "regions_per_image": _vg_per_image("n_regions"),
    "box_area": Stat(
        f"SELECT least(greatest(floor(log10((o.w * o.h) / (i.width * i.height)) * {BOX_AREA_STEPS}),"
        f" {BOX_AREA_MIN}), 0)::INTEGER AS value, count(*) AS n {_BOX_JOIN}"
        " WHERE o.w > 0 AND o.h > 0 AND i.width > 0 AND i.height > 0 AND ({where}) GROUP BY ALL",
        None, "box_areas", "objects", False, "value", "bin",
    ),
    "box_aspect": Stat(
        f"SELECT least(greatest(floor(log2(o.w / o.h) * {BOX_ASPECT_STEPS}), {BOX_ASPECT_RANGE[0]}),"
        f" {BOX_ASPECT_RANGE[1]})::INTEGER AS value, count(*) AS n {_BOX_JOIN}"
        " WHERE o.w > 0 AND o.h > 0 AND ({where}) GROUP BY ALL",
        None, "box_aspects", "objects", False, "value", "bin",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Counts:
    """A distribution ready to chart.

    `frame` columns: value (raw; None on the "other" row), label (plain text), n, share (of `total`),
    rest (how many values the "other" row sums, else 0), and when `filtered` n_all and share_all (the
    whole dataset, for comparison).
    """

    frame: pd.DataFrame
    unit: str
    total: int
    total_all: int
    filtered: bool


@dataclass(frozen=True)
class Matrix:
    """Counts over two tag/name lists: `frame` has row_value, col_value, n (missing pairs are 0)."""

    rows: list[str]
    cols: list[str]
    frame: pd.DataFrame
    unit: str


# -- helpers ---------------------------------------------------------------------------------------------


SELECTION_SQL = {"journeydb": JDB_SELECTION_SQL, "vg": VG_SELECTION_SQL}


def live_sql(stat: Stat, prefix: str, where: str = "TRUE") -> str:
    """`stat.live` for a WHERE clause over `i` (its parameters bind in order); no semi-join when unfiltered."""
    selection = "TRUE" if where == "TRUE" else SELECTION_SQL[prefix].format(alias=stat.alias, where=where)
    return stat.live.replace("{where}", where).replace("{selection}", selection)


def _whole_sql(stat: Stat, prefix: str, store: Store) -> tuple[str, bool]:
    """SQL of the whole-dataset counts, and whether it is the (cheap) precomputed table."""
    if stat.whole is not None:
        return stat.whole, True
    view = f"{prefix}_stats_{stat.precomputed}"
    if store.has(view):
        return f"SELECT value, n FROM {view}", True
    return live_sql(stat, prefix), False  # an export written before the stats tables existed


def _sort_key(value: Any) -> Any:
    return (value is None, value)


def value_label(stat_name: str, value: Any) -> str:
    """Plain-text label of one value of a statistic (bins spelled out)."""
    if value is None:
        return NO_VALUE
    if stat_name == "prompt_words":
        top = value + PROMPT_WORDS_BIN - 1
        return f"{value}+ words" if value >= PROMPT_WORDS_CAP else f"{value}–{top} words"
    if stat_name == "tags_per_image":
        return f"{value}+" if value >= TAGS_PER_IMAGE_CAP else str(value)
    if stat_name.endswith("_per_image"):
        return f"{value}+" if value >= PER_IMAGE_CAP else str(value)
    if stat_name == "box_area":
        lo = 100 * 10 ** (value / BOX_AREA_STEPS)
        return "100%" if value >= 0 else f"≥{_pct(lo)}"
    if stat_name == "box_aspect":
        lo = 2 ** (value / BOX_ASPECT_STEPS)
        hi = 2 ** ((value + 1) / BOX_ASPECT_STEPS)
        if value <= BOX_ASPECT_RANGE[0]:
            return f"<{hi:.2g}"
        if value >= BOX_ASPECT_RANGE[1]:
            return f"≥{lo:.2g}"
        return f"{lo:.2g}–{hi:.2g}"
    if stat_name == "triple":
        return " ".join(p for p in str(value).split("|") if p)
    return str(value)


def _pct(x: float) -> str:
    digits = max(0, -math.floor(math.log10(x))) if x > 0 else 0
    return f"{x:.{digits}f}%"


def _counts(
    store: Store,
    name: str,
    stat: Stat,
    prefix: str,
    where: Where,
    images: int,
    images_all: int,
    top: int | None,
    live: str | None = None,
    known: dict[Any, int] | None = None,
) -> Counts:
    """`stat` over the selection `where`; `live` replaces its live SQL (then `where` binds its params),
    `known` gives the selection's counts already computed (`_jdb_per_image_counts`)."""
    sql, params = where
    filtered = sql != "TRUE"
    limit = top if top is not None and stat.order == "n" else 1_000_000
    whole_sql, precomputed = _whole_sql(stat, prefix, store)
    if filtered and known is not None:
        rows = _top_rows(known, limit)
    else:
        counts_sql = (live or live_sql(stat, prefix, sql)) if filtered else whole_sql
        counts_params = list(params) if filtered else []
        top_sql = TOP_VALUES_SQL if filtered or not precomputed else TOP_VALUES_TABLE_SQL
        rows = store.rows(top_sql.format(counts=counts_sql), [*counts_params, limit])
    selected = {r[0]: int(r[1]) for r in rows if not r[2]}
    rest = next(((int(r[1]), int(r[2])) for r in rows if r[2]), (0, 0))
    whole: dict[Any, int] = {}
    whole_rest = (0, 0)
    if filtered:
        if stat.order == "value":  # a histogram: show every bin of the whole dataset too
            whole = {r[0]: int(r[1]) for r in store.rows(whole_sql)}
            selected = {**dict.fromkeys(whole, 0), **selected}
        else:
            values = list(selected)
            whole_values = WHOLE_VALUES_SQL if precomputed else WHOLE_VALUES_LIVE_SQL
            for value, n, k in store.rows(whole_values.format(counts=whole_sql), [values]):
                if k:
                    whole_rest = (int(n), int(k))
                else:
                    whole[value] = int(n)
    total = images if stat.per_image else sum(selected.values()) + rest[0]
    total_all = images_all if stat.per_image else (sum(whole.values()) + whole_rest[0] if filtered else total)
    records: list[dict[str, Any]] = []
    for value, n in selected.items():
        records.append(
            {"value": value, "label": value_label(name, value), "n": n, "rest": 0, "n_all": whole.get(value, 0)}
        )
    if rest[1]:
        label = f"other ({rest[1]:,} {stat.noun}{'s' if rest[1] != 1 else ''})"
        records.append({"value": None, "label": label, "n": rest[0], "rest": rest[1], "n_all": whole_rest[0]})
    if stat.order == "value":
        records.sort(key=lambda rec: (rec["rest"] > 0, _sort_key(rec["value"])))
    else:
        records.sort(key=lambda rec: (rec["rest"] > 0, -rec["n"], _sort_key(rec["value"])))
    for rec in records:
        # The "other" row of a multi-valued statistic sums image-value pairs: not a share of images.
        no_share = stat.per_image and rec["rest"] > 0
        rec["share"] = None if no_share else (100.0 * rec["n"] / total if total else 0.0)
        if filtered:
            rec["share_all"] = None if no_share else (100.0 * rec["n_all"] / total_all if total_all else 0.0)
        else:
            rec["n_all"] = rec["share_all"] = None
    frame = pd.DataFrame.from_records(records, columns=["value", "label", "n", "share", "rest", "n_all", "share_all"])
    frame["value"] = pd.Series([rec["value"] for rec in records], dtype=object)
    return Counts(frame=frame, unit=stat.unit, total=int(total), total_all=int(total_all), filtered=filtered)


# -- JourneyDB ---------------------------------------------------------------------------------------


def count_journeydb_images(store: Store, f: JourneyFilter | None = None) -> int:
    """Images matching `f` (all images when None); kept per selection like the charts' counts."""
    f = f or JourneyFilter()
    return _kept(store, "journeydb", ("count", f), lambda: count_images(store, f))


def _selected_rows(store: Store, f: JourneyFilter, alias: str, *, bitmap: bool | None = None) -> Where | None:
    """`f` as a condition on `{alias}.row_id` when the export has tag postings and `f` filters, else None.

    A bitmap of the selection (kept per selection) when `bitmap`, or by default when it holds at least
    BITMAP_SHARE of the images; else a semi-join with its row-id query.
    """
    acc = access(store)
    ids = journeydb_row_ids(f, index=acc.index) if acc.tag_row_ids else None
    if ids is None:
        return None
    images_all = count_journeydb_images(store)
    if bitmap is None:
        bitmap = count_journeydb_images(store, f) >= BITMAP_SHARE * images_all
    if not bitmap or images_all == 0:
        return SELECTED_IN_SQL.format(alias=alias, ids=ids[0]), ids[1]
    bits = _kept(
        store,
        "journeydb",
        ("bitmap", f),
        lambda: store.scalar(JDB_BITMAP_SQL.format(ids=ids[0]), [images_all - 1, *ids[1]]),
        cache=_bitmap_cache,
    )
    return (SELECTED_BIT_SQL.format(alias=alias), [bits]) if bits is not None else ("FALSE", [])


def _top_rows(counts: dict[Any, int], limit: int) -> list[tuple[Any, int, int]]:
    """What TOP_VALUES_SQL returns for these counts: the `limit` largest (n DESC, value), then the rest summed."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], _sort_key(item[0])))
    rows: list[tuple[Any, int, int]] = [(value, n, 0) for value, n in ranked[:limit]]
    if len(ranked) > limit:
        rows.append((None, sum(n for _, n in ranked[limit:]), len(ranked) - limit))
    return rows


# The per-image statistics of a selection in one scan of the images (GROUPING SETS): the stats page asks
# for all five, and the semi-join with the selection, not the grouping, is the cost. Values as in JDB_STATS.
JDB_PER_IMAGE_STATS = {
    "version": f"coalesce(i.mj_version, '{NO_VALUE}')",
    "aspect_ratio": f"coalesce(i.aspect_ratio, '{NO_VALUE}')",
    "split": "i.split",
    "prompt_words": f"least(i.prompt_words // {PROMPT_WORDS_BIN}, {PROMPT_WORDS_CAP // PROMPT_WORDS_BIN})"
    f" * {PROMPT_WORDS_BIN}",
    "tags_per_image": f"least(i.n_tags, {TAGS_PER_IMAGE_CAP})",
}
_PER_IMAGE_COLUMNS = ", ".join(f"v{n}" for n in range(len(JDB_PER_IMAGE_STATS)))
JDB_PER_IMAGE_SQL = (
    f"SELECT grouping({_PER_IMAGE_COLUMNS}) AS g, {_PER_IMAGE_COLUMNS}, count(*) AS n FROM ("
    + "SELECT "
    + ", ".join(f"{expr} AS v{n}" for n, expr in enumerate(JDB_PER_IMAGE_STATS.values()))
    + " FROM journeydb_images i WHERE {where})"
    + f" GROUP BY GROUPING SETS ({', '.join(f'(v{n})' for n in range(len(JDB_PER_IMAGE_STATS)))})"
)


# Results kept between the queries of one stats page (the most recent selections of each export): the
# image counts are asked for by every chart, the per-image and box statistics come from one query each,
# and the heatmaps reuse the bar charts' top values. The page's own st.cache_data sits above this.
@dataclass
class _Kept:
    """A bounded most-recently-used map."""

    size: int
    entries: OrderedDict[tuple[Any, ...], Any] = field(default_factory=OrderedDict)


_selection_cache = _Kept(64)
_bitmap_cache = _Kept(4)  # a bitmap is one character per image: 4.4 MB at full scale
_selection_lock = threading.Lock()


def clear_caches() -> None:
    """Forget the kept per-selection results (benchmarks time every call cold)."""
    with _selection_lock:
        _selection_cache.entries.clear()
        _bitmap_cache.entries.clear()


def _kept(
    store: Store, dataset: str, key: tuple[Any, ...], compute: Callable[[], T], *, cache: _Kept = _selection_cache
) -> T:
    """`compute()` once per published export of `dataset` and `key` (the resolved folder names the export)."""
    full = (str((store.data_dir / dataset).resolve()), *key)
    with _selection_lock:
        if full in cache.entries:
            cache.entries.move_to_end(full)
            return cache.entries[full]
    value = compute()
    with _selection_lock:
        cache.entries[full] = value
        while len(cache.entries) > cache.size:
            cache.entries.popitem(last=False)
    return value


def _kept_counts(
    store: Store, dataset: str, f: JourneyFilter | VGFilter, stat: str, top: int | None, compute: Callable[[], Counts]
) -> Counts:
    """A chart's `Counts` kept per selection; callers get their own copy of the frame (they may change it)."""
    counts = _kept(store, dataset, ("counts", f, stat, top), compute)
    return replace(counts, frame=counts.frame.copy())


def _jdb_per_image_counts(store: Store, f: JourneyFilter, where: Where) -> dict[str, dict[Any, int]]:
    """Counts of every JDB_PER_IMAGE_STATS statistic over the selection, from one query (kept)."""
    return _kept(store, "journeydb", ("per_image", f), lambda: _query_per_image_counts(store, where))


def _query_per_image_counts(store: Store, where: Where) -> dict[str, dict[Any, int]]:
    sql, params = where
    names = list(JDB_PER_IMAGE_STATS)
    counts: dict[str, dict[Any, int]] = {name: {} for name in names}
    last = len(names) - 1
    for row in store.rows(JDB_PER_IMAGE_SQL.format(where=sql), params):
        grouping, values, n = row[0], row[1:-1], int(row[-1])
        column = next(k for k in range(len(names)) if not grouping >> (last - k) & 1)
        value = values[column]
        if value is not None or names[column] != "prompt_words":  # words are counted where there is a prompt
            counts[names[column]][value] = n
    return counts


def journeydb_counts(store: Store, f: JourneyFilter, stat: str, top: int | None = TOP) -> Counts:
    """Distribution `stat` (a key of JDB_STATS) over the images matching `f`, with the whole for comparison."""
    if stat not in JDB_STATS:
        raise KeyError(stat)
    return _kept_counts(store, "journeydb", f, stat, top, lambda: _journeydb_counts(store, f, stat, top))


def _journeydb_counts(store: Store, f: JourneyFilter, stat: str, top: int | None) -> Counts:
    spec = JDB_STATS[stat]
    where = selection_where(store, f)
    images_all = count_journeydb_images(store)
    images = count_journeydb_images(store, f) if where[0] != "TRUE" else images_all
    selected = _selected_rows(store, f, "t") if stat in JDB_TAG_COLUMNS and where[0] != "TRUE" else None
    if selected is not None:
        live = JDB_TAG_IDS_LIVE_SQL.replace("{kind}", stat).replace("{selected}", selected[0])
        return _counts(store, stat, spec, "journeydb", selected, images, images_all, top, live=live)
    if stat in JDB_PER_IMAGE_STATS and where[0] != "TRUE" and access(store).n_tags:
        # Tags and text are semi-joins, which the bitmap beats at every size; split/version/ratio are columns.
        joined = any(f.tags().values()) or search_words(f.q)
        selected = _selected_rows(store, f, "i", bitmap=True) if joined else None
        known = _jdb_per_image_counts(store, f, selected or where)[stat]
        return _counts(store, stat, spec, "journeydb", where, images, images_all, top, known=known)
    return _counts(store, stat, spec, "journeydb", where, images, images_all, top)


def journeydb_answers(store: Store, f: JourneyFilter) -> pd.DataFrame:
    """Answer letters of the Task3 questions per kind (the withheld test split excluded): kind, value, n, share."""
    sql, params = selection_where(store, f)
    selected = _selected_rows(store, f, "q") if sql != "TRUE" and access(store).question_row_ids else None
    if sql == "TRUE" and store.has("journeydb_stats_answers"):
        rows = store.rows(JDB_ANSWERS_WHOLE_SQL)
    elif selected is not None:
        groups = store.rows(JDB_ANSWERS_IDS_SQL.format(selected=selected[0]), selected[1])
        kept: dict[tuple[str, str], int] = {}
        for kind, value, withheld, n in groups:
            if value is not None and not withheld:
                kept[(kind, value)] = kept.get((kind, value), 0) + int(n)
        rows = [(kind, value, n) for (kind, value), n in sorted(kept.items())]
    else:
        selection = "TRUE" if sql == "TRUE" else JDB_SELECTION_SQL.format(alias="q", where=sql)
        rows = store.rows(JDB_ANSWERS_SQL.format(selection=selection), params)
    frame = pd.DataFrame(rows, columns=["kind", "value", "n"])
    totals = frame.groupby("kind")["n"].transform("sum")
    frame["share"] = 100.0 * frame["n"] / totals
    return frame


def journeydb_cooccurrence(
    store: Store, f: JourneyFilter, row_kind: str = "style", col_kind: str = "content", top: int = COOCCURRENCE_TOP
) -> Matrix:
    """Images carrying both tags, over the `top` tags of each kind in the selection."""
    # The top tags as the bar charts show them (same counts, reused from the selection cache).
    rows = _top_values(journeydb_counts(store, f, row_kind, max(top, TOP)))[:top]
    cols = _top_values(journeydb_counts(store, f, col_kind, max(top, TOP)))[:top]
    sql, params = selection_where(store, f)
    selected = _selected_rows(store, f, "a") if sql != "TRUE" else None
    precomputed = (row_kind, col_kind) == ("style", "content") and top <= PRECOMPUTED_COOCCURRENCE_TOP
    if sql == "TRUE" and precomputed and store.has("journeydb_stats_cooccurrence"):
        result = store.rows(JDB_COOCCURRENCE_WHOLE_SQL, [rows, cols])
    elif selected is not None:
        if not rows or not cols:
            result = []
        else:
            query = JDB_COOCCURRENCE_IDS_SQL.format(
                row_marks=", ".join("?" * len(rows)), col_marks=", ".join("?" * len(cols)), selected=selected[0]
            )
            result = store.rows(query, [row_kind, *rows, col_kind, *cols, *selected[1]])
    else:
        query = JDB_COOCCURRENCE_SQL.format(
            row_column=JDB_TAG_COLUMNS[row_kind], col_column=JDB_TAG_COLUMNS[col_kind], where=sql
        )
        result = store.rows(query, [rows, cols, *params])
    return Matrix(rows, cols, pd.DataFrame(result, columns=["row_value", "col_value", "n"]), "images")


def journeydb_top_tags(store: Store, kind: str, top: int) -> list[str]:
    """The `top` most frequent tags of `kind` in the whole dataset (most frequent first)."""
    if kind not in JDB_TAG_COLUMNS:
        raise ValueError(f"unknown tag kind {kind!r}")
    return list(store.scalar(JDB_TOP_TAGS_SQL, [top, kind]) or [])


def _top_values(counts: Counts) -> list[Any]:
    frame = counts.frame
    return [v for v, rest in zip(frame["value"], frame["rest"], strict=True) if not rest]


# -- Visual Genome ---------------------------------------------------------------------------------


def count_vg_images(store: Store, f: VGFilter | None = None) -> int:
    """Images matching `f` (all images when None); kept per selection like the charts' counts."""
    f = f or VGFilter()
    return _kept(store, "visual_genome", ("count", f), lambda: _count_vg_images(store, f))


def _count_vg_images(store: Store, f: VGFilter) -> int:
    ids = vg_image_ids(f, postings=has_postings(store))  # the filter's own tables only, no images scan
    if ids is None:
        return int(store.scalar(VG_COUNT_SQL.format(where="TRUE")))
    return int(store.scalar(VG_IDS_COUNT_SQL.format(ids=ids[0]), ids[1]))


def vg_counts(store: Store, f: VGFilter, stat: str, top: int | None = TOP) -> Counts:
    """Distribution `stat` (a key of VG_STATS) over the images matching `f`, with the whole for comparison."""
    if stat not in VG_STATS:
        raise KeyError(stat)
    return _kept_counts(store, "visual_genome", f, stat, top, lambda: _vg_counts(store, f, stat, top))


# The box statistics of a selection (area and aspect bins, centre cells, objects on sized images) in one
# join of objects and images (GROUPING SETS); each value is NULL where its own chart does not count the box.
_SIZED = "i.width > 0 AND i.height > 0"
_CENTRE = "least(greatest(floor((o.{c} + o.{d} / 2) / i.{size} * {bins}), 0), {last})::INTEGER"
VG_BOXES_SQL = f"""
SELECT grouping(a, r, sized, cx, cy) AS g, a, r, sized, cx, cy, count(*) AS n FROM (
  SELECT coalesce({_SIZED}, FALSE) AS sized,
    CASE WHEN o.w > 0 AND o.h > 0 AND {_SIZED} THEN least(greatest(floor(log10((o.w * o.h) / (i.width * i.height))
         * {BOX_AREA_STEPS}), {BOX_AREA_MIN}), 0)::INTEGER END AS a,
    CASE WHEN o.w > 0 AND o.h > 0 THEN least(greatest(floor(log2(o.w / o.h) * {BOX_ASPECT_STEPS}),
         {BOX_ASPECT_RANGE[0]}), {BOX_ASPECT_RANGE[1]})::INTEGER END AS r,
    {_CENTRE.format(c="x", d="w", size="width", bins=CENTRE_BINS, last=CENTRE_BINS - 1)} AS cx,
    {_CENTRE.format(c="y", d="h", size="height", bins=CENTRE_BINS, last=CENTRE_BINS - 1)} AS cy
  FROM vg_objects o JOIN vg_images i ON o.image_id = i.image_id WHERE ({{where}}))
GROUP BY GROUPING SETS ((a), (r), (sized, cx, cy))
"""
VG_BOX_STATS = ("box_area", "box_aspect")


@dataclass(frozen=True)
class _Boxes:
    area: dict[Any, int]
    aspect: dict[Any, int]
    centres: list[tuple[Any, Any, int]]
    sized: int


def _vg_boxes(store: Store, f: VGFilter) -> _Boxes:
    """The box statistics of the selection `f` from one query (kept for the page's other box charts)."""
    return _kept(store, "visual_genome", ("boxes", f), lambda: _query_vg_boxes(store, f))


def _query_vg_boxes(store: Store, f: VGFilter) -> _Boxes:
    sql, params = filter_where(store, f)
    area: dict[Any, int] = {}
    aspect: dict[Any, int] = {}
    centres: list[tuple[Any, Any, int]] = []
    for g, a, r, sized, cx, cy, n in store.rows(VG_BOXES_SQL.format(where=sql), params):
        if g == 0b01111 and a is not None:
            area[a] = int(n)
        elif g == 0b10111 and r is not None:
            aspect[r] = int(n)
        elif g == 0b11000 and sized:
            centres.append((cx, cy, int(n)))
    return _Boxes(area, aspect, centres, sum(n for _, _, n in centres))


def _vg_counts(store: Store, f: VGFilter, stat: str, top: int | None) -> Counts:
    spec = VG_STATS[stat]
    postings = has_postings(store)
    where = vg_where(f, postings=postings)
    images_all = count_vg_images(store)
    images = count_vg_images(store, f) if where[0] != "TRUE" else images_all
    if stat in VG_BOX_STATS and where[0] != "TRUE":
        boxes = _vg_boxes(store, f)
        known = boxes.area if stat == "box_area" else boxes.aspect
        return _counts(store, stat, spec, "vg", where, images, images_all, top, known=known)
    if postings and stat in VG_TERM_STATS and where[0] != "TRUE":
        return _counts(
            store,
            stat,
            spec,
            "vg",
            where,
            images,
            images_all,
            top,
            live=_vg_terms_live(store, stat, where[0], images, images_all),
        )
    return _counts(store, stat, spec, "vg", where, images, images_all, top)


def _vg_terms_live(store: Store, stat: str, where: str, images: int, images_all: int) -> str:
    """Live SQL of a name/attribute/predicate/triple statistic from the postings (binds `where`'s params once)."""
    kind = VG_TERM_STATS[stat]
    whole, precomputed = _whole_sql(VG_STATS[stat], "vg", store)
    if precomputed and 4 * images > 3 * images_all:
        unselected = VG_UNSELECTED_SQL.replace("{where}", where)
        return VG_TERMS_BY_COMPLEMENT_SQL.format(whole=whole, kind=kind, unselected=unselected)
    selection = VG_SELECTION_SQL.format(alias="t", where=where)
    return VG_TERMS_LIVE_SQL.replace("{kind}", kind).replace("{selection}", selection)


def vg_box_centres(store: Store, f: VGFilter, bins: int = CENTRE_BINS) -> pd.DataFrame:
    """Objects per cell of a `bins`×`bins` grid over the image (box centre / image size): cx, cy, n."""
    sql, params = filter_where(store, f)
    if sql == "TRUE" and bins == CENTRE_BINS and store.has("vg_stats_box_centres"):
        rows = store.rows(VG_BOX_CENTRES_WHOLE_SQL)
    elif sql != "TRUE" and bins == CENTRE_BINS:
        rows = _vg_boxes(store, f).centres
    else:
        rows = store.rows(VG_BOX_CENTRES_SQL.format(bins=int(bins), last=int(bins) - 1, where=sql), params)
    return pd.DataFrame(rows, columns=["cx", "cy", "n"])


def vg_objects_on_sized_images(store: Store, f: VGFilter) -> int:
    """Objects of the selection whose image has a size (what the box charts count)."""
    sql, params = filter_where(store, f)
    if sql != "TRUE":
        return _vg_boxes(store, f).sized
    return int(store.scalar(VG_OBJECTS_ON_SIZED_IMAGES_SQL.format(where=sql), params))


def vg_object_attributes(store: Store, f: VGFilter, top: int = COOCCURRENCE_TOP) -> Matrix:
    """Objects of each of the top names carrying each of the top attributes, in the selection."""
    # The top values as the bar charts show them (same counts, reused from the selection cache).
    names = _top_values(vg_counts(store, f, "object", max(top, TOP)))[:top]
    attributes = _top_values(vg_counts(store, f, "attribute", max(top, TOP)))[:top]
    sql, params = filter_where(store, f)
    if sql == "TRUE" and top <= PRECOMPUTED_COOCCURRENCE_TOP and store.has("vg_stats_object_attributes"):
        result = store.rows(VG_OBJECT_ATTRIBUTES_WHOLE_SQL, [names, attributes])
    else:
        selection = "TRUE" if sql == "TRUE" else VG_SELECTION_SQL.format(alias="a", where=sql)
        result = store.rows(VG_OBJECT_ATTRIBUTES_SQL.format(selection=selection), [names, attributes, *params])
    return Matrix(names, attributes, pd.DataFrame(result, columns=["row_value", "col_value", "n"]), "objects")


def vg_top_values(store: Store, column: str, top: int) -> list[str]:
    """The `top` most frequent object names or attributes of the whole dataset (by images)."""
    views = {"name": "vg_object_counts", "attribute": "vg_attribute_counts", "predicate": "vg_predicate_counts"}
    return list(store.scalar(VG_TOP_NAMES_SQL.format(column=column, view=views[column]), [top]) or [])
