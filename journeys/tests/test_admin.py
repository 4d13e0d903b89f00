"""The admin as marketers use it: one map page with nested, sortable stages and touchpoints."""

import pytest
from django.urls import reverse

from journeys.choices import MapStatus
from journeys.models import JourneyMap, Stage, Touchpoint
from journeys.selectors import touchpoint_for_key
from journeys.services import journey_map_clone

from .factories import JourneyMapFactory, PersonaFactory, StageFactory, TouchpointFactory, build_map

pytestmark = pytest.mark.django_db

STAGE_DEFAULTS = {
    "customer_goal": "",
    "actions": "",
    "thoughts": "",
    "emotion_score": "0",
    "emotion_label": "",
    "pain_points": "",
    "opportunities": "",
}
TOUCHPOINT_DEFAULTS = {
    "channel": "web",
    "department": "marketing",
    "kind": "digital",
    "description": "",
    "target_csat": "",
    "target_nps": "",
    "target_ces": "",
    "target_ttr_hours": "",
}


def management(prefix, total, initial):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def map_form_data(*, name, persona="", owner="", description="", stages, journey_map=None, journey_gap_days=30):
    """POST data of the map change page (the journey gap as the page fills it in: 30 days by default).
    `stages` is a list of dicts; each may carry `id` (existing), `position`, its fields and `touchpoints` (dicts
    with `id`, `position`, fields)."""
    data = {
        "name": name,
        "persona": persona,
        "owner": owner,
        "description": description,
        "journey_gap_days": journey_gap_days,
        "_continue": "1",
    }
    data.update(management("stages", len(stages), sum(1 for s in stages if s.get("id"))))
    for i, stage in enumerate(stages):
        p = f"stages-{i}"
        data[f"{p}-id"] = stage.get("id", "")
        data[f"{p}-journey_map"] = journey_map.pk if journey_map else ""
        data[f"{p}-position"] = str(stage.get("position", i))
        for field, default in STAGE_DEFAULTS.items():
            data[f"{p}-{field}"] = stage.get(field, default)
        data[f"{p}-name"] = stage["name"]
        if stage.get("DELETE"):
            data[f"{p}-DELETE"] = "on"
        touchpoints = stage.get("touchpoints", [])
        tp_prefix = f"{p}-touchpoints"
        data.update(management(tp_prefix, len(touchpoints), sum(1 for t in touchpoints if t.get("id"))))
        for j, touchpoint in enumerate(touchpoints):
            q = f"{tp_prefix}-{j}"
            data[f"{q}-id"] = touchpoint.get("id", "")
            data[f"{q}-stage"] = stage.get("id", "")
            data[f"{q}-position"] = str(touchpoint.get("position", j))
            for field, default in TOUCHPOINT_DEFAULTS.items():
                data[f"{q}-{field}"] = touchpoint.get(field, default)
            data[f"{q}-name"] = touchpoint["name"]
            data[f"{q}-key"] = touchpoint["key"]
    return data


def current_stages(journey_map):
    """The map as the change page would post it back, unchanged."""
    return [
        {
            "id": s.pk,
            "position": s.position,
            "name": s.name,
            "emotion_score": str(s.emotion_score),
            "touchpoints": [
                {"id": t.pk, "position": t.position, "name": t.name, "key": t.key, "channel": t.channel}
                for t in s.touchpoints.order_by("position")
            ],
        }
        for s in journey_map.stages.order_by("position")
    ]


def run_action(client, action, journey_map):
    return client.post(
        reverse("admin:journeys_journeymap_changelist"),
        {"action": action, "_selected_action": [journey_map.pk]},
        follow=True,
    )


