"""A tiny-scale run of the whole benchmark: it completes and reports every operation (timings not checked)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks.generate import sizes_for


def test_generator_scales_the_release_sizes() -> None:
    full = sizes_for(1)
    assert sum(full.jdb.values()) == 4_429_295 and full.vg_images == 108_077


def test_benchmark_runs_and_writes_every_operation(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    report = run.main(["--scale", "0.0005", "--out", str(tmp_path / "out"), "--results", str(results),
                       "--repeats", "1", "--no-app"])  # fmt: skip
    assert all(m.ok for m in report.ingest.values()), {k: m.error for k, m in report.ingest.items()}
    assert all(m.ok for m in report.naive.values()), {k: m.error for k, m in report.naive.items()}
    text = results.read_text(encoding="utf-8")
    names = [op.name for op in report.ops]
    for name in ("jdb.tag_page", "jdb.tag_facets", "jdb.text_search", "jdb.sample", "vg.objects_and",
                 "vg.attribute", "vg.triple", "vg.image_annotations"):  # fmt: skip
        assert name in names
    assert any(n.startswith("jdb.stats.") for n in names) and any(n.startswith("vg.stats.") for n in names)
    for op in report.ops:
        assert f"| {op.name} |" in text
        assert not op.note.startswith("failed"), (op.name, op.note)
    assert "journeydb peak RSS" in text and "visual_genome time" in text
    assert "jdb.stats.page" in names and "vg.stats.page" in names
    assert set(report.exports) == set(run.export_cases({"styles": ["x"], "names": ["y"]}))
    for name, measured in report.exports.items():
        assert measured.ok, (name, measured.error)
        rows, size = run._export_size(measured) or (0, 0)
        assert rows > 0 and size > 0, name
        assert f"| {name} | {rows:,} |" in text
    for dataset, step in (("journeydb", "Writing images"), ("visual_genome", "writing objects.parquet")):
        assert step in run._ingest_steps(report.ingest[dataset])
        assert f"Slowest {dataset} ingest steps" in text


def test_peak_memory_is_the_childs_own_not_the_benchmarks() -> None:
    """A large benchmark process must not inflate a small child's peak (Linux keeps ru_maxrss across exec)."""
    held = b"x" * (400 << 20)  # resident in this process while the child runs
    child = run.run_measured([sys.executable, "-c", "import time; block = b'y' * (64 << 20); time.sleep(0.5)"])
    assert child.ok
    assert 64 < child.peak_rss_mb < 300, child.peak_rss_mb
    assert len(held) == 400 << 20


def test_an_unknown_naive_dataset_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        run.main(["--naive-datasets", "journeydb,vg", "--out", str(tmp_path / "out")])
    assert "unknown dataset vg" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
