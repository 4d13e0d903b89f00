"""Input the API cannot echo or look up: a lone surrogate (JSON's "\\ud800") quoted back by an error
message ('"\\ud800" is not a valid choice.') and a NUL or lone surrogate in a related object's name (a
journey's persona) are a 400 naming the field, never a 500. Run on PostgreSQL too (DATABASE_URL): there a
lookup by a name holding NUL fails in the database."""

import json

import pytest

from customers.tests.factories import CaseFactory, CustomerFactory
from feedback.tests.factories import SurveyFactory, SurveyRuleFactory
from journeys.tests.factories import build_map

pytestmark = pytest.mark.django_db

S = "\ud800"


@pytest.fixture
def admin_api(api_as, superuser):
    return api_as(superuser)


def send(client, method, path, body):
    # json.dumps writes a lone surrogate as the escape "\ud800", which is what a client sends.
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


SURVEY = {"name": "NPS", "kind": "nps", "questions": [{"type": "score", "is_primary": True, "text": "How likely?"}]}
MAP = {
    "name": "Onboarding",
    "stages": [{"name": "Sign-up", "touchpoints": [{"name": "Welcome", "key": "onb-welcome", "channel": "email"}]}],
}


def _touchpoint(**fields):
    body = json.loads(json.dumps(MAP))
    body["stages"][0]["touchpoints"][0].update(fields)
    return body


def _question(**fields):
    body = json.loads(json.dumps(SURVEY))
    body["questions"][0].update(fields)
    return body


# (method, path — "{case}" etc. filled in —, body, the field the 400 names)
CHOICE_EXAMPLES = [
    ("patch", "/api/cases/{case}/", {"status": S}, "status"),
    ("patch", "/api/cases/{case}/", {"priority": S}, "priority"),
    ("patch", "/api/cases/{case}/", {"origin": S}, "origin"),
    ("post", "/api/cases/", {"customer": "{customer}", "subject": "x", "status": S}, "status"),
    ("post", "/api/cases/", {"customer": "{customer}", "subject": "x", "priority": S}, "priority"),
    ("post", "/api/cases/", {"customer": "{customer}", "subject": "x", "origin": S}, "origin"),
    *[
        (method, path, {"first_name": "a", field: S}, field)
        for field in ("language", "timezone", "country", "lifecycle_stage", "preferred_channel")
        for method, path in (("post", "/api/customers/"), ("patch", "/api/customers/{customer}/"))
    ],
    ("post", "/api/customers/{customer}/merge/", {"lifecycle_stage": S}, "lifecycle_stage"),
    ("post", "/api/customers/", {"first_name": "a", "identities": [{"kind": S, "value": "x"}]}, "identities"),
    ("post", "/api/survey-rules/", {"survey": "{survey}", "event": S}, "event"),
    ("post", "/api/survey-rules/", {"survey": "{survey}", "event": "case.closed", "channel": S}, "channel"),
    ("patch", "/api/survey-rules/{rule}/", {"event": S}, "event"),
    ("patch", "/api/survey-rules/{rule}/", {"channel": S}, "channel"),
    ("post", "/api/surveys/", {**SURVEY, "kind": S}, "kind"),
    ("post", "/api/surveys/", {**SURVEY, "delivery_channel": S}, "delivery_channel"),
    ("post", "/api/surveys/", _question(type=S), "questions"),
    ("patch", "/api/surveys/{survey}/", {"kind": S}, "kind"),
    ("patch", "/api/surveys/{survey}/", {"delivery_channel": S}, "delivery_channel"),
    ("post", "/api/webhooks/", {"url": "https://example.com/a", "events": [S]}, "events"),
    ("post", "/api/personas/", {"name": "x", "preferred_channels": [S]}, "preferred_channels"),
    ("post", "/api/journeys/", _touchpoint(channel=S), "stages[0].touchpoints[0].channel"),
    ("post", "/api/journeys/", _touchpoint(department=S), "stages[0].touchpoints[0].department"),
]


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


@pytest.fixture
def ids():
    customer = CustomerFactory()
    survey = SurveyFactory()
    return {
        "customer": customer.pk,
        "case": CaseFactory(customer=customer).pk,
        "survey": survey.pk,
        "rule": SurveyRuleFactory(survey=survey).pk,
    }


