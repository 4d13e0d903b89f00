import json

import pytest
from django.core.exceptions import ValidationError

from journeys.choices import MapStatus
from journeys.exchange import VERSION_FIELDS, journey_map_export, journey_map_import
from journeys.models import JourneyMap
from journeys.selectors import journey_map_get

from .factories import build_map

pytestmark = pytest.mark.django_db


def content(document: dict) -> dict:
    return {k: v for k, v in document.items() if k not in VERSION_FIELDS}


def test_export_is_the_api_representation_without_ids(api_as, marketer_user):
    journey_map = build_map(stages=2, touchpoints_per_stage=2)
    exported = journey_map_export(journey_map=journey_map_get(pk=journey_map.pk))
    api = api_as(marketer_user).get(f"/api/journeys/{journey_map.pk}/").json()

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("id", "cloned_from")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    assert exported == strip(api)
    assert (
        "id" not in exported
        and "id" not in exported["stages"][0]
        and "id" not in exported["stages"][0]["touchpoints"][0]
    )
    json.dumps(exported)  # JSON-ready


def test_round_trip_export_import_gives_an_equal_map(marketer_user):
    original = build_map(stages=4, touchpoints_per_stage=3, status=MapStatus.PUBLISHED, name="Retail")
    exported = journey_map_export(journey_map=journey_map_get(pk=original.pk))

    imported = journey_map_import(data=json.loads(json.dumps(exported)), owner=marketer_user)

    assert imported.pk != original.pk
    assert (imported.status, imported.version, imported.owner) == (MapStatus.DRAFT, 2, marketer_user)
    again = journey_map_export(journey_map=journey_map_get(pk=imported.pk))
    assert content(again) == content(exported)


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (lambda d: d["stages"][1]["touchpoints"][0].update(channel="fax"), "stages[1].touchpoints[0].channel", "fax"),
        (lambda d: d["stages"][0].update(emotion_score=5), "stages[0].emotion_score", "2"),
        (lambda d: d["stages"][1]["touchpoints"][1].update(key="not a slug!"), "stages[1].touchpoints[1].key", ""),
        (
            lambda d: d["stages"][1]["touchpoints"][0].update(key=d["stages"][0]["touchpoints"][0]["key"]),
            "stages[1].touchpoints[0].key",
            "already used",
        ),
        (lambda d: d.update(persona="Nobody"), "persona", "Nobody"),
        (lambda d: d.pop("name"), "name", "required"),
        (
            lambda d: d["stages"][0]["touchpoints"][1].update(target_csat=150),
            "stages[0].touchpoints[1].target_csat",
            "100",
        ),
    ],
)
def test_import_errors_name_the_field_and_its_position(mutate, path, fragment):
    document = journey_map_export(journey_map=journey_map_get(pk=build_map(stages=2, touchpoints_per_stage=2).pk))
    mutate(document)
    count = JourneyMap.objects.count()
    with pytest.raises(ValidationError) as error:
        journey_map_import(data=document)
    assert path in error.value.message_dict, error.value.message_dict
    assert fragment in " ".join(error.value.message_dict[path])
    assert JourneyMap.objects.count() == count


def test_import_of_something_that_is_not_an_object_says_so():
    with pytest.raises(ValidationError, match="JSON object"):
        journey_map_import(data=[1, 2])


def test_journey_gap_travels_with_the_exported_map(marketer_user):
    original = build_map(stages=2, touchpoints_per_stage=1, name="Renewal")
    JourneyMap.objects.filter(pk=original.pk).update(journey_gap_days=90)
    exported = journey_map_export(journey_map=journey_map_get(pk=original.pk))
    assert exported["journey_gap_days"] == 90

    imported = journey_map_import(data=json.loads(json.dumps(exported)), owner=marketer_user)
    assert imported.journey_gap_days == 90

    del exported["journey_gap_days"]  # a document written before the field existed
    assert journey_map_import(data=exported).journey_gap_days == 30


@pytest.mark.parametrize(("value", "fragment"), [(0, "1"), (366, "365"), ("soon", "integer")])
def test_import_refuses_a_journey_gap_outside_1_to_365_days(value, fragment):
    document = journey_map_export(journey_map=journey_map_get(pk=build_map(stages=1, touchpoints_per_stage=1).pk))
    document["journey_gap_days"] = value
    count = JourneyMap.objects.count()
    with pytest.raises(ValidationError) as error:
        journey_map_import(data=document)
    assert fragment in " ".join(error.value.message_dict["journey_gap_days"])
    assert JourneyMap.objects.count() == count
