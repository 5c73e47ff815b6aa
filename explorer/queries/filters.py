"""WHERE clauses for the filters of each dataset, with bound parameters only.

Each builder returns `(sql, params)`: a boolean expression over the dataset's image view aliased `i`
(`journeydb_images i`, `vg_images i`), to be used as `... FROM <view> i WHERE {sql}`. User values only
ever travel in `params`; the SQL text is assembled from fixed fragments.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from explorer.filters import JourneyFilter, VGFilter, search_words
from explorer.textindex import TextIndex

Where = tuple[str, list[Any]]

JDB_TAGS_ALL_SQL = (
    "i.image_id IN (SELECT image_id FROM journeydb_tags WHERE kind = ? AND tag IN ({marks})"
    " GROUP BY image_id HAVING count(DISTINCT tag) = ?)"
)
JDB_TAGS_ANY_SQL = "i.image_id IN (SELECT image_id FROM journeydb_tags WHERE {pairs})"
JDB_TEXT_WORD_SQL = "(i.prompt_text ILIKE ? ESCAPE '\\' OR i.caption ILIKE ? ESCAPE '\\')"
# The images the text index found (explorer/textindex.py), bound as one list of row ids.
JDB_TEXT_IDS_SQL = "i.row_id IN (SELECT unnest(?::BIGINT[]))"
# Exports with tag_ids.parquet (tag postings by row_id, docs/EXPORT.md): the same conditions as sets of row ids, so
# the gallery counts and pages from the small, (kind, tag, row_id)-sorted tags file alone.
JDB_TAG_IDS_SQL = "SELECT row_id FROM journeydb_tag_ids WHERE kind = ? AND tag = ?"
JDB_TAGS_ANY_IDS_SQL = "SELECT DISTINCT row_id FROM journeydb_tag_ids WHERE {pairs}"
JDB_COLUMNS_IDS_SQL = "SELECT i.row_id FROM journeydb_images i WHERE {where}"
JDB_TEXT_IDS_SET_SQL = "SELECT unnest(?::BIGINT[]) AS row_id"
JDB_ROW_IDS_IN_SQL = "i.row_id IN ({ids})"

# Visual Genome: every condition is a set of image ids (a subquery); `vg_where` tests `i.image_id IN (set)`
# for each, `vg_image_ids` intersects the sets without reading the images table.
VG_OBJECTS_ALL_SQL = (
    "SELECT image_id FROM vg_objects WHERE name IN ({marks}) GROUP BY image_id HAVING count(DISTINCT name) = ?"
)
VG_ATTRIBUTE_SQL = "SELECT image_id FROM vg_object_attributes WHERE attribute = ?"
VG_ATTRIBUTE_ON_OBJECT_SQL = "SELECT image_id FROM vg_object_attributes WHERE attribute = ? AND name = ?"
VG_TRIPLE_SQL = "SELECT image_id FROM vg_relationships WHERE {conds}"
# Exports with the postings tables (image_terms, triple_images, triple_images_by_object; docs/EXPORT.md): the
# same conditions as ranges of small files sorted by their key, so a term reads a few row groups instead of
# scanning every object or relationship. A (kind, term, image_id) row is unique, hence count(*) for "all".
VG_TERM_SQL = "SELECT image_id FROM vg_image_terms WHERE kind = '{kind}' AND term = ?"
VG_OBJECTS_ALL_TERMS_SQL = (
    "SELECT image_id FROM vg_image_terms WHERE kind = 'object' AND term IN ({marks})"
    " GROUP BY image_id HAVING count(*) = ?"
)
# By subject when the triple names one, else by object; a bare predicate is a term of image_terms.
VG_TRIPLE_BY_SUBJECT_SQL = "SELECT image_id FROM vg_triple_images WHERE {conds}"
VG_TRIPLE_BY_OBJECT_SQL = "SELECT image_id FROM vg_triple_images_by_object WHERE {conds}"
VG_POSTINGS_VIEWS = ("vg_image_terms", "vg_triple_images", "vg_triple_images_by_object")
VG_TEXT_WORD_SQL = (
    "SELECT image_id FROM vg_regions WHERE phrase ILIKE ? ESCAPE '\\'"
    " UNION SELECT image_id FROM vg_qas WHERE question ILIKE ? ESCAPE '\\' OR answer ILIKE ? ESCAPE '\\'"
)
VG_IMAGE_IN_SQL = "i.image_id IN ({ids})"


def like_pattern(word: str) -> str:
    """`%word%` with LIKE's wildcards in the word escaped."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _join(parts: list[str], params: list[Any]) -> Where:
    return (" AND ".join(parts) if parts else "TRUE"), params


