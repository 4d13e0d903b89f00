"""Create and update share one validation, and positions are unambiguous: the service renumbers
stages and touchpoints 0…n−1 in the order given (ties in list order), the API returns the result,
and migration 0002 renumbers maps stored before."""

import importlib

import pytest
from django.apps import apps

from journeys.models import JourneyMap, Stage, Touchpoint

from .factories import JourneyMapFactory, StageFactory, TouchpointFactory, build_map

pytestmark = pytest.mark.django_db

NO_KEY_NO_CHANNEL = [{"name": "Sign-up", "touchpoints": [{"name": "Welcome email"}]}]


def test_patch_with_a_touchpoint_lacking_key_and_channel_is_the_same_400_as_create(api_as, marketer_user):
    client = api_as(marketer_user)
    journey_map = build_map(name="Onboarding", stages=1)
    before = list(Touchpoint.objects.filter(journey_map=journey_map).values_list("key", flat=True))
    patched = client.patch(f"/api/journeys/{journey_map.pk}/", {"stages": NO_KEY_NO_CHANNEL}, format="json")
    created = client.post("/api/journeys/", {"name": "Other", "stages": NO_KEY_NO_CHANNEL}, format="json")
    assert patched.status_code == created.status_code == 400
    assert patched.json() == created.json()
    assert set(patched.json()) == {"stages[0].touchpoints[0].key", "stages[0].touchpoints[0].channel"}
    assert list(Touchpoint.objects.filter(journey_map=journey_map).values_list("key", flat=True)) == before
    assert not JourneyMap.objects.filter(name="Other").exists()


def test_put_with_a_touchpoint_lacking_key_is_a_400(api_as, marketer_user):
    journey_map = build_map(name="Onboarding", stages=1)
    body = {"name": "Onboarding", "stages": [{"name": "A", "touchpoints": [{"name": "x", "channel": "email"}]}]}
    response = api_as(marketer_user).put(f"/api/journeys/{journey_map.pk}/", body, format="json")
    assert response.status_code == 400 and "stages[0].touchpoints[0].key" in response.json()


def test_patch_of_the_map_fields_alone_still_needs_no_stages(api_as, marketer_user):
    journey_map = build_map(name="Onboarding", stages=2)
    response = api_as(marketer_user).patch(f"/api/journeys/{journey_map.pk}/", {"description": "x"}, format="json")
    assert response.status_code == 200 and len(response.json()["stages"]) == 2


def test_two_stages_with_the_same_position_keep_list_order_and_are_renumbered(api_as, marketer_user):
    stages = [
        {"name": "B", "position": 1, "touchpoints": [{"name": "b2", "key": "b2", "channel": "email", "position": 7}]},
        {"name": "A", "position": 0, "touchpoints": []},
        {"name": "C", "position": 1, "touchpoints": [
            {"name": "c1", "key": "c1", "channel": "chat", "position": 3},
            {"name": "c2", "key": "c2", "channel": "chat", "position": 3},
            {"name": "c0", "key": "c0", "channel": "chat", "position": 0},
        ]},
    ]  # fmt: skip
    response = api_as(marketer_user).post("/api/journeys/", {"name": "Ordered", "stages": stages}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [(s["name"], s["position"]) for s in body["stages"]] == [("A", 0), ("B", 1), ("C", 2)]
    assert [(t["key"], t["position"]) for t in body["stages"][1]["touchpoints"]] == [("b2", 0)]
    assert [(t["key"], t["position"]) for t in body["stages"][2]["touchpoints"]] == [("c0", 0), ("c1", 1), ("c2", 2)]


def test_update_renumbers_the_replaced_stages(api_as, marketer_user):
    journey_map = build_map(name="Onboarding", stages=1)
    stages = [{"name": "X", "position": 5, "touchpoints": []}, {"name": "Y", "position": 5, "touchpoints": []}]
    response = api_as(marketer_user).patch(f"/api/journeys/{journey_map.pk}/", {"stages": stages}, format="json")
    assert [(s["name"], s["position"]) for s in response.json()["stages"]] == [("X", 0), ("Y", 1)]


def test_migration_renumbers_stored_maps_in_position_then_creation_order():
    renumber = importlib.import_module("journeys.migrations.0002_renumber_positions").renumber
    journey_map = JourneyMapFactory()
    first = StageFactory(journey_map=journey_map, position=4, name="first")
    StageFactory(journey_map=journey_map, position=4, name="tied")
    StageFactory(journey_map=journey_map, position=2, name="zero")
    tps = [TouchpointFactory(stage=first, position=p) for p in (9, 9, 1)]
    renumber(apps, None)
    assert list(Stage.objects.filter(journey_map=journey_map).order_by("position").values_list("name", "position")) == [
        ("zero", 0),
        ("first", 1),
        ("tied", 2),
    ]
    positions = {tp.pk: p for tp, p in zip(tps, (1, 2, 0), strict=True)}
    assert dict(Touchpoint.objects.filter(stage=first).values_list("pk", "position")) == positions
