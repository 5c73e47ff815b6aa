"""Settings of the explorer, read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATASETS: dict[str, str] = {"journeydb": "journeydb", "visual_genome": "vg"}
"""Export folder name -> prefix of the DuckDB views over its Parquet files."""


def _int_env(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Settings:
    """Where the export lives and how the app pages through it."""

    data_dir: Path = Path("data")
    page_size: int = 48
    thumb_size: int = 256
    query_timeout_s: int = 10
    console_row_limit: int = 10_000
    # DuckDB's memory for the app, shared by every session: larger sorts and joins spill to a temporary
    # folder instead of growing the process (a full-scale COCO export took 5.7 GB before it streamed).
    memory_limit_mb: int = 512

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            data_dir=Path(os.environ.get("EXPLORER_DATA", "data")).expanduser().resolve(),
            page_size=max(1, min(_int_env("EXPLORER_PAGE_SIZE", 48), 500)),
            thumb_size=max(32, min(_int_env("EXPLORER_THUMB_SIZE", 256), 1024)),
            query_timeout_s=max(1, _int_env("EXPLORER_QUERY_TIMEOUT", 10)),
            memory_limit_mb=max(128, _int_env("EXPLORER_MEMORY_MB", 512)),
        )

    def dataset_dir(self, dataset: str) -> Path:
        return self.data_dir / dataset

    @property
    def thumbs_dir(self) -> Path:
        return self.data_dir / "thumbs"

    @property
    def downloads_dir(self) -> Path:
        """Where "Download" writes its files (the app server serves them from there, `explorer.serving`)."""
        return self.data_dir / "downloads"
