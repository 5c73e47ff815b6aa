"""Queries of the Visual Genome page: option lists, the gallery's matches and boxes, one image's annotations
(the last read by `explorer.queries.lookup`, without SQL).

Every user value travels as a bound parameter; the SQL text is assembled only from the fixed fragments
below and from `?` placeholders (`_marks`). Rows returned are bounded: option lists (one row per name),
one page of matches, the boxes of that page, the annotations of one image.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from explorer.filters import VGFilter, search_words
from explorer.queries.filters import VG_POSTINGS_VIEWS, Where, like_pattern, vg_image_ids, vg_where
from explorer.queries.lookup import key_rows, rows_with_key
from explorer.queries.paging import GalleryPage, clamped
from explorer.store import Store
from explorer.urlstate import page_count

OBJECT_COUNTS_SQL = "SELECT name, n_images, n_objects FROM vg_object_counts ORDER BY n_images DESC, name"
ATTRIBUTE_COUNTS_SQL = (
    "SELECT attribute, n_images, n_objects FROM vg_attribute_counts ORDER BY n_images DESC, attribute"
)
PREDICATE_COUNTS_SQL = (
    "SELECT predicate, n_images, n_relationships FROM vg_predicate_counts ORDER BY n_images DESC, predicate"
)
KNOWN_OBJECTS_SQL = "SELECT name FROM vg_object_counts WHERE list_contains(?, name)"
KNOWN_ATTRIBUTES_SQL = "SELECT attribute FROM vg_attribute_counts WHERE list_contains(?, attribute)"
KNOWN_PREDICATES_SQL = "SELECT predicate FROM vg_predicate_counts WHERE list_contains(?, predicate)"

MATCH_COUNT_SQL = "SELECT count(*) FROM vg_images i WHERE {where}"
_IMAGE_COLUMNS = "i.image_id, i.img_path, i.width, i.height, i.n_objects, i.n_relationships, i.n_regions, i.n_qas"
MATCH_PAGE_SQL = f"SELECT {_IMAGE_COLUMNS} FROM vg_images i WHERE {{where}} ORDER BY i.image_id LIMIT ? OFFSET ?"
# The count and one page from a single evaluation of the filter's image-id set (`vg_image_ids`): always one
# row at least (the count, with NULL image columns when the page is past the end). Only the page's rows are
# read from the images table.
IDS_COUNT_PAGE_SQL = f"""
WITH m AS MATERIALIZED ({{ids}}),
pg AS (SELECT image_id FROM m ORDER BY image_id LIMIT ? OFFSET ?)
SELECT t.total, p.* FROM (SELECT count(*) AS total FROM m) t
LEFT JOIN (SELECT {_IMAGE_COLUMNS} FROM vg_images i JOIN pg USING (image_id)) p ON TRUE
ORDER BY p.image_id
"""
# The boxes that made each shown image match: one UNION ALL branch per kind of filter, all restricted to
# the page's image ids (an IN list of constants, so DuckDB can skip row groups of the sorted files).
_BOX_COLUMNS = "image_id, object_id, label, kind, x, y, w, h"
MATCHED_OBJECTS_PART = (
    "SELECT image_id, object_id, name AS label, 'object' AS kind, x, y, w, h FROM vg_objects"
    " WHERE image_id IN ({ids}) AND name IN ({marks})"
)
MATCHED_ATTRIBUTE_PART = (
    "SELECT o.image_id, o.object_id, a.attribute || ' ' || o.name AS label, 'attribute' AS kind,"
    " o.x, o.y, o.w, o.h FROM vg_object_attributes a JOIN vg_objects o USING (image_id, object_id)"
    " WHERE a.image_id IN ({ids}) AND a.attribute = ?"
)
MATCHED_ATTRIBUTE_ON_OBJECT_PART = MATCHED_ATTRIBUTE_PART + " AND a.name = ?"
MATCHED_TRIPLES_CTE = "matched_rel AS (SELECT * FROM vg_relationships WHERE image_id IN ({ids}) AND ({conds}))"
MATCHED_TRIPLE_ENDS_PART = (
    "SELECT image_id, subject_id AS object_id, subject_name AS label, 'relationship' AS kind, subject_x AS x,"
    " subject_y AS y, subject_w AS w, subject_h AS h FROM matched_rel UNION ALL"
    " SELECT image_id, object_id, object_name, 'relationship', object_x, object_y, object_w, object_h"
    " FROM matched_rel"
)
MATCHED_REGIONS_PART = (
    "SELECT image_id, region_id AS object_id, 'text match' AS label, 'region' AS kind, x, y, w, h FROM vg_regions"
    " WHERE image_id IN ({ids}) AND ({conds})"
)
MATCHED_BOXES_SQL = (
    "{cte}SELECT DISTINCT " + _BOX_COLUMNS + " FROM ({parts}) AS b ORDER BY image_id, kind, label, object_id"
)

# One image's rows, read by `lookup.key_rows` (row-group statistics + pyarrow, no SQL): (view, columns, order).
IMAGE_COLUMNS = (
    "image_id", "url", "width", "height", "coco_id", "flickr_id", "img_path", "n_objects", "n_relationships",
    "n_regions", "n_qas",
)  # fmt: skip
OBJECT_COLUMNS = ("object_id", "name", "names", "synsets", "x", "y", "w", "h", "attributes")
RELATIONSHIP_COLUMNS = (
    "relationship_id", "predicate", "synsets", "subject_id", "subject_name", "subject_x", "subject_y",
    "subject_w", "subject_h", "object_id", "object_name", "object_x", "object_y", "object_w", "object_h",
)  # fmt: skip
REGION_COLUMNS = ("region_id", "phrase", "x", "y", "w", "h")
QA_COLUMNS = ("qa_id", "qtype", "question", "answer")

MAX_IMAGE_ID = 2**62


@dataclass(frozen=True)
class Box:
    """A box in image pixels (as annotated: it may start left of 0 or end past the edge)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2


