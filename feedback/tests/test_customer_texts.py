"""What customers read, reviewed in every language: dates, greetings, the thanks page, the language bar,
the follow-up's wording of the touchpoint, and the admin's fields for the survey's translations."""

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory, InteractionFactory
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from feedback import delivery, services
from feedback.admin import translation_field_name
from feedback.choices import InvitationStatus, SurveyKind
from feedback.models import QuestionChoice, Response, SurveyQuestion, SurveyText
from feedback.tests.factories import InvitationFactory, SurveyFactory, customer_with_email
from feedback.tokens import invitation_token
from journeys.choices import MapStatus
from journeys.tests.factories import JourneyMapFactory, StageFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

DECEMBER_4 = datetime(2026, 12, 4, 12, tzinfo=UTC)


def sent(**kwargs):
    return InvitationFactory(status=InvitationStatus.SENT, sent_at=timezone.now(), **kwargs)


def page_url(invitation, query=""):
    return reverse("feedback:survey_answer", args=[invitation_token(invitation.pk)]) + query


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("language", "written"),
    [("pt-br", "4 de dezembro de 2026"), ("es", "4 de diciembre de 2026"), ("pl", "4 grudnia 2026")],
)
def test_the_emails_closing_date_writes_the_month_as_the_language_does(language, written):
    invitation = InvitationFactory(survey=SurveyFactory(), customer=customer_with_email(language=language))
    _subject, text, html, _headers = delivery.render_email(
        survey=invitation.survey, language=language, invitation_id=invitation.pk, expires_at=DECEMBER_4
    )
    assert written in html
    assert "Dezembro" not in html and "Diciembre" not in html


# --------------------------------------------------------------------------- greetings


def test_the_polish_greeting_does_not_put_the_name_in_the_nominative(client):
    customer = customer_with_email(language="pl", first_name="Kasia")
    invitation = InvitationFactory(survey=SurveyFactory(), customer=customer)
    services.invitations_send_due()
    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert "Dzień dobry," in message.body and "Dzień dobry," in html
    assert "Kasia," not in message.body and "Kasia," not in html
    page = client.get(page_url(invitation)).content.decode()
    assert "Kasia" not in page
    # The survey page greets as the email does.
    assert "<p>Dzień dobry,</p>" in page


@pytest.mark.parametrize(
    ("language", "greeting"), [("pt-br", "Olá, Ana,"), ("es", "Hola, Ana:"), ("el", "Γεια σας, Ana,")]
)
def test_other_languages_greet_the_customer_by_name(language, greeting):
    invitation = InvitationFactory(survey=SurveyFactory(), customer=customer_with_email(language=language))
    invitation.customer.first_name = "Ana"
    invitation.customer.save()
    services.invitations_send_due()
    assert greeting in mail.outbox[0].body


# --------------------------------------------------------------------------- the thanks page


@pytest.mark.parametrize(
    ("language", "heading", "own_text"),
    [
        ("es", "¡Gracias!", "¡Gracias! Su opinión nos ayuda a mejorar."),
        ("pt-br", "Obrigado!", "Obrigado! Sua opinião nos ajuda a melhorar."),
    ],
)
def test_the_thanks_page_says_thank_you_once(client, language, heading, own_text):
    invitation = sent(customer=CustomerFactory(language=language))
    SurveyText.objects.create(survey=invitation.survey, language=language, title="t", thank_you=own_text)
    primary = invitation.survey.questions.get(is_primary=True)
    location = client.post(page_url(invitation), {f"q{primary.pk}": 4})["Location"]
    html = client.get(location).content.decode()
    assert html.count(heading) == 1
    assert own_text.removeprefix(heading).strip() in html


# --------------------------------------------------------------------------- the language bar


def _language_bar(html: str) -> str:
    start = html.index('aria-label="', html.index("<nav"))
    return html[start : html.index("</nav>", start)]


@pytest.mark.parametrize("language", ["en", "pt-br", "es", "pl", "el"])
def test_the_language_bar_lists_the_other_languages_without_a_stray_separator(client, language):
    invitation = sent(customer=CustomerFactory(language=language))
    bar = _language_bar(client.get(page_url(invitation)).content.decode())
    assert bar.count('data-testid="language-link"') == 4
    assert bar.count("·") == 3
    assert not bar.rstrip().rstrip("\n").endswith("·")
    assert f'hreflang="{language}"' not in bar


def test_switching_the_language_keeps_the_score_chosen_in_the_email(client):
    invitation = sent(customer=CustomerFactory(language="el"), survey=SurveyFactory(kind=SurveyKind.CSAT))
    html = client.get(page_url(invitation, "?score=2")).content.decode()
    assert 'href="?score=2&amp;lang=pl"' in html
    switched = client.get(page_url(invitation, "?score=2&lang=pl")).content.decode()
    primary = invitation.survey.questions.get(is_primary=True)
    assert f'id="q{primary.pk}-2" value="2" autocomplete="off" checked' in switched
    assert "Wyślij moją odpowiedź" in switched or 'lang="pl"' in switched


# --------------------------------------------------------------------------- the follow-up names the touchpoint


