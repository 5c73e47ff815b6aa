"""The `explorer` command: ingest the releases, build the demo data, serve the app."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from explorer.ingest.common import IngestError, IngestReport

app = typer.Typer(help="Explore JourneyDB and Visual Genome.", no_args_is_help=True, add_completion=False)
ingest_app = typer.Typer(help="Convert a release into the Parquet export.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")

console = Console(stderr=True, soft_wrap=True)

RawArg = Annotated[Path, typer.Argument(help="Root folder of the release as downloaded.")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Export folder (DATA).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code=2)


def _run_ingest(kind: str, raw: Path, out: Path, quiet: bool) -> IngestReport:
    if not raw.exists():
        raise _fail(f"{raw} does not exist.")
    if not raw.is_dir():
        raise _fail(f"{raw} is not a folder; give the root folder of the release.")
    if kind == "journeydb":
        from explorer.ingest.journeydb import ingest
    else:
        from explorer.ingest.visual_genome import ingest
    try:
        report = ingest(raw, out, progress=not quiet)
    except IngestError as err:
        raise _fail(str(err)) from None
    except OSError as err:
        raise _fail(f"could not read or write {err.filename or raw}: {err.strerror or err}.") from None
    report.render(console)
    return report


@ingest_app.command("journeydb")
def ingest_journeydb(raw: RawArg, out: OutOpt = Path("data"), quiet: QuietOpt = False) -> None:
    """Ingest the JourneyDB release rooted at RAW (the folder holding data/train, data/valid, data/test)."""
    _run_ingest("journeydb", raw, out, quiet)


@ingest_app.command("visual-genome")
def ingest_visual_genome(raw: RawArg, out: OutOpt = Path("data"), quiet: QuietOpt = False) -> None:
    """Ingest the Visual Genome release files in RAW (image_data.json, objects.json, ... and VG_100K*/)."""
    _run_ingest("visual_genome", raw, out, quiet)


@app.command()
def sample(
    out: OutOpt = Path("data"),
    seed: Annotated[int, typer.Option(help="Seed of the generator.")] = 0,
    quiet: QuietOpt = False,
) -> None:
    """Write a small demo release of both datasets (with images) and ingest it."""
    from explorer.sample import build_sample

    try:
        reports = build_sample(out, seed=seed, progress=not quiet)
    except IngestError as err:
        raise _fail(str(err)) from None
    for report in reports.values():
        report.render(console)


def app_script() -> Path:
    """The server script (`server.py`: the Streamlit app and its download route), next to the package in the
    source tree."""
    return Path(__file__).resolve().parent.parent / "server.py"


@app.command()
def serve(
    data: Annotated[
        Path | None, typer.Option("--data", "-d", help="Export folder (default: $EXPLORER_DATA or ./data).")
    ] = None,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
    address: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
) -> None:
    """Start the app headless on an export."""
    folder = (data or Path(os.environ.get("EXPLORER_DATA", "data"))).expanduser().resolve()
    if not folder.is_dir():
        console.print(
            f"[yellow]note:[/yellow] {folder} does not exist yet; the app will say how to create it.",
            highlight=False,
        )
    script = app_script()
    if not script.is_file():
        raise _fail(f"cannot find the app at {script}; install the project from its source tree (pip install -e .).")
    env = {**os.environ, "EXPLORER_DATA": str(folder)}
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", address,
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    # Replace this process with Streamlit's, so that signals (Ctrl-C, SIGTERM from a supervisor) reach
    # the server itself and no orphan is left behind.
    os.chdir(script.parent)
    os.execve(sys.executable, cmd, env)


if __name__ == "__main__":
    app()
