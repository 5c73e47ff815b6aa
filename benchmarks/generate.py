"""Full-size raw JourneyDB and Visual Genome releases for benchmarking, generated in DuckDB SQL.

`SCALE=1` writes what the releases hold: 4,429,295 JourneyDB records (4,189,737 train, 234,156 valid,
5,402 test) as `.jsonl` (about 6 GB; `--tgz` also packs them as the released `.jsonl.tgz`), and 108,077
Visual Genome images with ~35 objects, ~21 relationships, ~50 region descriptions and ~16 QA pairs each
(six JSON array files, about 2 GB). No image files are written: the benchmark measures annotations only
(the JourneyDB ingest then finds no image to read a size from, and width/height stay null).

Everything is computed by DuckDB from `hash(row, salt, seed)`, so a seed gives the same records whatever
the thread count. Tags, object names, attributes, predicates and prompt words are Zipf-distributed
(rank k drawn as floor(n ** u) for uniform u, i.e. P(k) ~ 1/k) over synthetic vocabularies whose top ranks
are common English words, so the filters and the text search see realistic skew.
"""

from __future__ import annotations

import argparse
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

JDB_SPLITS = {"train": 4_189_737, "valid": 234_156, "test": 5_402}
JDB_FILES = {
    "train": "train_anno_realease_repath.jsonl",
    "valid": "valid_anno_repath.jsonl",
    "test": "test_questions.jsonl",
}
VG_IMAGES = 108_077
COMMON_WORDS = [
    "a",
    "of",
    "the",
    "in",
    "with",
    "and",
    "on",
    "at",
    "by",
    "portrait",
    "woman",
    "man",
    "cat",
    "dog",
    "city",
    "forest",
    "night",
    "sky",
    "light",
    "beautiful",
    "dark",
    "girl",
    "boy",
    "old",
    "young",
    "red",
    "blue",
    "green",
    "gold",
    "white",
    "black",
    "ocean",
    "mountain",
    "river",
    "castle",
    "robot",
    "dragon",
    "flower",
    "tree",
    "house",
    "street",
    "car",
    "ship",
    "bird",
    "horse",
    "moon",
    "sun",
    "star",
    "cloud",
    "rain",
    "snow",
    "fire",
    "water",
    "glass",
    "stone",
    "wood",
    "metal",
    "neon",
    "cyberpunk",
    "fantasy",
    "surreal",
    "realistic",
    "cinematic",
    "detailed",
    "painting",
    "photo",
    "illustration",
    "art",
    "style",
    "lighting",
    "colorful",
    "vintage",
    "futuristic",
    "ancient",
    "magic",
    "dream",
    "garden",
    "window",
    "room",
    "table",
    "chair",
    "face",
    "eyes",
    "hair",
    "dress",
    "armor",
    "sword",
    "crown",
    "wings",
    "space",
    "planet",
    "galaxy",
    "temple",
    "tower",
    "bridge",
    "road",
    "field",
    "lake",
    "beach",
    "desert",
    "jungle",
    "island",
    "village",
    "market",
    "kitchen",
    "library",
    "museum",
    "station",
    "train",
    "plane",
    "boat",
]
STYLE_WORDS = [
    "realistic",
    "cinematic",
    "digital-art",
    "illustration",
    "anime",
    "watercolor",
    "oil-painting",
    "photorealistic",
    "surreal",
    "minimalist",
    "fantasy",
    "concept-art",
    "3d-render",
    "pixel-art",
    "vintage",
    "impressionism",
    "cyberpunk",
    "steampunk",
    "sketch",
]
OBJECT_WORDS = [
    "man",
    "window",
    "person",
    "tree",
    "building",
    "shirt",
    "wall",
    "woman",
    "sign",
    "sky",
    "ground",
    "grass",
    "cloud",
    "head",
    "pole",
    "hand",
    "leg",
    "plate",
    "table",
    "car",
    "water",
    "hair",
    "train",
    "people",
    "ear",
    "eye",
    "street",
    "road",
    "trees",
    "snow",
    "line",
    "fence",
    "light",
]
ATTRIBUTE_WORDS = [
    "white",
    "black",
    "blue",
    "green",
    "red",
    "brown",
    "yellow",
    "small",
    "large",
    "wooden",
    "gray",
    "silver",
    "metal",
    "tall",
    "orange",
]
PREDICATES = [
    "on",
    "has",
    "in",
    "of",
    "wearing",
    "with",
    "behind",
    "holding",
    "near",
    "next to",
    "above",
    "on top of",
    "under",
    "sitting on",
    "standing on",
    "in front of",
    "riding",
    "beside",
    "by",
    "attached to",
    "over",
    "inside",
    "carrying",
    "laying on",
    "looking at",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "ta",
    "shi",
    "po",
    "vel",
    "dan",
    "or",
    "es",
    "ith",
    "ul",
    "ber",
    "gon",
    "fa",
    "ri",
    "mo",
    "zen",
]