def test_marketer_builds_reorders_clones_edits_and_publishes_a_map(client, marketer_user):
    persona = PersonaFactory(name="Vera")
    client.force_login(marketer_user)

    # 1. build a complete map from scratch
    add = client.post(
        reverse("admin:journeys_journeymap_add"),
        map_form_data(
            name="Retail",
            persona=persona.pk,
            owner=marketer_user.pk,
            stages=[
                {
                    "name": "Awareness",
                    "emotion_score": "1",
                    "customer_goal": "Discover",
                    "touchpoints": [
                        {"name": "Social ad", "key": "r-ad", "channel": "social"},
                        {"name": "Newsletter", "key": "r-news", "channel": "email"},
                    ],
                },
                {"name": "Purchase", "emotion_score": "-1", "touchpoints": [{"name": "Checkout", "key": "r-checkout"}]},
                {
                    "name": "Advocacy",
                    "emotion_score": "2",
                    "touchpoints": [{"name": "Review", "key": "r-review", "channel": "forum"}],
                },
            ],
        ),
    )
    assert add.status_code == 302, add.context["errors"] if add.context else add
    original = JourneyMap.objects.get(name="Retail")
    assert (original.version, original.status, original.owner, original.persona) == (1, "draft", marketer_user, persona)
    assert [s.name for s in original.stages.order_by("position")] == ["Awareness", "Purchase", "Advocacy"]
    assert set(Touchpoint.objects.filter(journey_map=original).values_list("key", flat=True)) == {
        "r-ad",
        "r-news",
        "r-checkout",
        "r-review",
    }

    # 2. reorder: Advocacy first, and the two Awareness touchpoints swapped
    stages = current_stages(original)
    stages[2]["position"] = "0"
    stages[0]["position"] = "1"
    stages[1]["position"] = "2"
    stages[0]["touchpoints"][0]["position"] = "1"
    stages[0]["touchpoints"][1]["position"] = "0"
    change_url = reverse("admin:journeys_journeymap_change", args=[original.pk])
    response = client.post(
        change_url, map_form_data(name="Retail", persona=persona.pk, stages=stages, journey_map=original)
    )
    assert response.status_code == 302
    assert [s.name for s in original.stages.order_by("position")] == ["Advocacy", "Awareness", "Purchase"]
    awareness = original.stages.get(name="Awareness")
    assert [t.key for t in awareness.touchpoints.order_by("position")] == ["r-news", "r-ad"]

    # 3. publish the original, clone it, and edit the clone
    assert "Published “Retail v1”" in run_action(client, "publish_maps", original).content.decode()
    assert "Cloned into the draft “Retail v2”" in run_action(client, "clone_maps", original).content.decode()
    clone = JourneyMap.objects.get(name="Retail", version=2)
    stages = current_stages(clone)
    stages[0]["name"] = "Word of mouth"
    stages[2]["touchpoints"].append({"name": "Store till", "key": "r-store", "channel": "store"})
    response = client.post(
        reverse("admin:journeys_journeymap_change", args=[clone.pk]),
        map_form_data(name="Retail", persona=persona.pk, stages=stages, journey_map=clone),
    )
    assert response.status_code == 302
    assert list(original.stages.order_by("position").values_list("name", flat=True)) == [
        "Advocacy",
        "Awareness",
        "Purchase",
    ]
    assert not Touchpoint.objects.filter(journey_map=original, key="r-store").exists()
    new_tp = Touchpoint.objects.get(journey_map=clone, key="r-store")
    assert new_tp.stage.name == "Purchase" and new_tp.published is False

    # 4. publish the clone: the original is archived
    assert "Published “Retail v2”" in run_action(client, "publish_maps", clone).content.decode()
    original.refresh_from_db()
    clone.refresh_from_db()
    assert (original.status, clone.status) == (MapStatus.ARCHIVED, MapStatus.PUBLISHED)
    assert Touchpoint.objects.get(key="r-store", published=True).journey_map == clone

    # 5. and sees it on the map page
    page = client.get(reverse("journeys:map_detail", args=[clone.pk])).content.decode()
    assert "Word of mouth" in page and "Store till" in page and "r-store" in page


def test_duplicate_key_in_the_map_names_the_stage_that_uses_it(client, marketer_user):
    client.force_login(marketer_user)
    response = client.post(
        reverse("admin:journeys_journeymap_add"),
        map_form_data(
            name="Dup",
            stages=[
                {"name": "First", "touchpoints": [{"name": "A", "key": "same"}]},
                {"name": "Second", "touchpoints": [{"name": "B", "key": "same"}]},
            ],
        ),
    )
    assert response.status_code == 200
    assert "Key “same” is already used in this map by touchpoint “A” in stage “First”." in response.content.decode()
    assert not JourneyMap.objects.filter(name="Dup").exists()


def test_key_used_by_another_published_map_names_that_map_and_stage(client, marketer_user):
    live = JourneyMapFactory(name="Support", status=MapStatus.PUBLISHED)
    TouchpointFactory(stage=StageFactory(journey_map=live, name="Contact"), key="support-chat", name="Chat")
    client.force_login(marketer_user)
    response = client.post(
        reverse("admin:journeys_journeymap_add"),
        map_form_data(
            name="Retail", stages=[{"name": "Help", "touchpoints": [{"name": "Chat", "key": "support-chat"}]}]
        ),
    )
    assert response.status_code == 200
    assert "Key “support-chat” is already used by the published map “Support v1”, stage “Contact”" in (
        response.content.decode()
    )


def test_a_clone_may_keep_the_keys_of_the_version_it_replaces(client, marketer_user):
    live = build_map(name="Retail", status=MapStatus.PUBLISHED, key_prefix="retail")
    clone = journey_map_clone(journey_map=live)
    client.force_login(marketer_user)
    response = client.post(
        reverse("admin:journeys_journeymap_change", args=[clone.pk]),
        map_form_data(name="Retail", stages=current_stages(clone), journey_map=clone),
    )
    assert response.status_code == 302


