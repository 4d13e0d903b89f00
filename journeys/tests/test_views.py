import json
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from journeys.choices import MapStatus
from journeys.models import JourneyMap

from .factories import JourneyMapFactory, StageFactory, TouchpointFactory, build_map

pytestmark = pytest.mark.django_db

calls = []


def fake_provider(journey_map, period_start, period_end):
    """A provider as the metrics issue will write one (see journeys/figures.py)."""
    calls.append((journey_map.pk, period_start, period_end))
    stage = journey_map.stages.all()[0]
    return {
        "touchpoints": {"tp-chat": {"volume": 120, "csat": 91.0, "nps": 12.0, "ces": 5.0, "ttr_hours": 9.5}},
        "stages": {stage.pk: {"volume": 300, "csat": 70.0, "emotion": -1.5}},
    }


def sampled_provider(journey_map, period_start, period_end):
    """A provider that also gives the n behind each figure and the small-sample threshold."""
    figures = fake_provider(journey_map, period_start, period_end)
    figures["touchpoints"]["tp-chat"]["samples"] = {"csat": 12, "nps": 240, "ttr_hours": 30}
    figures["small_sample"] = 30
    return figures


def broken_provider(journey_map, period_start, period_end):
    raise RuntimeError("metrics down")


@pytest.fixture
def chat_map():
    journey_map = JourneyMapFactory(name="Support", status=MapStatus.PUBLISHED)
    stage = StageFactory(
        journey_map=journey_map,
        position=0,
        name="Contact",
        customer_goal="Reach someone fast",
        actions="Opens the chat",
        thoughts="Please be quick",
        emotion_score=-2,
        emotion_label="Frustrated",
        pain_points="Long queues",
        opportunities="Show waiting time",
    )
    StageFactory(journey_map=journey_map, position=1, name="Resolution", emotion_score=1)
    TouchpointFactory(
        stage=stage,
        name="Live chat",
        key="tp-chat",
        channel="chat",
        department="support",
        target_csat=85,
        target_ttr_hours=4,
    )
    TouchpointFactory(stage=stage, name="Phone line", key="tp-phone", channel="phone", department="support")
    return journey_map


