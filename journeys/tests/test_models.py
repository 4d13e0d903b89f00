import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from journeys.choices import MapStatus
from journeys.models import Stage, Touchpoint

from .factories import JourneyMapFactory, PersonaFactory, StageFactory, TouchpointFactory

pytestmark = pytest.mark.django_db


def test_stages_and_touchpoints_come_back_in_position_order():
    journey_map = JourneyMapFactory()
    late = StageFactory(journey_map=journey_map, position=2, name="Advocacy")
    early = StageFactory(journey_map=journey_map, position=0, name="Awareness")
    middle = StageFactory(journey_map=journey_map, position=1, name="Purchase")
    second = TouchpointFactory(stage=middle, position=1, key="b")
    first = TouchpointFactory(stage=middle, position=0, key="a")
    third = TouchpointFactory(stage=late, position=0, key="c")

    assert list(Stage.objects.filter(journey_map=journey_map)) == [early, middle, late]
    assert list(Touchpoint.objects.filter(journey_map=journey_map)) == [first, second, third]


def test_key_is_unique_within_a_map():
    stage = StageFactory()
    TouchpointFactory(stage=stage, key="checkout")
    other_stage = StageFactory(journey_map=stage.journey_map)
    with pytest.raises(IntegrityError), transaction.atomic():
        TouchpointFactory(stage=other_stage, key="checkout")


def test_key_is_unique_among_published_touchpoints_only():
    published = StageFactory(journey_map=JourneyMapFactory(status=MapStatus.PUBLISHED))
    TouchpointFactory(stage=published, key="checkout")
    # A draft (e.g. a clone) may carry the same key…
    draft = StageFactory(journey_map=JourneyMapFactory(status=MapStatus.DRAFT))
    TouchpointFactory(stage=draft, key="checkout")
    # …but a second published touchpoint with it is refused by the partial unique index.
    other_published = StageFactory(journey_map=JourneyMapFactory(status=MapStatus.PUBLISHED))
    with pytest.raises(IntegrityError), transaction.atomic():
        TouchpointFactory(stage=other_published, key="checkout")


def test_emotion_score_outside_minus_two_to_two_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        StageFactory(emotion_score=3)


def test_persona_with_unknown_channel_does_not_validate():
    persona = PersonaFactory.build(preferred_channels=["email", "pigeon"])
    with pytest.raises(ValidationError) as error:
        persona.full_clean()
    assert "pigeon" in str(error.value.message_dict["preferred_channels"])


def test_touchpoint_in_a_stage_of_another_map_does_not_validate():
    stage = StageFactory()
    touchpoint = TouchpointFactory.build(stage=stage, journey_map=JourneyMapFactory(), key="x")
    with pytest.raises(ValidationError) as error:
        touchpoint.full_clean()
    assert "stage" in error.value.message_dict


def test_map_str_and_url_name_version_and_status():
    journey_map = JourneyMapFactory(name="Retail", version=3, status=MapStatus.PUBLISHED)
    assert str(journey_map) == "Retail v3 (Published)"
    assert journey_map.get_absolute_url() == f"/journeys/{journey_map.pk}/"
