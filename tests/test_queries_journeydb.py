"""The JourneyDB gallery queries on the demo export."""

from __future__ import annotations

import pytest

from explorer.filters import JourneyFilter
from explorer.queries import journeydb as q
from explorer.sample import JDB_LITERAL_ESCAPE_ID, JDB_MISSING_FILE_ID, JDB_PATH_ESCAPE_ID, JDB_XSS_ID


def _ids_with(store, column: str, tag: str) -> set[str]:
    """Independent check: images whose tag list holds `tag`, straight from the images table."""
    rows = store.rows(f"SELECT image_id FROM journeydb_images WHERE list_contains({column}, ?)", [tag])
    return {r[0] for r in rows}


def test_count_without_filter_is_every_image(sample_store) -> None:
    assert q.count_images(sample_store, JourneyFilter()) == 300


def test_tag_filter_all_and_any(sample_store) -> None:
    anime = _ids_with(sample_store, "styles", "anime")
    dreamy = _ids_with(sample_store, "atmospheres", "dreamy")
    assert anime and dreamy
    f_all = JourneyFilter(styles=("anime",), atmospheres=("dreamy",))
    f_any = JourneyFilter(styles=("anime",), atmospheres=("dreamy",), match="any")
    assert q.count_images(sample_store, f_all) == len(anime & dreamy)
    assert q.count_images(sample_store, f_any) == len(anime | dreamy)
    two_styles = JourneyFilter(styles=("anime", "vibrant"))
    assert q.count_images(sample_store, two_styles) == len(anime & _ids_with(sample_store, "styles", "vibrant"))