@dataclass(frozen=True)
class ImageRow:
    """One image of Visual Genome: its file and size, and how many annotations it has."""

    image_id: int
    img_path: str | None
    width: int
    height: int
    n_objects: int = 0
    n_relationships: int = 0
    n_regions: int = 0
    n_qas: int = 0
    url: str | None = None
    coco_id: int | None = None
    flickr_id: int | None = None


@dataclass(frozen=True)
class MatchedBox:
    """A box drawn on a gallery thumbnail because it matched the filter (`kind`: object, attribute, ...)."""

    image_id: int
    object_id: int
    label: str
    kind: str
    box: Box


@dataclass(frozen=True)
class VGObject:
    object_id: int
    name: str
    names: tuple[str, ...]
    synsets: tuple[str, ...]
    box: Box
    attributes: tuple[str, ...]


@dataclass(frozen=True)
class VGRelationship:
    """A relationship with the boxes embedded in it (its ends need not be in the image's objects)."""

    relationship_id: int
    predicate: str
    synsets: tuple[str, ...]
    subject_id: int
    subject_name: str
    subject_box: Box
    object_id: int
    object_name: str
    object_box: Box


@dataclass(frozen=True)
class VGRegion:
    region_id: int
    phrase: str
    box: Box


@dataclass(frozen=True)
class ImageAnnotations:
    """Everything annotated on one image."""

    image: ImageRow
    objects: list[VGObject]
    relationships: list[VGRelationship]
    regions: list[VGRegion]
    qas: pd.DataFrame


_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="vg-lookup")


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if value is not None else ()


# Option lists -----------------------------------------------------------------------------------------


def object_counts(store: Store) -> pd.DataFrame:
    """Every object name with the number of images and objects having it, most frequent first."""
    return store.frame(OBJECT_COUNTS_SQL)


def attribute_counts(store: Store) -> pd.DataFrame:
    return store.frame(ATTRIBUTE_COUNTS_SQL)


def predicate_counts(store: Store) -> pd.DataFrame:
    return store.frame(PREDICATE_COUNTS_SQL)


def _known(store: Store, sql: str, values: Sequence[str]) -> list[str]:
    if not values:
        return []
    found = {row[0] for row in store.rows(sql, [list(values)])}
    return [v for v in values if v in found]


