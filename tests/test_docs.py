"""The documentation keeps up with the code: the export contract, the settings and the README commands."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from tests.conftest import REPO

EXPORT_DOC = (REPO / "docs" / "EXPORT.md").read_text()
README = (REPO / "README.md").read_text()


def test_every_exported_table_and_column_is_documented(sample_data: Path) -> None:
    undocumented = []
    for dataset in ("journeydb", "visual_genome"):
        for path in sorted((sample_data / dataset).glob("*.parquet")):
            if path.stem not in EXPORT_DOC:
                undocumented.append(f"{dataset}/{path.name}")
                continue
            columns = [r[0] for r in duckdb.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()]
            undocumented += [f"{dataset}/{path.name}:{c}" for c in columns if not re.search(rf"\b{c}\b", EXPORT_DOC)]
    assert undocumented == []


def test_every_setting_is_documented() -> None:
    source = (REPO / "explorer" / "config.py").read_text()
    names = set(re.findall(r'"(EXPLORER_[A-Z_]+)"', source))
    assert names, "Settings.from_env reads EXPLORER_* variables"
    assert sorted(n for n in names if n not in README) == []


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    assert "make run" in README and "make test" in README
    assert "make test" in (REPO / ".ci" / "run").read_text()