@pytest.mark.parametrize(
    "method, path, body, field", CHOICE_EXAMPLES, ids=[f"{m} {p} {f}" for m, p, _, f in CHOICE_EXAMPLES]
)
def test_a_lone_surrogate_in_a_choice_is_a_400_naming_the_field(admin_api, ids, method, path, body, field):
    response = send(admin_api, method, path.format(**ids), _fill(body, ids))

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert "\ufffd" in response.content.decode()  # the quoted input, replaced, not dropped


def test_any_error_quoting_a_lone_surrogate_is_rendered_so_a_new_endpoint_is_covered(rf):
    """A view of its own, with a choice field the examples above do not name, sends a 400 too."""
    from rest_framework import serializers
    from rest_framework.permissions import AllowAny
    from rest_framework.views import APIView

    class AnySerializer(serializers.Serializer):
        colour = serializers.ChoiceField(choices=["red"])
        sizes = serializers.MultipleChoiceField(choices=["s"])

    class AnyView(APIView):
        permission_classes = [AllowAny]
        authentication_classes = []

        def post(self, request):
            AnySerializer(data=request.data).is_valid(raise_exception=True)

    request = rf.post("/any/", json.dumps({"colour": S, "sizes": [S], S: 1}), content_type="application/json")
    response = AnyView.as_view()(request).render()

    assert response.status_code == 400
    assert json.loads(response.content) == {
        "colour": ['"\ufffd" is not a valid choice.'],
        "sizes": ['"\ufffd" is not a valid choice.'],
    }


def test_the_renderer_sends_a_lone_surrogate_of_a_successful_answer_as_the_replacement_character():
    from cxcrm.api.renderers import JSONRenderer

    assert json.loads(JSONRenderer().render({"k" + S: [S, 1, None]})) == {"k\ufffd": ["\ufffd", 1, None]}
    assert JSONRenderer().render({"name": "Zoë"}) == '{"name":"Zoë"}'.encode()


# --------------------------------------------------------------------------- lookups by name


@pytest.mark.parametrize("name", ["\x00", "Ana\x00", S], ids=["NUL", "NUL inside", "lone surrogate"])
def test_a_journey_persona_named_with_an_unstorable_character_is_a_400(admin_api, name):
    draft = build_map(stages=1, touchpoints_per_stage=1)
    responses = {
        "create": send(admin_api, "post", "/api/journeys/", {"name": "n", "persona": name}),
        "import": send(admin_api, "post", "/api/journeys/import/", {"name": "n", "persona": name}),
        "update": send(admin_api, "patch", f"/api/journeys/{draft.pk}/", {"persona": name}),
    }

    for door, response in responses.items():
        assert response.status_code == 400, (door, response.content)
        assert "persona" in json.dumps(response.json()), door
    if "\x00" in name:
        assert responses["create"].json()["persona"] == ["Null characters are not allowed."]


def test_every_writable_slug_lookup_of_the_api_refuses_unstorable_names():
    """A new SlugRelatedField taking input must be the storable one, or its lookup fails in PostgreSQL."""
    from django.urls import get_resolver
    from rest_framework import serializers

    from cxcrm.fields import StorableSlugRelatedField

    def serializer_classes(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from serializer_classes(pattern.url_patterns)
                continue
            view = getattr(pattern.callback, "cls", None)
            for name in ("serializer_class", "update_serializer_class"):
                if getattr(view, name, None):
                    yield getattr(view, name)

    def slug_fields(serializer, seen):
        for field in serializer.fields.values():
            child = getattr(field, "child", None) or getattr(field, "child_relation", None)
            if isinstance(field, serializers.SlugRelatedField) and not field.read_only:
                yield field
            if isinstance(field, serializers.BaseSerializer) and type(field) not in seen:
                seen.add(type(field))
                yield from slug_fields(child or field, seen)

    from journeys.api.serializers import JourneyMapUpdateSerializer

    classes = {*serializer_classes(get_resolver().url_patterns), JourneyMapUpdateSerializer}
    found = [field for cls in classes for field in slug_fields(cls(), set())]

    assert found, "the journey map's persona at least"
    assert all(isinstance(field, StorableSlugRelatedField) for field in found), found