def _params(parts: list[Where]) -> list[Any]:
    """The parameters of `parts`, in their order."""
    return [p for _, params in parts for p in params]


def _intersection(sets: list[Where]) -> Where:
    """The rows in every one of the (non-empty list of) queries `sets`."""
    return " INTERSECT ".join(f"({sql})" for sql, _ in sets), _params(sets)


def _jdb_tag_sets(f: JourneyFilter) -> list[Where]:
    """One row-id query per tag condition of `f` (one for "any", one per kind for "all")."""
    tags = {kind: values for kind, values in f.tags().items() if values}
    if tags and f.match == "any":
        pairs: list[str] = []
        params: list[Any] = []
        for kind, values in tags.items():
            pairs.append(f"(kind = ? AND tag IN ({_marks(len(values))}))")
            params += [kind, *values]
        return [(JDB_TAGS_ANY_IDS_SQL.format(pairs=" OR ".join(pairs)), params)]
    # One plain range of the (kind, tag, row_id)-sorted file per tag, intersected by the caller: cheaper
    # than a GROUP BY over the postings of all the tags (a tag occurs once per image and kind).
    return [(JDB_TAG_IDS_SQL, [kind, value]) for kind, values in tags.items() for value in values]


def journeydb_row_ids(f: JourneyFilter, *, index: TextIndex | None = None) -> Where | None:
    """A query of the `row_id`s of the images matching `f` (a set, unordered), or None when `f` keeps all.

    Needs the view `journeydb_tag_ids`. Tags are read from the tags file, split/version/aspect ratio (and the
    text as ILIKE when the index cannot answer) from images, the index's hits are bound as one list;
    the parts are intersected.
    """
    sets = _jdb_tag_sets(f)
    columns = journeydb_where(replace(f, styles=(), contents=(), atmospheres=()), text=False)
    words = search_words(f.q)
    ids = index.row_ids(words) if index is not None and words else None
    if ids is not None:
        sets.append((JDB_TEXT_IDS_SET_SQL, [ids]))
    elif words:
        columns = journeydb_where(replace(f, styles=(), contents=(), atmospheres=()))
    if columns[0] != "TRUE":
        sets.append((JDB_COLUMNS_IDS_SQL.format(where=columns[0]), columns[1]))
    return _intersection(sets) if sets else None


def journeydb_where(
    f: JourneyFilter, *, text: bool = True, index: TextIndex | None = None, by_row_id: bool = False
) -> Where:
    """Images matching `f` (tags all/any, split, version, aspect ratio, and the text words if `text`).

    With the export's text `index` (`TextIndex.for_export(...)`), words are matched as whole tokens
    through the index; without it, or when they match more than `DEFAULT_ID_CAP` images, each word is an
    ILIKE substring scan of prompt_text and caption. `by_row_id` (exports with `tag_ids.parquet`)
    semi-joins the tag postings on the integer row_id instead of the image_id string.
    """
    parts: list[str] = []
    params: list[Any] = []
    tags = {kind: values for kind, values in f.tags().items() if values}
    if by_row_id:
        for sql, values in _jdb_tag_sets(f):
            parts.append(JDB_ROW_IDS_IN_SQL.format(ids=sql))
            params += values
    elif tags and f.match == "any":
        pairs = []
        for kind, values in tags.items():
            pairs.append(f"(kind = ? AND tag IN ({_marks(len(values))}))")
            params += [kind, *values]
        parts.append(JDB_TAGS_ANY_SQL.format(pairs=" OR ".join(pairs)))
    else:
        for kind, values in tags.items():
            parts.append(JDB_TAGS_ALL_SQL.format(marks=_marks(len(values))))
            params += [kind, *values, len(values)]
    for column, value in (("split", f.split), ("mj_version", f.version), ("aspect_ratio", f.aspect_ratio)):
        if value:
            parts.append(f"i.{column} = ?")  # column names are the fixed literals above
            params.append(value)
    if text:
        words = search_words(f.q)
        ids = index.row_ids(words) if index is not None and words else None
        if ids is not None:
            parts.append(JDB_TEXT_IDS_SQL)
            params.append(ids)
        else:
            for word in words:
                parts.append(JDB_TEXT_WORD_SQL)
                params += [like_pattern(word)] * 2
    return _join(parts, params)


