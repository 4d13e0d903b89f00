"""A survey answered without a score (a custom survey of free-text questions) is on the customer's timeline as
"Survey answered · <survey>", read in the reader's language whatever language was active when it was stored."""

import pytest
from django.utils import timezone, translation

from customers.choices import InteractionType
from customers.models import Interaction
from feedback import services
from feedback.choices import InvitationStatus, QuestionType, SurveyKind
from feedback.tests.factories import InvitationFactory, SurveyFactory, SurveyQuestionFactory

pytestmark = pytest.mark.django_db


def test_an_unscored_answer_reads_in_polish_on_the_timeline_api(api_as, rep_user):
    survey = SurveyFactory(name="Onboarding", kind=SurveyKind.CUSTOM)
    question = SurveyQuestionFactory(survey=survey, type=QuestionType.TEXT, is_primary=False, translations={})
    invitation = InvitationFactory(survey=survey, status=InvitationStatus.SENT, sent_at=timezone.now())

    with translation.override("en"):
        services.response_submit(invitation_id=invitation.pk, answers={str(question.pk): "All clear"})

    entry = Interaction.objects.get(type=InteractionType.SURVEY_RESPONSE)
    url = f"/api/customers/{entry.customer_id}/timeline/"
    polish = api_as(rep_user).get(url, HTTP_ACCEPT_LANGUAGE="pl").json()["results"]
    assert entry.summary == "Survey answered · Onboarding"
    assert [row["summary"] for row in polish] == ["Ankieta wypełniona · Onboarding"]
