"""The download route: prepared exports streamed from disk, nothing else served."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from starlette.responses import FileResponse

from explorer import serving
from explorer.config import Settings

TOKEN = "0123456789abcdef"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / f"{TOKEN}-journeydb_style-anime_12rows.csv").write_text("image_id\na\n")
    (downloads / f"{TOKEN}-visual_genome-coco_3images.json").write_text("{}")
    (tmp_path / "secret.csv").write_text("x\n")
    return downloads


def _body(response: FileResponse) -> bytes:
    """The bytes the response streams (run as the ASGI server would)."""
    sent: list[bytes] = []

    async def receive() -> dict:  # the client never disconnects
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.body":
            sent.append(message.get("body", b""))

    scope = {"type": "http", "method": "GET", "headers": [], "path": "/", "query_string": b""}
    # On a thread of its own: a browser test's Playwright may have left an event loop running on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, response(scope, receive, send)).result()
    return b"".join(sent)


def test_a_prepared_file_is_served_under_its_offered_name(folder: Path) -> None:
    response = serving.download_response(folder, f"{TOKEN}-journeydb_style-anime_12rows.csv")
    assert isinstance(response, FileResponse) and response.status_code == 200
    assert response.media_type == "text/csv"
    assert response.headers["content-disposition"] == 'attachment; filename="journeydb_style-anime_12rows.csv"'
    assert _body(response) == b"image_id\na\n"
    coco = serving.download_response(folder, f"{TOKEN}-visual_genome-coco_3images.json")
    assert coco.media_type == "application/json"


@pytest.mark.parametrize(
    "name",
    [
        "journeydb_style-anime_12rows.csv",  # no token
        f"{TOKEN}-missing.csv",
        f"{TOKEN}-../secret.csv",
        "../secret.csv",
        f"{TOKEN}-sub",  # a folder
        f"{TOKEN}-link.csv",  # a link out of the folder
        f"{TOKEN.upper()}-journeydb_style-anime_12rows.csv",
        f"{TOKEN}-journeydb_style-anime_12rows.csv\x00",
        "",
    ],
)
def test_anything_else_is_not_found(folder: Path, name: str) -> None:
    (folder / f"{TOKEN}-sub").mkdir()
    os.symlink(folder.parent / "secret.csv", folder / f"{TOKEN}-link.csv")
    response = serving.download_response(folder, name)
    assert response.status_code == 404 and not isinstance(response, FileResponse)


def test_the_route_marks_the_server_and_links_to_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "_routes_made", False)
    assert not serving.serves_downloads()
    (route,) = serving.download_routes(Settings(data_dir=tmp_path))
    assert serving.serves_downloads()
    url = serving.download_url(tmp_path / "downloads" / f"{TOKEN}-a b.csv")
    assert url == f"/downloads/{TOKEN}-a%20b.csv"
    _, child = route.matches({"type": "http", "path": f"/downloads/{TOKEN}-x.csv", "method": "GET"})
    assert child["path_params"] == {"name": f"{TOKEN}-x.csv"}
