"""Point lookups with pyarrow (explorer.queries.lookup): the same rows as SQL's `WHERE key = ?`, whatever the
file's row groups, order or statistics; a rewritten export is read afresh; a bad file is a QueryError."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from explorer.config import Settings
from explorer.ingest.common import IngestReport, staged_export, write_manifest
from explorer.queries import lookup
from explorer.store import QueryError, Store

VIEW = "vg_objects"


def _rows(seed: int, n_images: int = 60) -> list[dict[str, object]]:
    """Objects of `n_images` images, 0-9 each (so some images have none), ids in image order."""
    rng = random.Random(seed)
    rows = []
    for image_id in range(1, n_images + 1):
        for _ in range(rng.randrange(10)):
            names = [rng.choice(["tree", "sky", "man", "ß-ẞ", ""]) for _ in range(rng.randrange(3))]
            rows.append({"image_id": image_id, "object_id": len(rows) + 1, "name": rng.choice(["tree", None]),
                         "names": names, "x": rng.randrange(500)})  # fmt: skip
    return rows


def _store(tmp_path: Path, rows: list[dict[str, object]], **write: object) -> Store:
    data = tmp_path / "data"
    with staged_export(data, "visual_genome") as folder:
        pq.write_table(pa.Table.from_pylist(rows), folder / "objects.parquet", **write)  # type: ignore[arg-type]
        write_manifest(folder, IngestReport("visual_genome"), image_root=data, source=data)
    return Store(Settings(data_dir=data))


def _by_sql(store: Store, image_id: int) -> list[tuple[object, ...]]:
    return store.rows(
        "SELECT object_id, name, names, x FROM vg_objects WHERE image_id = ? ORDER BY object_id", [image_id]
    )


@pytest.mark.parametrize(
    ("order", "write"),
    [
        ("sorted", {"row_group_size": 7}),  # images spread over two or more row groups
        ("shuffled", {"row_group_size": 16}),  # overlapping bounds: several groups per key
        ("sorted", {"row_group_size": 10, "write_statistics": False}),  # no bounds: every group read
        ("sorted", {}),  # one row group
    ],
)
def test_the_rows_of_a_key_equal_the_sql_lookup(tmp_path: Path, order: str, write: dict[str, object]) -> None:
    rows = _rows(seed=3)
    if order == "shuffled":
        random.Random(4).shuffle(rows)
    store = _store(tmp_path, rows, **write)
    found = 0
    for image_id in [0, *range(1, 62), -5, 2**40]:
        got = lookup.key_rows(
            store, VIEW, "image_id", image_id, ("object_id", "name", "names", "x"), order_by=("object_id",)
        )
        assert got == _by_sql(store, image_id), image_id
        found += bool(got)
    assert found > 40


def test_string_keys_and_the_order_of_the_columns(tmp_path: Path) -> None:
    rows = [{"image_id": f"id-{i:03d}", "object_id": 100 - i, "name": f"n{i}", "names": [], "x": i} for i in range(50)]
    rows += [{"image_id": "id-007", "object_id": 1, "name": "second", "names": ["a"], "x": 0}]
    store = _store(tmp_path, rows, row_group_size=8)
    table = lookup.rows_with_key(store, VIEW, "image_id", "id-007", ("name", "object_id"), order_by=("object_id",))
    assert table.column_names == ["name", "object_id"]
    assert table.to_pylist() == [{"name": "second", "object_id": 1}, {"name": "n7", "object_id": 93}]
    assert lookup.key_rows(store, VIEW, "image_id", "id-07", ("name",)) == []


def test_bounds_come_from_the_key_column_after_nested_ones(tmp_path: Path) -> None:
    """A struct before the key has two Parquet leaf columns: the key's statistics are not its neighbour's."""
    rows = [{"box": {"x": 1000 + i, "y": 2000 + i}, "image_id": i // 3, "object_id": i, "name": None, "names": [],
             "x": i} for i in range(60)]  # fmt: skip
    store = _store(tmp_path, rows, row_group_size=6)
    for image_id in range(21):
        got = lookup.key_rows(store, VIEW, "image_id", image_id, ("object_id", "box"))
        assert got == [(r["object_id"], r["box"]) for r in rows if r["image_id"] == image_id], image_id


def test_a_rewritten_file_is_read_again(tmp_path: Path) -> None:
    store = _store(tmp_path, _rows(seed=1), row_group_size=5)
    before = lookup.key_rows(store, VIEW, "image_id", 12, ("object_id", "x"))
    assert before
    rewritten = [{**row, "x": -1} for row in _rows(seed=2)]
    pq.write_table(pa.Table.from_pylist(rewritten), store.views[VIEW], row_group_size=11)
    after = lookup.key_rows(store, VIEW, "image_id", 12, ("object_id", "x"))
    assert after == [(r["object_id"], -1) for r in rewritten if r["image_id"] == 12]


def test_an_unreadable_file_or_unknown_table_is_a_query_error(tmp_path: Path) -> None:
    store = _store(tmp_path, _rows(seed=5))
    with pytest.raises(QueryError, match="no vg_regions table"):
        lookup.key_rows(store, "vg_regions", "image_id", 1, ("region_id",))
    with pytest.raises(QueryError, match=r"objects\.parquet"):
        lookup.key_rows(store, VIEW, "image_id", 1, ("no_such_column",))
    with pytest.raises(QueryError, match=r"objects\.parquet"):
        lookup.key_rows(store, VIEW, "no_such_key", 1, ("x",))
    store.views[VIEW].write_bytes(b"PAR1 not really parquet")
    with pytest.raises(QueryError, match=r"objects\.parquet"):
        lookup.key_rows(store, VIEW, "image_id", 1, ("x",))
