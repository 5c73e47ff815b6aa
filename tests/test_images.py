"""Images are opened only under the image root; thumbnails are cached; failures become placeholders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from explorer.images import ImageUnavailable, open_image, placeholder, resolve_image_path, thumbnail


@pytest.fixture
def root(tmp_path: Path) -> Path:
    images = tmp_path / "images"
    (images / "a").mkdir(parents=True)
    Image.new("RGB", (400, 200), (200, 30, 30)).save(images / "a" / "red.jpg")
    (images / "a" / "corrupt.jpg").write_bytes(b"\xff\xd8 this is not a jpeg")
    outside = tmp_path / "secret.jpg"
    Image.new("RGB", (10, 10), (0, 0, 0)).save(outside)
    os.symlink(outside, images / "a" / "link.jpg")
    os.symlink(images / "a" / "red.jpg", images / "a" / "inside_link.jpg")
    return images


@pytest.mark.parametrize(
    "relative",
    [
        "../secret.jpg",
        "a/../../secret.jpg",
        "/etc/passwd",
        "a/link.jpg",
        "",
        None,
        "a\\..\\..\\secret.jpg",
        "a/\x00.jpg",
    ],
)
def test_paths_leaving_the_root_are_refused(root: Path, relative: str | None) -> None:
    with pytest.raises(ImageUnavailable):
        open_image(root, relative)
    thumb = thumbnail(root, relative, root.parent / "cache")
    assert thumb.is_placeholder


def test_symlink_inside_the_root_is_allowed(root: Path) -> None:
    assert resolve_image_path(root, "a/inside_link.jpg") == (root / "a" / "red.jpg").resolve()


def test_open_and_failures(root: Path) -> None:
    img = open_image(root, "a/red.jpg")
    assert img.size == (400, 200)
    with pytest.raises(ImageUnavailable, match="missing"):
        open_image(root, "a/nope.jpg")
    with pytest.raises(ImageUnavailable, match="unreadable"):
        open_image(root, "a/corrupt.jpg")


def test_thumbnail_is_cached_as_webp(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    thumb = thumbnail(root, "a/red.jpg", cache, size=100)
    assert thumb.reason is None
    assert thumb.image.size == (100, 50)
    assert thumb.scale == pytest.approx(0.25)
    cached = list(cache.rglob("*.webp"))
    assert len(cached) == 1
    # The second call reads the cache, not the original: prove it by making the original unreadable.
    mtime = cached[0].stat().st_mtime_ns
    again = thumbnail(root, "a/red.jpg", cache, size=100)
    assert again.image.size == (100, 50) and cached[0].stat().st_mtime_ns == mtime
    r, g, b = again.image.getpixel((50, 25))
    assert r > 150 and g < 90 and b < 90


def test_thumbnail_placeholders_say_why(root: Path, tmp_path: Path) -> None:
    missing = thumbnail(root, "a/nope.jpg", tmp_path / "cache")
    corrupt = thumbnail(root, "a/corrupt.jpg", tmp_path / "cache")
    assert missing.reason == "image file missing"
    assert corrupt.reason is not None and corrupt.reason.startswith("image file unreadable")
    assert not list((tmp_path / "cache").rglob("*.webp"))


def test_placeholder_has_requested_size() -> None:
    img = placeholder(640, 480, "image file missing")
    assert img.size == (640, 480)
    assert len(img.getcolors(maxcolors=1 << 16) or []) > 1, "the reason is drawn on the canvas"
