"""What the export holds: row counts per view."""

from __future__ import annotations

import functools

import pandas as pd

from explorer.store import Store

VIEW_ROWS_SQL = "SELECT count(*) FROM {view}"


def view_row_counts(store: Store) -> pd.DataFrame:
    """One row per exported view: dataset, view name and number of rows."""
    return pd.DataFrame.from_records(_row_counts(store), columns=["dataset", "view", "rows"])


@functools.lru_cache(maxsize=8)  # a Store is one export version: its row counts never change
def _row_counts(store: Store) -> tuple[dict[str, object], ...]:
    records = []
    for view in store.view_names:  # view names come from the store's own whitelist
        records.append(
            {
                "dataset": store.view_datasets[view],
                "view": view,
                "rows": int(store.scalar(VIEW_ROWS_SQL.format(view=view))),
            }
        )
    return tuple(records)
