"""HTTP routes the app server adds to Streamlit's (see `server.py`): prepared downloads served from disk.

Streamlit's download button holds a file's bytes in the server's memory once it is clicked: a 422 MB COCO
export took the server from 258 to 803 MB. A prepared export already sits in `DATA/downloads/` (written by
DuckDB's COPY, `explorer.exports`), so this route streams it from there instead, in chunks.

Only names of the form `<16 hex digits>-<file name>` (what `exports.export_view` writes: the random token
keeps them unguessable) of regular files directly in the folder are served; anything else is a 404.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from explorer.config import Settings
from explorer.exports import FORMATS, TOKEN_BYTES

DOWNLOAD_PREFIX = "/downloads/"
_NAME = re.compile(rf"[0-9a-f]{{{2 * TOKEN_BYTES}}}-[A-Za-z0-9._-]{{1,200}}")
_MIME = {extension: mime for extension, _, mime in FORMATS.values()}
_routes_made = False


def download_response(folder: Path, name: str) -> Response:
    """The file `name` of `folder` as an attachment (under its name without the token), or a 404."""
    missing = PlainTextResponse("No such download (files are kept for an hour).", status_code=404)
    if not _NAME.fullmatch(name):
        return missing
    path = folder / name
    try:
        info = path.lstat()  # a link is not followed
    except OSError:
        return missing
    if not stat.S_ISREG(info.st_mode):
        return missing
    offered = name.split("-", 1)[1]
    mime = _MIME.get(path.suffix.lstrip("."), "application/octet-stream")
    return FileResponse(path, media_type=mime, filename=offered, stat_result=info)


def download_routes(settings: Settings) -> list[Route]:
    """The route serving `settings`' downloads folder at DOWNLOAD_PREFIX (pages then link to it)."""
    global _routes_made
    folder = settings.downloads_dir

    async def download(request: Request) -> Response:
        return download_response(folder, str(request.path_params["name"]))

    _routes_made = True
    return [Route(DOWNLOAD_PREFIX + "{name}", download, methods=["GET", "HEAD"])]


def serves_downloads() -> bool:
    """Whether this process's server has the download route (started as `explorer serve` does)."""
    return _routes_made


def download_url(path: Path) -> str:
    """The URL of a prepared export at `path` (a file of the downloads folder)."""
    return DOWNLOAD_PREFIX + quote(path.name)
