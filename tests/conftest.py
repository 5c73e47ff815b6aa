"""Shared fixtures: the demo export (built once per session), AppTest and a served app in Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_VG_SAMPLE = REPO.parent / "shared" / "visual_genome_sample"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo export (`explorer sample`), built once per test session."""
    from explorer.sample import build_sample

    data = tmp_path_factory.mktemp("sample") / "data"
    build_sample(data, seed=0, progress=False)
    return data


@pytest.fixture(scope="session")
def sample_store(sample_data: Path):
    from explorer.config import Settings
    from explorer.store import Store

    return Store(Settings(data_dir=sample_data))


@pytest.fixture
def app_env(sample_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at the demo export for AppTest runs."""
    monkeypatch.setenv("EXPLORER_DATA", str(sample_data))
    return sample_data


def app_test(page: str | None = None, query: dict[str, str | list[str]] | None = None, timeout: float = 30):
    """Run app.py (switched to `page`, e.g. "app_pages/journeydb.py") with `query` as the URL parameters."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    if page is None:
        at.query_params.update(query or {})
        return at.run()
    at.run()
    at.switch_page(page)
    at.query_params.clear()
    at.query_params.update(query or {})
    return at.run()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _need_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


@contextlib.contextmanager
def serve_app(data: Path) -> Iterator[str]:
    """Run `explorer serve` on a free port until the block ends; yield its base URL."""
    port = _free_port()
    explorer = shutil.which("explorer", path=str(Path(sys.executable).parent)) or "explorer"
    log = (ARTIFACTS / f"serve-{port}.log") if ARTIFACTS.exists() else Path(os.devnull)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [explorer, "serve", "--data", str(data), "--port", str(port)],
            cwd="/",  # `explorer serve` must work from any working directory
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"explorer serve did not start (exit {proc.poll()})")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def app_url(sample_data: Path) -> Iterator[str]:
    """Base URL of `explorer serve` running on the demo export."""
    _need_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with serve_app(sample_data) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    """A fresh browser page; a screenshot of it is kept in test-artifacts/ after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.suppress(Exception):
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def wait_for_app(pg, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script of the current page."""
    pg.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelectorAll('[data-testid=\"stMain\"] *').length > 5",
        timeout=timeout,
    )
    pg.wait_for_timeout(300)
