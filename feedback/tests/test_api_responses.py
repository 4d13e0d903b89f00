"""/api/responses/: payload, filters, roles, validation and query count."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.choices import CaseOrigin, CaseStatus
from customers.tests.factories import CaseFactory, CustomerFactory
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from feedback.choices import Sentiment
from feedback.tests.factories import ResponseFactory, SurveyFactory
from journeys.choices import MapStatus
from journeys.tests.factories import JourneyMapFactory, PersonaFactory, StageFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

URL = "/api/responses/"


@pytest.fixture
def context_rows():
    """Responses with distinct contexts to filter on."""
    now = timezone.now()
    persona = PersonaFactory(name="Tech-savvy Theo")
    journey_map = JourneyMapFactory(status=MapStatus.PUBLISHED, name="Support journey")
    stage = StageFactory(journey_map=journey_map, name="Get help")
    touchpoint = TouchpointFactory(stage=stage, key="support-phone", channel="phone")
    nps = SurveyFactory(kind="nps", name="Relationship")
    rows = {
        "phone_detractor": ResponseFactory(
            invitation__survey=nps,
            score=2,
            channel="phone",
            touchpoint_key="support-phone",
            touchpoint=touchpoint,
            journey_map=journey_map,
            stage=stage,
            stage_name="Get help",
            persona=persona,
            sentiment=Sentiment.NEGATIVE,
            sentiment_score=-0.6,
            comment="Waited forever",
            submitted_at=now - timedelta(days=40),
        ),
        "chat_promoter": ResponseFactory(
            invitation__survey=nps,
            score=10,
            channel="chat",
            touchpoint_key="support-chat",
            sentiment=Sentiment.POSITIVE,
            sentiment_score=0.8,
            submitted_at=now - timedelta(days=3),
        ),
        "csat_web": ResponseFactory(score=4, channel="web", sentiment=Sentiment.UNKNOWN, submitted_at=now),
    }
    return rows


def ids(response):
    return {item["id"] for item in response.data["results"]}


def test_item_has_score_kind_time_and_context(api_as, manager_user, context_rows):
    row = context_rows["phone_detractor"]
    response = api_as(manager_user).get(f"{URL}{row.pk}/")
    assert response.status_code == 200
    body = response.data
    assert (body["score"], body["kind"], body["survey_name"]) == (2, "nps", "Relationship")
    assert body["submitted_at"] == row.submitted_at.isoformat().replace("+00:00", "Z")
    assert (body["channel"], body["touchpoint_key"], body["stage_name"]) == ("phone", "support-phone", "Get help")
    assert (body["persona_name"], body["journey_map_name"]) == ("Tech-savvy Theo", "Support journey")
    assert (body["sentiment"], body["sentiment_score"], body["comment"]) == ("negative", -0.6, "Waited forever")
    assert body["customer"] == row.customer_id
    assert body["followup"] is None


@pytest.mark.parametrize(
    "query,expected",
    [
        ("kind=nps", {"phone_detractor", "chat_promoter"}),
        ("kind=csat", {"csat_web"}),
        ("score_min=4", {"chat_promoter", "csat_web"}),
        ("score_max=4", {"phone_detractor", "csat_web"}),
        ("score_min=3&score_max=5", {"csat_web"}),
        ("channel=phone", {"phone_detractor"}),
        ("channel=phone&channel=chat", {"phone_detractor", "chat_promoter"}),
        ("touchpoint=support-chat", {"chat_promoter"}),
        ("sentiment=negative", {"phone_detractor"}),
        ("sentiment=unknown", {"csat_web"}),
        ("stage_name=Get help", {"phone_detractor"}),
    ],
)
def test_filters(api_as, manager_user, context_rows, query, expected):
    response = api_as(manager_user).get(f"{URL}?{query}")
    assert response.status_code == 200, response.data
    assert ids(response) == {context_rows[name].pk for name in expected}


def test_filters_by_survey_persona_journey_stage_and_dates(api_as, marketer_user, context_rows):
    api = api_as(marketer_user)
    row = context_rows["phone_detractor"]
    assert ids(api.get(f"{URL}?survey={row.survey_id}")) == {row.pk, context_rows["chat_promoter"].pk}
    assert ids(api.get(f"{URL}?persona={row.persona_id}")) == {row.pk}
    assert ids(api.get(f"{URL}?journey={row.journey_map_id}")) == {row.pk}
    assert ids(api.get(f"{URL}?stage={row.stage_id}")) == {row.pk}
    since = (timezone.now() - timedelta(days=10)).isoformat()
    until = (timezone.now() - timedelta(days=1)).isoformat()
    response = api.get(URL, {"submitted_after": since, "submitted_before": until})
    assert ids(response) == {context_rows["chat_promoter"].pk}


def test_followup_is_shown_with_its_note_and_time_to_close(api_as, manager_user):
    opened = timezone.now() - timedelta(hours=5)
    case = CaseFactory(
        origin=CaseOrigin.SURVEY,
        status=CaseStatus.CLOSED,
        opened_at=opened,
        closed_at=opened + timedelta(hours=3),
        resolved_at=opened + timedelta(hours=3),
        resolution_note="Called back, refunded.",
    )
    row = ResponseFactory(invitation__customer=case.customer, score=1, followup_case=case)
    ResponseFactory(score=5)
    api = api_as(manager_user)
    body = api.get(f"{URL}{row.pk}/").data
    assert body["followup"]["id"] == case.pk
    assert body["followup"]["resolution_note"] == "Called back, refunded."
    assert body["followup"]["hours_to_close"] == 3.0
    assert ids(api.get(f"{URL}?has_followup=true")) == {row.pk}


@pytest.mark.parametrize(
    "query,field",
    [
        ("score_min=high", "score_min"),
        ("kind=stars", "kind"),
        ("sentiment=furious", "sentiment"),
        ("channel=pigeon", "channel"),
        ("submitted_after=yesterday", "submitted_after"),
        ("persona=x", "persona"),
    ],
)
def test_bad_filters_are_400_with_the_field(api_as, rep_user, query, field):
    response = api_as(rep_user).get(f"{URL}?{query}")
    assert response.status_code == 400
    assert field in response.data


def test_roles(api_as, api_client, rep_user, integration_user, superuser):
    row = ResponseFactory()
    assert api_client.get(URL).status_code == 401
    assert api_as(integration_user).get(URL).status_code == 403
    assert api_as(integration_user).get(f"{URL}{row.pk}/").status_code == 403
    assert api_as(UserFactory(role=None)).get(URL).status_code == 403
    rep = api_as(rep_user)
    assert rep.get(f"{URL}999999/").status_code == 404
    assert rep.post(URL, {"score": 1}, format="json").status_code == 403  # no one may write responses
    root = api_as(superuser)
    assert root.post(URL, {"score": 1}, format="json").status_code == 405
    assert root.delete(f"{URL}{row.pk}/").status_code == 405


def test_list_query_count(api_as, manager_user, django_assert_max_num_queries):
    persona = PersonaFactory()
    stage = StageFactory(journey_map=JourneyMapFactory(status=MapStatus.PUBLISHED))
    touchpoint = TouchpointFactory(stage=stage)
    agent = UserFactory(role=Role.SUPPORT_REP)
    for i in range(25):
        customer = CustomerFactory()
        ResponseFactory(
            invitation__customer=customer,
            persona=persona,
            touchpoint=touchpoint,
            journey_map=stage.journey_map,
            stage=stage,
            agent=agent,
            followup_case=CaseFactory(customer=customer, origin=CaseOrigin.SURVEY) if i % 3 == 0 else None,
        )
    api = api_as(manager_user)
    with django_assert_max_num_queries(5):  # auth 3, count, responses with their joins
        response = api.get(URL)
    assert response.data["count"] == 25
