"""GET /api/metrics/: payload, validation (400 with field messages), role scope (401/403, no leaks)."""

from datetime import date, timedelta

import pytest

from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from feedback.metrics import rollup
from feedback.models import MetricRollup
from feedback.tests.metrics_factories import ResponseFactory, at
from journeys.tests.factories import PersonaFactory

pytestmark = pytest.mark.django_db

URL = "/api/metrics/"
JAN = {"start": "2026-01-01", "end": "2026-01-31"}


@pytest.fixture
def january():
    for day, scores in ((5, [10, 9, 3]), (6, [8]), (13, [10])):
        for score in scores:
            ResponseFactory(kind="nps", score=score, submitted_at=at(2026, 1, day), channel="chat")
    ResponseFactory(kind="nps", score=0, submitted_at=at(2026, 1, 14), channel="email")
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))


def test_weekly_nps_overall_has_one_row_per_week_with_counts(api_as, manager_user, january):
    response = api_as(manager_user).get(URL, {"metric": "nps", "granularity": "week", **JAN})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"metric", "granularity", "results"}
    assert (body["metric"], body["granularity"]) == ("nps", "week")
    assert [r["period_start"] for r in body["results"]] == [
        "2026-01-01",
        "2026-01-05",
        "2026-01-12",
        "2026-01-19",
        "2026-01-26",
    ]
    week = body["results"][1]
    assert week == {
        "period_start": "2026-01-05",
        "dimension": "overall",
        "dimension_value": None,
        "value": 25.0,
        "n": 4,
        "promoters": 2,
        "passives": 1,
        "detractors": 1,
    }
    assert body["results"][2]["value"] == 0.0  # one promoter, one detractor
    assert (body["results"][0]["n"], body["results"][0]["value"]) == (0, None)


def test_a_dimension_gives_one_row_per_period_and_value(api_as, manager_user, january):
    body = (
        api_as(manager_user).get(URL, {"metric": "nps", "granularity": "month", "dimension": "channel", **JAN}).json()
    )

    assert [(r["dimension"], r["dimension_value"], r["n"], r["value"]) for r in body["results"]] == [
        ("channel", "chat", 5, 40.0),  # 10, 9, 3, 8, 10
        ("channel", "email", 1, -100.0),
    ]


def test_filters_together_are_computed_live(api_as, manager_user):
    persona = PersonaFactory()
    ResponseFactory(kind="csat", score=5, persona=persona, channel="chat", submitted_at=at(2026, 1, 5))
    ResponseFactory(kind="csat", score=1, persona=persona, channel="email", submitted_at=at(2026, 1, 5))
    ResponseFactory(kind="csat", score=1, channel="chat", submitted_at=at(2026, 1, 5))

    body = (
        api_as(manager_user)
        .get(URL, {"metric": "csat", "granularity": "month", "persona": persona.pk, "channel": "chat", **JAN})
        .json()
    )

    assert [(r["n"], r["value"]) for r in body["results"]] == [(1, 100.0)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"metric": "happiness", "granularity": "week", **JAN}, "metric"),
        ({"metric": "nps", "granularity": "year", **JAN}, "granularity"),
        ({"metric": "nps", "granularity": "week", "dimension": "colour", **JAN}, "dimension"),
        ({"metric": "churn_rate", "granularity": "week", "dimension": "survey", **JAN}, "dimension"),
        ({"metric": "case_volume", "granularity": "week", "dimension": "campaign", **JAN}, "dimension"),
        ({"metric": "nps", "granularity": "week", "start": "2026-02-01", "end": "2026-01-01"}, "start"),
        ({"metric": "nps", "granularity": "week", "start": "2026-13-01", "end": "2026-01-01"}, "start"),
        ({"metric": "nps", "granularity": "week", "start": "2026-01-01"}, "end"),
        ({"metric": "nps", "granularity": "day", "start": "2000-01-01", "end": "2026-01-01"}, "start"),
        ({"metric": "churn_rate", "granularity": "week", "channel": "chat", **JAN}, "channel"),
        ({"metric": "nps", "granularity": "week", "channel": "pigeon", **JAN}, "channel"),
        ({"metric": "nps", "granularity": "week", "persona": 999999, **JAN}, "persona"),
        ({"metric": "nps", "granularity": "week", "survey": "abc", **JAN}, "survey"),
        ({"granularity": "week", **JAN}, "metric"),
    ],
)
def test_bad_parameters_are_400_with_the_field_named(api_as, manager_user, params, field):
    response = api_as(manager_user).get(URL, params)

    assert response.status_code == 400
    assert field in response.json()


def test_anonymous_is_401(api_client):
    assert api_client.get(URL, {"metric": "nps", "granularity": "week", **JAN}).status_code == 401


