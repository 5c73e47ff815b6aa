"""Seeded demo data in the real release formats, with images drawn by Pillow.

`build_sample` writes a small JourneyDB release tree and a small Visual Genome v1.4 release, then ingests
both through the same code as real data, so the demo exercises the real parsers and their quirks.
The same seed always gives byte-identical annotation files and identical image pixels.

Quirk records have fixed, well-known ids (the constants below) so tests and demos can find them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import re
import shutil
import tarfile
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

from explorer.ingest.common import IngestReport

RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]
Rect = tuple[int, int, int, int]
"""Inclusive pixel rectangle (x0, y0, x1, y1)."""

JPEG_QUALITY = 85
TAR_MTIME = 1_685_577_600  # fixed member mtime: archives must not depend on the clock
ZIP_DATE = (2016, 6, 1, 0, 0, 0)
JDB_MAX_SIDE = 512


def _fixed_uuid(name: str) -> str:
    return str(uuid.UUID(bytes=hashlib.sha256(name.encode()).digest()[:16], version=4))


# JourneyDB quirk records (the same for every seed).
JDB_XSS_ID = _fixed_uuid("sample:xss")
JDB_LITERAL_ESCAPE_ID = _fixed_uuid("sample:literal-escape")
JDB_MESSY_TAGS_ID = _fixed_uuid("sample:messy-tags")
JDB_NULL_CAPTION_ID = _fixed_uuid("sample:null-caption")
JDB_NO_TASK1_ID = _fixed_uuid("sample:no-task1")
JDB_MISSING_FILE_ID = _fixed_uuid("sample:missing-file")
JDB_CORRUPT_FILE_ID = _fixed_uuid("sample:corrupt-file")
JDB_PATH_ESCAPE_ID = _fixed_uuid("sample:path-escape")
JDB_MALFORMED_LINES = 3

# Visual Genome quirk images (image ids).
VG_SHOWCASE_IMAGE_ID = 1
"""Man riding a brown horse, man holding a frisbee, dog near man, red car on road, tree behind house."""
VG_NEGATIVE_X_IMAGE_ID = 2
"""A car driving in from the left edge: its box has x < 0."""
VG_MISSING_IMAGE_ID = 3
VG_OVERRUN_IMAGE_ID = 4
"""The road box is one pixel wider than the image."""
VG_CORRUPT_IMAGE_ID = 5
VG_XSS_IMAGE_ID = 6
"""A sign whose name, attribute, region phrase and Q&A hold the HTML payloads below (shown as text)."""
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"
VG_XSS_SIGN = (12, 12, 140, 44)  # inclusive pixel rectangle of the sign, drawn over the sky
VG_XSS_OBJECT_ID = 1_999_001  # outside the counters' ranges: the other images keep their ids
VG_URL = "https://cs.stanford.edu/people/rak248/{folder}/{id}.jpg"


# --------------------------------------------------------------------------------------------------------
# Shared writing helpers


def _write_tgz(path: Path, member: str, data: bytes) -> None:
    """A gzip tar with one member, with fixed timestamps and owners so the bytes depend on data only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tf,
    ):
        info = tarfile.TarInfo(member)
        info.size = len(data)
        info.mtime = TAR_MTIME
        info.mode = 0o644
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        tf.addfile(info, io.BytesIO(data))


