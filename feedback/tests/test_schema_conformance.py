"""The OpenAPI schema (/api/schema/) says what the API answers: the bodies the issue found outside it
(invitations' blank `language` and `suppression_reason`, responses' null `persona_name`, journeys'
null `owner`, survey rules' quiet hours) validate against it, and every operation documents the
error statuses it can return. Responses are checked with schemathesis, as the CI fuzzing step does."""

from datetime import time

import pytest
import requests
import schemathesis
from schemathesis.core.transport import Response as CheckedResponse

from customers.tests.factories import CustomerFactory
from feedback.choices import InvitationStatus, SuppressionReason
from feedback.tests.factories import InvitationFactory, ResponseFactory, SurveyRuleFactory
from journeys.tests.factories import JourneyMapFactory

pytestmark = pytest.mark.django_db

_SCHEMA: dict = {}  # built once per test process: it does not depend on the data


def schema_json(client) -> dict:
    if not _SCHEMA:
        _SCHEMA.update(client.get("/api/schema/", {"format": "json"}).json())
    return _SCHEMA


@pytest.fixture
def superuser_api(api_as, superuser):
    return api_as(superuser)


@pytest.fixture
def conforms(superuser_api):
    """conforms(template, method, response): raise unless the Django test response is one the schema
    documents for that operation (status and body)."""
    schema = schemathesis.openapi.from_dict(schema_json(superuser_api))

    def check(template, method, response):
        request = requests.Request(method, "http://testserver/").prepare()
        checked = CheckedResponse(
            status_code=response.status_code,
            headers={name.lower(): [value] for name, value in response.headers.items()},
            content=response.content,
            request=request,
            elapsed=0.0,
            verify=True,
        )
        schema[template][method].validate_response(checked)
        return True

    return check


def test_an_invitation_never_sent_with_blank_language_and_reason_conforms(superuser_api, conforms):
    scheduled = InvitationFactory(language="", suppression_reason="")
    suppressed = InvitationFactory(
        status=InvitationStatus.SUPPRESSED, suppression_reason=SuppressionReason.NO_CONTACT, language=""
    )
    for invitation in (scheduled, suppressed):
        response = superuser_api.get(f"/api/invitations/{invitation.pk}/")
        assert response.json()["language"] == ""
        assert conforms("/api/invitations/{id}/", "GET", response)
    assert superuser_api.get(f"/api/invitations/{scheduled.pk}/").json()["suppression_reason"] == ""


def test_a_response_without_persona_conforms(superuser_api, conforms):
    answer = ResponseFactory(persona=None)
    response = superuser_api.get(f"/api/responses/{answer.pk}/")
    assert response.json()["persona_name"] is None
    assert conforms("/api/responses/{id}/", "GET", response)
    assert conforms("/api/responses/", "GET", superuser_api.get("/api/responses/"))


def test_a_journey_map_without_owner_conforms(superuser_api, conforms):
    journey_map = JourneyMapFactory(owner=None)
    response = superuser_api.get(f"/api/journeys/{journey_map.pk}/")
    assert response.json()["owner"] is None
    assert conforms("/api/journeys/{id}/", "GET", response)


def test_survey_rule_quiet_hours_conform_and_read_back(superuser_api, conforms):
    rule = SurveyRuleFactory(quiet_start=time(21, 0), quiet_end=time(8, 0))
    response = superuser_api.get(f"/api/survey-rules/{rule.pk}/")
    assert response.json()["quiet_end"] == "08:00:00"
    assert conforms("/api/survey-rules/{id}/", "GET", response)
    patched = superuser_api.patch(f"/api/survey-rules/{rule.pk}/", {"quiet_end": "07:30"}, format="json")
    assert patched.status_code == 200 and patched.json()["quiet_end"] == "07:30:00"
    assert conforms("/api/survey-rules/{id}/", "PATCH", patched)


def test_error_statuses_conform(superuser_api, api_client, conforms):
    CustomerFactory(pk=1)
    bad = superuser_api.post("/api/cases/", {"customer": 1, "subject": "x", "resolution_note": "y"}, format="json")
    assert bad.status_code == 400 and conforms("/api/cases/", "POST", bad)
    missing = superuser_api.get("/api/personas/999999/")
    assert missing.status_code == 404 and conforms("/api/personas/{id}/", "GET", missing)
    past_last_page = superuser_api.get("/api/journeys/", {"page": 99})
    assert past_last_page.status_code == 404 and conforms("/api/journeys/", "GET", past_last_page)
    anonymous = api_client.get("/api/customers/")
    assert anonymous.status_code == 401 and conforms("/api/customers/", "GET", anonymous)


def test_every_operation_documents_its_error_statuses(superuser_api):
    raw = schema_json(superuser_api)
    operations = [
        (path, method, operation)
        for path, item in raw["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(operations) > 50
    for path, method, operation in operations:
        assert {"400", "401", "403", "404", "503"} <= set(operation["responses"]), (method, path)
        assert any(code.startswith("2") for code in operation["responses"]), (method, path)
    clone = raw["paths"]["/api/journeys/{id}/clone/"]["post"]["responses"]
    assert "201" in clone and "200" not in clone


def test_journey_funnel_and_paths_conform(superuser_api, conforms):
    from feedback.journey_analytics.compute import journey_analytics_refresh

    from .journey_analytics_example import build_example

    journey_map, _people = build_example()
    journey_analytics_refresh(journey_map=journey_map)
    params = {"start": "2026-03-01", "end": "2026-03-31"}
    funnel = superuser_api.get(f"/api/journeys/{journey_map.pk}/funnel/", {**params, "by": "cohort"})
    assert funnel.status_code == 200 and conforms("/api/journeys/{id}/funnel/", "GET", funnel)
    paths = superuser_api.get(f"/api/journeys/{journey_map.pk}/paths/", params)
    assert paths.status_code == 200 and conforms("/api/journeys/{id}/paths/", "GET", paths)
    bad = superuser_api.get(f"/api/journeys/{journey_map.pk}/paths/", {"limit": 0})
    assert bad.status_code == 400 and conforms("/api/journeys/{id}/paths/", "GET", bad)
