"""/api/surveys/, /api/survey-rules/ and /api/invitations/: payloads, roles, validation, query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.tests.factories import CaseFactory, CustomerFactory, InteractionFactory
from feedback.choices import InvitationStatus
from feedback.models import Invitation, Survey, SurveyRule
from feedback.tests.factories import InvitationFactory, SurveyFactory, SurveyRuleFactory
from feedback.tokens import invitation_id_from_token

pytestmark = pytest.mark.django_db

NPS_PAYLOAD = {
    "name": "Relationship NPS",
    "kind": "nps",
    "delivery_channel": "email",
    "expiry_days": 10,
    "reminder_after_days": 3,
    "questions": [
        {
            "type": "score",
            "is_primary": True,
            "text": "How likely are you to recommend us to a friend or colleague?",
            "translations": {"pl": "Jak bardzo prawdopodobne jest, że polecisz nas znajomemu?"},
        },
        {
            "type": "single_choice",
            "text": "What mattered most?",
            "choices": [
                {"value": "speed", "label": "Speed"},
                {"value": "price", "label": "Price", "translations": {"es": "Precio"}},
            ],
        },
        {"type": "text", "text": "Anything else?", "required": False},
    ],
    "texts": [{"language": "en", "title": "Your opinion"}, {"language": "pt-br", "title": "Sua opinião"}],
}


# --------------------------------------------------------------------------- surveys


def test_marketer_creates_a_survey_with_ordered_questions_and_texts(api_as, marketer_user):
    response = api_as(marketer_user).post("/api/surveys/", NPS_PAYLOAD, format="json")
    assert response.status_code == 201, response.data
    body = response.data
    assert [q["position"] for q in body["questions"]] == [1, 2, 3]
    assert [c["value"] for c in body["questions"][1]["choices"]] == ["speed", "price"]
    assert {t["language"] for t in body["texts"]} == {"en", "pt-br"}
    assert Survey.objects.get(pk=body["id"]).questions.get(is_primary=True).text_in("pl").startswith("Jak")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"questions": [{"type": "score", "text": "Recommend?"}]}, "questions"),
        ({"questions": [{"type": "text", "text": "Why?", "is_primary": True}]}, "questions"),
        ({"reminder_after_days": 10}, "reminder_after_days"),
        ({"kind": "stars"}, "kind"),
        ({"questions": [{"type": "score", "is_primary": True, "text": "x", "translations": {"de": "y"}}]}, "questions"),
        ({"texts": [{"language": "en", "title": "a"}, {"language": "en", "title": "b"}]}, "texts"),
    ],
)
def test_invalid_surveys_are_400_with_field_messages(api_as, marketer_user, change, field):
    response = api_as(marketer_user).post("/api/surveys/", {**NPS_PAYLOAD, **change}, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not Survey.objects.exists()


def test_survey_update_replaces_questions_until_it_has_invitations(api_as, marketer_user):
    client = api_as(marketer_user)
    survey_id = client.post("/api/surveys/", NPS_PAYLOAD, format="json").data["id"]
    new_questions = [{"type": "score", "is_primary": True, "text": "Recommend us?"}]
    response = client.patch(f"/api/surveys/{survey_id}/", {"questions": new_questions, "active": False}, format="json")
    assert response.status_code == 200
    assert [q["text"] for q in response.data["questions"]] == ["Recommend us?"]
    assert response.data["active"] is False

    InvitationFactory(survey_id=survey_id)
    response = client.patch(f"/api/surveys/{survey_id}/", {"questions": new_questions}, format="json")
    assert response.status_code == 400
    assert "questions" in response.data
    assert client.delete(f"/api/surveys/{survey_id}/").status_code == 400


def test_surveys_are_read_by_other_roles_but_not_written(api_as, rep_user, manager_user):
    survey = SurveyFactory()
    for user in (rep_user, manager_user):
        client = api_as(user)
        assert client.get(f"/api/surveys/{survey.pk}/").status_code == 200
        assert client.post("/api/surveys/", NPS_PAYLOAD, format="json").status_code == 403
        assert client.patch(f"/api/surveys/{survey.pk}/", {"active": False}, format="json").status_code == 403


def test_survey_api_anonymous_401_unknown_404_integration_reads_only(
    api_client, api_as, marketer_user, integration_user
):
    assert api_client.get("/api/surveys/").status_code == 401
    assert api_as(marketer_user).get("/api/surveys/999/").status_code == 404
    # Cross-role: an integration reads the surveys it names in POST /api/invitations/, and writes none.
    assert api_as(integration_user).get("/api/surveys/").status_code == 200
    assert api_as(integration_user).post("/api/surveys/", {"name": "x"}).status_code == 403


def test_survey_list_query_count(api_as, rep_user, django_assert_max_num_queries):
    for _ in range(15):
        SurveyFactory()
    api = api_as(rep_user)
    with django_assert_max_num_queries(9):  # auth 3, count, surveys, texts, questions, choices
        response = api.get("/api/surveys/")
    assert response.data["count"] == 15
    assert all(len(s["questions"]) == 1 for s in response.data["results"])


# --------------------------------------------------------------------------- rules


def test_marketer_writes_rules_and_others_read(api_as, marketer_user, rep_user):
    survey = SurveyFactory()
    payload = {
        "survey": survey.pk,
        "name": "After chat",
        "event": "interaction",
        "channel": "chat",
        "delay_minutes": 120,
        "sample_percent": 50,
        "quiet_start": "21:00",
        "quiet_end": "08:00",
    }
    response = api_as(marketer_user).post("/api/survey-rules/", payload, format="json")
    assert response.status_code == 201, response.data
    assert response.data["quiet_start"] == "21:00:00"
    rule_id = response.data["id"]
    assert api_as(rep_user).get(f"/api/survey-rules/{rule_id}/").data["name"] == "After chat"
    assert api_as(rep_user).patch(f"/api/survey-rules/{rule_id}/", {"active": False}, format="json").status_code == 403
    assert (
        api_as(marketer_user).patch(f"/api/survey-rules/{rule_id}/", {"active": False}, format="json").status_code
        == 200
    )
    assert SurveyRule.objects.get(pk=rule_id).active is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sample_percent": 150}, "sample_percent"),
        ({"quiet_start": "21:00"}, "quiet_end"),
        ({"survey": 9999}, "survey"),
        ({"event": "case_resolved", "touchpoint_key": "checkout"}, "event"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_invalid_rules_are_400(api_as, marketer_user, change, field):
    payload = {"survey": SurveyFactory().pk, "name": "R", "event": "interaction", **change}
    response = api_as(marketer_user).post("/api/survey-rules/", payload, format="json")
    assert response.status_code == 400
    assert field in response.data


@pytest.mark.parametrize(
    ("quiet_start", "quiet_end", "field"),
    [
        ("22:00:00+05:00", "06:00", "quiet_start"),
        ("22:00", "06:00Z", "quiet_end"),
        ("22:00", "06:00-03:00", "quiet_end"),
    ],
)
def test_quiet_hours_with_a_zone_are_400_naming_the_field(api_as, marketer_user, quiet_start, quiet_end, field):
    payload = {
        "survey": SurveyFactory().pk,
        "name": "R",
        "event": "interaction",
        "quiet_start": quiet_start,
        "quiet_end": quiet_end,
    }
    response = api_as(marketer_user).post("/api/survey-rules/", payload, format="json")
    assert response.status_code == 400
    assert response.json()[field] == ["A local time of day without a zone: HH:MM or HH:MM:SS."]
    assert not SurveyRule.objects.exists()


def test_rule_list_query_count(api_as, manager_user, django_assert_max_num_queries):
    for _ in range(20):
        SurveyRuleFactory()
    api = api_as(manager_user)
    with django_assert_max_num_queries(5):  # auth 3, count, rules
        response = api.get("/api/survey-rules/")
    assert response.data["count"] == 20


# --------------------------------------------------------------------------- invitations


def test_integration_creates_a_link_invitation_and_gets_the_same_one_again(api_as, integration_user, client):
    survey = SurveyFactory()
    customer = CustomerFactory()
    interaction = InteractionFactory(customer=customer)
    api = api_as(integration_user)
    payload = {"survey": survey.pk, "customer": customer.pk, "interaction": interaction.pk}

    first = api.post("/api/invitations/", payload, format="json")
    assert first.status_code == 201
    assert set(first.data) == {"id", "url", "status", "expires_at"}
    assert first.data["status"] == "sent"
    token = first.data["url"].split("/s/")[1].rstrip("/")
    assert invitation_id_from_token(token) == first.data["id"]

    again = api.post("/api/invitations/", payload, format="json")
    assert again.status_code == 200
    assert again.data == first.data
    assert Invitation.objects.count() == 1
    # The link works.
    assert (
        client.get(first.data["url"].split("testserver")[-1].replace("https://cx.example.com", "")).status_code == 200
    )


def test_link_invitations_are_keyed_by_case_or_customer_alone(api_as, integration_user):
    survey = SurveyFactory()
    customer = CustomerFactory()
    case = CaseFactory(customer=customer)
    api = api_as(integration_user)
    by_case = api.post("/api/invitations/", {"survey": survey.pk, "customer": customer.pk, "case": case.pk})
    alone = api.post("/api/invitations/", {"survey": survey.pk, "customer": customer.pk})
    alone_again = api.post("/api/invitations/", {"survey": survey.pk, "customer": customer.pk})
    assert (by_case.status_code, alone.status_code, alone_again.status_code) == (201, 201, 200)
    assert by_case.data["id"] != alone.data["id"] == alone_again.data["id"]


def test_opted_out_customer_gets_a_suppressed_invitation_without_url(api_as, integration_user):
    customer = CustomerFactory(survey_opt_out=True)
    response = api_as(integration_user).post(
        "/api/invitations/", {"survey": SurveyFactory().pk, "customer": customer.pk}
    )
    assert response.status_code == 201
    assert (response.data["status"], response.data["url"]) == ("suppressed", None)


@pytest.mark.parametrize(
    ("make_payload", "field"),
    [
        (lambda s, c: {"survey": s.pk, "customer": c.pk, "interaction": InteractionFactory().pk}, "interaction"),
        (lambda s, c: {"survey": s.pk, "customer": c.pk, "case": CaseFactory().pk}, "case"),
        (lambda s, c: {"survey": 999999, "customer": c.pk}, "survey"),
        (lambda s, c: {"survey": s.pk, "customer": 999999}, "customer"),
        (lambda s, c: {"survey": "abc", "customer": c.pk}, "survey"),
        (lambda s, c: {"customer": c.pk}, "survey"),
        (lambda s, c: {"survey": SurveyFactory(active=False).pk, "customer": c.pk}, "survey"),
    ],
)
def test_invalid_invitation_requests_are_400(api_as, integration_user, make_payload, field):
    payload = make_payload(SurveyFactory(), CustomerFactory())
    response = api_as(integration_user).post("/api/invitations/", payload, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not Invitation.objects.exists()


def test_invitation_roles(api_client, api_as, rep_user, marketer_user, integration_user, superuser):
    payload = {"survey": SurveyFactory().pk, "customer": CustomerFactory().pk}
    assert api_client.post("/api/invitations/", payload).status_code == 401
    assert api_client.get("/api/invitations/").status_code == 401
    for user in (rep_user, marketer_user):
        assert api_as(user).get("/api/invitations/").status_code == 200
        assert api_as(user).post("/api/invitations/", payload).status_code == 403
    invitation = InvitationFactory()
    # No updates or deletes through the API for anyone.
    api = api_as(integration_user)
    assert api.patch(f"/api/invitations/{invitation.pk}/", {"status": "sent"}).status_code == 403
    assert api_as(superuser).patch(f"/api/invitations/{invitation.pk}/", {"status": "sent"}).status_code == 405
    assert api_as(superuser).delete(f"/api/invitations/{invitation.pk}/").status_code == 405
    assert api.get("/api/invitations/999999/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SCHEDULED


def test_invitation_filters(api_as, manager_user):
    survey, other_survey = SurveyFactory(), SurveyFactory()
    customer = CustomerFactory()
    sent = InvitationFactory(survey=survey, customer=customer, status=InvitationStatus.SENT)
    suppressed = InvitationFactory(survey=survey, status="suppressed", suppression_reason="fatigue")
    other = InvitationFactory(survey=other_survey, status="failed")
    Invitation.objects.filter(pk=other.pk).update(created_at=timezone.now() - timedelta(days=40))
    api = api_as(manager_user)

    def ids(query):
        response = api.get(f"/api/invitations/?{query}")
        assert response.status_code == 200, response.data
        return {row["id"] for row in response.data["results"]}

    assert ids(f"survey={survey.pk}") == {sent.pk, suppressed.pk}
    assert ids("status=sent&status=failed") == {sent.pk, other.pk}
    assert ids("reason=fatigue") == {suppressed.pk}
    assert ids(f"customer={customer.pk}") == {sent.pk}
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert ids(f"date_from={since}") == {sent.pk, suppressed.pk}
    assert api.get("/api/invitations/?reason=bored").status_code == 400
    assert api.get("/api/invitations/?date_from=yesterday").status_code == 400


def test_invitation_list_query_count(api_as, rep_user, django_assert_max_num_queries):
    survey = SurveyFactory()
    rule = SurveyRuleFactory(survey=survey)
    customers = CustomerFactory.create_batch(30)
    Invitation.objects.bulk_create(
        [
            Invitation(
                survey=survey,
                rule=rule,
                customer=c,
                source_key=f"manual:{c.pk}",
                channel="email",
                scheduled_for=timezone.now(),
                expires_at=timezone.now(),
            )
            for c in customers
        ]
    )
    api = api_as(rep_user)
    with django_assert_max_num_queries(5):  # auth 3, count, invitations with survey, customer and rule
        response = api.get("/api/invitations/")
    assert response.data["count"] == 30
