"""Text that PostgreSQL cannot store (the NUL character, a lone UTF-16 surrogate) is refused with a field
message at every door: API bodies (text and JSON), query strings, the public survey page and the admin;
never a 500 from the database. Run on PostgreSQL too (DATABASE_URL): SQLite stores both."""

import copy
import json

import pytest
from django.urls import reverse

from customers.tests.factories import CaseFactory, CustomerFactory, NoteFactory
from journeys.tests.factories import build_map

pytestmark = pytest.mark.django_db

NUL, SURROGATE = "a\x00b", "a\ud800b"
BAD_TEXTS = {"NUL": NUL, "lone surrogate": SURROGATE}


def post_json(client, path, body, method="post"):
    # json.dumps writes a lone surrogate as the escape "\ud800", which is what a client sends.
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def _messages(body) -> str:
    return json.dumps(body)


@pytest.fixture
def manager(api_as, manager_user):
    return api_as(manager_user)


@pytest.fixture
def admin_api(api_as, superuser):
    return api_as(superuser)


# --------------------------------------------------------------------------- API text fields


@pytest.mark.parametrize("text", BAD_TEXTS.values(), ids=BAD_TEXTS.keys())
def test_a_customer_name_with_an_unstorable_character_is_a_400(admin_api, text):
    created = post_json(admin_api, "/api/customers/", {"first_name": text})
    customer = CustomerFactory()
    updated = post_json(admin_api, f"/api/customers/{customer.pk}/", {"last_name": text}, method="patch")

    assert created.status_code == 400 and "first_name" in created.json()
    assert updated.status_code == 400 and "last_name" in updated.json()


@pytest.mark.parametrize("text", BAD_TEXTS.values(), ids=BAD_TEXTS.keys())
def test_a_case_description_or_note_with_an_unstorable_character_is_a_400(admin_api, text):
    customer = CustomerFactory()
    case = CaseFactory(customer=customer)
    note = NoteFactory(customer=customer)

    responses = {
        "description": post_json(
            admin_api, "/api/cases/", {"customer": customer.pk, "subject": "x", "description": text}
        ),
        "subject": post_json(admin_api, f"/api/cases/{case.pk}/", {"subject": text}, method="patch"),
        "body": post_json(admin_api, "/api/notes/", {"customer": customer.pk, "body": text}),
    }
    edited = post_json(admin_api, f"/api/notes/{note.pk}/", {"body": text}, method="patch")

    for field, response in responses.items():
        assert response.status_code == 400, (field, response.content)
        assert field in response.json()
    assert edited.status_code == 400 and "body" in edited.json()


@pytest.mark.parametrize("text", BAD_TEXTS.values(), ids=BAD_TEXTS.keys())
def test_a_journey_map_with_an_unstorable_character_is_a_400_naming_where(admin_api, text):
    new_map = {
        "name": "Onboarding",
        "stages": [{"name": "Sign-up", "touchpoints": [{"name": "Welcome", "key": "onb-welcome", "channel": "email"}]}],
    }
    in_name = copy.deepcopy(new_map) | {"name": text}
    in_touchpoint = copy.deepcopy(new_map)
    in_touchpoint["stages"][0]["touchpoints"][0]["description"] = text

    for body in (in_name, in_touchpoint):
        created = post_json(admin_api, "/api/journeys/", body)
        imported = post_json(admin_api, "/api/journeys/import/", body)
        assert created.status_code == 400, created.content
        assert imported.status_code == 400, imported.content
    draft = build_map(stages=1, touchpoints_per_stage=1)
    updated = post_json(admin_api, f"/api/journeys/{draft.pk}/", {"description": text}, method="patch")
    assert updated.status_code == 400 and "description" in updated.json()


@pytest.mark.parametrize("text", BAD_TEXTS.values(), ids=BAD_TEXTS.keys())
def test_a_persona_with_an_unstorable_character_is_a_400(admin_api, text):
    response = post_json(admin_api, "/api/personas/", {"name": "Ana", "summary": text})

    assert response.status_code == 400 and "summary" in response.json()


# --------------------------------------------------------------------------- API JSON fields


SURVEY = {
    "name": "NPS",
    "kind": "nps",
    "questions": [{"type": "score", "is_primary": True, "text": "How likely…?", "translations": {"pl": "ok"}}],
}