def _write_zip(path: Path, member: str, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    info = zipfile.ZipInfo(member, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, data)


def _save_jpeg(img: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", quality=JPEG_QUALITY)


def _pt(box: Box, fx: float, fy: float) -> tuple[int, int]:
    x0, y0, x1, y1 = box
    return round(x0 + (x1 - x0) * fx), round(y0 + (y1 - y0) * fy)


def _rect(box: Box, fx0: float, fy0: float, fx1: float, fy1: float) -> Rect:
    return (*_pt(box, fx0, fy0), *_pt(box, fx1, fy1))


def _poly(box: Box, *points: tuple[float, float]) -> list[tuple[int, int]]:
    return [_pt(box, fx, fy) for fx, fy in points]


def _shade(color: RGB, factor: float) -> RGB:
    r, g, b = (min(255, max(0, round(c * factor))) for c in color)
    return r, g, b


def _letters(rng: random.Random, correct: str, pool: Sequence[str]) -> tuple[dict[str, str], str]:
    """Four options (the correct one among three distractors from `pool`) and the correct letter."""
    distractors = rng.sample([p for p in pool if p != correct], 3)
    options = [correct, *distractors]
    rng.shuffle(options)
    letters = "ABCD"
    return dict(zip(letters, options, strict=True)), letters[options.index(correct)]


# --------------------------------------------------------------------------------------------------------
# JourneyDB

# Palette per style: background, ground, subject, detail, accent.
STYLES: dict[str, tuple[RGB, RGB, RGB, RGB, RGB]] = {
    "watercolor": ((236, 244, 250), (170, 205, 230), (120, 170, 210), (240, 170, 180), (250, 220, 150)),
    "anime": ((135, 206, 250), (255, 255, 255), (255, 105, 180), (40, 40, 90), (255, 215, 0)),
    "cyberpunk": ((15, 10, 35), (60, 0, 90), (255, 0, 200), (0, 255, 240), (255, 240, 0)),
    "minimalist": ((245, 245, 240), (220, 220, 215), (30, 30, 30), (200, 60, 50), (120, 120, 120)),
    "oil painting": ((110, 80, 40), (160, 110, 50), (200, 150, 70), (60, 40, 20), (230, 200, 120)),
    "pixel art": ((40, 120, 60), (90, 180, 80), (250, 200, 60), (30, 30, 60), (230, 70, 60)),
    "vaporwave": ((255, 120, 200), (120, 80, 220), (0, 220, 220), (255, 230, 250), (255, 160, 80)),
    "noir": ((20, 20, 20), (70, 70, 70), (200, 200, 200), (0, 0, 0), (255, 255, 255)),
    "pastel": ((255, 228, 235), (220, 240, 230), (200, 220, 255), (255, 250, 205), (230, 210, 250)),
    "ukiyo-e": ((238, 225, 195), (40, 60, 110), (200, 50, 40), (30, 30, 30), (90, 140, 160)),
    "low poly": ((30, 70, 110), (60, 130, 160), (240, 140, 60), (20, 40, 60), (250, 220, 120)),
    "steampunk": ((70, 50, 30), (140, 100, 50), (190, 140, 60), (40, 30, 20), (210, 180, 120)),
}
STYLE_WORDS: dict[str, tuple[str, ...]] = {
    "watercolor": ("soft", "wet-on-wet"),
    "anime": ("cel shaded", "vibrant"),
    "cyberpunk": ("neon", "futuristic"),
    "minimalist": ("clean", "flat"),
    "oil painting": ("impasto", "classical"),
    "pixel art": ("8-bit", "retro"),
    "vaporwave": ("retro", "pink"),
    "noir": ("black and white", "high contrast"),
    "pastel": ("soft", "light"),
    "ukiyo-e": ("woodblock print", "japanese"),
    "low poly": ("geometric", "3d"),
    "steampunk": ("brass", "victorian"),
}
PALETTE_WORDS: dict[str, str] = {
    "watercolor": "pale blues on white",
    "anime": "bright pink and sky blue",
    "cyberpunk": "neon magenta and cyan on near-black",
    "minimalist": "black on off-white",
    "oil painting": "warm browns and ochre",
    "pixel art": "saturated greens and yellow",
    "vaporwave": "hot pink, purple and teal",
    "noir": "black, grey and white",
    "pastel": "light pink, mint and lavender",
    "ukiyo-e": "indigo and vermilion on paper beige",
    "low poly": "deep blue with orange",
    "steampunk": "brass and dark brown",
}
ATMOSPHERES = ("dreamy", "mysterious", "serene", "ominous", "joyful", "melancholic", "cozy", "epic")
OTHERS = ("highly detailed", "8k", "trending on artstation", "octane render", "cinematic lighting", "4k")
CONTENT_EXTRAS = ("moon", "river", "clouds", "stars", "flowers", "fog")
ASPECT_RATIOS = (None, None, "1:1", "3:2", "2:3", "16:9", "9:16", "4:3", "4:5", "7:4")
VERSIONS = ("--v 4", "--v 5", "--v 5", "--v 5.1", "--v 5.2", "--v 5.2", "--niji 5", "--niji", "--version 5.1", None)
PLACES = ("In the center", "In the top left corner", "At the bottom right", "Along the left edge")


def _draw_cat(d: ImageDraw.ImageDraw, b: Box, p: Sequence[RGB]) -> None:
    d.polygon(_poly(b, (0.8, 0.85), (0.95, 0.4), (1.0, 0.42), (0.88, 0.9)), fill=p[2])
    d.ellipse(_rect(b, 0.15, 0.45, 0.85, 0.98), fill=p[2])
    d.polygon(_poly(b, (0.07, 0.3), (0.1, 0.05), (0.22, 0.2)), fill=p[2])
    d.polygon(_poly(b, (0.28, 0.2), (0.4, 0.05), (0.43, 0.3)), fill=p[2])
    d.ellipse(_rect(b, 0.05, 0.15, 0.45, 0.55), fill=p[2])
    d.ellipse(_rect(b, 0.14, 0.3, 0.2, 0.37), fill=p[4])
    d.ellipse(_rect(b, 0.3, 0.3, 0.36, 0.37), fill=p[4])
    d.polygon(_poly(b, (0.23, 0.42), (0.27, 0.42), (0.25, 0.45)), fill=p[3])


def _draw_castle(d: ImageDraw.ImageDraw, b: Box, p: Sequence[RGB]) -> None:
    d.rectangle(_rect(b, 0.1, 0.45, 0.9, 1.0), fill=p[2])
    for fx in (0.0, 0.75):
        d.rectangle(_rect(b, fx, 0.25, fx + 0.25, 1.0), fill=p[2])
        d.polygon(_poly(b, (fx - 0.03, 0.25), (fx + 0.125, 0.0), (fx + 0.28, 0.25)), fill=p[3])
    for i in range(5):
        fx = 0.27 + i * 0.1
        d.rectangle(_rect(b, fx, 0.38, fx + 0.05, 0.45), fill=p[2])
    d.chord(_rect(b, 0.4, 0.62, 0.6, 1.15), 180, 360, fill=p[3])
    d.rectangle(_rect(b, 0.08, 0.4, 0.16, 0.5), fill=p[4])


def _draw_robot(d: ImageDraw.ImageDraw, b: Box, p: Sequence[RGB]) -> None:
    d.line([*_pt(b, 0.5, 0.02), *_pt(b, 0.5, 0.15)], fill=p[3], width=3)
    d.ellipse(_rect(b, 0.46, 0.0, 0.54, 0.06), fill=p[4])
    d.rectangle(_rect(b, 0.3, 0.15, 0.7, 0.4), fill=p[2])
    d.ellipse(_rect(b, 0.37, 0.22, 0.45, 0.3), fill=p[4])
    d.ellipse(_rect(b, 0.55, 0.22, 0.63, 0.3), fill=p[4])
    d.rectangle(_rect(b, 0.22, 0.42, 0.78, 0.8), fill=p[2])
    d.rectangle(_rect(b, 0.1, 0.45, 0.2, 0.75), fill=p[3])
    d.rectangle(_rect(b, 0.8, 0.45, 0.9, 0.75), fill=p[3])
    d.rectangle(_rect(b, 0.3, 0.8, 0.42, 1.0), fill=p[3])
    d.rectangle(_rect(b, 0.58, 0.8, 0.7, 1.0), fill=p[3])
    d.rectangle(_rect(b, 0.4, 0.5, 0.6, 0.65), fill=p[4])


def _draw_forest(d: ImageDraw.ImageDraw, b: Box, p: Sequence[RGB]) -> None:
    for i, fx in enumerate((0.0, 0.2, 0.4, 0.6, 0.8)):
        top = 0.05 + 0.12 * (i % 2)
        d.rectangle(_rect(b, fx + 0.08, 0.8, fx + 0.12, 1.0), fill=p[3])
        d.polygon(_poly(b, (fx, 0.85), (fx + 0.1, top), (fx + 0.2, 0.85)), fill=p[2])


def _draw_lighthouse(d: ImageDraw.ImageDraw, b: Box, p: Sequence[RGB]) -> None:
    d.polygon(_poly(b, (0.35, 1.0), (0.42, 0.25), (0.58, 0.25), (0.65, 1.0)), fill=p[2])
    for fy in (0.4, 0.6, 0.8):
        d.polygon(_poly(b, (0.4, fy), (0.6, fy), (0.61, fy + 0.08), (0.39, fy + 0.08)), fill=p[3])
    d.rectangle(_rect(b, 0.4, 0.1, 0.6, 0.25), fill=p[4])
    d.polygon(_poly(b, (0.38, 0.1), (0.5, 0.0), (0.62, 0.1)), fill=p[3])
    d.polygon(_poly(b, (0.6, 0.15), (1.0, 0.05), (1.0, 0.28)), fill=p[4])


def _draw_mountains(d: ImageDraw.ImageDraw, b: Box, p: Sequence[RGB]) -> None:
    d.polygon(_poly(b, (0.0, 1.0), (0.35, 0.1), (0.7, 1.0)), fill=p[2])
    d.polygon(_poly(b, (0.35, 1.0), (0.7, 0.3), (1.0, 1.0)), fill=p[3])
    d.polygon(_poly(b, (0.27, 0.3), (0.35, 0.1), (0.43, 0.3)), fill=p[4])
    d.ellipse(_rect(b, 0.8, 0.0, 0.95, 0.15), fill=p[4])


def _draw_flower(d: ImageDraw.ImageDraw, b: Box, p: Sequence[RGB]) -> None:
    d.rectangle(_rect(b, 0.48, 0.45, 0.52, 1.0), fill=p[3])
    d.ellipse(_rect(b, 0.52, 0.65, 0.75, 0.75), fill=p[3])
    for fx, fy in ((0.5, 0.12), (0.68, 0.3), (0.5, 0.48), (0.32, 0.3), (0.63, 0.15), (0.37, 0.15)):
        d.ellipse(_rect(b, fx - 0.12, fy - 0.12, fx + 0.12, fy + 0.12), fill=p[2])
    d.ellipse(_rect(b, 0.42, 0.22, 0.58, 0.38), fill=p[4])


def _draw_city(d: ImageDraw.ImageDraw, b: Box, p: Sequence[RGB]) -> None:
    for i, (fx, top) in enumerate(((0.0, 0.4), (0.17, 0.1), (0.36, 0.3), (0.55, 0.0), (0.75, 0.25))):
        d.rectangle(_rect(b, fx, top, fx + 0.18, 1.0), fill=p[2] if i % 2 else p[3])
        for fy in (top + 0.08, top + 0.2, top + 0.32):
            if fy < 0.95:
                d.rectangle(_rect(b, fx + 0.04, fy, fx + 0.08, fy + 0.05), fill=p[4])
                d.rectangle(_rect(b, fx + 0.1, fy, fx + 0.14, fy + 0.05), fill=p[4])


def _draw_ship(d: ImageDraw.ImageDraw, b: Box, p: Sequence[RGB]) -> None:
    d.polygon(_poly(b, (0.05, 0.7), (0.95, 0.7), (0.8, 0.9), (0.2, 0.9)), fill=p[3])
    d.rectangle(_rect(b, 0.48, 0.05, 0.52, 0.7), fill=p[3])
    d.polygon(_poly(b, (0.53, 0.08), (0.53, 0.65), (0.9, 0.65)), fill=p[2])
    d.polygon(_poly(b, (0.47, 0.15), (0.47, 0.65), (0.15, 0.65)), fill=p[4])
    for fx in (0.0, 0.25, 0.5, 0.75):
        d.arc(_rect(b, fx, 0.88, fx + 0.25, 1.0), 180, 360, fill=p[4], width=3)


def _draw_owl(d: ImageDraw.ImageDraw, b: Box, p: Sequence[RGB]) -> None:
    d.polygon(_poly(b, (0.22, 0.15), (0.3, 0.0), (0.38, 0.15)), fill=p[2])
    d.polygon(_poly(b, (0.62, 0.15), (0.7, 0.0), (0.78, 0.15)), fill=p[2])
    d.ellipse(_rect(b, 0.2, 0.08, 0.8, 1.0), fill=p[2])
    for fx in (0.3, 0.52):
        d.ellipse(_rect(b, fx, 0.2, fx + 0.18, 0.38), fill=p[4])
        d.ellipse(_rect(b, fx + 0.06, 0.26, fx + 0.12, 0.32), fill=p[3])
    d.polygon(_poly(b, (0.46, 0.4), (0.54, 0.4), (0.5, 0.48)), fill=p[3])
    d.ellipse(_rect(b, 0.32, 0.55, 0.68, 0.92), fill=p[1])


CONTENTS: dict[str, Callable[[ImageDraw.ImageDraw, Box, Sequence[RGB]], None]] = {
    "cat": _draw_cat,
    "castle": _draw_castle,
    "robot": _draw_robot,
    "forest": _draw_forest,
    "lighthouse": _draw_lighthouse,
    "mountains": _draw_mountains,
    "flower": _draw_flower,
    "city skyline": _draw_city,
    "ship": _draw_ship,
    "owl": _draw_owl,
}


def draw_art(style: str, content: str, size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A picture of `content` in the palette (and texture) of `style`."""
    palette = STYLES[style]
    pixel = style == "pixel art"
    w, h = (max(16, size[0] // 8), max(16, size[1] // 8)) if pixel else size
    img = Image.new("RGB", (w, h), palette[0])
    d = ImageDraw.Draw(img)
    if style == "low poly":
        step = max(w, h) // 5
        for gx in range(0, w + step, step):
            for gy in range(0, h + step, step):
                shade = palette[0] if (gx + gy) // step % 2 else palette[1]
                d.polygon([(gx, gy), (gx + step, gy), (gx, gy + step)], fill=shade)
    d.rectangle([0, round(h * 0.78), w, h], fill=palette[1])
    side = min(w, h) * rng.uniform(0.55, 0.72)
    cx = w / 2 + rng.uniform(-0.08, 0.08) * w
    cy = h / 2 + rng.uniform(-0.05, 0.05) * h
    CONTENTS[content](d, (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2), palette)
    if pixel:
        img = img.resize(size, Image.Resampling.NEAREST)
    elif style == "watercolor":
        img = img.filter(ImageFilter.GaussianBlur(3))
    return img


@dataclass
class _JdbImage:
    """One image of the JourneyDB sample: its record (None fields omitted) and how to draw its file."""

    image_id: str
    split: str
    record: dict[str, Any]
    style: str
    content: str
    size: tuple[int, int]
    file: str = "jpeg"  # "jpeg", "missing" or "corrupt"


def _mj_params(rng: random.Random) -> tuple[str, tuple[int, int]]:
    """Midjourney parameters as written at the end of a prompt, and the image size they imply."""
    parts: list[str] = []
    ar = rng.choice(ASPECT_RATIOS)
    if ar is not None:
        parts.append(f"{'--aspect' if rng.random() < 0.1 else '--ar'} {ar}")
    version = rng.choice(VERSIONS)
    if version is not None:
        parts.append(version)
    if rng.random() < 0.3:
        parts.append(f"--q {rng.choice(('0.5', '1', '2', '.25'))}")
    if rng.random() < 0.35:
        parts.append(f"{'--stylize' if rng.random() < 0.2 else '--s'} {rng.choice((50, 100, 250, 750, 1000))}")
    if rng.random() < 0.2:
        parts.append(f"{'--c' if rng.random() < 0.3 else '--chaos'} {rng.randrange(0, 101)}")
    if rng.random() < 0.2:
        parts.append(f"--seed {rng.randrange(2**32)}")
    if rng.random() < 0.05:
        parts.append("--tile")
    params = " ".join(parts)
    return params, _size_for(params)


def _size_for(prompt: str) -> tuple[int, int]:
    """The image size a prompt's `--ar`/`--aspect` asks for, scaled to JDB_MAX_SIDE (1:1 when absent)."""
    match = re.search(r"--(?:ar|aspect) (\d+):(\d+)", prompt)
    rw, rh = (int(match[1]), int(match[2])) if match else (1, 1)
    scale = JDB_MAX_SIDE / max(rw, rh)
    return round(rw * scale), round(rh * scale)


def _task3(rng: random.Random, style: str, content: str, extra: str | None, atmosphere: str) -> dict[str, Any]:
    style_qs: list[dict[str, Any]] = []
    pool = [
        ("What is the art style of this image?", style, list(STYLES)),
        ("Which colour palette best describes the image?", PALETTE_WORDS[style], list(PALETTE_WORDS.values())),
        ("What mood does the image convey?", atmosphere, list(ATMOSPHERES)),
    ]
    for question, correct, options in rng.sample(pool, rng.randint(1, 3)):
        opts, letter = _letters(rng, correct, options)
        style_qs.append({"Question": question, "Options": opts, "Answer": letter})
    content_pool = [
        ("What is the main subject of the image?", content, list(CONTENTS)),
        (f"Where is the {content} in the image?", PLACES[0], list(PLACES)),
    ]
    if extra is not None:
        content_pool.append(("Which of these also appears in the image?", extra, list(CONTENT_EXTRAS)))
    content_qs: list[dict[str, Any]] = []
    for question, correct, options in rng.sample(content_pool, rng.randint(1, min(3, len(content_pool)))):
        opts, letter = _letters(rng, correct, options)
        content_qs.append({"Question": question, "Options": opts, "Answer": letter})
    return {
        "Style Relevant Questions and Answers": style_qs,
        "Content Relevant Questions and Answers": content_qs,
    }


def _jdb_record(rng: random.Random, style: str | None = None, content: str | None = None) -> _JdbImage:
    """A normal record (img_path filled in later) with tags, caption and questions consistent with its prompt."""
    style = style or rng.choice(list(STYLES))
    content = content or rng.choice(list(CONTENTS))
    atmosphere = rng.choice(ATMOSPHERES)
    extra = rng.choice(CONTENT_EXTRAS) if rng.random() < 0.5 else None
    others = rng.sample(OTHERS, rng.randint(0, 2))
    word = rng.choice(STYLE_WORDS[style])
    params, size = _mj_params(rng)
    subject = f"{content} with {extra}" if extra else content
    article = "an" if atmosphere[0] in "aeiou" else "a"
    text = f"{article} {atmosphere} {subject}, {word} {style} style"
    if others:
        text += ", " + ", ".join(others)
    prompt = f"{text}{rng.choice((' ', ', '))}{params}" if params else text
    record: dict[str, Any] = {
        "img_path": "",
        "prompt": prompt,
        "Task1": {
            "Style": [style, word],
            "Content": [content, *([extra] if extra else [])],
            "Atmosphere": [atmosphere],
            "Others": others,
        },
        "Task2": {"Caption": f"{article.capitalize()} {atmosphere} {subject} in {style} style."},
        "Task3": _task3(rng, style, content, extra, atmosphere),
    }
    image_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return _JdbImage(image_id, "train", record, style, content, size)


def _jdb_quirks(rng: random.Random) -> list[_JdbImage]:
    """The records that exercise the release's quirks (all in the train split)."""
    quirks: list[_JdbImage] = []

    def add(
        image_id: str, style: str, content: str, edit: Callable[[dict[str, Any]], None], file: str = "jpeg"
    ) -> None:
        img = _jdb_record(rng, style, content)
        img.image_id, img.file = image_id, file
        edit(img.record)
        img.size = _size_for(img.record["prompt"])
        quirks.append(img)

    def xss(r: dict[str, Any]) -> None:
        r["prompt"] = (
            "a robot holding a sign <script>alert(1)</script> next to <img src=x onerror=alert(1)>, "
            "neon cyberpunk style --ar 16:9 --v 5.2"
        )
        r["Task1"]["Others"] = ["<img src=x onerror=alert(1)>"]
        r["Task2"]["Caption"] = "A robot holding a sign <script>alert(1)</script> in cyberpunk style."
        r["Task3"]["Content Relevant Questions and Answers"][0]["Question"] = (
            "What does the <b>sign</b> say? <script>alert(1)</script>"
        )

    def literal_escape(r: dict[str, Any]) -> None:
        # Backslash-u as characters, as in some real prompts; the real character appears too.
        r["prompt"] = "a cat\\u2019s moonlit dream \u2014 it\u2019s cozy, soft watercolor style --ar 3:2 --v 5"
        r["Task2"]["Caption"] = "A cat\u2019s moonlit dream in watercolor style."

    def messy_tags(r: dict[str, Any]) -> None:
        r["prompt"] = "a dreamy cat under the moon, soft Watercolor style, 8K --ar 1:1 --v 5.2"
        r["Task2"]["Caption"] = "A dreamy cat under the moon in watercolor style."
        r["Task1"] = {
            "Style": [" Watercolor", "watercolor ", "WATERCOLOR", "soft"],
            "Content": ["Cat", "cat", " CAT ", "Moon "],
            "Atmosphere": [" Dreamy "],
            "Others": ["8K", "8k ", "highly  detailed"],
        }

    def null_caption(r: dict[str, Any]) -> None:
        r["Task2"]["Caption"] = None

    def no_task1(r: dict[str, Any]) -> None:
        del r["Task1"]

    add(JDB_XSS_ID, "cyberpunk", "robot", xss)
    add(JDB_LITERAL_ESCAPE_ID, "watercolor", "cat", literal_escape)
    add(JDB_MESSY_TAGS_ID, "watercolor", "cat", messy_tags)
    add(JDB_NULL_CAPTION_ID, "noir", "city skyline", null_caption)
    add(JDB_NO_TASK1_ID, "anime", "castle", no_task1)
    add(JDB_MISSING_FILE_ID, "pastel", "flower", lambda r: None, file="missing")
    add(JDB_CORRUPT_FILE_ID, "steampunk", "ship", lambda r: None, file="corrupt")
    add(JDB_PATH_ESCAPE_ID, "minimalist", "owl", lambda r: None, file="missing")
    return quirks


def _jdb_images(rng: random.Random, n_images: int) -> list[_JdbImage]:
    images = _jdb_quirks(rng)
    while len(images) < n_images:
        base = _jdb_record(rng)
        group = 1 if rng.random() < 0.85 else rng.randint(2, 4)
        for k in range(min(group, n_images - len(images))):
            # Same prompt (and annotations), different image: as when Midjourney renders a grid.
            img = base if k == 0 else _jdb_record(rng, base.style, base.content)
            if k:
                img.record = json.loads(json.dumps(base.record))
                img.size = base.size
            images.append(img)
    n_train, n_valid = round(n_images * 0.8), round(n_images * 0.1)
    for i, img in enumerate(images):
        img.split = "train" if i < n_train else "valid" if i < n_train + n_valid else "test"
    for i, img in enumerate(img for img in images if img.split == "test"):
        qa = img.record.get("Task3", {})
        for questions in qa.values():
            for q in questions:
                q.pop("Answer", None)
        if i % 3 == 0:
            for key in ("prompt", "Task1", "Task2"):
                img.record.pop(key, None)
    return images


JDB_FILES = {
    "train": "train_anno_realease_repath.jsonl",
    "valid": "valid_anno_repath.jsonl",
    "test": "test_questions.jsonl",
}


def write_raw_journeydb(root: Path, seed: int = 0, n_images: int = 300) -> None:
    """Write a JourneyDB release tree under `root`: `data/<split>/<annotations>.jsonl.tgz` and the images.

    Records look like the release's (one JSON object per line)::

        {"img_path": "./000/<uuid>.jpg", "prompt": "a cat ... --ar 3:2 --v 5",
         "Task1": {"Style": [...], "Content": [...], "Atmosphere": [...], "Others": [...]},
         "Task2": {"Caption": "..."},
         "Task3": {"Style Relevant Questions and Answers": [{"Question", "Options": {"A".."D"}, "Answer"}],
                   "Content Relevant Questions and Answers": [...]}}

    Quirks (ids in the `JDB_*` constants): XSS payloads in prompt, tag, caption and question; a prompt with
    literal `\\u2019` text; tags with stray whitespace, mixed case and duplicates; a null caption; a record
    without Task1; a missing and a corrupt image file; an img_path that climbs out of the image folder;
    groups of 2-4 images sharing one prompt; test records without answers (a third also without prompt,
    Task1 and Task2); three malformed lines (two in train, one in valid).
    """
    if n_images < 20:
        raise ValueError("the JourneyDB sample needs at least 20 images to hold its quirk records")
    rng = random.Random(f"journeydb:{seed}")
    images = _jdb_images(rng, n_images)
    lines: dict[str, list[str]] = {split: [] for split in JDB_FILES}
    counters: dict[str, int] = dict.fromkeys(JDB_FILES, 0)
    for img in images:
        folder = f"{counters[img.split] // 100:03d}"
        counters[img.split] += 1
        rel = f"./{folder}/{img.image_id}.jpg"
        if img.image_id == JDB_PATH_ESCAPE_ID:
            rel = f"./../../../{img.image_id}.jpg"
        img.record["img_path"] = rel
        lines[img.split].append(json.dumps(img.record, ensure_ascii=False))
        path = root / "data" / img.split / "imgs" / folder / f"{img.image_id}.jpg"
        if img.file == "jpeg":
            _save_jpeg(draw_art(img.style, img.content, img.size, rng), path)
        elif img.file == "corrupt":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(rng.randbytes(2048))
    # Malformed lines as found in scraped releases: a truncated object, garbage, a non-object.
    train, valid = lines["train"], lines["valid"]
    train.insert(len(train) // 2, '{"img_path": "./001/0b4f6a52-truncated.jpg", "prompt": "a truncated rec')
    train.insert(len(train) // 3, "this line is not json")
    valid.insert(len(valid) // 2, '["a", "list", "not", "an", "object"]')
    for split, name in JDB_FILES.items():
        data = "".join(f"{line}\n" for line in lines[split]).encode()
        _write_tgz(root / "data" / split / f"{name}.tgz", name, data)


# --------------------------------------------------------------------------------------------------------
# Visual Genome

COLORS: dict[str, RGB] = {
    "red": (205, 30, 35),
    "blue": (35, 70, 205),
    "green": (40, 150, 50),
    "yellow": (245, 210, 40),
    "white": (245, 245, 245),
    "black": (25, 25, 25),
    "brown": (125, 75, 35),
    "gray": (128, 128, 128),
    "orange": (240, 130, 30),
    "pink": (240, 140, 180),
    "purple": (120, 50, 160),
}
SKY: RGB = (150, 200, 240)
GRASS: RGB = (110, 180, 80)
ROAD: RGB = (90, 90, 95)
SKIN: RGB = (225, 185, 150)
GLASS: RGB = (175, 215, 235)
SYNSETS: dict[str, tuple[str, str]] = {
    "sky": ("sky.n.01", "the atmosphere and outer space as viewed from the earth"),
    "grass": ("grass.n.01", "narrow-leaved green herbage: grown as lawns"),
    "road": ("road.n.01", "an open way (generally public) for travel or transportation"),
    "sun": ("sun.n.01", "the star that is the source of light and heat for the planets"),
    "cloud": ("cloud.n.02", "a visible mass of water or ice particles suspended at a considerable altitude"),
    "tree": ("tree.n.01", "a tall perennial woody plant having a main trunk and branches"),
    "house": ("house.n.01", "a dwelling that serves as living quarters for one or more families"),
    "door": ("door.n.01", "a swinging or sliding barrier that will close the entrance to a room or building"),
    "window": ("window.n.01", "a framework of wood or metal that contains a glass windowpane"),
    "roof": ("roof.n.01", "a protective covering that covers or forms the top of a building"),
    "man": ("man.n.01", "an adult person who is male (as opposed to a woman)"),
    "person": ("person.n.01", "a human being"),
    "shirt": ("shirt.n.01", "a garment worn on the upper half of the body"),
    "horse": ("horse.n.01", "solid-hoofed herbivorous quadruped domesticated since prehistoric times"),
    "dog": ("dog.n.01", "a member of the genus Canis that has been domesticated by man"),
    "frisbee": ("frisbee.n.01", "a light, plastic disk about 10 inches in diameter; propelled with a flip"),
    "ball": ("ball.n.01", "round object that is hit or thrown or kicked in games"),
    "car": ("car.n.01", "a motor vehicle with four wheels"),
    "wheel": ("wheel.n.01", "a simple machine consisting of a circular frame with spokes"),
    "bench": ("bench.n.01", "a long seat for more than one person"),
}
PREDICATE_SYNSETS: dict[str, str] = {
    "riding": "ride.v.01",
    "near": "near.r.01",
    "holding": "have.v.01",
    "on": "along.r.01",
    "in": "in.r.01",
    "behind": "behind.r.01",
    "has": "have.v.01",
    "wearing": "wear.v.01",
    "next to": "next.r.01",
    "standing on": "stand.v.01",
}
NUMBERS = ("No", "One", "Two", "Three", "Four", "Five")


@dataclass
class _Obj:
    name: str
    x: int
    y: int
    w: int
    h: int
    attributes: list[str]
    written_name: str = ""
    object_id: int = 0
    old_id: int | None = None
    """A v1.2 id merged into object_id: relationships may still point at it (not in objects.json)."""

    def __post_init__(self) -> None:
        self.written_name = self.written_name or self.name

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h


def _draw_dog(d: ImageDraw.ImageDraw, b: Box, color: RGB) -> dict[str, list[Rect]]:
    d.polygon(_poly(b, (0.0, 0.05), (0.07, 0.05), (0.22, 0.38), (0.15, 0.43)), fill=color)
    d.ellipse(_rect(b, 0.14, 0.28, 0.82, 0.68), fill=color)
    for fx in (0.22, 0.34, 0.6, 0.72):
        d.rectangle(_rect(b, fx, 0.5, fx + 0.08, 1.0), fill=color)
    d.ellipse(_rect(b, 0.66, 0.06, 1.0, 0.46), fill=color)
    d.polygon(_poly(b, (0.7, 0.12), (0.78, 0.0), (0.84, 0.28)), fill=_shade(color, 0.6))
    d.ellipse(_rect(b, 0.86, 0.16, 0.91, 0.23), fill=COLORS["black"])
    return {}


def _draw_horse(d: ImageDraw.ImageDraw, b: Box, color: RGB) -> dict[str, list[Rect]]:
    dark = _shade(color, 0.55)
    d.polygon(_poly(b, (0.0, 0.32), (0.09, 0.26), (0.15, 0.36), (0.05, 0.72)), fill=dark)
    d.ellipse(_rect(b, 0.08, 0.25, 0.8, 0.6), fill=color)
    for fx in (0.15, 0.27, 0.6, 0.71):
        d.rectangle(_rect(b, fx, 0.45, fx + 0.07, 1.0), fill=color)
    d.polygon(_poly(b, (0.6, 0.32), (0.76, 0.08), (0.88, 0.1), (0.8, 0.48)), fill=color)
    d.polygon(_poly(b, (0.78, 0.0), (0.9, 0.02), (1.0, 0.24), (0.94, 0.3), (0.8, 0.16)), fill=color)
    d.polygon(_poly(b, (0.6, 0.3), (0.76, 0.04), (0.8, 0.08), (0.66, 0.34)), fill=dark)
    return {}


def _draw_person(d: ImageDraw.ImageDraw, b: Box, shirt: RGB, pants: RGB, riding: bool = False) -> dict[str, list[Rect]]:
    d.ellipse(_rect(b, 0.34, 0.0, 0.66, 0.17), fill=SKIN)
    torso = _rect(b, 0.28, 0.18, 0.72, 0.58)
    d.rectangle(torso, fill=shirt)
    d.polygon(_poly(b, (0.3, 0.19), (0.3, 0.27), (0.0, 0.53), (0.0, 0.47)), fill=shirt)
    d.polygon(_poly(b, (0.7, 0.19), (0.7, 0.27), (1.0, 0.53), (1.0, 0.47)), fill=shirt)
    if riding:
        d.polygon(_poly(b, (0.3, 0.58), (0.48, 0.58), (0.2, 1.0), (0.06, 1.0)), fill=pants)
        d.polygon(_poly(b, (0.52, 0.58), (0.7, 0.58), (0.94, 1.0), (0.8, 1.0)), fill=pants)
    else:
        d.rectangle(_rect(b, 0.3, 0.58, 0.47, 1.0), fill=pants)
        d.rectangle(_rect(b, 0.53, 0.58, 0.7, 1.0), fill=pants)
    return {"shirt": [torso]}


def _draw_car(d: ImageDraw.ImageDraw, b: Box, color: RGB) -> dict[str, list[Rect]]:
    d.polygon(_poly(b, (0.18, 0.42), (0.3, 0.0), (0.72, 0.0), (0.86, 0.42)), fill=color)
    d.polygon(_poly(b, (0.28, 0.38), (0.35, 0.1), (0.49, 0.1), (0.49, 0.38)), fill=GLASS)
    d.polygon(_poly(b, (0.53, 0.38), (0.53, 0.1), (0.68, 0.1), (0.76, 0.38)), fill=GLASS)
    d.rectangle(_rect(b, 0.0, 0.4, 1.0, 0.82), fill=color)
    d.rectangle(_rect(b, 0.95, 0.5, 1.0, 0.6), fill=COLORS["yellow"])
    wheels = [_rect(b, 0.12, 0.62, 0.3, 1.0), _rect(b, 0.7, 0.62, 0.88, 1.0)]
    for wheel in wheels:
        d.ellipse(wheel, fill=COLORS["black"])
    return {"wheel": wheels}


def _draw_tree(d: ImageDraw.ImageDraw, b: Box, color: RGB) -> dict[str, list[Rect]]:
    d.rectangle(_rect(b, 0.42, 0.6, 0.58, 1.0), fill=COLORS["brown"])
    d.ellipse(_rect(b, 0.0, 0.0, 1.0, 0.72), fill=color)
    return {}


def _draw_house(d: ImageDraw.ImageDraw, b: Box, color: RGB, roof: RGB) -> dict[str, list[Rect]]:
    roof_rect = _rect(b, 0.0, 0.0, 1.0, 0.42)
    d.polygon(_poly(b, (0.0, 0.42), (0.5, 0.0), (1.0, 0.42)), fill=roof)
    d.rectangle(_rect(b, 0.06, 0.42, 0.94, 1.0), fill=color)
    door = _rect(b, 0.42, 0.62, 0.58, 1.0)
    d.rectangle(door, fill=COLORS["brown"])
    windows = [_rect(b, 0.14, 0.55, 0.32, 0.76), _rect(b, 0.68, 0.55, 0.86, 0.76)]
    for window in windows:
        d.rectangle(window, fill=GLASS, outline=COLORS["white"], width=2)
    return {"roof": [roof_rect], "door": [door], "window": windows}


def _draw_bench(d: ImageDraw.ImageDraw, b: Box, color: RGB) -> dict[str, list[Rect]]:
    for fy in (0.0, 0.2):
        d.rectangle(_rect(b, 0.0, fy, 1.0, fy + 0.12), fill=color)
    for fx in (0.08, 0.86):
        d.rectangle(_rect(b, fx, 0.0, fx + 0.06, 0.55), fill=_shade(color, 0.7))
    d.rectangle(_rect(b, 0.0, 0.45, 1.0, 0.6), fill=color)
    for fx in (0.05, 0.87):
        d.rectangle(_rect(b, fx, 0.6, fx + 0.08, 1.0), fill=_shade(color, 0.7))
    return {}


def _draw_ellipse(d: ImageDraw.ImageDraw, b: Box, color: RGB) -> dict[str, list[Rect]]:
    d.ellipse(_rect(b, 0.0, 0.0, 1.0, 1.0), fill=color)
    return {}


def _draw_cloud(d: ImageDraw.ImageDraw, b: Box, color: RGB) -> dict[str, list[Rect]]:
    for r in ((0.0, 0.35, 0.5, 1.0), (0.22, 0.0, 0.78, 0.85), (0.5, 0.3, 1.0, 1.0)):
        d.ellipse(_rect(b, *r), fill=color)
    return {}


@dataclass
class _Scene:
    """One Visual Genome image being drawn, with its annotations in drawing order."""

    image_id: int
    width: int
    height: int
    rng: random.Random
    img: Image.Image = field(init=False)
    objects: list[_Obj] = field(default_factory=list)
    relationships: list[tuple[_Obj, str, _Obj]] = field(default_factory=list)
    regions: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    qas: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.img = Image.new("RGB", (self.width, self.height), SKY)

    def area(self, name: str, rect: Rect, color: RGB, attributes: list[str]) -> _Obj:
        """A filled rectangle (sky, grass, road) annotated with exactly its pixels."""
        ImageDraw.Draw(self.img).rectangle(rect, fill=color)
        obj = _Obj(name, rect[0], rect[1], rect[2] - rect[0] + 1, rect[3] - rect[1] + 1, attributes)
        self.objects.append(obj)
        return obj

    def sprite(
        self,
        name: str,
        x: int,
        y: int,
        w: int,
        h: int,
        draw: Callable[[ImageDraw.ImageDraw, Box], dict[str, list[Rect]]],
        attributes: list[str],
        *,
        flip: bool = False,
        parts: dict[str, list[str]] | None = None,
    ) -> tuple[_Obj, list[_Obj]]:
        """Draw a shape in the w x h box at (x, y); its annotation box is the tight box of its pixels."""
        layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        part_rects = draw(ImageDraw.Draw(layer), (0, 0, w - 1, h - 1))
        if flip:
            layer = layer.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        bbox = layer.getchannel("A").getbbox()
        assert bbox is not None, name
        self.img.paste(layer, (x, y), layer)
        left, top, right, bottom = bbox
        obj = _Obj(name, x + left, y + top, right - left, bottom - top, attributes)
        self.objects.append(obj)
        children: list[_Obj] = []
        for part, rects in part_rects.items():
            for x0, y0, x1, y1 in rects:
                px0 = (w - 1 - x1) if flip else x0
                attrs = list((parts or {}).get(part, []))
                children.append(_Obj(part, x + px0, y + y0, x1 - x0 + 1, y1 - y0 + 1, attrs))
        self.objects.extend(children)
        return obj, children

    def relate(self, subject: _Obj, predicate: str, obj: _Obj) -> None:
        self.relationships.append((subject, predicate, obj))

    def region(self, phrase: str, *objs: _Obj, pad: int = 4) -> None:
        x0 = min(o.x for o in objs) - pad
        y0 = min(o.y for o in objs) - pad
        x1 = max(o.right for o in objs) + pad
        y1 = max(o.bottom for o in objs) + pad
        self.regions.append((phrase, (x0, y0, x1 - x0, y1 - y0)))

    # Groups of objects -------------------------------------------------------------------------------

    def person(self, cx: int, bottom: int, h: int, shirt: str, riding: bool = False) -> tuple[_Obj, _Obj]:
        w = round(h * 0.5)
        name = "man" if riding or self.rng.random() < 0.7 else "person"
        man, parts = self.sprite(
            name,
            cx - w // 2,
            bottom - h,
            w,
            h,
            lambda d, b: _draw_person(d, b, COLORS[shirt], COLORS["blue"], riding),
            ["sitting"] if riding else ["standing"],
            parts={"shirt": [shirt]},
        )
        self.relate(man, self.rng.choice(("wearing", "WEARING")), parts[0])
        return man, parts[0]

    def rider(self, cx: int, bottom: int, scale: float, color: str = "brown") -> tuple[_Obj, _Obj]:
        hh = round(self.height * 0.25 * scale)
        hw = round(hh * 1.45)
        flip = self.rng.random() < 0.5
        x = cx - hw // 2
        horse, _ = self.sprite(
            "horse", x, bottom - hh, hw, hh, lambda d, b: _draw_horse(d, b, COLORS[color]), [color, "large"], flip=flip
        )
        seat = x + (round(hw * 0.58) if flip else round(hw * 0.42))
        shirt = self.rng.choice(("red", "white", "blue", "yellow"))
        man, _ = self.person(seat, horse.y + round(hh * 0.58), round(hh * 0.95), shirt, riding=True)
        self.relate(man, self.rng.choice(("riding", "riding", "Riding")), horse)
        self.region(f"a man riding a {color} horse", man, horse)
        self.qas.append(("What is the man riding?", "A horse."))
        self.qas.append(("Who is riding the horse?", "A man."))
        self.qas.append(("Where is the man?", "On the horse."))
        return man, horse

    def walker(self, cx: int, bottom: int, scale: float, frisbee: bool) -> tuple[_Obj, _Obj]:
        mh = round(self.height * 0.27 * scale)
        shirt = self.rng.choice(("red", "blue", "green", "white", "orange"))
        man, _ = self.person(cx - round(mh * 0.2), bottom, mh, shirt)
        if frisbee:
            fw = round(mh * 0.2)
            color = self.rng.choice(("red", "yellow", "orange", "pink", "white"))
            disc, _ = self.sprite(
                "frisbee",
                man.right - fw // 2,
                man.y + round(mh * 0.5) - fw // 6,
                fw,
                max(4, fw // 3),
                lambda d, b: _draw_ellipse(d, b, COLORS[color]),
                [color, "round", "plastic"],
            )
            self.relate(man, "holding", disc)
            self.region(f"a {man.name} holding a {color} frisbee", man, disc)
            self.qas.append((f"What is the {man.name} holding?", "A frisbee."))
            self.qas.append(("What color is the frisbee?", f"{color.capitalize()}."))
        dh = round(self.height * 0.1 * scale)
        dog_color = self.rng.choice(("brown", "black", "white", "yellow"))
        dog_x = man.right + round(mh * 0.15)
        written = "dog " if self.rng.random() < 0.15 else "dog"
        dog, _ = self.sprite(
            "dog",
            dog_x,
            bottom - dh,
            round(dh * 1.5),
            dh,
            lambda d, b: _draw_dog(d, b, COLORS[dog_color]),
            [dog_color, "small" if dh < 50 else "furry"],
            flip=self.rng.random() < 0.6,
        )
        dog.written_name = written
        self.relate(dog, self.rng.choice(("near", "near", "next to", " near ")), man)
        self.region(f"a {dog_color} dog next to a {man.name}", dog, man)
        self.qas.append(("What color is the dog?", f"{dog_color.capitalize()}."))
        self.qas.append((f"What color is the {man.name}'s shirt?", f"{shirt.capitalize()}."))
        return man, dog

    def car(self, x: int, bottom: int, scale: float, color: str | None = None) -> _Obj:
        ch = round(self.height * 0.16 * scale)
        color = color or self.rng.choice(("red", "blue", "white", "black", "yellow", "green"))
        car, wheels = self.sprite(
            "car",
            x,
            bottom - ch,
            round(ch * 2.1),
            ch,
            lambda d, b: _draw_car(d, b, COLORS[color]),
            [color, "parked"],
            flip=self.rng.random() < 0.5,
        )
        for wheel in wheels:
            self.relate(car, "has", wheel)
        self.qas.append(("What color is the car?", f"{color.capitalize()}."))
        return car

    def backdrop(self, horizon: int, house: bool, tree: bool) -> None:
        hh = round(self.height * self.rng.uniform(0.26, 0.32))
        hw = round(hh * 1.1)
        hx = self.rng.randint(round(self.width * 0.05), round(self.width * 0.95) - hw)
        base = horizon + round(self.height * 0.05)
        tree_obj = None
        if tree:
            th = round(hh * 1.25)
            tw = round(th * 0.6)
            tx = hx - tw // 3 if house else self.rng.randint(0, self.width - tw)
            tree_obj, _ = self.sprite(
                "tree", tx, base - th - 6, tw, th, lambda d, b: _draw_tree(d, b, (40, 120, 45)), ["green", "leafy"]
            )
        if house:
            wall = self.rng.choice(("white", "yellow", "red", "gray"))
            house_obj, parts = self.sprite(
                "house",
                hx,
                base - hh,
                hw,
                hh,
                lambda d, b: _draw_house(d, b, COLORS[wall], (120, 40, 35)),
                [wall, "large"],
                parts={"door": ["brown", "wooden"], "roof": ["red"]},
            )
            for part in parts:
                if part.name != "window" or self.rng.random() < 0.5:
                    self.relate(house_obj, "has", part)
            self.region(f"a {wall} house with a red roof", house_obj)
            self.qas.append(("What color is the house?", f"{wall.capitalize()}."))
            if tree_obj is not None:
                self.relate(tree_obj, "behind", house_obj)
                self.region("a tree behind the house ", tree_obj, house_obj)
                self.qas.append(("Where is the tree?", "Behind the house."))


def _vg_scene(image_id: int, rng: random.Random) -> _Scene:
    showcase = image_id == VG_SHOWCASE_IMAGE_ID
    width, height = (800, 600) if showcase else rng.choice(((640, 480), (640, 480), (800, 600), (500, 375)))
    scene = _Scene(image_id, width, height, rng)
    street = showcase or image_id in (VG_NEGATIVE_X_IMAGE_ID, VG_OVERRUN_IMAGE_ID) or rng.random() < 0.5
    horizon = round(height * rng.uniform(0.42, 0.5))
    sky = scene.area("sky", (0, 0, width - 1, horizon - 1), SKY, ["blue", "clear"])
    grass = scene.area("grass", (0, horizon, width - 1, height - 1), GRASS, ["green"])
    road = None
    if street:
        top = round(height * 0.76)
        road = scene.area("road", (0, top, width - 1, height - 1), ROAD, ["gray", "paved"])
        if image_id == VG_OVERRUN_IMAGE_ID:
            road.w += 1  # one pixel past the right edge, as real boxes sometimes are
    if showcase or rng.random() < 0.6:
        d = round(height * 0.1)
        sun, _ = scene.sprite(
            "sun", rng.randint(width // 2, width - d - 10), rng.randint(8, max(9, horizon // 3)), d, d,
            lambda dr, b: _draw_ellipse(dr, b, COLORS["yellow"]), ["yellow", "bright"],
        )  # fmt: skip
        scene.relate(sun, rng.choice(("in", "IN")), sky)
        scene.region("the sun in the sky", sun)
        scene.qas.append(("When was this picture taken?", "Daytime."))
        scene.qas.append(("What is the weather like?", "Sunny."))
    for _ in range(rng.randint(0, 2)):
        cw = round(width * rng.uniform(0.1, 0.16))
        cloud, _ = scene.sprite(
            "cloud", rng.randint(0, width // 2), rng.randint(4, max(5, horizon // 2)), cw, round(cw * 0.5),
            lambda dr, b: _draw_cloud(dr, b, COLORS["white"]), ["white", "fluffy"],
        )  # fmt: skip
        scene.relate(cloud, "in", sky)
    scene.backdrop(horizon, house=showcase or rng.random() < 0.5, tree=showcase or rng.random() < 0.7)

    groups = (
        ["rider", "walker"]
        if showcase
        else rng.sample(["rider", "walker", "walker", "bench", "ball"], rng.randint(1, 3))
    )
    slot = width // len(groups)
    people_bottom = (
        (round(height * 0.72), round(height * 0.74)) if street else (round(height * 0.7), round(height * 0.95))
    )
    dogs = 0
    for i, group in enumerate(groups):
        cx = slot * i + slot // 2
        bottom = rng.randint(*people_bottom)
        scale = rng.uniform(0.85, 1.1)
        if group == "rider":
            _, horse = scene.rider(cx, bottom, scale, "brown" if showcase else rng.choice(("brown", "white", "black")))
            scene.relate(horse, rng.choice(("on", "ON", "standing on")), grass)
        elif group == "walker":
            man, _ = scene.walker(cx, bottom, scale, frisbee=showcase or rng.random() < 0.5)
            dogs += 1
            scene.relate(man, rng.choice(("on", "ON", "standing on")), grass)
        elif group == "bench":
            bw = round(height * 0.24 * scale)
            bench, _ = scene.sprite(
                "bench", cx - bw // 2, bottom - bw // 2, bw, bw // 2,
                lambda dr, b: _draw_bench(dr, b, COLORS["brown"]), ["brown", "wooden"],
            )  # fmt: skip
            scene.relate(bench, "on", grass)
            scene.region("a wooden bench on the grass", bench)
        else:
            bd = round(height * 0.05 * scale)
            color = rng.choice(("red", "blue", "yellow", "orange"))
            ball, _ = scene.sprite(
                "ball", cx - bd // 2, bottom - bd, bd, bd,
                lambda dr, b, c=COLORS[color]: _draw_ellipse(dr, b, c), [color, "round", "small"],
            )  # fmt: skip
            scene.relate(ball, "ON", grass)
            scene.region(f"  a {color} ball on the grass", ball)
    if road is not None:
        car_bottom = round(height * rng.uniform(0.93, 0.97))
        if image_id == VG_NEGATIVE_X_IMAGE_ID:
            car = scene.car(-round(height * 0.03), car_bottom, 1.0)
        elif showcase:
            car = scene.car(round(width * 0.55), car_bottom, 1.0, "red")
            car.attributes = ["red", " Red", "parked", "shiny"]
        else:
            car = scene.car(rng.randint(0, width - round(height * 0.36)), car_bottom, rng.uniform(0.85, 1.1))
        scene.relate(car, rng.choice(("on", "ON")), road)
        color = car.attributes[0]
        scene.region(f"a {color} car on the street" + (" " if rng.random() < 0.3 else ""), car)
        scene.qas.append(("Where is the car?", "On the road."))
    if dogs or rng.random() < 0.3:
        scene.qas.append(("How many dogs are there?", f"{NUMBERS[dogs]}."))
    if image_id == VG_XSS_IMAGE_ID:  # drawn last and without the generator, so other images stay as they were
        ImageDraw.Draw(scene.img).rectangle(VG_XSS_SIGN, fill=COLORS["white"], outline=(20, 20, 20), width=2)
    return scene


def _xss_annotations(image_id: int, sky_id: int) -> dict[str, dict[str, Any]]:
    """The sign of `VG_XSS_IMAGE_ID` in each file's item layout (fixed ids, no random numbers drawn)."""
    x0, y0, x1, y1 = VG_XSS_SIGN
    x, y, w, h = x0, y0, x1 - x0 + 1, y1 - y0 + 1
    synsets = ["sign.n.02"]

    def end(name: str, object_id: int, synset: str) -> dict[str, Any]:
        return {"name": name, "h": h, "synsets": [synset], "object_id": object_id, "w": w, "y": y, "x": x}

    return {
        "object": {"synsets": synsets, "h": h, "object_id": VG_XSS_OBJECT_ID, "merged_object_ids": [],
                   "names": [XSS_SCRIPT], "w": w, "y": y, "x": x},
        "attribute": {"synsets": synsets, "h": h, "object_id": VG_XSS_OBJECT_ID, "names": [XSS_SCRIPT], "w": w,
                      "attributes": [XSS_IMG, "white"], "y": y, "x": x},
        "relationship": {"predicate": "in", "object": end("sky", sky_id, SYNSETS["sky"][0]),
                         "relationship_id": VG_XSS_OBJECT_ID, "synsets": [PREDICATE_SYNSETS["in"]],
                         "subject": end(XSS_SCRIPT, VG_XSS_OBJECT_ID, synsets[0])},
        "region": {"region_id": VG_XSS_OBJECT_ID, "width": w, "height": h, "image_id": image_id,
                   "phrase": f"a sign that reads {XSS_SCRIPT} {XSS_IMG}", "y": y, "x": x},
        "qa": {"a_objects": [], "question": f"What does the sign say? {XSS_SCRIPT}", "image_id": image_id,
               "qa_id": VG_XSS_OBJECT_ID, "answer": XSS_IMG, "q_objects": []},
    }  # fmt: skip


def _endpoint(obj: _Obj, rng: random.Random) -> dict[str, Any]:
    """A relationship end as v1.4 writes it: v1.2 id and box with `name`, or the merged object with `names`."""
    synsets = [SYNSETS[obj.name][0]]
    if obj.old_id is not None and rng.random() < 0.8:
        jitter = [rng.randint(-3, 3) for _ in range(4)]
        return {
            "name": obj.written_name,
            "h": obj.h + jitter[0],
            "synsets": synsets,
            "object_id": obj.old_id,
            "w": obj.w + jitter[1],
            "y": obj.y + jitter[2],
            "x": obj.x + jitter[3],
        }
    if rng.random() < 0.5:
        return {
            "name": obj.written_name,
            "h": obj.h,
            "synsets": synsets,
            "object_id": obj.object_id,
            "w": obj.w,
            "y": obj.y,
            "x": obj.x,
        }
    return {
        "h": obj.h,
        "object_id": obj.object_id,
        "merged_object_ids": [] if obj.old_id is None else [obj.old_id],
        "synsets": synsets,
        "w": obj.w,
        "y": obj.y,
        "x": obj.x,
        "names": [obj.written_name],
    }


def _dumps(data: object) -> bytes:
    # The release's own separators (", " and ": "), one line, fixed key order.
    return json.dumps(data).encode()


def write_raw_visual_genome(root: Path, seed: int = 0, n_images: int = 40) -> None:
    """Write Visual Genome v1.4 release files and images (`VG_100K/<id>.jpg`, `VG_100K_2/<id>.jpg`) under `root`.

    Files and keys as released: image_data.json (image_id), objects.json.zip and relationships.json.zip
    (image_id; objects.json's `image_url` always points at VG_100K_2, as in v1.4), attributes.json
    (image_id; `attributes` absent when an object has none), region_descriptions.json and
    question_answers.json (per-image key `id`; regions use `width`/`height`), synsets.json.

    Quirks: mixed-case and padded predicates ("ON", " near "), padded names ("dog ") and phrases, duplicate
    mixed-case attributes on the showcase red car, relationship ends with v1.2 ids absent from objects.json,
    a box one pixel past the right edge (image `VG_OVERRUN_IMAGE_ID`), a box with x < 0
    (`VG_NEGATIVE_X_IMAGE_ID`), a missing (`VG_MISSING_IMAGE_ID`) and a corrupt (`VG_CORRUPT_IMAGE_ID`) file, and a sign whose object
    name, attribute, relationship, region phrase and Q&A hold HTML/script payloads (`VG_XSS_IMAGE_ID`).
    """
    if n_images < VG_XSS_IMAGE_ID:
        raise ValueError(f"the Visual Genome sample needs at least {VG_XSS_IMAGE_ID} images to hold its quirk images")
    rng = random.Random(f"visual_genome:{seed}")
    next_object, next_old, next_rel, next_region, next_qa = 1_058_000, 5_000, 15_900, 1_380, 986_700
    image_data: list[dict[str, Any]] = []
    objects_json: list[dict[str, Any]] = []
    attributes_json: list[dict[str, Any]] = []
    relationships_json: list[dict[str, Any]] = []
    regions_json: list[dict[str, Any]] = []
    qas_json: list[dict[str, Any]] = []
    used_synsets: set[str] = set()
    for image_id in range(1, n_images + 1):
        scene = _vg_scene(image_id, rng)
        folder = "VG_100K_2" if image_id % 4 == 1 else "VG_100K"
        path = root / folder / f"{image_id}.jpg"
        if image_id == VG_CORRUPT_IMAGE_ID:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(rng.randbytes(4096))
        elif image_id != VG_MISSING_IMAGE_ID:
            _save_jpeg(scene.img, path)
        known = rng.random() < 0.3
        image_data.append(
            {
                "width": scene.width,
                "url": VG_URL.format(folder=folder, id=image_id),
                "height": scene.height,
                "image_id": image_id,
                "coco_id": rng.randrange(1, 581_000) if known else None,
                "flickr_id": rng.randrange(2_000_000_000, 9_000_000_000) if known else None,
            }
        )
        for obj in scene.objects:
            obj.object_id = next_object
            next_object += 1
            if rng.random() < 0.2:
                obj.old_id = next_old
                next_old += 1
            used_synsets.add(obj.name)
        objects_json.append(
            {
                "image_id": image_id,
                "objects": [
                    {
                        "synsets": [SYNSETS[o.name][0]],
                        "h": o.h,
                        "object_id": o.object_id,
                        "merged_object_ids": [] if o.old_id is None else [o.old_id],
                        "names": [o.written_name],
                        "w": o.w,
                        "y": o.y,
                        "x": o.x,
                    }
                    for o in scene.objects
                ],
                "image_url": VG_URL.format(folder="VG_100K_2", id=image_id),
            }
        )
        entries: list[dict[str, Any]] = []
        for o in scene.objects:
            entry: dict[str, Any] = {
                "synsets": [SYNSETS[o.name][0]],
                "h": o.h,
                "object_id": o.object_id,
                "names": [o.written_name],
                "w": o.w,
            }
            if o.attributes:
                entry["attributes"] = list(o.attributes)
            entries.append({**entry, "y": o.y, "x": o.x})
        attributes_json.append({"image_id": image_id, "attributes": entries})
        rels: list[dict[str, Any]] = []
        for subject, predicate, obj in scene.relationships:
            rels.append(
                {
                    "predicate": predicate,
                    "object": _endpoint(obj, rng),
                    "relationship_id": next_rel,
                    "synsets": [PREDICATE_SYNSETS[predicate.strip().lower()]],
                    "subject": _endpoint(subject, rng),
                }
            )
            next_rel += 1
        relationships_json.append({"relationships": rels, "image_id": image_id})
        regions: list[dict[str, Any]] = []
        for phrase, (x, y, w, h) in scene.regions:
            regions.append(
                {
                    "region_id": next_region,
                    "width": w,
                    "height": h,
                    "image_id": image_id,
                    "phrase": phrase,
                    "y": y,
                    "x": x,
                }
            )
            next_region += 1
        regions_json.append({"regions": regions, "id": image_id})
        qas: list[dict[str, Any]] = []
        for question, answer in scene.qas:
            qas.append(
                {
                    "a_objects": [],
                    "question": question,
                    "image_id": image_id,
                    "qa_id": next_qa,
                    "answer": answer,
                    "q_objects": [],
                }
            )
            next_qa += 1
        qas_json.append({"id": image_id, "qas": qas})
        if image_id == VG_XSS_IMAGE_ID:
            xss = _xss_annotations(image_id, scene.objects[0].object_id)  # objects[0] is the sky
            objects_json[-1]["objects"].append(xss["object"])
            attributes_json[-1]["attributes"].append(xss["attribute"])
            rels.append(xss["relationship"])
            regions.append(xss["region"])
            qas.append(xss["qa"])
    root.mkdir(parents=True, exist_ok=True)
    (root / "image_data.json").write_bytes(_dumps(image_data))
    _write_zip(root / "objects.json.zip", "objects.json", _dumps(objects_json))
    _write_zip(root / "relationships.json.zip", "relationships.json", _dumps(relationships_json))
    (root / "attributes.json").write_bytes(_dumps(attributes_json))
    (root / "region_descriptions.json").write_bytes(_dumps(regions_json))
    (root / "question_answers.json").write_bytes(_dumps(qas_json))
    synsets = [
        {"synset_definition": SYNSETS[name][1], "synset_name": SYNSETS[name][0]} for name in sorted(used_synsets)
    ]
    (root / "synsets.json").write_bytes(_dumps(synsets))


# --------------------------------------------------------------------------------------------------------


def build_sample(data_dir: Path, seed: int = 0, progress: bool = False) -> dict[str, IngestReport]:
    """Write both raw sample trees under `data_dir/raw/` (replacing any previous one) and ingest them."""
    from explorer.ingest import journeydb, visual_genome

    raw_jdb = data_dir / "raw" / "journeydb"
    raw_vg = data_dir / "raw" / "visual_genome"
    for raw in (raw_jdb, raw_vg):
        shutil.rmtree(raw, ignore_errors=True)
    write_raw_journeydb(raw_jdb, seed)
    write_raw_visual_genome(raw_vg, seed)
    return {
        "journeydb": journeydb.ingest(raw_jdb, data_dir, progress=progress),
        "visual_genome": visual_genome.ingest(raw_vg, data_dir, progress=progress),
    }
