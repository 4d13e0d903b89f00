"""The public survey page `/s/<token>/`: showing, answering, refusing, languages, accessibility."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from feedback.choices import InvitationStatus, QuestionType, SuppressionReason, SurveyKind
from feedback.models import QuestionChoice, Response, SurveyText
from feedback.tests.factories import InvitationFactory, SurveyFactory, SurveyQuestionFactory
from feedback.tokens import invitation_token

pytestmark = pytest.mark.django_db


def sent(**kwargs):
    return InvitationFactory(status=InvitationStatus.SENT, sent_at=timezone.now(), **kwargs)


def url(invitation, query=""):
    return reverse("feedback:survey_answer", args=[invitation_token(invitation.pk)]) + query


def primary(invitation):
    return invitation.survey.questions.get(is_primary=True)


def answer(client, invitation, score, comment="", **extra):
    return client.post(url(invitation), {f"q{primary(invitation).pk}": score, "comment": comment, **extra})


# --------------------------------------------------------------------------- showing


def test_page_shows_the_question_scale_and_first_name_only(client):
    customer = CustomerFactory(first_name="Joana", last_name="Secretsurname", language="en")
    invitation = sent(customer=customer, survey=SurveyFactory(kind=SurveyKind.NPS, name="Relationship"))
    response = client.get(url(invitation))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Hello Joana," in html
    assert "Secretsurname" not in html
    assert "How satisfied were you with our help?" in html
    # NPS: 11 radio buttons 0..10 in a fieldset whose legend is the question, with labelled ends.
    assert html.count(f'name="q{primary(invitation).pk}"') == 11
    assert "<fieldset" in html and "<legend" in html
    assert "0 = Not at all likely" in html and "10 = Extremely likely" in html
    assert '<label class="form-label fw-semibold" for="id_comment">' in html
    assert 'data-testid="nav"' not in html  # no staff navigation
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"


def test_opening_marks_the_invitation_opened(client):
    invitation = sent()
    client.get(url(invitation))
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPENED
    assert invitation.opened_at is not None


def test_get_with_a_score_preselects_it_and_records_nothing(client):
    invitation = sent()
    response = client.get(url(invitation, "?score=4"))
    html = response.content.decode()
    assert f'id="q{primary(invitation).pk}-4" value="4" autocomplete="off" checked' in html
    assert html.count(" checked") == 1
    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPENED
    assert invitation.responded_at is None


@pytest.mark.parametrize("score", ["99", "-1", "abc"])
def test_get_with_an_impossible_score_preselects_nothing(client, score):
    invitation = sent()
    html = client.get(url(invitation, f"?score={score}")).content.decode()
    assert " checked" not in html


# --------------------------------------------------------------------------- answering


def test_post_records_the_response_and_thanks_the_customer(client):
    invitation = sent(customer=CustomerFactory(language="en"))
    response = answer(client, invitation, 5, "Quick and friendly, thank you!")
    assert response.status_code == 302
    assert response["Location"].startswith(
        reverse("feedback:survey_thanks", args=[invitation_token(invitation.pk)]) + "?lang=en"
    )
    saved = Response.objects.get()
    assert (saved.score, saved.comment, saved.language) == (5, "Quick and friendly, thank you!", "en")
    assert saved.sentiment == "positive"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.RESPONDED
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Thank you!" in thanks.content.decode()


def test_the_surveys_own_thank_you_text_is_shown(client):
    invitation = sent(customer=CustomerFactory(language="es"))
    SurveyText.objects.create(survey=invitation.survey, language="es", title="Opinión", thank_you="¡Mil gracias!")
    location = answer(client, invitation, 4)["Location"]
    assert "¡Mil gracias!" in client.get(location).content.decode()


def test_thanks_before_answering_goes_back_to_the_questions(client):
    invitation = sent()
    response = client.get(reverse("feedback:survey_thanks", args=[invitation_token(invitation.pk)]))
    assert response.status_code == 302
    assert response["Location"] == url(invitation)


def test_a_second_answer_is_refused_in_the_customers_language(client):
    invitation = sent(customer=CustomerFactory(language="pt-br"))
    answer(client, invitation, 5)
    again = answer(client, invitation, 1, "changed my mind")
    assert again.status_code == 200
    assert "Você já respondeu a esta pesquisa. Obrigado!" in again.content.decode()
    assert list(Response.objects.values_list("score", flat=True)) == [5]
    revisit = client.get(url(invitation))
    assert "Você já respondeu a esta pesquisa" in revisit.content.decode()


def test_expired_invitation_gets_a_clear_page_and_takes_no_answer(client):
    invitation = sent(expires_at=timezone.now() - timedelta(minutes=1), customer=CustomerFactory(language="pl"))
    page = client.get(url(invitation))
    assert page.status_code == 410
    assert "Ta ankieta została zamknięta. Mimo to dziękujemy." in page.content.decode()
    posted = answer(client, invitation, 5)
    assert posted.status_code == 410
    assert not Response.objects.exists()


def test_expired_status_is_closed_even_before_its_time(client):
    invitation = InvitationFactory(status=InvitationStatus.EXPIRED, expired_at=timezone.now())
    assert client.get(url(invitation)).status_code == 410


@pytest.mark.parametrize("token", ["nonsense", "MQ:forged", "eyJhIjoxfQ:abc"])
def test_unknown_or_tampered_tokens_are_404(client, token):
    path = reverse("feedback:survey_answer", args=[token])
    assert client.get(path).status_code == 404
    assert client.post(path, {"comment": "x"}).status_code == 404
    assert client.get(reverse("feedback:survey_thanks", args=[token])).status_code == 404


def test_a_token_altered_by_one_character_is_404(client):
    invitation = sent()
    token = invitation_token(invitation.pk)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(reverse("feedback:survey_answer", args=[tampered])).status_code == 404


def test_suppressed_invitation_link_is_404(client):
    invitation = InvitationFactory(
        status=InvitationStatus.SUPPRESSED, suppression_reason=SuppressionReason.OPT_OUT, suppressed_at=timezone.now()
    )
    assert client.get(url(invitation)).status_code == 404


# --------------------------------------------------------------------------- refusing bad input


@pytest.mark.parametrize("score", ["0", "6", "11", "-3", "four"])
def test_out_of_range_score_is_refused_and_the_comment_kept(client, score):
    invitation = sent()  # CSAT 1–5
    response = answer(client, invitation, score, "What I typed")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose a score from 1 to 5." in html
    assert "What I typed</textarea>" in html
    assert not Response.objects.exists()


def test_missing_required_score_is_refused(client):
    invitation = sent()
    response = client.post(url(invitation), {"comment": "no score"})
    assert response.status_code == 400
    assert "Please answer this question." in response.content.decode()


def test_over_long_comment_is_refused_with_what_was_typed_kept(client, settings):
    settings.SURVEY_COMMENT_MAX_LENGTH = 50
    invitation = sent()
    typed = "x" * 51
    response = answer(client, invitation, 4, typed)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Your comment can be at most 50 characters long." in html
    assert f">{typed}</textarea>" in html
    assert f'id="q{primary(invitation).pk}-4" value="4" autocomplete="off" checked' in html
    assert not Response.objects.exists()


def test_error_messages_follow_the_customers_language(client):
    invitation = sent(customer=CustomerFactory(language="es"))
    html = answer(client, invitation, 9).content.decode()
    assert "Elija una puntuación de 1 a 5." in html
    assert 'aria-invalid="true"' in html


def choice_survey():
    survey = SurveyFactory(kind=SurveyKind.CUSTOM)
    score = SurveyQuestionFactory(survey=survey, is_primary=True, position=1, scale_min=1, scale_max=3)
    single = SurveyQuestionFactory(
        survey=survey, position=2, type=QuestionType.SINGLE_CHOICE, text="What was it about?", translations={}
    )
    multiple = SurveyQuestionFactory(
        survey=survey, position=3, type=QuestionType.MULTIPLE_CHOICE, text="What went well?", required=False
    )
    text = SurveyQuestionFactory(survey=survey, position=4, type=QuestionType.TEXT, text="Anything else?")
    for question in (single, multiple):
        QuestionChoice.objects.create(question=question, position=1, value="price", label="Price")
        QuestionChoice.objects.create(
            question=question, position=2, value="speed", label="Speed", translations={"es": "Rapidez"}
        )
    return survey, score, single, multiple, text


def test_choice_and_text_questions_are_recorded(client):
    survey, score, single, multiple, text = choice_survey()
    invitation = sent(survey=survey)
    html = client.get(url(invitation)).content.decode()
    assert 'type="checkbox"' in html and "What was it about?" in html
    assert 'name="comment"' not in html  # the survey's own free-text question takes the comment
    response = client.post(
        url(invitation),
        {f"q{score.pk}": "2", f"q{single.pk}": "speed", f"q{multiple.pk}": ["price", "speed"], f"q{text.pk}": "Fine"},
    )
    assert response.status_code == 302
    saved = Response.objects.get()
    assert saved.answers == {str(score.pk): 2, str(single.pk): "speed", str(multiple.pk): ["price", "speed"]} | {
        str(text.pk): "Fine"
    }
    assert (saved.score, saved.comment, saved.kind) == (2, "Fine", SurveyKind.CUSTOM)


@pytest.mark.parametrize("field,value", [("single", "teleport"), ("multiple", "teleport")])
def test_unknown_choices_are_refused_with_the_rest_kept(client, field, value):
    survey, score, single, multiple, text = choice_survey()
    invitation = sent(survey=survey)
    data = {f"q{score.pk}": "3", f"q{single.pk}": "price", f"q{text.pk}": "Kept text"}
    data[f"q{(single if field == 'single' else multiple).pk}"] = value
    response = client.post(url(invitation), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose one of the options shown." in html
    assert "Kept text</textarea>" in html
    assert not Response.objects.exists()


def test_over_long_free_text_answer_is_refused(client, settings):
    settings.SURVEY_COMMENT_MAX_LENGTH = 10
    survey, score, single, multiple, text = choice_survey()
    invitation = sent(survey=survey)
    response = client.post(url(invitation), {f"q{score.pk}": "3", f"q{single.pk}": "price", f"q{text.pk}": "y" * 11})
    assert response.status_code == 400
    assert "Your answer can be at most 10 characters long." in response.content.decode()


# --------------------------------------------------------------------------- languages


PAGE_TEXT = {
    "en": ("Would you like to tell us more?", "Send my answer", "How satisfied were you with our help?"),
    "pt-br": (
        "Quer nos contar mais alguma coisa?",
        "Enviar minha resposta",
        "Quão satisfeito você ficou com o nosso atendimento?",
    ),
    "es": ("¿Quiere contarnos algo más?", "Enviar mi respuesta", "¿Qué tan satisfecho quedó con nuestra ayuda?"),
    "pl": (
        "Czy chcesz nam powiedzieć coś więcej?",
        "Wyślij odpowiedź",
        "Jak bardzo jesteś zadowolony z naszej pomocy?",
    ),
    "el": (
        "Θέλετε να μας πείτε κάτι περισσότερο;",
        "Αποστολή της απάντησής μου",
        "Πόσο ικανοποιημένοι μείνατε από τη βοήθειά μας;",
    ),
}
THANKS = {
    "en": "Thank you!",
    "pt-br": "Obrigado!",
    "es": "¡Gracias!",
    "pl": "Dziękujemy!",
    "el": "Σας ευχαριστούμε!",
}


@pytest.mark.parametrize("language", list(PAGE_TEXT))
def test_every_language_renders_the_page_and_the_thanks(client, language):
    invitation = sent(customer=CustomerFactory(language=language, first_name="Ana"))
    page = client.get(url(invitation))
    html = page.content.decode()
    assert f'<html lang="{language}">' in html
    for text in PAGE_TEXT[language]:
        assert text in html
    assert ("Ana" in html) == (language != "pl")  # Polish greets without the name (no vocative)
    location = answer(client, invitation, 3)["Location"]
    assert THANKS[language] in client.get(location).content.decode()
    assert Response.objects.get().language == language


def test_lang_parameter_overrides_the_customers_language(client):
    invitation = sent(customer=CustomerFactory(language="pl"))
    html = client.get(url(invitation, "?lang=el")).content.decode()
    assert "Αποστολή της απάντησής μου" in html
    assert 'name="lang" value="el"' in html
    answer(client, invitation, 2, lang="el")
    assert Response.objects.get().language == "el"


def test_unknown_lang_parameter_falls_back_to_the_customers_language(client):
    invitation = sent(customer=CustomerFactory(language="es"))
    assert "Enviar mi respuesta" in client.get(url(invitation, "?lang=xx")).content.decode()


def test_the_page_needs_no_login_and_no_session(client):
    invitation = sent()
    csrf_client = Client(enforce_csrf_checks=True)
    page = csrf_client.get(url(invitation))
    token = page.cookies["csrftoken"].value
    response = csrf_client.post(
        url(invitation), {f"q{primary(invitation).pk}": "4", "csrfmiddlewaretoken": page.context["csrf_token"]}
    )
    assert token
    assert response.status_code == 302


# --------------------------------------------------------------------------- links that lead nowhere (DEBUG on and off)

DEBUG_PAGE_MARKS = ("Using the URLconf", "technical_404", "Django tried these URL patterns", "Page not found at")


def assert_our_link_page(response, status=404):
    html = response.content.decode()
    assert response.status_code == status
    assert 'data-testid="link-not-found"' in html
    assert not any(mark in html for mark in DEBUG_PAGE_MARKS)
    assert 'data-testid="nav"' not in html
    assert response["Cache-Control"] == "no-store"


def half(token):
    return token[: len(token) // 2]


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    "path",
    [
        "/s/abc/",
        "/s/abc/thanks/",
        "/s/abc/unsubscribe/",
        "/s/MQ:forged/",
        "/s/a/b/c/",
        "/s/",
        "/s/abc/thanks/more",
    ],
)
def test_a_link_that_leads_nowhere_gets_our_404_page(client, settings, debug, path):
    settings.DEBUG = debug
    assert_our_link_page(client.get(path))


@pytest.mark.parametrize("debug", [True, False])
def test_a_truncated_survey_link_gets_our_404_page(client, settings, debug):
    settings.DEBUG = debug
    token = invitation_token(sent().pk)
    assert_our_link_page(client.get(f"/s/{half(token)}/"))
    assert_our_link_page(client.get(f"/s/{half(token)}", follow=True))  # no slash: on to the slashed path, then 404
    assert_our_link_page(client.post(f"/s/{half(token)}/unsubscribe/"))
    assert_our_link_page(client.post(f"/s/{half(token)}/", {"comment": "x"}))


@pytest.mark.parametrize("debug", [True, False])
def test_a_link_missing_its_final_slash_goes_on_to_its_page(client, settings, debug):
    settings.DEBUG = debug
    invitation = sent()
    token = invitation_token(invitation.pk)
    response = client.get(f"/s/{token}?score=4")
    assert response.status_code == 301
    assert response["Location"] == f"/s/{token}/?score=4"
    assert client.get(f"/s/{token}/thanks")["Location"] == f"/s/{token}/thanks/"


@pytest.mark.parametrize("debug", [True, False])
def test_a_suppressed_link_is_our_404_in_the_customers_language(client, settings, debug):
    settings.DEBUG = debug
    invitation = InvitationFactory(
        status=InvitationStatus.SUPPRESSED,
        suppression_reason=SuppressionReason.OPT_OUT,
        suppressed_at=timezone.now(),
        customer=CustomerFactory(language="pl"),
    )
    response = client.get(url(invitation), HTTP_ACCEPT_LANGUAGE="es")
    assert_our_link_page(response)
    assert "Ten link nie działa" in response.content.decode()
    assert '<html lang="pl">' in response.content.decode()


def test_an_unknown_link_speaks_the_browsers_language_or_lang(client):
    assert "Este enlace no funciona" in client.get("/s/abc/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Αυτός ο σύνδεσμος δεν λειτουργεί" in client.get("/s/abc/?lang=el").content.decode()
    assert "Este link não funciona" in client.get("/s/abc/?lang=pt-BR").content.decode()
    assert "This link does not work" in client.get("/s/abc/").content.decode()


@pytest.mark.parametrize("debug", [True, False])
def test_expired_and_answered_pages_keep_their_statuses_whatever_debug_is(client, settings, debug):
    settings.DEBUG = debug
    expired = sent(expires_at=timezone.now() - timedelta(minutes=1), customer=CustomerFactory(language="es"))
    page = client.get(url(expired))
    assert page.status_code == 410
    assert 'data-testid="survey-closed"' in page.content.decode()
    answered = sent(customer=CustomerFactory(language="en"))
    answer(client, answered, 5)
    page = client.get(url(answered))
    assert page.status_code == 200
    assert 'data-testid="already-answered"' in page.content.decode()


@pytest.mark.parametrize("debug", [True, False])
def test_unsubscribe_keeps_working_whatever_debug_is(client, settings, debug):
    settings.DEBUG = debug
    invitation = sent()
    path = reverse("feedback:unsubscribe", args=[invitation_token(invitation.pk)])
    assert client.get(path).status_code == 200
    assert 'data-testid="unsubscribed"' in client.post(path).content.decode()


# --------------------------------------------------------------------------- the site's own error pages (DEBUG off)


def test_an_unknown_page_is_our_plain_404_without_staff_data(admin_client, settings):
    settings.DEBUG = False
    response = admin_client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="pt-br")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="page-not-found"' in html
    assert "Página não encontrada" in html
    assert 'data-testid="nav"' not in html and "admin" not in html


def test_a_server_error_is_our_plain_500(rf):
    from django.utils import translation
    from django.views.defaults import server_error

    with translation.override("en"):
        response = server_error(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert 'data-testid="server-error"' in html
    assert "Something went wrong" in html


def test_a_link_signed_with_a_former_key_still_opens_after_rotation(client, settings):
    invitation = sent()
    old_link = url(invitation)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-production-key-" + "r7Tq2" * 10
    assert client.get(old_link).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert_our_link_page(client.get(old_link))
