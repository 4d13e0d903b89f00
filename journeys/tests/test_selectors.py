import pytest

from journeys import services
from journeys.choices import MapStatus
from journeys.selectors import journey_map_get, journey_map_list, touchpoint_for_key, touchpoint_key_conflicts

from .factories import build_map

pytestmark = pytest.mark.django_db


def test_touchpoint_for_key_follows_the_published_version():
    v1 = build_map(status=MapStatus.PUBLISHED, key_prefix="retail", name="Retail")
    key = "retail-0-0"
    assert touchpoint_for_key(key).journey_map == v1

    v2 = services.journey_map_clone(journey_map=v1)
    # the draft carries the key, but the key still resolves to the live version
    assert touchpoint_for_key(key).journey_map == v1

    services.journey_map_publish(journey_map=v2)
    resolved = touchpoint_for_key(key)
    assert resolved.journey_map == v2 and resolved.stage.journey_map_id == v2.pk

    services.journey_map_archive(journey_map=v2)
    assert touchpoint_for_key(key) is None


@pytest.mark.parametrize("key", ["", None, "no-such-key"])
def test_touchpoint_for_unknown_or_empty_key_is_none(key):
    build_map(status=MapStatus.PUBLISHED)
    assert touchpoint_for_key(key) is None


def test_key_conflicts_ignore_the_version_being_replaced():
    live = build_map(status=MapStatus.PUBLISHED, key_prefix="k", name="Retail")
    clone = services.journey_map_clone(journey_map=live)
    assert touchpoint_key_conflicts(journey_map=clone, keys=["k-0-0"]) == {}
    stranger = build_map(name="Other")
    conflicts = touchpoint_key_conflicts(journey_map=stranger, keys=["k-0-0", "k-9-9"])
    assert list(conflicts) == ["k-0-0"] and conflicts["k-0-0"].journey_map == live


def test_journey_map_list_counts_stages_and_touchpoints():
    build_map(stages=3, touchpoints_per_stage=4)
    row = journey_map_list().get()
    assert (row.stage_count, row.touchpoint_count) == (3, 12)


def test_journey_map_get_loads_the_whole_structure_in_four_queries(django_assert_num_queries):
    journey_map = build_map(stages=6, touchpoints_per_stage=5)
    with django_assert_num_queries(3):  # map (+persona, owner), stages, touchpoints
        loaded = journey_map_get(pk=journey_map.pk)
        names = [(s.name, [t.key for t in s.touchpoints.all()]) for s in loaded.stages.all()]
        _ = loaded.persona.name
    assert len(names) == 6 and all(len(keys) == 5 for _, keys in names)