def test_pages_are_disjoint_ordered_and_cover_the_matches(sample_store) -> None:
    f = JourneyFilter(split="train")
    total = q.count_images(sample_store, f)
    seen: list[str] = []
    for page in range(1, total // 24 + 2):
        rows = q.image_page(sample_store, f, page, 24)
        assert len(rows) <= 24
        seen += [r.image_id for r in rows]
    assert len(seen) == total == len(set(seen))
    row_ids = dict(sample_store.rows("SELECT image_id, row_id FROM journeydb_images"))
    assert [row_ids[i] for i in seen] == sorted(row_ids[i] for i in seen)  # the release's order
    assert q.image_page(sample_store, f, 2, 24)[0].image_id == seen[24]
    assert q.image_page(sample_store, f, 10_000, 24) == []


def test_text_search_is_case_insensitive_over_prompt_and_caption(sample_store) -> None:
    n = q.count_images(sample_store, JourneyFilter(q="Lighthouse"))
    assert n > 0
    assert n == q.count_images(sample_store, JourneyFilter(q="lighthouse"))
    both = q.count_images(sample_store, JourneyFilter(q="lighthouse fog"))
    assert 0 < both <= n
    for row in q.image_page(sample_store, JourneyFilter(q="lighthouse fog"), 1, 96):
        text = f"{row.prompt_text} {row.caption}".lower()
        assert "lighthouse" in text and "fog" in text
    # LIKE wildcards are matched literally
    assert q.count_images(sample_store, JourneyFilter(q="%")) == 0


def test_split_version_and_aspect_ratio(sample_store) -> None:
    versions = q.value_counts(sample_store, "version")
    top = versions.iloc[0]
    assert q.count_images(sample_store, JourneyFilter(version=top["value"])) == top["n_images"]
    ar_counts = q.value_counts(sample_store, "ar")
    ars = dict(zip(ar_counts["value"], ar_counts["n_images"], strict=True))
    assert q.count_images(sample_store, JourneyFilter(aspect_ratio="16:9")) == ars["16:9"]
    split_counts = q.value_counts(sample_store, "split")
    splits = dict(zip(split_counts["value"], split_counts["n_images"], strict=True))
    assert splits == {"train": 240, "valid": 30, "test": 30}


def test_tag_counts_and_known_tags(sample_store) -> None:
    counts = q.tag_counts(sample_store, "style")
    assert list(counts["n_images"]) == sorted(counts["n_images"], reverse=True)
    anime = int(counts.set_index("tag").loc["anime", "n_images"])
    assert anime == len(_ids_with(sample_store, "styles", "anime"))
    assert q.known_tags(sample_store, "style", ["anime", "no such tag", "dreamy"]) == ["anime"]
    assert q.tag_counts_of(sample_store, "style", ["anime", "nope"]) == {"anime": anime}
    assert q.known_tags(sample_store, "style", []) == []


def test_sample_detail_with_questions(sample_store) -> None:
    s = q.sample(sample_store, JDB_XSS_ID)
    assert s is not None
    assert "<script>" in (s.prompt or "")
    assert s.tags["style"][0] == "cyberpunk"
    assert s.params["version"] == "5.2" and s.params["aspect ratio"] == "16:9"
    assert s.questions and {x.kind for x in s.questions} <= {"style", "content"}
    assert all(len(x.options) == 4 and x.answer in "ABCD" for x in s.questions)
    kinds = [x.kind for x in s.questions]
    assert kinds == sorted(kinds, key=lambda k: k == "content")  # style questions first


def test_literal_escapes_are_decoded_in_prompt_text(sample_store) -> None:
    s = q.sample(sample_store, JDB_LITERAL_ESCAPE_ID)
    assert s is not None and s.prompt is not None and s.prompt_text is not None
    assert "\\u2019" in s.prompt
    assert "\\u2019" not in s.prompt_text and "cat\u2019s" in s.prompt_text


def test_test_split_answers_are_withheld(sample_store) -> None:
    image_id = sample_store.scalar(
        "SELECT image_id FROM journeydb_questions WHERE split = 'test' ORDER BY image_id LIMIT 1"
    )
    s = q.sample(sample_store, image_id)
    assert s is not None and s.answers_withheld
    assert s.questions and all(x.answer is None for x in s.questions)


def test_same_prompt_siblings(sample_store) -> None:
    image_id, n = sample_store.rows(
        "SELECT min(image_id), count(*) FROM journeydb_images WHERE prompt_hash IS NOT NULL"
        " GROUP BY prompt_hash HAVING count(*) > 1 ORDER BY 2 DESC, 1 LIMIT 1"
    )[0]
    s = q.sample(sample_store, image_id)
    assert s is not None
    siblings = q.same_prompt(sample_store, s)
    assert len(siblings) == n - 1
    assert image_id not in {r.image_id for r in siblings}
    for row in siblings:
        other = q.sample(sample_store, row.image_id)
        assert other is not None and other.prompt == s.prompt


def test_images_without_prompt_have_no_siblings(sample_store) -> None:
    image_id = sample_store.scalar("SELECT image_id FROM journeydb_images WHERE prompt IS NULL LIMIT 1")
    s = q.sample(sample_store, image_id)
    assert s is not None and s.prompt_hash is None
    assert q.same_prompt(sample_store, s) == []


def test_quirk_records_are_there(sample_store) -> None:
    for image_id in (JDB_MISSING_FILE_ID, JDB_PATH_ESCAPE_ID):
        assert q.sample(sample_store, image_id) is not None
    assert q.sample(sample_store, JDB_PATH_ESCAPE_ID).img_path is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "hostile",
    ["' OR 1=1 --", "'; DROP TABLE journeydb_images; --", "../../etc/passwd", "%' OR '%'='", "x" * 5000, "\\"],
)
def test_hostile_values_give_empty_results(sample_store, hostile: str) -> None:
    assert q.sample(sample_store, hostile) is None
    assert q.known_tags(sample_store, "style", [hostile]) == []
    assert q.count_images(sample_store, JourneyFilter(styles=(hostile,))) == 0
    assert q.count_images(sample_store, JourneyFilter(version=hostile, match="any")) == 0
    assert q.image_page(sample_store, JourneyFilter(aspect_ratio=hostile), 1, 48) == []
    assert q.count_images(sample_store, JourneyFilter(q=hostile)) == 0
    assert q.count_images(sample_store, JourneyFilter()) == 300  # and nothing was dropped


def test_page_numbers_and_sizes_are_bounded(sample_store) -> None:
    f = JourneyFilter()
    assert len(q.image_page(sample_store, f, -5, 24)) == 24  # below 1 reads as page 1
    assert len(q.image_page(sample_store, f, 1, 10**9)) == 300  # size capped, still all 300
    assert q.image_page(sample_store, f, 10**12, 48) == []
