"""The invitation email and SMS in every language: texts, buttons, links, headers."""

import pytest
from django.core import mail

from feedback import delivery, services
from feedback.choices import DeliveryChannel, SurveyKind
from feedback.models import SurveyQuestion, SurveyText
from feedback.tests.factories import InvitationFactory, SurveyFactory, customer_with_email
from feedback.tokens import invitation_id_from_token, invitation_token, survey_url, unsubscribe_url

pytestmark = pytest.mark.django_db

GREETING = {
    "en": ("How did we do?", "Hello Ana,", "Answer the survey", "Unsubscribe"),
    "pt-br": ("Como nos saímos?", "Olá, Ana,", "Responder à pesquisa", "Cancelar inscrição"),
    "es": ("¿Qué tal lo hicimos?", "Hola, Ana:", "Responder la encuesta", "Darse de baja"),
    "pl": ("Jak nam poszło?", "Dzień dobry,", "Wypełnij ankietę", "Wypisz się"),
    "el": ("Πώς τα πήγαμε;", "Γεια σας, Ana,", "Απαντήστε στην έρευνα", "Διαγραφή"),
}


@pytest.mark.parametrize("language", list(GREETING))
def test_every_language_renders_the_email(language):
    survey = SurveyFactory(kind=SurveyKind.CSAT)
    invitation = InvitationFactory(survey=survey, customer=customer_with_email(first_name="Ana", language=language))

    services.invitations_send_due()

    [message] = mail.outbox
    subject_start, greeting, button, unsubscribe = GREETING[language]
    html = message.alternatives[0][0]
    assert message.subject.startswith(subject_start)
    assert greeting in message.body and greeting in html
    assert button in html and unsubscribe in html
    assert survey_url(invitation.pk) in message.body
    assert unsubscribe_url(invitation.pk) in message.body
    question = survey.questions.get(is_primary=True)
    assert question.text_in(language) in html


def test_survey_texts_fall_back_to_english_then_the_name():
    survey = SurveyFactory(name="Delivery")
    SurveyText.objects.create(survey=survey, language="pl", title="Dostawa", intro="Kilka pytań")
    assert delivery.survey_texts(survey, "pl").title == "Dostawa"
    assert delivery.survey_texts(survey, "es").title == "Delivery feedback"  # the English text
    SurveyText.objects.filter(survey=survey).delete()
    assert delivery.survey_texts(survey, "es").title == "Delivery"


@pytest.mark.parametrize(("kind", "scores"), [(SurveyKind.NPS, list(range(0, 11))), (SurveyKind.CSAT, [1, 2, 3, 4, 5])])
def test_nps_and_csat_emails_carry_one_click_score_buttons(kind, scores):
    invitation = InvitationFactory(survey=SurveyFactory(kind=kind), customer=customer_with_email())
    _subject, _text, html, _headers = delivery.render_email(
        survey=invitation.survey, language="en", invitation_id=invitation.pk
    )
    token = invitation_token(invitation.pk)
    for score in scores:
        assert f"/s/{token}/?score={score}" in html
    assert f"?score={scores[-1] + 1}" not in html
    assert f"?score={scores[0] - 1}" not in html


def test_ces_and_custom_emails_have_no_score_buttons():
    ces = SurveyFactory(kind=SurveyKind.CES)
    custom = SurveyFactory(kind=SurveyKind.CUSTOM)
    SurveyQuestion.objects.create(survey=custom, type="text", text="Anything else?")
    for survey in (ces, custom):
        _s, _t, html, _h = delivery.render_email(survey=survey, language="en", invitation_id=1)
        assert "?score=" not in html


def test_email_has_list_unsubscribe_headers():
    invitation = InvitationFactory(customer=customer_with_email())
    services.invitations_send_due()
    [message] = mail.outbox
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe_url(invitation.pk)}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in message.message().as_string()


def test_token_is_stable_signed_and_rejects_tampering():
    token = invitation_token(42)
    assert token == invitation_token(42)  # reminders rebuild the same link
    assert invitation_id_from_token(token) == 42
    assert invitation_id_from_token(token.replace(token[-3:], "xyz")) is None
    assert invitation_id_from_token("42") is None
    assert invitation_id_from_token(invitation_token(43)[:-1] + token[-1]) is None


@pytest.mark.parametrize("language", list(GREETING))
def test_sms_text_in_every_language_carries_the_link(language, sms_outbox):
    survey = SurveyFactory(delivery_channel=DeliveryChannel.SMS)
    from feedback.tests.factories import customer_with_phone

    invitation = InvitationFactory(survey=survey, customer=customer_with_phone(language=language))
    services.invitations_send_due()
    [message] = sms_outbox
    assert survey_url(invitation.pk) in message.body
    assert len(message.body) < 320


def test_file_sms_backend_writes_messages(settings, tmp_path):
    from feedback import sms

    settings.SMS_BACKEND = "feedback.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path)
    assert sms.send_sms(to="+48500100200", body="Hello") == 1
    [log] = tmp_path.iterdir()
    assert "+48500100200" in log.read_text() and "Hello" in log.read_text()


def test_console_sms_backend_is_the_default(capsys, settings):
    from feedback import sms

    settings.SMS_BACKEND = "feedback.sms.ConsoleSmsBackend"
    sms.send_sms(to="+30690000000", body="Γεια")
    assert "+30690000000" in capsys.readouterr().out