def test_the_follow_up_email_and_case_name_the_touchpoint_by_its_name():
    owner = UserFactory(role=Role.SUPPORT_REP, email="owner@example.com")
    journey_map = JourneyMapFactory(status=MapStatus.PUBLISHED)
    touchpoint = TouchpointFactory(stage=StageFactory(journey_map=journey_map), key="bruno-chat-help", name="Chat help")
    customer = CustomerFactory(owner=owner)
    interaction = InteractionFactory(
        customer=customer, channel="chat", touchpoint=touchpoint, touchpoint_key="bruno-chat-help"
    )
    invitation = sent(customer=customer, interaction=interaction, survey=SurveyFactory(kind=SurveyKind.CSAT))
    primary = invitation.survey.questions.get(is_primary=True)
    with mock.patch("cxcrm.outbox._enqueue"):
        response = services.response_submit(
            invitation_id=invitation.pk, answers={str(primary.pk): 1}, comment="", language="en"
        )
    assert services.followup_notify(response_id=response.pk) is True
    [message] = mail.outbox
    assert "about Chat help." in message.body
    assert "bruno-chat-help" not in message.body
    case = Response.objects.get(pk=response.pk).followup_case
    assert "About: Chat help." in case.description
    assert "bruno-chat-help" not in case.description


def test_a_follow_up_without_a_touchpoint_names_the_channel_by_its_label():
    owner = UserFactory(role=Role.SUPPORT_REP, email="owner@example.com")
    customer = CustomerFactory(owner=owner)
    interaction = InteractionFactory(customer=customer, channel="store", touchpoint_key="")
    invitation = sent(customer=customer, interaction=interaction, survey=SurveyFactory(kind=SurveyKind.CSAT))
    primary = invitation.survey.questions.get(is_primary=True)
    with mock.patch("cxcrm.outbox._enqueue"):
        response = services.response_submit(
            invitation_id=invitation.pk, answers={str(primary.pk): 1}, comment="", language="en"
        )
    services.followup_notify(response_id=response.pk)
    assert "about Store visit." in mail.outbox[0].body


# --------------------------------------------------------------------------- the admin's translation fields


def test_the_survey_admin_edits_each_translation_in_its_own_field(client, superuser):
    client.force_login(superuser)
    survey = SurveyFactory(kind=SurveyKind.CSAT)
    question = survey.questions.get(is_primary=True)
    page = client.get(reverse("admin:feedback_survey_change", args=[survey.pk])).content.decode()
    assert "Enter a valid JSON" not in page
    assert 'name="questions-0-translations"' not in page
    for code, text in question.translations.items():
        assert f'name="questions-0-{translation_field_name(code)}"' in page
        assert f'value="{text}"' in page
    assert "Polski" in page and "Ελληνικά" in page


def test_saving_the_per_language_fields_stores_the_translations_and_empties_fall_back_to_english(client, superuser):
    from feedback.tests.test_admin_surveys import _change_form

    client.force_login(superuser)
    survey = SurveyFactory(kind=SurveyKind.CSAT)
    question = survey.questions.get(is_primary=True)
    choice_question = SurveyQuestion.objects.create(survey=survey, position=2, type="single_choice", text="Why?")
    for position, label in enumerate(["Price", "Speed"], start=1):
        QuestionChoice.objects.create(question=choice_question, position=position, value=label.lower(), label=label)
    data = _change_form(survey)
    data["questions-0-" + translation_field_name("pl")] = "Jak oceniasz naszą pomoc?"
    data["questions-0-" + translation_field_name("es")] = ""
    data["questions-1-choices-0-" + translation_field_name("es")] = "Precio"

    response = client.post(reverse("admin:feedback_survey_change", args=[survey.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    question.refresh_from_db()
    assert question.translations["pl"] == "Jak oceniasz naszą pomoc?"
    assert "es" not in question.translations
    assert question.text_in("es") == question.text
    assert QuestionChoice.objects.get(question=choice_question, value="price").translations == {"es": "Precio"}


@pytest.mark.parametrize(
    ("language", "subject", "line"),
    [
        ("pt-br", "Acompanhamento de detrator: CSAT 1 · Loja", "Nota CSAT 1 em “Loja”."),
        ("pl", "Obsługa krytyka: CSAT 1 · Loja", "Ocena CSAT 1 w ankiecie „Loja”."),
    ],
)
def test_the_follow_up_case_is_written_in_its_assignees_language(language, subject, line):
    """A case's subject and description are its team's text: the assignee's language, whatever the customer's."""
    from cxcrm.models import UserPreference

    owner = UserFactory(role=Role.SUPPORT_REP, email="owner@example.com")
    UserPreference.objects.create(user=owner, language=language)
    customer = CustomerFactory(owner=owner)
    invitation = sent(
        customer=customer,
        interaction=InteractionFactory(customer=customer, channel="store"),
        survey=SurveyFactory(kind=SurveyKind.CSAT, name="Loja"),
    )
    primary = invitation.survey.questions.get(is_primary=True)
    with mock.patch("cxcrm.outbox._enqueue"):
        response = services.response_submit(
            invitation_id=invitation.pk, answers={str(primary.pk): 1}, comment="", language="en"
        )
    case = Response.objects.get(pk=response.pk).followup_case
    assert case.subject == subject
    assert case.description.splitlines()[0] == line
    assert "score" not in case.description and "comment" not in case.description.lower()
