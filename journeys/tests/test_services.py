import pytest
from django.core.exceptions import ValidationError

from journeys import services
from journeys.choices import MapStatus
from journeys.models import JourneyMap, Persona, Stage, Touchpoint
from journeys.signals import journey_map_archived, journey_map_published

from .factories import JourneyMapFactory, PersonaFactory, StageFactory, TouchpointFactory, build_map

pytestmark = pytest.mark.django_db


def structure(journey_map):
    """The content of a map as comparable tuples (without ids)."""
    return [
        (
            s.position,
            s.name,
            s.customer_goal,
            s.emotion_score,
            s.pain_points,
            [(t.position, t.name, t.key, t.channel, t.department, t.target_csat) for t in s.touchpoints.all()],
        )
        for s in journey_map.stages.order_by("position").prefetch_related("touchpoints")
    ]


# --------------------------------------------------------------------------- clone


def test_clone_copies_every_stage_and_touchpoint_into_the_next_draft_version(marketer_user):
    original = build_map(stages=4, touchpoints_per_stage=3, status=MapStatus.PUBLISHED, name="Retail")

    clone = services.journey_map_clone(journey_map=original, owner=marketer_user)

    assert (clone.name, clone.version, clone.status) == ("Retail", 2, MapStatus.DRAFT)
    assert clone.cloned_from == original
    assert clone.owner == marketer_user
    assert clone.persona == original.persona
    assert structure(clone) == structure(original)
    assert Stage.objects.filter(journey_map=clone).count() == 4
    assert Touchpoint.objects.filter(journey_map=clone).count() == 12
    # every touchpoint points at a stage of the clone, and none is live yet
    assert not Touchpoint.objects.filter(journey_map=clone).exclude(stage__journey_map=clone).exists()
    assert not Touchpoint.objects.filter(journey_map=clone, published=True).exists()


def test_editing_the_clone_leaves_the_original_unchanged():
    original = build_map(stages=2, touchpoints_per_stage=2, status=MapStatus.PUBLISHED)
    before = structure(original)
    clone = services.journey_map_clone(journey_map=original)

    stage = clone.stages.order_by("position").first()
    stage.name = "Renamed"
    stage.emotion_score = 2
    stage.save()
    touchpoint = Touchpoint.objects.filter(journey_map=clone).first()
    touchpoint.name = "Changed"
    touchpoint.save()
    Touchpoint.objects.filter(journey_map=clone).last().delete()
    clone.stages.order_by("position").last().delete()

    original.refresh_from_db()
    assert structure(original) == before
    assert original.status == MapStatus.PUBLISHED


def test_clone_of_an_old_version_takes_the_next_free_version():
    v1 = build_map(name="Support")
    services.journey_map_clone(journey_map=v1)
    assert services.journey_map_clone(journey_map=v1).version == 3


# --------------------------------------------------------------------------- publish


def test_publishing_a_clone_archives_the_original_and_moves_the_keys(django_capture_on_commit_callbacks):
    original = build_map(status=MapStatus.PUBLISHED, key_prefix="retail")
    clone = services.journey_map_clone(journey_map=original)
    received = []
    journey_map_published.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="t-published")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.journey_map_publish(journey_map=clone)
    finally:
        journey_map_published.disconnect(dispatch_uid="t-published")

    original.refresh_from_db()
    clone.refresh_from_db()
    assert original.status == MapStatus.ARCHIVED
    assert clone.status == MapStatus.PUBLISHED and clone.published_at is not None
    assert set(Touchpoint.objects.published().values_list("journey_map_id", flat=True)) == {clone.pk}
    assert received[0]["journey_map"] == clone and received[0]["archived"] == [original]


def test_publish_needs_a_stage_with_a_touchpoint():
    empty = JourneyMapFactory(name="Empty")
    StageFactory(journey_map=empty)
    with pytest.raises(ValidationError) as error:
        services.journey_map_publish(journey_map=empty)
    assert "at least one stage with one touchpoint" in str(error.value)
    empty.refresh_from_db()
    assert empty.status == MapStatus.DRAFT