def known_objects(store: Store, names: Sequence[str]) -> list[str]:
    """The given names that some object has (order kept)."""
    return _known(store, KNOWN_OBJECTS_SQL, names)


def known_attributes(store: Store, attributes: Sequence[str]) -> list[str]:
    return _known(store, KNOWN_ATTRIBUTES_SQL, attributes)


def known_predicates(store: Store, predicates: Sequence[str]) -> list[str]:
    return _known(store, KNOWN_PREDICATES_SQL, predicates)


# Gallery ----------------------------------------------------------------------------------------------


def has_postings(store: Store) -> bool:
    """True when the export has the postings tables (image_terms, triple_images*) the filters can use."""
    return store.has(*VG_POSTINGS_VIEWS)


def filter_where(store: Store, f: VGFilter, *, text: bool = True) -> Where:
    """`vg_where(f)` through the export's postings tables when it has them."""
    return vg_where(f, text=text, postings=has_postings(store))


def count_matches(store: Store, f: VGFilter) -> int:
    """Number of images matching `f`."""
    where, params = filter_where(store, f)
    return int(store.scalar(MATCH_COUNT_SQL.format(where=where), params) or 0)


def match_page(store: Store, f: VGFilter, page: int, page_size: int) -> list[ImageRow]:
    """The images of page `page` (1-based) of the matches, by image id."""
    where, params = filter_where(store, f)
    offset = max(0, page - 1) * page_size
    rows = store.rows(MATCH_PAGE_SQL.format(where=where), [*params, page_size, offset])
    return [_image_row(r) for r in rows]


def gallery_page(store: Store, f: VGFilter, page: int, page_size: int) -> GalleryPage[ImageRow]:
    """The count of the images matching `f` and page `page` (1-based; past the end: the last page), by image id.

    Count and page come from one evaluation of the filter (a second one only when `page` is past the end).
    """
    page_size = max(1, page_size)
    page = max(1, page)
    ids = vg_image_ids(f, postings=has_postings(store))
    if ids is None:  # no condition: every image
        total = int(store.scalar(MATCH_COUNT_SQL.format(where="TRUE")) or 0)
        page = min(page, page_count(total, page_size))
        return GalleryPage(total, page, match_page(store, f, page, page_size))
    sql = IDS_COUNT_PAGE_SQL.format(ids=ids[0])

    def count_and_page(n: int) -> tuple[int, list[ImageRow]]:
        rows = store.rows(sql, [*ids[1], page_size, (n - 1) * page_size])
        return int(rows[0][0]), [_image_row(r[1:]) for r in rows if r[1] is not None]

    return GalleryPage(*clamped(count_and_page, page, page_size))


def _image_row(r: Sequence[Any]) -> ImageRow:
    return ImageRow(int(r[0]), r[1], int(r[2]), int(r[3]), *(int(v or 0) for v in r[4:8]))