@dataclass(frozen=True)
class Sizes:
    """Row counts for one scale factor."""

    jdb: dict[str, int]
    vg_images: int


def sizes_for(scale: float) -> Sizes:
    """Records per JourneyDB split and Visual Genome images at `scale` (at least a few of each)."""
    jdb = {split: max(3, round(n * scale)) for split, n in JDB_SPLITS.items()}
    return Sizes(jdb, max(5, round(VG_IMAGES * scale)))


def vocabulary(seed: int, size: int, head: tuple[str, ...] | list[str]) -> list[str]:
    """`head` followed by distinct synthetic words (2-4 syllables), `size` words in all."""
    rng = np.random.default_rng(seed)
    words = list(dict.fromkeys(head))
    seen = set(words)
    while len(words) < size:
        n = int(rng.integers(2, 5))
        word = "".join(SYLLABLES[i] for i in rng.integers(0, len(SYLLABLES), n))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words[:size]


def _connect(seed: int, threads: int | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"memory_limit": "4GB"})
    if threads:
        con.execute(f"SET threads = {threads}")
    seed = int(seed)
    con.execute(f"""
        CREATE MACRO u(a, b) AS (hash(a, b, {seed}) % 1000000007)::DOUBLE / 1000000007.0;
        CREATE MACRO pick(a, b, n) AS (floor(u(a, b) * n))::BIGINT;
        -- 1-based Zipf rank over n items: P(k) ~ 1/k
        CREATE MACRO zipf(a, b, n) AS least(n, floor(exp(u(a, b) * ln(n)))::BIGINT);
        CREATE MACRO words(v, a, b, n) AS array_to_string(
            list_transform(range(n), lambda macro_j: v[zipf(a, b * 1000 + macro_j, len(v))]), ' ');
        CREATE MACRO zlist(v, a, b, n) AS list_transform(range(n), lambda macro_j: v[zipf(a, b * 1000 + macro_j, len(v))]);
        CREATE MACRO uuid_of(a) AS regexp_replace(md5(a::VARCHAR || '-{seed}'),
            '^(.{{8}})(.{{4}}).(.{{3}})(.{{4}})(.{{12}})$', '\\1-\\2-4\\3-\\4-\\5');
    """)
    return con


def _register_lists(con: duckdb.DuckDBPyConnection, name: str, lists: dict[str, list[str]]) -> None:
    cols = ", ".join(f"? AS {key}" for key in lists)
    con.execute(f"CREATE TABLE {name} AS SELECT {cols}", list(lists.values()))


