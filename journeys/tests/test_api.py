import pytest

from journeys.choices import MapStatus
from journeys.models import JourneyMap, Persona, Touchpoint

from .factories import JourneyMapFactory, PersonaFactory, StageFactory, TouchpointFactory, build_map

pytestmark = pytest.mark.django_db

NEW_MAP = {
    "name": "Onboarding",
    "description": "First week",
    "stages": [
        {
            "name": "Sign-up",
            "emotion_score": 1,
            "touchpoints": [
                {"name": "Welcome email", "key": "onb-welcome", "channel": "email", "department": "marketing"},
                {"name": "App tour", "key": "onb-tour", "channel": "mobile_app", "kind": "digital"},
            ],
        },
        {"name": "First use", "touchpoints": [{"name": "Setup call", "key": "onb-call", "channel": "phone"}]},
    ],
}


# --------------------------------------------------------------------------- reading


def test_journeys_list_nests_ordered_stages_and_touchpoints(api_as, rep_user):
    journey_map = build_map(stages=2, touchpoints_per_stage=2, name="Retail")
    response = api_as(rep_user).get("/api/journeys/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 1
    item = body["results"][0]
    assert item["id"] == journey_map.pk and item["name"] == "Retail" and item["status"] == "draft"
    assert item["persona"] == journey_map.persona.name
    assert [s["name"] for s in item["stages"]] == ["Stage 0", "Stage 1"]
    assert [t["key"] for t in item["stages"][1]["touchpoints"]] == [f"m{journey_map.pk}-1-0", f"m{journey_map.pk}-1-1"]


def test_journeys_list_query_count_does_not_grow_with_maps(api_as, rep_user, django_assert_max_num_queries):
    for _ in range(8):
        build_map(stages=5, touchpoints_per_stage=4)
    client = api_as(rep_user)
    # auth token + user perms + count + maps + stages + touchpoints (+ group perms)
    with django_assert_max_num_queries(8):
        response = client.get("/api/journeys/")
    assert response.json()["count"] == 8
    assert sum(len(s["touchpoints"]) for m in response.json()["results"] for s in m["stages"]) == 8 * 20


def test_touchpoints_lists_published_keys_filtered_by_channel_and_key(api_as, integration_user):
    live = JourneyMapFactory(status=MapStatus.PUBLISHED, name="Live")
    stage = StageFactory(journey_map=live, name="Contact")
    TouchpointFactory(stage=stage, key="support-chat", channel="chat")
    TouchpointFactory(stage=stage, key="support-phone", channel="phone")
    TouchpointFactory(stage=StageFactory(journey_map=JourneyMapFactory()), key="draft-chat", channel="chat")
    client = api_as(integration_user)

    chats = client.get("/api/touchpoints/", {"channel": "chat"}).json()
    assert [t["key"] for t in chats["results"]] == ["support-chat"]
    one = client.get("/api/touchpoints/", {"key": "support-phone"}).json()["results"]
    assert len(one) == 1
    assert one[0]["stage_name"] == "Contact" and one[0]["journey_map_name"] == "Live"
    assert client.get("/api/touchpoints/", {"key": "draft-chat"}).json()["count"] == 0
    assert client.get("/api/touchpoints/", {"channel": "fax"}).status_code == 400


def test_touchpoints_list_query_bound(api_as, rep_user, django_assert_max_num_queries):
    for _ in range(5):
        build_map(stages=4, touchpoints_per_stage=5, status=MapStatus.PUBLISHED)
    client = api_as(rep_user)
    with django_assert_max_num_queries(6):
        response = client.get("/api/touchpoints/")
    assert response.json()["count"] == 100


def test_unknown_map_is_404(api_as, rep_user):
    assert api_as(rep_user).get("/api/journeys/999999/").status_code == 404
    assert api_as(rep_user).get("/api/personas/999999/").status_code == 404


# --------------------------------------------------------------------------- writing


def test_marketer_creates_a_draft_with_nested_stages(api_as, marketer_user):
    response = api_as(marketer_user).post("/api/journeys/", NEW_MAP, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["version"], body["owner"]) == ("draft", 1, "marketer")
    assert [t["key"] for t in body["stages"][0]["touchpoints"]] == ["onb-welcome", "onb-tour"]
    assert Touchpoint.objects.filter(journey_map_id=body["id"], stage__name="First use", key="onb-call").exists()


def test_create_with_bad_nested_field_is_400_naming_the_position(api_as, marketer_user):
    payload = {**NEW_MAP, "stages": [NEW_MAP["stages"][0], {"name": "X", "touchpoints": [{"name": "Y", "key": "y"}]}]}
    response = api_as(marketer_user).post("/api/journeys/", payload, format="json")
    assert response.status_code == 400
    assert "stages[1].touchpoints[0].channel" in response.json()
    assert not JourneyMap.objects.exists()


def test_update_changes_map_fields(api_as, marketer_user):
    journey_map = build_map(name="Old")
    persona = PersonaFactory(name="Theo")
    client = api_as(marketer_user)
    response = client.patch(f"/api/journeys/{journey_map.pk}/", {"name": "New", "persona": "Theo"}, format="json")
    assert response.status_code == 200
    journey_map.refresh_from_db()
    assert (journey_map.name, journey_map.persona) == ("New", persona)
    assert journey_map.stages.count() == 3  # untouched when no stages are sent


def test_create_and_update_set_the_journey_gap(api_as, marketer_user):
    client = api_as(marketer_user)
    response = client.post("/api/journeys/", {**NEW_MAP, "journey_gap_days": 14}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["journey_gap_days"] == 14

    published = build_map(status=MapStatus.PUBLISHED)
    response = client.patch(f"/api/journeys/{published.pk}/", {"journey_gap_days": 365}, format="json")
    assert response.status_code == 200, response.json()
    published.refresh_from_db()
    assert published.journey_gap_days == 365


@pytest.mark.parametrize("value", [0, 366, -5, "a month"])
def test_a_journey_gap_outside_1_to_365_days_is_400_naming_the_field(api_as, marketer_user, value):
    journey_map = build_map(name="Kept")
    client = api_as(marketer_user)
    response = client.patch(
        f"/api/journeys/{journey_map.pk}/", {"journey_gap_days": value, "name": "Changed"}, format="json"
    )
    assert response.status_code == 400
    assert "journey_gap_days" in response.json()
    journey_map.refresh_from_db()
    assert (journey_map.name, journey_map.journey_gap_days) == ("Kept", 30)

    response = client.post("/api/journeys/", {**NEW_MAP, "journey_gap_days": value}, format="json")
    assert response.status_code == 400
    assert "journey_gap_days" in response.json()
    assert not JourneyMap.objects.filter(name="Onboarding").exists()


def test_update_replaces_a_drafts_stages_and_touchpoints(api_as, marketer_user):
    journey_map = build_map(name="Onboarding", stages=3)
    response = api_as(marketer_user).patch(
        f"/api/journeys/{journey_map.pk}/", {"stages": NEW_MAP["stages"]}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert [s["name"] for s in body["stages"]] == ["Sign-up", "First use"]
    assert [t["key"] for t in body["stages"][0]["touchpoints"]] == ["onb-welcome", "onb-tour"]
    assert Touchpoint.objects.filter(journey_map=journey_map).count() == 3


def test_update_with_bad_stages_names_the_position_and_changes_nothing(api_as, marketer_user):
    journey_map = build_map(name="Onboarding", stages=2)
    before = list(Touchpoint.objects.filter(journey_map=journey_map).values_list("key", flat=True))
    bad = [
        {"name": "A", "touchpoints": [{"name": "x", "key": "dup", "channel": "email"}]},
        {"name": "B", "touchpoints": [{"name": "y", "key": "dup", "channel": "email"}]},
    ]
    response = api_as(marketer_user).patch(
        f"/api/journeys/{journey_map.pk}/", {"name": "Renamed", "stages": bad}, format="json"
    )
    assert response.status_code == 400 and "stages[1].touchpoints[0].key" in response.json()
    journey_map.refresh_from_db()
    assert journey_map.name == "Onboarding"
    assert list(Touchpoint.objects.filter(journey_map=journey_map).values_list("key", flat=True)) == before


def test_update_refuses_to_replace_a_published_maps_stages(api_as, marketer_user):
    journey_map = build_map(status=MapStatus.PUBLISHED)
    response = api_as(marketer_user).patch(f"/api/journeys/{journey_map.pk}/", {"stages": []}, format="json")
    assert response.status_code == 400 and "clone" in response.json()["stages"][0]
    assert journey_map.stages.count() == 3


def test_clone_publish_archive_actions(api_as, marketer_user):
    original = build_map(status=MapStatus.PUBLISHED, name="Retail")
    client = api_as(marketer_user)
    clone = client.post(f"/api/journeys/{original.pk}/clone/")
    assert clone.status_code == 201 and clone.json()["version"] == 2
    published = client.post(f"/api/journeys/{clone.json()['id']}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    original.refresh_from_db()
    assert original.status == MapStatus.ARCHIVED
    again = client.post(f"/api/journeys/{clone.json()['id']}/publish/")
    assert again.status_code == 400 and "already published" in str(again.json())
    archived = client.post(f"/api/journeys/{clone.json()['id']}/archive/")
    assert archived.json()["status"] == "archived"


def test_publish_without_touchpoints_is_400(api_as, marketer_user):
    journey_map = JourneyMapFactory()
    response = api_as(marketer_user).post(f"/api/journeys/{journey_map.pk}/publish/")
    assert response.status_code == 400
    assert "at least one stage with one touchpoint" in str(response.json())


def test_export_and_import_endpoints_round_trip(api_as, marketer_user):
    original = build_map(stages=2, touchpoints_per_stage=2, name="Retail")
    client = api_as(marketer_user)
    exported = client.get(f"/api/journeys/{original.pk}/export/").json()
    assert "id" not in exported
    response = client.post("/api/journeys/import/", exported, format="json")
    assert response.status_code == 201
    assert response.json()["version"] == 2 and response.json()["status"] == "draft"


def test_deleting_a_published_map_is_400_and_a_draft_204(api_as, marketer_user):
    client = api_as(marketer_user)
    published = build_map(status=MapStatus.PUBLISHED)
    assert client.delete(f"/api/journeys/{published.pk}/").status_code == 400
    draft = build_map()
    assert client.delete(f"/api/journeys/{draft.pk}/").status_code == 204
    assert not JourneyMap.objects.filter(pk=draft.pk).exists()


def test_personas_crud_for_marketers(api_as, marketer_user):
    client = api_as(marketer_user)
    created = client.post(
        "/api/personas/", {"name": "Vera", "summary": "Parent", "preferred_channels": ["email", "store"]}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["preferred_channels"] == ["email", "store"]
    pk = created.json()["id"]
    assert client.patch(f"/api/personas/{pk}/", {"summary": "Busy parent"}, format="json").status_code == 200
    assert Persona.objects.get(pk=pk).summary == "Busy parent"
    bad = client.post("/api/personas/", {"name": "X", "preferred_channels": ["pigeon"]}, format="json")
    assert bad.status_code == 400 and "preferred_channels" in bad.json()
    dup = client.post("/api/personas/", {"name": "Vera"}, format="json")
    assert dup.status_code == 400 and "already exists" in str(dup.json()["name"])
    assert client.delete(f"/api/personas/{pk}/").status_code == 204


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("role_fixture", ["rep_user", "manager_user", "integration_user", "marketer_user"])
@pytest.mark.parametrize("url", ["/api/personas/", "/api/journeys/", "/api/touchpoints/"])
def test_every_staff_role_reads(request, api_as, role_fixture, url):
    assert api_as(request.getfixturevalue(role_fixture)).get(url).status_code == 200


@pytest.mark.parametrize("role_fixture", ["rep_user", "manager_user", "integration_user"])
def test_only_marketers_write(request, api_as, role_fixture):
    client = api_as(request.getfixturevalue(role_fixture))
    journey_map = build_map()
    persona = PersonaFactory()
    assert client.post("/api/journeys/", NEW_MAP, format="json").status_code == 403
    assert client.patch(f"/api/journeys/{journey_map.pk}/", {"name": "X"}, format="json").status_code == 403
    assert client.delete(f"/api/journeys/{journey_map.pk}/").status_code == 403
    for action in ("clone", "publish", "archive"):
        assert client.post(f"/api/journeys/{journey_map.pk}/{action}/").status_code == 403
    assert client.post("/api/journeys/import/", NEW_MAP, format="json").status_code == 403
    assert client.post("/api/personas/", {"name": "X"}, format="json").status_code == 403
    assert client.delete(f"/api/personas/{persona.pk}/").status_code == 403
    journey_map.refresh_from_db()
    assert journey_map.name != "X" and JourneyMap.objects.count() == 1 and Persona.objects.count() == 2


def test_touchpoints_are_read_only_even_for_marketers(api_as, marketer_user):
    assert api_as(marketer_user).post("/api/touchpoints/", {"key": "x"}, format="json").status_code == 405


def test_anonymous_is_401(api_client):
    for url in ("/api/personas/", "/api/journeys/", "/api/touchpoints/"):
        assert api_client.get(url).status_code == 401


def test_user_without_role_is_403(api_as):
    from cxcrm.tests.factories import UserFactory

    client = api_as(UserFactory(username="nobody"))
    for url in ("/api/personas/", "/api/journeys/", "/api/touchpoints/"):
        assert client.get(url).status_code == 403