@pytest.mark.parametrize(
    "translations",
    [{"pl": NUL}, {"pl": SURROGATE}, {"pl\x00": "x"}],
    ids=["NUL in a value", "lone surrogate in a value", "NUL in a key"],
)
def test_survey_translations_with_an_unstorable_character_are_a_400(admin_api, translations):
    body = copy.deepcopy(SURVEY)
    body["questions"][0]["translations"] = translations

    response = post_json(admin_api, "/api/surveys/", body)

    assert response.status_code == 400, response.content
    assert "translations" in _messages(response.json())


def test_the_storable_json_field_names_the_character_anywhere_in_the_value():
    from rest_framework.exceptions import ValidationError

    from cxcrm.fields import StorableJSONField

    field = StorableJSONField()
    assert field.run_validation({"a": [1, {"b": "ok"}]}) == {"a": [1, {"b": "ok"}]}
    with pytest.raises(ValidationError) as refused:
        field.run_validation({"a": [1, {"b": "x\x00"}]})
    assert "U+0000" in str(refused.value.detail[0])
    with pytest.raises(ValidationError) as refused:
        field.run_validation({"k\ud800": 1})
    assert "U+D800" in str(refused.value.detail[0])


# --------------------------------------------------------------------------- query strings


@pytest.mark.parametrize(
    "path, params",
    [
        ("/api/customers/", {"q": NUL}),
        ("/api/customers/", {"tag": NUL}),
        ("/api/cases/", {"topic": NUL}),
        ("/api/interactions/", {"source": NUL}),
        ("/api/journeys/", {"q": NUL}),
        ("/api/personas/", {"q": NUL}),
        ("/api/touchpoints/", {"key": NUL}),
        ("/api/surveys/", {"q": NUL}),
        ("/api/responses/", {"stage_name": NUL}),
    ],
)
def test_a_text_filter_with_nul_is_a_400_naming_it(admin_api, path, params):
    response = admin_api.get(path, params)

    assert response.status_code == 400
    assert set(params) <= set(response.json())


@pytest.mark.parametrize("name", ["customers:customer_list", "customers:case_list", "journeys:map_list"])
def test_a_page_search_with_nul_is_no_500(client, superuser, name):
    client.force_login(superuser)

    assert client.get(reverse(name), {"q": NUL, "topic": NUL}).status_code in (200, 400)


@pytest.mark.parametrize(
    "name",
    ["admin:customers_customer_changelist", "admin:customers_case_changelist", "admin:feedback_response_changelist"],
)
def test_an_admin_search_with_nul_is_no_500(client, superuser, name):
    client.force_login(superuser)

    assert client.get(reverse(name), {"q": NUL}).status_code in (200, 400)


# --------------------------------------------------------------------------- the public survey page


def test_the_public_survey_comment_with_nul_is_a_form_error_not_a_500(client):
    from django.utils import timezone

    from feedback.choices import InvitationStatus
    from feedback.models import Response
    from feedback.tests.factories import InvitationFactory
    from feedback.tokens import invitation_token

    invitation = InvitationFactory(status=InvitationStatus.SENT, sent_at=timezone.now())
    question = invitation.survey.questions.get(is_primary=True)
    url = reverse("feedback:survey_answer", args=[invitation_token(invitation.pk)])

    response = client.post(url, {f"q{question.pk}": "9", "comment": "Great\x00 service"})

    assert response.status_code in (200, 400)
    assert "Null characters are not allowed." in response.content.decode()
    assert not Response.objects.exists()


# --------------------------------------------------------------------------- the admin


@pytest.mark.parametrize("model_name", ["SurveyQuestion", "QuestionChoice"])
@pytest.mark.parametrize("raw", ['{"pl": "a\\u0000b"}', '{"pl": "a\\ud800b"}'], ids=["NUL", "lone surrogate"])
def test_an_admin_translations_field_with_an_unstorable_character_is_a_form_error(model_name, raw):
    """The admin edits the translations as JSON text, where "\\u0000" is a NUL once read."""
    from django.apps import apps
    from django.forms import modelform_factory

    form = modelform_factory(apps.get_model("feedback", model_name), fields=["translations"])({"translations": raw})

    assert not form.is_valid()
    assert "U+" in " ".join(form.errors["translations"])


# --------------------------------------------------------------------------- sign-in


@pytest.mark.parametrize("key", ["a\x00b", "\x00" * 40])
def test_an_api_token_with_nul_is_a_401_like_any_unknown_token(client, key):
    response = client.get("/api/customers/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_a_sign_in_with_nul_is_refused_without_a_500(client, path):
    response = client.post(path, {"username": "ana\x00", "password": "pass\x00word"})

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