def _qa(kind_salt: int, *, answer: bool = True) -> str:
    """SQL for one Task3 question (inside a lambda over k); the test split has no answers."""
    letter = f"['A', 'B', 'C', 'D'][1 + pick(i, {kind_salt + 50} + k, 4)]"
    options = ", ".join(f"'{x}': w[zipf(i, {kind_salt + 10 * n} + k, len(w))]" for n, x in enumerate("ABCD", 1))
    return (
        f"{{'Question': 'What ' || w[zipf(i, {kind_salt} + k, len(w))] || ' is shown in the image?', "
        f"'Options': {{{options}}}" + (f", 'Answer': {letter}}}" if answer else "}")
    )


JDB_ROWS_SQL = """
SELECT i, w, v_style, v_content, v_atmo, v_other,
    6 + pick(i, 1, 55) AS n_words,
    CASE WHEN u(i, 2) < 0.85 THEN ['--ar 16:9', '--ar 3:2', '--ar 2:3', '--ar 9:16', '--ar 4:3', '--aspect 21:9',
              '--ar 1:1'][1 + pick(i, 3, 7)] END AS ar,
    ['--v 5', '--v 5.1', '--v 5.2', '--v 4', '--niji 5', '--version 6', NULL][1 + pick(i, 4, 7)] AS v,
    CASE WHEN u(i, 5) < 0.3 THEN '--q ' || ['0.5', '1', '2', '.25'][1 + pick(i, 6, 4)] END AS q,
    CASE WHEN u(i, 7) < 0.35 THEN '--s ' || [50, 100, 250, 750, 1000][1 + pick(i, 8, 5)] END AS s,
    CASE WHEN u(i, 9) < 0.2 THEN '--seed ' || (hash(i, 10) % 4294967296) END AS seed_param
FROM range({start}, {stop}) AS r(i), vocab
"""

JDB_SQL = """
COPY (
    SELECT './' || lpad(((i // 1000) % 1000)::VARCHAR, 3, '0') || '/' || uuid_of(i) || '.jpg' AS img_path,
        {prompt_cols}
        {{'Style Relevant Questions and Answers': list_transform(range(pick(i, 30, 2)), lambda k: {style_qa}),
          'Content Relevant Questions and Answers': list_transform(range(pick(i, 31, 3)), lambda k: {content_qa})
        }} AS "Task3"
    FROM ({rows})
) TO '{path}' (FORMAT json)
"""

JDB_PROMPT_COLS = """
        words(w, i, 11, n_words) || coalesce(', ' || nullif(concat_ws(' ', ar, v, q, s, seed_param), ''), '')
            AS prompt,
        {'Style': zlist(v_style, i, 12, 1 + pick(i, 13, 5)), 'Content': zlist(v_content, i, 14, 1 + pick(i, 15, 6)),
         'Atmosphere': zlist(v_atmo, i, 16, pick(i, 17, 4)), 'Others': zlist(v_other, i, 18, pick(i, 19, 3))} AS "Task1",
        {'Caption': upper(left(c, 1)) || substr(c, 2) || '.'} AS "Task2",
"""


def generate_journeydb(root: Path, scale: float, seed: int = 0, threads: int | None = None) -> dict[str, Path]:
    """Write `root/data/<split>/<annotation file>.jsonl` for every split; return the paths."""
    sizes = sizes_for(scale)
    con = _connect(seed, threads)
    _register_lists(
        con,
        "vocab",
        {
            "w": vocabulary(seed, 30_000, COMMON_WORDS),
            "v_style": vocabulary(seed + 1, 2_000, STYLE_WORDS),
            "v_content": vocabulary(seed + 2, 8_000, COMMON_WORDS[10:]),
            "v_atmo": vocabulary(seed + 3, 500, ("dreamy", "moody", "peaceful", "dramatic", "mysterious", "joyful")),
            "v_other": vocabulary(
                seed + 4, 1_000, ("8k", "highly detailed", "trending on artstation", "octane render")
            ),
        },
    )
    out: dict[str, Path] = {}
    start = 0
    for split, n in sizes.jdb.items():
        path = root / "data" / split / JDB_FILES[split]
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = JDB_ROWS_SQL.format(start=start, stop=start + n)
        if split == "test":
            prompt_cols = ""
            style_qa, content_qa = _qa(500, answer=False), _qa(600, answer=False)
        else:
            prompt_cols = JDB_PROMPT_COLS
            style_qa, content_qa = _qa(500), _qa(600)
        caption_rows = f"SELECT *, words(w, i, 20, 8 + pick(i, 21, 18)) AS c FROM ({rows})"
        sql = JDB_SQL.format(
            prompt_cols=prompt_cols,
            style_qa=style_qa,
            content_qa=content_qa,
            rows=caption_rows,
            path=str(path).replace("'", "''"),
        )
        con.execute(sql)
        out[split] = path
        start += n
    con.close()
    return out


