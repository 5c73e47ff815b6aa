"""The `explorer` command: exit codes and one-sentence messages on bad input, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "explorer.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        timeout=300,
    )


@pytest.mark.parametrize("kind", ["journeydb", "visual-genome"])
def test_missing_release_folder(kind: str, tmp_path: Path) -> None:
    result = run_cli("ingest", kind, str(tmp_path / "nope"), "--out", str(tmp_path / "data"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("kind", ["journeydb", "visual-genome"])
def test_empty_release_folder_names_what_is_missing(kind: str, tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    result = run_cli("ingest", kind, str(tmp_path / "raw"), "--out", str(tmp_path / "data"), "--quiet")
    assert result.returncode == 2
    assert "error:" in result.stderr
    assert str(tmp_path / "raw") in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "data" / kind.replace("-", "_")).exists()


def test_file_instead_of_folder(tmp_path: Path) -> None:
    (tmp_path / "objects.json").write_text("[]")
    result = run_cli("ingest", "visual-genome", str(tmp_path / "objects.json"), "--out", str(tmp_path / "data"))
    assert result.returncode == 2
    assert "is not a folder" in result.stderr


def test_sample_then_ingest_summary(tmp_path: Path) -> None:
    result = run_cli("sample", "--out", str(tmp_path / "data"), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "rows" in result.stderr and "skipped" in result.stderr
    assert (tmp_path / "data" / "journeydb" / "images.parquet").is_file()
    assert (tmp_path / "data" / "visual_genome" / "objects.parquet").is_file()
    # Re-ingesting the raw demo release through the public command replaces the export in place.
    raw = tmp_path / "data" / "raw" / "journeydb"
    again = run_cli("ingest", "journeydb", str(raw), "--out", str(tmp_path / "data"), "--quiet")
    assert again.returncode == 0, again.stderr
    assert "journeydb ingested" in again.stderr


def test_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("ingest", "sample", "serve"):
        assert command in result.stdout
