"""The Visual Genome page's queries, run directly on the demo export."""

from __future__ import annotations

import pytest

from explorer.filters import AttributeFilter, Triple, VGFilter
from explorer.queries import visual_genome as q
from explorer.sample import VG_MISSING_IMAGE_ID, VG_SHOWCASE_IMAGE_ID
from explorer.store import Store


def _ids(store: Store, f: VGFilter) -> set[int]:
    return {row.image_id for row in q.match_page(store, f, 1, 1000)}


def _with_objects(store: Store, *names: str) -> set[int]:
    sets = [{r[0] for r in store.rows("SELECT DISTINCT image_id FROM vg_objects WHERE name = ?", [n])} for n in names]
    return set.intersection(*sets)


def test_no_filter_matches_every_image(sample_store: Store) -> None:
    assert q.count_matches(sample_store, VGFilter()) == 40
    page = q.match_page(sample_store, VGFilter(), 1, 48)
    assert [r.image_id for r in page] == list(range(1, 41))
    assert page[0].width == 800 and page[0].height == 600 and page[0].img_path


def test_paging_is_by_image_id(sample_store: Store) -> None:
    second = q.match_page(sample_store, VGFilter(), 2, 15)
    assert [r.image_id for r in second] == list(range(16, 31))
    assert q.match_page(sample_store, VGFilter(), 99, 15) == []


def test_dog_and_frisbee_means_both(sample_store: Store) -> None:
    f = VGFilter(objects=("dog", "frisbee"))
    expected = _with_objects(sample_store, "dog", "frisbee")
    assert VG_SHOWCASE_IMAGE_ID in expected
    assert expected < _with_objects(sample_store, "dog")  # some dogs have no frisbee nearby
    assert _ids(sample_store, f) == expected
    assert q.count_matches(sample_store, f) == len(expected)
    assert q.count_matches(sample_store, VGFilter(objects=("dog", "unicorn"))) == 0


def test_attribute_on_any_object(sample_store: Store) -> None:
    ids = _ids(sample_store, VGFilter(attributes=(AttributeFilter("furry"),)))
    expected = {r[0] for r in sample_store.rows("SELECT image_id FROM vg_object_attributes WHERE attribute='furry'")}
    assert ids == expected and ids


def test_red_car_is_the_same_object(sample_store: Store) -> None:
    red_car = _ids(sample_store, VGFilter(attributes=(AttributeFilter("red", "car"),)))
    red_and_car = _ids(sample_store, VGFilter(objects=("car",), attributes=(AttributeFilter("red"),)))
    assert VG_SHOWCASE_IMAGE_ID in red_car
    assert red_car <= red_and_car
    assert red_car != red_and_car  # images with a red shirt and a car of another colour
    for image_id in red_car:
        cars = sample_store.rows("SELECT attributes FROM vg_objects WHERE image_id=? AND name='car'", [image_id])
        assert any("red" in attrs for (attrs,) in cars)


def test_triple_wildcards(sample_store: Store) -> None:
    riding_any = _ids(sample_store, VGFilter(relationships=(Triple("man", "riding", None),)))
    any_riding_horse = _ids(sample_store, VGFilter(relationships=(Triple(None, "riding", "horse"),)))
    man_any_horse = _ids(sample_store, VGFilter(relationships=(Triple("man", None, "horse"),)))
    assert VG_SHOWCASE_IMAGE_ID in riding_any
    assert riding_any == any_riding_horse == man_any_horse == _with_objects(sample_store, "horse")
    assert _ids(sample_store, VGFilter(relationships=(Triple("horse", "riding", None),))) == set()


def test_text_over_regions_and_questions(sample_store: Store) -> None:
    in_regions = _ids(sample_store, VGFilter(q="wooden bench"))
    assert in_regions and in_regions == {
        r[0] for r in sample_store.rows("SELECT image_id FROM vg_regions WHERE phrase ILIKE '%wooden bench%'")
    }
    only_in_answers = _ids(sample_store, VGFilter(q="daytime"))  # an answer, never a region phrase
    assert only_in_answers and only_in_answers == {
        r[0] for r in sample_store.rows("SELECT image_id FROM vg_qas WHERE answer ILIKE '%daytime%'")
    }


