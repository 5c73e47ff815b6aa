"""Shared pieces of every ingest: the report, release-file unpacking and the atomic publish."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tarfile
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

SCHEMA_VERSION = 3
MAX_EXAMPLES = 5


class IngestError(Exception):
    """Unusable input: the message is one sentence that names the file."""


@dataclass
class IngestReport:
    """What an ingest wrote and what it skipped, and why."""

    dataset: str
    rows: dict[str, int] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step of the ingest, in order

    def record_steps(self, bars: Progress) -> None:
        """Keep the time each task of `bars` took (its time to completion, else so far)."""
        for task in bars.tasks:
            seconds = task.finished_time if task.finished_time is not None else task.elapsed
            self.steps[task.description] = self.steps.get(task.description, 0.0) + float(seconds or 0.0)

    def skip(self, reason: str, count: int = 1, where: str | None = None) -> None:
        """Count `count` records skipped for `reason`; keep the first few locations."""
        if count <= 0:
            return
        self.skipped[reason] += count
        if where is not None and len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{where}: {reason}")

    @property
    def total_skipped(self) -> int:
        return sum(self.skipped.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "rows": dict(self.rows),
            "skipped": dict(self.skipped),
            "examples": list(self.examples),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 3),
            "steps": {step: round(seconds, 3) for step, seconds in self.steps.items()},
        }

    def render(self, console: Console) -> None:
        """Print the closing summary of an ingest."""
        console.print(f"[bold]{self.dataset}[/bold] ingested in {self.seconds:.1f} s")
        if self.steps:
            console.print(f"  slowest steps: {slowest_steps(self.steps)}", markup=False, highlight=False)
        for table, n in self.rows.items():
            console.print(f"  {table:<24} {n:>12,} rows")
        if self.skipped:
            console.print(f"  skipped {self.total_skipped:,} records:")
            for reason, n in self.skipped.most_common():
                console.print(f"    {n:>10,}  {reason}", markup=False, highlight=False)
            for ex in self.examples:
                console.print(f"    e.g. {ex}", markup=False, highlight=False)
        else:
            console.print("  nothing skipped")
        for note in self.notes:
            console.print(f"  note: {note}", markup=False, highlight=False)


SLOWEST_STEPS = 5


def slowest_steps(steps: dict[str, float], n: int = SLOWEST_STEPS) -> str:
    """The `n` longest steps, longest first, as "step 1.2 s, …"."""
    slowest = sorted(steps.items(), key=lambda item: -item[1])[:n]
    return ", ".join(f"{step} {seconds:.1f} s" for step, seconds in slowest)


def make_progress(enabled: bool = True) -> Progress:
    """A rich progress display for the long steps of an ingest (silent when disabled)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=False,
    )


def find_release_file(raw: Path, *names: str) -> Path | None:
    """First of `names` present under `raw`, also as the released `.zip`/`.tgz` form."""
    for name in names:
        for candidate in (name, f"{name}.zip", f"{name}.tgz", f"{name}.tar.gz"):
            path = raw / candidate
            if path.is_file():
                return path
    return None


def materialize(path: Path, workdir: Path, member: str | None = None) -> Path:
    """Return a plain file with the contents of `path`, unpacking a .zip or .tgz into `workdir`.

    `member` is the file name expected inside the archive (default: the archive name minus its suffix).
    """
    name = path.name
    if name.endswith(".zip"):
        want = member or name[: -len(".zip")]
        try:
            with zipfile.ZipFile(path) as zf:
                members = [m for m in zf.namelist() if Path(m).name == want]
                if not members:
                    raise IngestError(f"{path} is a zip without the expected member {want}.")
                target = workdir / want
                with zf.open(members[0]) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                return target
        except zipfile.BadZipFile as err:
            raise IngestError(f"{path} is not a readable zip file ({err}).") from err
    if name.endswith((".tgz", ".tar.gz")):
        stem = name[: -len(".tgz")] if name.endswith(".tgz") else name[: -len(".tar.gz")]
        want = member or stem
        try:
            with tarfile.open(path, mode="r|gz") as tf:
                for info in tf:
                    if info.isfile() and Path(info.name).name == want:
                        src = tf.extractfile(info)
                        if src is None:
                            break
                        target = workdir / want
                        with src, open(target, "wb") as dst:
                            shutil.copyfileobj(src, dst, 1 << 20)
                        return target
        except (tarfile.TarError, OSError, EOFError) as err:
            raise IngestError(f"{path} is not a readable gzip-compressed tar archive ({err}).") from err
        raise IngestError(f"{path} is a tar archive without the expected member {want}.")
    return path


@contextlib.contextmanager
def staged_export(data_dir: Path, dataset: str) -> Iterator[Path]:
    """Yield an empty staging folder; publish it as `data_dir/dataset` only if the block completes.

    The published name is a symlink swapped atomically with `os.replace`, so readers always see either
    the previous complete export or the new one, even if the process is killed at any point.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_versions(data_dir, dataset)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    staging = Path(tempfile.mkdtemp(prefix=f".{dataset}-{stamp}-", dir=data_dir))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    publish(staging, data_dir / dataset)


def publish(staging: Path, target: Path) -> None:
    """Point `target` at `staging` atomically and remove the version it pointed at before."""
    previous: Path | None = None
    if target.is_symlink():
        previous = target.parent / os.readlink(target)
    elif target.exists():
        # An export from before versioned folders: move it aside once.
        previous = target.parent / f".{target.name}-legacy-{int(time.time())}"
        target.rename(previous)
    link = target.parent / f".{target.name}.link-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    os.symlink(staging.name, link)
    os.replace(link, target)
    if previous is not None and previous.resolve() != staging.resolve():
        shutil.rmtree(previous, ignore_errors=True)


def _remove_stale_versions(data_dir: Path, dataset: str) -> None:
    """Delete staging folders left by killed ingests (anything not the live version)."""
    target = data_dir / dataset
    live = (data_dir / os.readlink(target)).resolve() if target.is_symlink() else None
    for path in data_dir.glob(f".{dataset}-*"):
        if path.is_dir() and path.resolve() != live:
            shutil.rmtree(path, ignore_errors=True)
    for link in data_dir.glob(f".{dataset}.link-*"):
        with contextlib.suppress(FileNotFoundError):
            link.unlink()


def write_manifest(folder: Path, report: IngestReport, *, image_root: Path, source: Path) -> None:
    """Record where the images live, what was ingested from where, and the counts."""
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "dataset": report.dataset,
        "image_root": str(image_root.resolve()),
        "source": str(source.resolve()),
        "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **report.to_dict(),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def read_manifest(folder: Path) -> dict[str, object] | None:
    """The manifest of an export folder, or None when absent or unreadable."""
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