def pack_tgz(path: Path) -> Path:
    """`x.jsonl` -> `x.jsonl.tgz` (one member), as released; the .jsonl is kept."""
    target = path.with_name(path.name + ".tgz")
    with tarfile.open(target, "w:gz", compresslevel=1) as tf:
        tf.add(path, arcname=path.name)
    return target


VG_IMAGE_SQL = """
SELECT id, ov, av, pv, w,
    1 + pick(id, 1, 69) AS n_obj, pick(id, 2, 43) AS n_rel, 1 + pick(id, 3, 99) AS n_reg, pick(id, 4, 33) AS n_qa,
    400 + pick(id, 5, 624) AS width, 300 + pick(id, 6, 500) AS height
FROM range(1, {n} + 1) AS r(id), vocab
"""
OBJ_NAME = "ov[zipf(id, 100000 + {k}, len(ov))]"
OBJ_BOX = (
    "'x': pick(id, 200000 + {k}, 400), 'y': pick(id, 300000 + {k}, 300), "
    "'w': 1 + pick(id, 400000 + {k}, 400), 'h': 1 + pick(id, 500000 + {k}, 300)"
)
VG_SQL = {
    "image_data.json": """
        SELECT id AS image_id, 'https://cs.stanford.edu/people/rak248/' || CASE WHEN id % 3 = 0 THEN 'VG_100K_2'
                ELSE 'VG_100K' END || '/' || id || '.jpg' AS url, width, height,
            CASE WHEN u(id, 7) < 0.47 THEN 100000 + id END AS coco_id,
            CASE WHEN u(id, 8) < 0.5 THEN 2000000000 + id END AS flickr_id
        FROM ({images}) ORDER BY id""",
    "objects.json": f"""
        SELECT id AS image_id, 'https://cs.stanford.edu/people/rak248/VG_100K/' || id || '.jpg' AS image_url,
            list_transform(range(n_obj), lambda k: {{'object_id': id * 128 + k,
                'names': [{OBJ_NAME.format(k="k")}], 'synsets': [{OBJ_NAME.format(k="k")} || '.n.01'],
                'merged_object_ids': []::BIGINT[], {OBJ_BOX.format(k="k")}}}) AS objects
        FROM ({{images}}) ORDER BY id""",
    "attributes.json": f"""
        SELECT id AS image_id,
            list_transform(range(n_obj), lambda k: {{'object_id': id * 128 + k,
                'names': [{OBJ_NAME.format(k="k")}], 'synsets': [{OBJ_NAME.format(k="k")} || '.n.01'],
                {OBJ_BOX.format(k="k")},
                'attributes': CASE WHEN u(id, 600000 + k) >= 0.4 THEN
                    zlist(av, id, 700000 + k, CASE WHEN u(id, 600000 + k) < 0.85 THEN 1 ELSE 2 END) END}})
                AS attributes
        FROM ({{images}}) ORDER BY id""",
    "relationships.json": f"""
        SELECT id AS image_id,
            list_transform(range(n_rel), lambda k: {{'relationship_id': id * 64 + k,
                'predicate': upper(pv[zipf(id, 800000 + k, len(pv))]), 'synsets': ['along.r.01'],
                'subject': {{'object_id': id * 128 + pick(id, 810000 + k, n_obj),
                             'name': {OBJ_NAME.format(k="pick(id, 810000 + k, n_obj)")},
                             'synsets': ['thing.n.01'], {OBJ_BOX.format(k="pick(id, 810000 + k, n_obj)")}}},
                'object': {{'object_id': id * 128 + pick(id, 820000 + k, n_obj),
                            'names': [{OBJ_NAME.format(k="pick(id, 820000 + k, n_obj)")}],
                            'merged_object_ids': []::BIGINT[], 'synsets': ['thing.n.01'],
                            {OBJ_BOX.format(k="pick(id, 820000 + k, n_obj)")}}}}}) AS relationships
        FROM ({{images}}) ORDER BY id""",
    "region_descriptions.json": """
        SELECT id, list_transform(range(n_reg), lambda k: {'region_id': id * 128 + k, 'image_id': id,
                'phrase': words(w, id, 900000 + k, 3 + pick(id, 910000 + k, 8)),
                'x': pick(id, 920000 + k, 400), 'y': pick(id, 930000 + k, 300),
                'width': 1 + pick(id, 940000 + k, 400), 'height': 1 + pick(id, 950000 + k, 300)}) AS regions
        FROM ({images}) ORDER BY id""",
    "question_answers.json": """
        SELECT id, list_transform(range(n_qa), lambda k: {'qa_id': id * 64 + k, 'image_id': id,
                'question': ['What', 'Where', 'How', 'Who', 'Why', 'When'][zipf(id, 960000 + k, 6)]
                    || ' is the ' || w[zipf(id, 970000 + k, len(w))] || '?',
                'answer': upper(left(w[zipf(id, 980000 + k, len(w))], 1)) || substr(w[zipf(id, 980000 + k, len(w))], 2)
                    || '.', 'q_objects': []::BIGINT[], 'a_objects': []::BIGINT[]}) AS qas
        FROM ({images}) ORDER BY id""",
}


