"""Locating, opening and thumbnailing images, confined to the export's image folder."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

PLACEHOLDER_BG = (236, 238, 241)
PLACEHOLDER_FG = (90, 96, 105)


class ImageUnavailable(Exception):
    """The image cannot be shown; the message is the reason, fit for a user."""


def resolve_image_path(root: Path, relative: str | None) -> Path:
    """The file `relative` names under `root`; refuse anything that would leave `root`.

    Refused: empty paths, absolute paths, `..` components, and symlinks whose target lies outside.
    """
    if not relative or "\x00" in relative:
        raise ImageUnavailable("no image path recorded")
    pure = PurePosixPath(relative.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or Path(relative).is_absolute():
        raise ImageUnavailable("image path outside the image folder refused")
    root_real = root.resolve()
    candidate = (root_real / pure).resolve()
    if not candidate.is_relative_to(root_real):
        raise ImageUnavailable("image path outside the image folder refused")
    return candidate


def open_image(root: Path, relative: str | None) -> Image.Image:
    """The image as RGB, fully decoded; raises ImageUnavailable with the reason."""
    path = resolve_image_path(root, relative)
    if not path.is_file():
        raise ImageUnavailable("image file missing")
    try:
        with Image.open(path) as img:
            img.load()
            return img.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
        raise ImageUnavailable(f"image file unreadable ({type(err).__name__})") from err


@dataclass(frozen=True)
class Thumb:
    """A thumbnail ready to show: the image, how it was scaled from the original, why it is a placeholder."""

    image: Image.Image
    scale: float
    reason: str | None = None

    @property
    def is_placeholder(self) -> bool:
        return self.reason is not None


def placeholder(width: int, height: int, reason: str) -> Image.Image:
    """A neutral canvas of the given size that says why there is no picture."""
    img = Image.new("RGB", (max(1, width), max(1, height)), PLACEHOLDER_BG)
    draw = ImageDraw.Draw(img)
    size = max(10, min(width, height) // 12)
    try:
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.load_default(size=size)
    except TypeError:
        font = ImageFont.load_default()
    box = draw.textbbox((0, 0), reason, font=font)
    x = max(4, (width - (box[2] - box[0])) // 2)
    y = max(4, (height - (box[3] - box[1])) // 2)
    draw.rectangle([1, 1, width - 2, height - 2], outline=PLACEHOLDER_FG, width=max(1, size // 8))
    draw.text((x, y), reason, fill=PLACEHOLDER_FG, font=font)
    return img


def _cache_path(cache_dir: Path, path: Path, size: int) -> Path:
    stat = path.stat()
    key = f"{path}|{stat.st_mtime_ns}|{stat.st_size}|{size}".encode()
    digest = hashlib.sha1(key, usedforsecurity=False).hexdigest()
    return cache_dir / digest[:2] / f"{digest}.webp"


def thumbnail(root: Path, relative: str | None, cache_dir: Path, size: int = 256) -> Thumb:
    """A thumbnail (longest side `size`) made once and cached on disk as WebP; a placeholder on failure."""
    try:
        path = resolve_image_path(root, relative)
        if not path.is_file():
            raise ImageUnavailable("image file missing")
        cached = _cache_path(cache_dir, path, size)
        if cached.is_file():
            with Image.open(cached) as img:
                img.load()
                thumb_img = img.convert("RGB")
            with Image.open(path) as orig:
                width = orig.size[0]
            return Thumb(thumb_img, thumb_img.size[0] / max(1, width))
        original = open_image(root, relative)
    except ImageUnavailable as err:
        return Thumb(placeholder(size, size, str(err)), 1.0, str(err))
    except OSError as err:
        reason = f"image file unreadable ({type(err).__name__})"
        return Thumb(placeholder(size, size, reason), 1.0, reason)
    width = original.size[0]
    original.thumbnail((size, size), Image.Resampling.LANCZOS)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        original.save(tmp, format="WEBP", quality=82, method=4)
        os.replace(tmp, cached)
    except OSError:
        pass  # a read-only cache only costs speed
    return Thumb(original, original.size[0] / max(1, width))


def to_jpeg(img: Image.Image, quality: int = 85) -> bytes:
    """`img` as JPEG bytes: the one format `st.image` passes through without decoding and re-encoding."""
    out = io.BytesIO()
    img.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()