def test_touchpoint_added_to_a_published_map_goes_live_at_once(client, marketer_user):
    live = build_map(name="Live", status=MapStatus.PUBLISHED, stages=1, touchpoints_per_stage=1)
    stages = current_stages(live)
    stages[0]["touchpoints"].append({"name": "New chat", "key": "live-new-chat", "channel": "chat"})
    client.force_login(marketer_user)
    response = client.post(
        reverse("admin:journeys_journeymap_change", args=[live.pk]),
        map_form_data(name="Live", stages=stages, journey_map=live),
    )
    assert response.status_code == 302
    assert touchpoint_for_key("live-new-chat").journey_map == live


def test_new_map_with_an_existing_name_is_told_to_clone(client, marketer_user):
    JourneyMapFactory(name="Retail")
    client.force_login(marketer_user)
    response = client.post(reverse("admin:journeys_journeymap_add"), map_form_data(name="Retail", stages=[]))
    assert response.status_code == 200
    assert "clone it to make a new version" in response.content.decode()


def test_publishing_an_empty_map_says_what_is_missing(client, marketer_user):
    journey_map = JourneyMapFactory(name="Empty")
    client.force_login(marketer_user)
    html = run_action(client, "publish_maps", journey_map).content.decode()
    assert "needs at least one stage with one touchpoint" in html
    journey_map.refresh_from_db()
    assert journey_map.status == MapStatus.DRAFT


def test_archive_action(client, marketer_user):
    journey_map = build_map(status=MapStatus.PUBLISHED, name="Live")
    client.force_login(marketer_user)
    assert "Archived “Live v1”" in run_action(client, "archive_maps", journey_map).content.decode()
    journey_map.refresh_from_db()
    assert journey_map.status == MapStatus.ARCHIVED


def test_changelist_has_filters_search_and_view_map_link(client, marketer_user):
    journey_map = build_map(name="Findable")
    build_map(name="Other")
    client.force_login(marketer_user)
    html = client.get(reverse("admin:journeys_journeymap_changelist"), {"q": "Findable"}).content.decode()
    assert "Findable" in html and ">Other<" not in html
    assert f'href="/journeys/{journey_map.pk}/">View map</a>' in html
    for filter_title in ("By status", "By persona", "By owner"):
        assert filter_title in html


def test_persona_autocomplete_answers_marketers(client, marketer_user):
    PersonaFactory(name="Vera")
    client.force_login(marketer_user)
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": "Ver", "app_label": "journeys", "model_name": "journeymap", "field_name": "persona"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Vera"]


@pytest.mark.parametrize("role_fixture", ["rep_user", "manager_user"])
def test_reps_and_managers_read_but_cannot_change(request, client, role_fixture):
    journey_map = build_map(name="Readonly")
    client.force_login(request.getfixturevalue(role_fixture))
    change_url = reverse("admin:journeys_journeymap_change", args=[journey_map.pk])
    page = client.get(change_url)
    assert page.status_code == 200 and "Readonly" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    response = client.post(
        change_url, map_form_data(name="Changed", stages=current_stages(journey_map), journey_map=journey_map)
    )
    assert response.status_code == 403
    assert client.get(reverse("admin:journeys_journeymap_add")).status_code == 403
    changelist = client.get(reverse("admin:journeys_journeymap_changelist")).content.decode()
    assert "publish_maps" not in changelist
    run_action(client, "archive_maps", journey_map)
    journey_map.refresh_from_db()
    assert (journey_map.name, journey_map.status) == ("Readonly", MapStatus.DRAFT)


@pytest.mark.parametrize(
    ("role_fixture", "sortable"), [("marketer_user", True), ("rep_user", False), ("manager_user", False)]
)
def test_only_editors_get_drag_handles(request, client, role_fixture, sortable):
    journey_map = build_map(stages=1, touchpoints_per_stage=2)
    client.force_login(request.getfixturevalue(role_fixture))
    page = client.get(reverse("admin:journeys_journeymap_change", args=[journey_map.pk])).content.decode()
    assert ("djn-drag-handler" in page) is sortable
    # Each inline group tells nested-admin's JS whether it may be sorted.
    enabled = page.count("&quot;sortableOptions&quot;: {&quot;disabled&quot;: false}")
    disabled = page.count("&quot;sortableOptions&quot;: {&quot;disabled&quot;: true}")
    assert (enabled > 0, disabled > 0) == (sortable, not sortable)


def test_changelist_query_count_is_bounded(client, marketer_user, django_assert_max_num_queries):
    for _ in range(20):
        build_map(stages=2, touchpoints_per_stage=2)
    client.force_login(marketer_user)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("admin:journeys_journeymap_changelist"))
    assert response.status_code == 200
    assert Stage.objects.count() == 40
