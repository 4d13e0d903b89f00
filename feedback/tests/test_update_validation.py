"""Create and update share one validation: a nested item sent in a PATCH is checked whole, as on
create (DRF would otherwise skip the required fields of nested items in a partial update)."""

import pytest

from feedback.tests.factories import SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body, field",
    [
        ({"questions": [{"type": "text"}]}, "text"),
        ({"questions": [{"type": "single_choice", "text": "Why?", "choices": [{"label": "Speed"}]}]}, "choices"),
        ({"texts": [{"title": "Hello"}]}, "language"),
    ],
)
def test_survey_patch_checks_nested_items_as_create_does(api_as, marketer_user, body, field):
    client = api_as(marketer_user)
    survey = SurveyFactory(kind="custom")
    before = list(survey.questions.values_list("text", flat=True))
    patched = client.patch(f"/api/surveys/{survey.pk}/", body, format="json")
    created = client.post("/api/surveys/", {"name": "New", "kind": "custom", **body}, format="json")
    assert patched.status_code == created.status_code == 400
    assert patched.json() == created.json()
    assert field in str(patched.json())
    assert list(survey.questions.values_list("text", flat=True)) == before