def test_one_images_annotations(sample_store: Store) -> None:
    ann = q.image_annotations(sample_store, VG_SHOWCASE_IMAGE_ID)
    assert ann is not None
    assert (ann.image.width, ann.image.height) == (800, 600)
    names = [o.name for o in ann.objects]
    assert {"man", "horse", "frisbee", "dog", "car", "tree", "house"} <= set(names)
    car = next(o for o in ann.objects if o.name == "car")
    assert "red" in car.attributes and car.synsets == ("car.n.01",)
    triples = {(r.subject_name, r.predicate, r.object_name) for r in ann.relationships}
    assert {("man", "riding", "horse"), ("man", "holding", "frisbee"), ("dog", "near", "man")} <= triples
    assert ("tree", "behind", "house") in triples
    assert any("frisbee" in r.phrase for r in ann.regions)
    assert list(ann.qas.columns) == ["qa_id", "qtype", "question", "answer"]
    assert "What is the man riding?" in set(ann.qas["question"])
    assert len(ann.objects) == ann.image.n_objects


def test_unknown_image_is_none(sample_store: Store) -> None:
    assert q.image_annotations(sample_store, 999_999) is None
    assert q.image_annotations(sample_store, -1) is None
    assert q.image_annotations(sample_store, 2**70) is None
    assert q.image_row(sample_store, VG_MISSING_IMAGE_ID) is not None  # the row exists, the file does not


def test_matched_boxes_for_a_page(sample_store: Store) -> None:
    f = VGFilter(objects=("dog", "frisbee"), attributes=(AttributeFilter("red", "car"),),
                 relationships=(Triple("man", "riding", None),))  # fmt: skip
    rows = q.match_page(sample_store, f, 1, 48)
    boxes = q.matched_boxes(sample_store, f, [r.image_id for r in rows])
    showcase = [b for b in boxes if b.image_id == VG_SHOWCASE_IMAGE_ID]
    labels = {(b.label, b.kind) for b in showcase}
    assert {("dog", "object"), ("frisbee", "object"), ("red car", "attribute")} <= labels
    assert {("man", "relationship"), ("horse", "relationship")} <= labels
    dog = next(b for b in showcase if b.label == "dog")
    expected = sample_store.rows("SELECT x, y, w, h FROM vg_objects WHERE image_id=1 AND name='dog'")[0]
    assert (dog.box.x, dog.box.y, dog.box.w, dog.box.h) == tuple(float(v) for v in expected)
    # the triple's boxes are the relationship's own, not looked up in objects
    rel = sample_store.rows(
        "SELECT subject_x, subject_y FROM vg_relationships WHERE image_id=1 AND predicate='riding'"
    )[0]
    man = next(b for b in showcase if b.label == "man" and b.kind == "relationship")
    assert (man.box.x, man.box.y) == (float(rel[0]), float(rel[1]))


def test_matched_boxes_only_for_given_images(sample_store: Store) -> None:
    f = VGFilter(objects=("dog",))
    boxes = q.matched_boxes(sample_store, f, [1, 2])
    assert boxes and {b.image_id for b in boxes} <= {1, 2}
    assert q.matched_boxes(sample_store, f, []) == []
    assert q.matched_boxes(sample_store, VGFilter(), [1, 2]) == []


def test_matched_regions_for_text(sample_store: Store) -> None:
    boxes = q.matched_boxes(sample_store, VGFilter(q="frisbee"), [VG_SHOWCASE_IMAGE_ID])
    assert [b.kind for b in boxes] == ["region"]


def test_known_names(sample_store: Store) -> None:
    assert q.known_objects(sample_store, ["dog", "unicorn", "car"]) == ["dog", "car"]
    assert q.known_attributes(sample_store, ["red", "'; DROP TABLE x; --"]) == ["red"]
    assert q.known_predicates(sample_store, ["riding", "flying"]) == ["riding"]
    assert q.known_objects(sample_store, []) == []


def test_option_lists_have_counts(sample_store: Store) -> None:
    objects = q.object_counts(sample_store)
    assert list(objects.columns) == ["name", "n_images", "n_objects"]
    assert objects["n_images"].is_monotonic_decreasing
    assert "dog" in set(objects["name"])
    assert "red" in set(q.attribute_counts(sample_store)["attribute"])
    assert "riding" in set(q.predicate_counts(sample_store)["predicate"])


@pytest.mark.parametrize(
    "f",
    [
        VGFilter(objects=("dog' OR 1=1 --",)),
        VGFilter(objects=("x" * 500,)),
        VGFilter(attributes=(AttributeFilter("red') OR TRUE --", "car"),)),
        VGFilter(relationships=(Triple("man", 'riding"; SELECT 1; --', None),)),
        VGFilter(q="%"),
        VGFilter(q="_"),
    ],
)
def test_hostile_values_match_nothing(sample_store: Store, f: VGFilter) -> None:
    assert q.count_matches(sample_store, f) == 0
    assert q.match_page(sample_store, f, 1, 48) == []
    assert q.matched_boxes(sample_store, f, [1, 2, 3]) == []