def test_publish_refuses_a_key_another_published_map_uses_and_names_map_and_stage():
    live = JourneyMapFactory(name="Retail", status=MapStatus.PUBLISHED)
    TouchpointFactory(stage=StageFactory(journey_map=live, name="Purchase"), key="checkout")
    other = JourneyMapFactory(name="Support")
    TouchpointFactory(stage=StageFactory(journey_map=other), key="checkout")

    with pytest.raises(ValidationError) as error:
        services.journey_map_publish(journey_map=other)

    message = " ".join(error.value.messages)
    assert "checkout" in message and "Retail v1" in message and "Purchase" in message
    other.refresh_from_db()
    assert other.status == MapStatus.DRAFT


def test_publish_twice_is_refused():
    journey_map = build_map(status=MapStatus.PUBLISHED)
    with pytest.raises(ValidationError, match="already published"):
        services.journey_map_publish(journey_map=journey_map)


def test_publishing_an_imported_version_of_the_same_name_archives_the_published_one():
    v1 = build_map(name="Retail", status=MapStatus.PUBLISHED, key_prefix="retail")
    data = structure(v1)
    v2 = services.journey_map_create(
        name="Retail",
        stages=[
            {"name": name, "touchpoints": [{"name": t[1], "key": t[2], "channel": t[3]} for t in tps]}
            for _, name, _, _, _, tps in data
        ],
    )
    assert v2.version == 2
    services.journey_map_publish(journey_map=v2)
    v1.refresh_from_db()
    assert v1.status == MapStatus.ARCHIVED


# --------------------------------------------------------------------------- archive, delete, create


def test_archive_takes_the_keys_off_line(django_capture_on_commit_callbacks):
    journey_map = build_map(status=MapStatus.PUBLISHED)
    received = []
    journey_map_archived.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="t-archived")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.journey_map_archive(journey_map=journey_map)
    finally:
        journey_map_archived.disconnect(dispatch_uid="t-archived")
    journey_map.refresh_from_db()
    assert journey_map.status == MapStatus.ARCHIVED
    assert not Touchpoint.objects.filter(journey_map=journey_map, published=True).exists()
    assert received and received[0]["journey_map"].pk == journey_map.pk
    with pytest.raises(ValidationError, match="already archived"):
        services.journey_map_archive(journey_map=journey_map)


def test_published_map_cannot_be_deleted_but_a_draft_can():
    published = build_map(status=MapStatus.PUBLISHED)
    with pytest.raises(ValidationError, match="archive it"):
        services.journey_map_delete(journey_map=published)
    draft = build_map()
    services.journey_map_delete(journey_map=draft)
    assert not JourneyMap.objects.filter(pk=draft.pk).exists()
    assert not Touchpoint.objects.filter(journey_map_id=draft.pk).exists()


def test_create_refuses_a_key_twice_and_names_both_positions():
    with pytest.raises(ValidationError) as error:
        services.journey_map_create(
            name="Dup",
            stages=[
                {"name": "A", "touchpoints": [{"name": "One", "key": "k", "channel": "web"}]},
                {
                    "name": "B",
                    "touchpoints": [
                        {"name": "Two", "key": "x", "channel": "web"},
                        {"name": "Three", "key": "k", "channel": "web"},
                    ],
                },
            ],
        )
    assert list(error.value.message_dict) == ["stages[1].touchpoints[1].key"]
    assert "stage “A”" in error.value.message_dict["stages[1].touchpoints[1].key"][0]
    assert not JourneyMap.objects.filter(name="Dup").exists()


def test_update_refuses_a_name_whose_version_exists():
    JourneyMapFactory(name="Taken", version=1)
    journey_map = JourneyMapFactory(name="Mine", version=1)
    with pytest.raises(ValidationError) as error:
        services.journey_map_update(journey_map=journey_map, name="Taken")
    assert "name" in error.value.message_dict


def test_persona_name_clash_is_a_validation_error():
    PersonaFactory(name="Vera")
    with pytest.raises(ValidationError) as error:
        services.persona_create(name="Vera")
    assert "already exists" in error.value.message_dict["name"][0]
    assert Persona.objects.filter(name="Vera").count() == 1