def test_map_page_renders_every_section_and_empty_overlay_slots(client, rep_user, chat_map, settings):
    settings.JOURNEYS_FIGURES_PROVIDER = None  # no CX module connected
    client.force_login(rep_user)
    response = client.get(reverse("journeys:map_detail", args=[chat_map.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for row in (
        "stages",
        "goal",
        "actions",
        "touchpoints",
        "thoughts",
        "emotion",
        "pain_points",
        "opportunities",
        "measured",
    ):
        assert f'data-row="{row}"' in html
    for text in (
        "Contact",
        "Resolution",
        "Reach someone fast",
        "Opens the chat",
        "Please be quick",
        "Long queues",
        "Show waiting time",
        "Frustrated",
        "Live chat",
        "tp-chat",
        "Phone line",
        "bi-chat-dots",
        "bi-telephone",
    ):
        assert text in html, text
    assert chat_map.persona.name in html
    # the designed curve: two stages at scores −2 and +1
    assert 'points="100,110.0 300,35.0"' in html
    assert 'data-testid="measured-curve"' not in html
    # 2 touchpoint slots + 2 stage slots, all saying that nothing is connected
    assert html.count('data-testid="overlay-slot"') == 4
    assert html.count("No data connected") == 4
    assert "Measured emotion: no data connected." in html
    assert "journeys/map.css" in html


def test_map_page_shows_provider_figures_against_targets(client, rep_user, chat_map, settings):
    settings.JOURNEYS_FIGURES_PROVIDER = "journeys.tests.test_views.fake_provider"
    calls.clear()
    client.force_login(rep_user)
    response = client.get(reverse("journeys:map_detail", args=[chat_map.pk]), {"period": "90"})
    html = response.content.decode()
    today = timezone.localdate()
    assert calls == [(chat_map.pk, today - timedelta(days=89), today)]
    assert "No data connected" not in html
    # CSAT 91 ≥ target 85 is good; time to resolution 9.5 h > 4 h is bad
    assert 'metric metric-good" data-metric="csat"' in html
    assert 'metric metric-bad" data-metric="ttr_hours"' in html
    assert "<strong>91.0%</strong>" in html and "/ 85.0%" in html
    assert "No figures for this period" in html  # the phone touchpoint has no figures
    assert 'data-testid="measured-curve"' in html and 'points="100,97.5"' in html


def test_map_page_flags_figures_resting_on_a_small_sample(client, rep_user, chat_map, settings):
    client.force_login(rep_user)
    url = reverse("journeys:map_detail", args=[chat_map.pk])

    settings.JOURNEYS_FIGURES_PROVIDER = "journeys.tests.test_views.sampled_provider"
    html = client.get(url).content.decode()
    assert 'metric metric-good metric-small" data-metric="csat" data-n="12" title="n = 12"' in html
    assert "only 12: read with care" in html
    assert 'metric" data-metric="nps" data-n="240"' in html  # 240 answers: no flag
    assert 'metric metric-bad" data-metric="ttr_hours" data-n="30"' in html  # 30 is enough
    assert "fewer than 30 answers" in html

    # a provider that gives no samples: nothing is flagged, no legend
    settings.JOURNEYS_FIGURES_PROVIDER = "journeys.tests.test_views.fake_provider"
    html = client.get(url).content.decode()
    assert "metric-small" not in html and "data-n=" not in html and "small-sample-legend" not in html


def test_custom_period_is_passed_to_the_provider(client, rep_user, chat_map, settings):
    settings.JOURNEYS_FIGURES_PROVIDER = "journeys.tests.test_views.fake_provider"
    calls.clear()
    client.force_login(rep_user)
    client.get(
        reverse("journeys:map_detail", args=[chat_map.pk]),
        {"period": "custom", "start": "2026-01-01", "end": "2026-01-31"},
    )
    assert calls[-1][1:] == (date(2026, 1, 1), date(2026, 1, 31))
    response = client.get(
        reverse("journeys:map_detail", args=[chat_map.pk]),
        {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"},
    )
    assert "must not be after" in response.content.decode()


def test_broken_provider_does_not_break_the_page(client, rep_user, chat_map, settings):
    settings.JOURNEYS_FIGURES_PROVIDER = "journeys.tests.test_views.broken_provider"
    client.force_login(rep_user)
    response = client.get(reverse("journeys:map_detail", args=[chat_map.pk]))
    assert response.status_code == 200
    assert "Figures unavailable" in response.content.decode()


def test_map_page_query_count_is_bounded(client, rep_user, django_assert_max_num_queries):
    journey_map = build_map(stages=8, touchpoints_per_stage=6)
    client.force_login(rep_user)
    url = reverse("journeys:map_detail", args=[journey_map.pk])
    with django_assert_max_num_queries(9):
        response = client.get(url)
    assert response.content.decode().count('data-testid="overlay-slot"') == 8 * 6 + 8


def test_map_list_query_count_is_bounded_and_hides_archived(client, rep_user, django_assert_max_num_queries):
    for _ in range(15):
        build_map(stages=2, touchpoints_per_stage=2)
    build_map(name="Old one", status=MapStatus.ARCHIVED)
    client.force_login(rep_user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("journeys:map_list"))
    html = response.content.decode()
    assert html.count("/journeys/") >= 15 and "Old one" not in html
    assert "Old one" in client.get(reverse("journeys:map_list"), {"status": "archived"}).content.decode()


def test_map_list_filters_by_persona(client, rep_user):
    wanted = build_map(name="Wanted")
    build_map(name="Other")
    client.force_login(rep_user)
    html = client.get(reverse("journeys:map_list"), {"persona_id": wanted.persona_id}).content.decode()
    assert "Wanted" in html and ">Other<" not in html


def test_marketer_home_is_the_map_list(client, marketer_user):
    client.force_login(marketer_user)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("journeys:map_list")


@pytest.mark.parametrize("role_fixture", ["rep_user", "manager_user", "marketer_user"])
def test_every_staff_role_sees_map_list_and_map(request, client, role_fixture, chat_map):
    client.force_login(request.getfixturevalue(role_fixture))
    assert client.get(reverse("journeys:map_list")).status_code == 200
    response = client.get(reverse("journeys:map_detail", args=[chat_map.pk]))
    assert response.status_code == 200
    assert ("Edit in admin" in response.content.decode()) == (role_fixture == "marketer_user")


def test_anonymous_goes_to_login_and_roleless_user_gets_403(client, chat_map):
    from cxcrm.tests.factories import UserFactory

    response = client.get(reverse("journeys:map_detail", args=[chat_map.pk]))
    assert response.status_code == 302 and reverse("login") in response.url
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("journeys:map_list")).status_code == 403


def test_unknown_map_is_404(client, rep_user):
    client.force_login(rep_user)
    assert client.get(reverse("journeys:map_detail", args=[987654])).status_code == 404


# --------------------------------------------------------------------------- export / import pages


def test_export_downloads_the_json_document(client, rep_user, chat_map):
    client.force_login(rep_user)
    response = client.get(reverse("journeys:map_export", args=[chat_map.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="support-v1.json"'
    document = json.loads(response.content)
    assert document["name"] == "Support" and "id" not in document
    assert [t["key"] for t in document["stages"][0]["touchpoints"]] == ["tp-chat", "tp-phone"]


def test_marketer_imports_a_file_as_a_draft(client, marketer_user, chat_map):
    client.force_login(marketer_user)
    exported = client.get(reverse("journeys:map_export", args=[chat_map.pk])).content
    upload = SimpleUploadedFile("support.json", exported, content_type="application/json")
    response = client.post(reverse("journeys:map_import"), {"file": upload})
    draft = JourneyMap.objects.get(name="Support", version=2)
    assert draft.status == MapStatus.DRAFT and draft.owner == marketer_user
    assert response.status_code == 302 and response.url == reverse("admin:journeys_journeymap_change", args=[draft.pk])
    assert draft.touchpoints.count() == 2


def test_import_errors_are_shown_with_field_and_position(client, marketer_user, chat_map):
    client.force_login(marketer_user)
    document = json.loads(client.get(reverse("journeys:map_export", args=[chat_map.pk])).content)
    document["stages"][0]["touchpoints"][1]["channel"] = "fax"
    response = client.post(reverse("journeys:map_import"), {"document": json.dumps(document)})
    assert response.status_code == 200
    assert "stages[0].touchpoints[1].channel:" in response.content.decode()
    bad_json = client.post(reverse("journeys:map_import"), {"document": "{not json"})
    assert "not valid JSON" in bad_json.content.decode()
    assert JourneyMap.objects.count() == 1


def test_reps_cannot_import(client, rep_user):
    client.force_login(rep_user)
    assert client.get(reverse("journeys:map_import")).status_code == 403


def test_the_period_chooser_and_metric_names_are_in_the_users_language(client, rep_user, chat_map, settings):
    settings.JOURNEYS_FIGURES_PROVIDER = "journeys.tests.test_views.fake_provider"
    client.force_login(rep_user)
    page = client.get(reverse("journeys:map_detail", args=[chat_map.pk]), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    for spanish in ("Últimos 90 días", "Últimos 12 meses", "Desde – hasta", "Volumen"):
        assert spanish in page
    for english in (">Last 90 days<", ">Last 12 months<", ">From – to<", ">Volume<"):
        assert english not in page