def matched_boxes(store: Store, f: VGFilter, image_ids: Sequence[int]) -> list[MatchedBox]:
    """The boxes of the shown images that the filter matched, in one query.

    Objects with a filtered name, objects carrying a filtered attribute (on the given object name if any),
    both ends of relationships matching a triple (their embedded boxes), and regions whose phrase contains
    a search word.
    """
    ids = [int(i) for i in image_ids]
    if not ids:
        return []
    id_marks = _marks(len(ids))
    parts: list[str] = []
    params: list[Any] = []
    cte = ""
    if f.relationships:
        triple_conds: list[str] = []
        cte_params: list[Any] = []
        for triple in f.relationships:
            conds = []
            for column, value in (("subject_name", triple.subject), ("predicate", triple.predicate),
                                  ("object_name", triple.object)):  # fmt: skip
                if value is not None:
                    conds.append(f"{column} = ?")  # column names are the fixed literals above
                    cte_params.append(value)
            triple_conds.append("(" + (" AND ".join(conds) or "TRUE") + ")")
        cte = "WITH " + MATCHED_TRIPLES_CTE.format(ids=id_marks, conds=" OR ".join(triple_conds)) + " "
        params += [*ids, *cte_params]
    if f.objects:
        parts.append(MATCHED_OBJECTS_PART.format(ids=id_marks, marks=_marks(len(f.objects))))
        params += [*ids, *f.objects]
    for attr in f.attributes:
        if attr.object is None:
            parts.append(MATCHED_ATTRIBUTE_PART.format(ids=id_marks))
            params += [*ids, attr.attribute]
        else:
            parts.append(MATCHED_ATTRIBUTE_ON_OBJECT_PART.format(ids=id_marks))
            params += [*ids, attr.attribute, attr.object]
    if f.relationships:
        parts.append(MATCHED_TRIPLE_ENDS_PART)
    words = search_words(f.q)
    if words:
        parts.append(
            MATCHED_REGIONS_PART.format(ids=id_marks, conds=" OR ".join(["phrase ILIKE ? ESCAPE '\\'"] * len(words)))
        )
        params += [*ids, *(like_pattern(w) for w in words)]
    if not parts:
        return []
    sql = MATCHED_BOXES_SQL.format(cte=cte, parts=" UNION ALL ".join(parts))
    return [
        MatchedBox(int(r[0]), int(r[1]), str(r[2]), str(r[3]), Box(float(r[4]), float(r[5]), float(r[6]), float(r[7])))
        for r in store.rows(sql, params)
    ]


# One image --------------------------------------------------------------------------------------------


def image_row(store: Store, image_id: int) -> ImageRow | None:
    """The image with this id, or None (also for ids out of range)."""
    if not 0 <= image_id <= MAX_IMAGE_ID:
        return None
    rows = key_rows(store, "vg_images", "image_id", image_id, IMAGE_COLUMNS)
    if not rows:
        return None
    r = rows[0]
    return ImageRow(
        image_id=int(r[0]), url=r[1], width=int(r[2]), height=int(r[3]), coco_id=r[4], flickr_id=r[5],
        img_path=r[6], n_objects=int(r[7] or 0), n_relationships=int(r[8] or 0), n_regions=int(r[9] or 0),
        n_qas=int(r[10] or 0),
    )  # fmt: skip


def image_annotations(store: Store, image_id: int) -> ImageAnnotations | None:
    """Objects, relationships, regions and questions of one image; None when there is no such image."""
    if not 0 <= image_id <= MAX_IMAGE_ID:
        return None
    # The lookups are independent: run them side by side (pyarrow releases the GIL while it reads).
    futures = {
        view: _LOOKUPS.submit(key_rows, store, view, "image_id", image_id, columns, order_by=(columns[0],))
        for view, columns in (
            ("vg_objects", OBJECT_COLUMNS),
            ("vg_relationships", RELATIONSHIP_COLUMNS),
            ("vg_regions", REGION_COLUMNS),
        )
    }
    qas_future = _LOOKUPS.submit(rows_with_key, store, "vg_qas", "image_id", image_id, QA_COLUMNS, order_by=("qa_id",))
    image = image_row(store, image_id)
    if image is None:
        return None
    objects = [
        VGObject(int(r[0]), str(r[1]), _tuple(r[2]), _tuple(r[3]), Box(r[4], r[5], r[6], r[7]), _tuple(r[8]))
        for r in futures["vg_objects"].result()
    ]
    relationships = [
        VGRelationship(
            relationship_id=int(r[0]),
            predicate=str(r[1]),
            synsets=_tuple(r[2]),
            subject_id=int(r[3]),
            subject_name=str(r[4]),
            subject_box=Box(r[5], r[6], r[7], r[8]),
            object_id=int(r[9]),
            object_name=str(r[10]),
            object_box=Box(r[11], r[12], r[13], r[14]),
        )
        for r in futures["vg_relationships"].result()
    ]
    regions = [VGRegion(int(r[0]), str(r[1]), Box(r[2], r[3], r[4], r[5])) for r in futures["vg_regions"].result()]
    qas = qas_future.result().to_pandas()
    return ImageAnnotations(image, objects, relationships, regions, qas)