@pytest.mark.parametrize(
    ("role", "params", "status"),
    [
        (Role.INTEGRATION, {"metric": "nps"}, 403),
        (Role.MARKETER, {"metric": "nps"}, 403),
        (Role.MARKETER, {"metric": "ttr_hours"}, 403),
        (Role.MARKETER, {"metric": "open_rate", "dimension": "campaign"}, 200),
        (Role.MARKETER, {"metric": "nps", "dimension": "touchpoint"}, 200),
        (Role.MARKETER, {"metric": "csat", "dimension": "stage"}, 200),
        (Role.SUPPORT_REP, {"metric": "churn_rate"}, 403),
        (Role.SUPPORT_REP, {"metric": "open_rate"}, 403),
        (Role.SUPPORT_REP, {"metric": "csat", "dimension": "agent"}, 403),
        (Role.SUPPORT_REP, {"metric": "csat"}, 200),
        (Role.MANAGER, {"metric": "churn_rate"}, 200),
    ],
)
def test_each_role_reads_only_its_figures(api_as, role, params, status):
    user = UserFactory(role=role, is_staff=role != Role.INTEGRATION)

    response = api_as(user).get(URL, {"granularity": "month", **JAN, **params})

    assert response.status_code == status


def test_a_rep_sees_only_the_figures_of_their_own_answers_and_cases(api_as, rep_user):
    other = UserFactory(role=Role.SUPPORT_REP)
    ResponseFactory(kind="csat", score=5, agent=rep_user, submitted_at=at(2026, 1, 5))
    ResponseFactory(kind="csat", score=1, agent=other, submitted_at=at(2026, 1, 5))
    ResponseFactory(kind="csat", score=1, agent=other, submitted_at=at(2026, 1, 6))
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))

    body = api_as(rep_user).get(URL, {"metric": "csat", "granularity": "month", **JAN}).json()

    assert [(r["n"], r["value"]) for r in body["results"]] == [(1, 100.0)]


def test_a_year_of_daily_rows_by_dimension_in_a_few_queries(api_as, manager_user, django_assert_max_num_queries):
    start = date(2025, 1, 1)
    MetricRollup.objects.bulk_create(
        MetricRollup(
            metric="csat", day=start + timedelta(days=i), dimension="channel", dimension_value=c, n=4, top_box=3
        )
        for i in range(365)
        for c in ("chat", "email", "phone")
    )
    client = api_as(manager_user)
    params = {
        "metric": "csat",
        "granularity": "day",
        "dimension": "channel",
        "start": "2025-01-01",
        "end": "2025-12-31",
    }

    with django_assert_max_num_queries(6):
        response = client.get(URL, params)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 365 * 3
    assert response.json()["results"][0]["value"] == 75.0


def test_metrics_endpoint_is_in_the_openapi_schema_without_warnings():
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/", include("feedback.api.urls"))]).get_schema(
        request=None, public=True
    )
    warnings, errors = dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    metric_warnings = {k: v for k, v in {**warnings, **errors}.items() if "metric" in str(k).lower()}
    assert metric_warnings == {}
    params = {p["name"] for p in schema["paths"]["/api/metrics/"]["get"]["parameters"]}
    assert {"metric", "granularity", "start", "end", "dimension", "persona", "journey", "channel", "survey"} <= params


def test_chat_and_social_break_down_by_network(api_as, manager_user):
    """Interactions that arrived as whatsapp/instagram keep their channel and are counted by network."""
    from customers.tests.factories import InteractionFactory

    for network, count in (("whatsapp", 3), ("telegram", 1), ("", 2)):
        for _ in range(count):
            InteractionFactory(channel="chat", network=network, occurred_at=at(2026, 1, 7))
    InteractionFactory(channel="social", network="instagram", occurred_at=at(2026, 1, 8))
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))

    body = (
        api_as(manager_user)
        .get(URL, {"metric": "interaction_volume", "granularity": "month", "dimension": "network", **JAN})
        .json()
    )

    assert sorted((r["dimension_value"], r["value"]) for r in body["results"]) == [
        ("", 2),
        ("instagram", 1),
        ("telegram", 1),
        ("whatsapp", 3),
    ]


def test_a_network_breakdown_counts_invitations_without_an_interaction_as_none(api_as, manager_user):
    """A post-resolution survey has no interaction (NULL network) and another one's interaction has none ("");
    both are the one "(none)" value of the day, and the rollup stores them as one row."""
    from customers.tests.factories import InteractionFactory
    from feedback.tests.metrics_factories import SentInvitationFactory

    SentInvitationFactory(interaction=None, scheduled_for=at(2026, 1, 7))
    SentInvitationFactory(interaction=InteractionFactory(channel="chat"), scheduled_for=at(2026, 1, 7))
    SentInvitationFactory(
        interaction=InteractionFactory(channel="chat", network="whatsapp"), scheduled_for=at(2026, 1, 7)
    )

    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))

    rows = MetricRollup.objects.filter(metric="response_rate", dimension="network").values_list(
        "dimension_value", "denominator"
    )
    assert sorted(rows) == [("", 2), ("whatsapp", 1)]
    body = (
        api_as(manager_user)
        .get(URL, {"metric": "response_rate", "granularity": "month", "dimension": "network", **JAN})
        .json()
    )
    assert sorted((r["dimension_value"], r["denominator"]) for r in body["results"]) == [("", 2), ("whatsapp", 1)]