def generate_visual_genome(root: Path, scale: float, seed: int = 0, threads: int | None = None) -> dict[str, Path]:
    """Write the six Visual Genome v1.4 JSON array files into `root`; return the paths."""
    sizes = sizes_for(scale)
    root.mkdir(parents=True, exist_ok=True)
    con = _connect(seed, threads)
    _register_lists(
        con,
        "vocab",
        {
            "ov": vocabulary(seed + 10, 20_000, OBJECT_WORDS + COMMON_WORDS[10:]),
            "av": vocabulary(seed + 11, 5_000, ATTRIBUTE_WORDS),
            "pv": vocabulary(seed + 12, 600, PREDICATES),
            "w": vocabulary(seed + 13, 20_000, COMMON_WORDS),
        },
    )
    images = VG_IMAGE_SQL.format(n=sizes.vg_images)
    out: dict[str, Path] = {}
    for name, sql in VG_SQL.items():
        path = root / name
        con.execute(f"COPY ({sql.replace('{images}', images)}) TO '{path}' (FORMAT json, ARRAY true)")
        out[name] = path
    con.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/raw"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tgz", action="store_true", help="also pack the JourneyDB .jsonl files as .jsonl.tgz")
    parser.add_argument("--only", choices=("journeydb", "visual_genome"))
    args = parser.parse_args()
    if args.only != "visual_genome":
        started = time.monotonic()
        paths = generate_journeydb(args.out / "journeydb", args.scale, args.seed)
        print(f"journeydb: {time.monotonic() - started:.1f} s")
        if args.tgz:
            started = time.monotonic()
            for path in paths.values():
                pack_tgz(path)
            print(f"journeydb tgz: {time.monotonic() - started:.1f} s")
    if args.only != "journeydb":
        started = time.monotonic()
        generate_visual_genome(args.out / "visual_genome", args.scale, args.seed)
        print(f"visual_genome: {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