def vg_image_sets(f: VGFilter, *, text: bool = True, postings: bool = False) -> list[Where]:
    """One query of image ids per condition of `f`: all its objects, each attribute (optionally on an object),
    each triple, each text word. Ids may repeat within a set; an image matches `f` when it is in every set.

    `postings` (exports with `image_terms.parquet` and the `triple_images` files, see `queries.visual_genome.has_postings`)
    reads objects, attributes and triples from those small sorted files; the image sets are the same.
    """
    sets: list[Where] = []
    if f.objects and postings and len(f.objects) == 1:
        sets.append((VG_TERM_SQL.format(kind="object"), [f.objects[0]]))
    elif f.objects:
        sql = VG_OBJECTS_ALL_TERMS_SQL if postings else VG_OBJECTS_ALL_SQL
        sets.append((sql.format(marks=_marks(len(f.objects))), [*f.objects, len(f.objects)]))
    for attr in f.attributes:
        if attr.object is None:
            sets.append((VG_TERM_SQL.format(kind="attribute") if postings else VG_ATTRIBUTE_SQL, [attr.attribute]))
        else:
            sets.append((VG_ATTRIBUTE_ON_OBJECT_SQL, [attr.attribute, attr.object]))
    for triple in f.relationships:
        if postings and triple.subject is None and triple.object is None and triple.predicate is not None:
            sets.append((VG_TERM_SQL.format(kind="predicate"), [triple.predicate]))
            continue
        conds = []
        params: list[Any] = []
        for column, value in (("subject_name", triple.subject), ("predicate", triple.predicate),
                              ("object_name", triple.object)):  # fmt: skip
            if value is not None:
                conds.append(f"{column} = ?")  # column names are the fixed literals above
                params.append(value)
        sql = VG_TRIPLE_SQL
        if postings:
            sql = VG_TRIPLE_BY_SUBJECT_SQL if triple.subject is not None else VG_TRIPLE_BY_OBJECT_SQL
        sets.append((sql.format(conds=" AND ".join(conds)), params))
    if text:
        for word in search_words(f.q):
            sets.append((VG_TEXT_WORD_SQL, [like_pattern(word)] * 3))
    return sets


def vg_where(f: VGFilter, *, text: bool = True, postings: bool = False) -> Where:
    """Images matching `f` (see `vg_image_sets`), as a condition on the images view aliased `i`."""
    sets = vg_image_sets(f, text=text, postings=postings)
    return _join([VG_IMAGE_IN_SQL.format(ids=sql) for sql, _ in sets], _params(sets))


def vg_image_ids(f: VGFilter, *, text: bool = True, postings: bool = False) -> Where | None:
    """A query of the distinct ids of the images matching `f` (unordered), or None when `f` keeps every image.

    Reads only the condition's own tables: every id in them is an image of the export (the ingest drops
    annotations of unknown images).
    """
    sets = vg_image_sets(f, text=text, postings=postings)
    if not sets:
        return None
    if len(sets) == 1:
        return f"SELECT DISTINCT image_id FROM ({sets[0][0]})", list(sets[0][1])
    return _intersection(sets)
