"""The staff's language: the user menu's chooser, its persistence, the browser's language as the default,
emails to staff in their language, API errors in the request's language, locale formats, choice labels
instead of codes, and exports with stable headers and a label beside each code."""

import csv
import io
from datetime import date

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from customers.choices import CaseStatus, LifecycleStage
from customers.tests.factories import CaseFactory, CustomerFactory
from cxcrm.choices import Role
from cxcrm.i18n import SESSION_KEY, user_language, user_language_set
from cxcrm.models import UserPreference
from cxcrm.tests.factories import UserFactory
from feedback.metrics import rollup
from feedback.metrics.definitions import METRICS, format_value
from feedback.reports.figures import dimension_labels
from feedback.tests.factories import ResponseFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-1"


def login(client, user, **headers):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, **headers)
    assert response.status_code == 302, response.content.decode()[:500]
    return response


# --------------------------------------------------------------------------- the chooser


def test_the_user_menu_offers_every_language_in_its_own_name(client, rep_user):
    client.force_login(rep_user)
    html = client.get(reverse("customers:my_work")).content.decode()
    chooser = html[html.index('data-testid="language-chooser"') : html.index("</form>", html.index("language-chooser"))]
    for code, name in (("en", "English"), ("pt-br", "Português (Brasil)"), ("es", "Español"), ("pl", "Polski")):
        assert f'value="{code}" lang="{code}"' in chooser and name in chooser
    assert "Ελληνικά" in chooser
    assert 'name="language" value=""' in chooser  # the browser's language


def test_choosing_a_language_is_stored_and_the_next_pages_use_it(client, rep_user):
    client.force_login(rep_user)
    response = client.post(reverse("language_set"), {"language": "pt-br", "next": "/customers/my-work/"})
    assert response.status_code == 302 and response["Location"] == "/customers/my-work/"
    assert UserPreference.objects.get(user=rep_user).language == "pt-br"
    page = client.get("/customers/my-work/", HTTP_ACCEPT_LANGUAGE="es")
    assert page["Content-Language"] == "pt-br"
    assert '<html lang="pt-br">' in page.content.decode()


def test_the_choice_is_kept_from_one_login_to_the_next(client, rep_user):
    UserPreference.objects.create(user=rep_user, language="el")
    login(client, rep_user, HTTP_ACCEPT_LANGUAGE="pl")
    assert client.session[SESSION_KEY] == "el"
    page = client.get(reverse("customers:my_work"), HTTP_ACCEPT_LANGUAGE="pl")
    assert page["Content-Language"] == "el"


def test_without_a_choice_the_browsers_language_then_english(client, rep_user):
    login(client, rep_user)
    assert client.get(reverse("customers:my_work"), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9")["Content-Language"] == "es"
    assert client.get(reverse("customers:my_work"), HTTP_ACCEPT_LANGUAGE="de")["Content-Language"] == "en"


def test_going_back_to_the_browsers_language(client, rep_user):
    client.force_login(rep_user)
    client.post(reverse("language_set"), {"language": "pl"})
    client.post(reverse("language_set"), {"language": ""})
    assert UserPreference.objects.get(user=rep_user).language == ""
    assert client.get(reverse("customers:my_work"), HTTP_ACCEPT_LANGUAGE="es")["Content-Language"] == "es"


def test_a_language_we_do_not_speak_is_refused_and_nothing_is_stored(client, rep_user):
    client.force_login(rep_user)
    assert client.post(reverse("language_set"), {"language": "de"}).status_code == 400
    assert not UserPreference.objects.filter(user=rep_user).exists()


def test_the_chooser_goes_back_only_to_pages_of_this_site(client, rep_user):
    client.force_login(rep_user)
    response = client.post(reverse("language_set"), {"language": "es", "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_the_chooser_needs_a_signed_in_user_and_a_post(client, rep_user):
    assert client.post(reverse("language_set"), {"language": "es"}).status_code == 302  # to the login page
    client.force_login(rep_user)
    assert client.get(reverse("language_set")).status_code == 405


def test_a_page_costs_no_query_more_for_the_language(client, rep_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, rep_user)
    client.get(reverse("customers:my_work"))  # warm
    with CaptureQueriesContext(connection) as browser_language:
        client.get(reverse("customers:my_work"))
    client.post(reverse("language_set"), {"language": "pl"})
    with CaptureQueriesContext(connection) as chosen_language:
        assert client.get(reverse("customers:my_work"))["Content-Language"] == "pl"
    assert len(chosen_language) == len(browser_language)


# --------------------------------------------------------------------------- emails to staff


def test_user_language_is_the_choice_else_the_default():
    user = UserFactory(role=Role.SUPPORT_REP)
    assert user_language(user) == "en"
    user_language_set(user=user, language="es")
    user.refresh_from_db()
    assert user_language(user) == "es"
    with pytest.raises(ValueError):
        user_language_set(user=user, language="xx")


def test_the_follow_up_email_is_in_the_assignees_language(settings):
    from unittest import mock

    from feedback import services
    from feedback.choices import InvitationStatus, SurveyKind
    from feedback.tests.factories import InvitationFactory, SurveyFactory

    owner = UserFactory(role=Role.SUPPORT_REP, email="rita@example.com", first_name="Rita")
    UserPreference.objects.create(user=owner, language="pt-br")
    invitation = InvitationFactory(
        status=InvitationStatus.SENT, customer=CustomerFactory(owner=owner), survey=SurveyFactory(kind=SurveyKind.CSAT)
    )
    primary = invitation.survey.questions.get(is_primary=True)
    with mock.patch("cxcrm.outbox._enqueue"):
        response = services.response_submit(
            invitation_id=invitation.pk, answers={str(primary.pk): 1}, comment="", language="en"
        )
    services.followup_notify(response_id=response.pk)
    [message] = mail.outbox
    assert message.body.startswith("Olá, Rita,")
    assert "Acompanhamento de detrator" in message.subject


# --------------------------------------------------------------------------- the API


def test_api_errors_follow_the_requests_language(api_as, integration_user):
    client = api_as(integration_user)
    english = client.post("/api/interactions/", {}, format="json")
    portuguese = client.post("/api/interactions/", {}, format="json", HTTP_ACCEPT_LANGUAGE="pt-BR")
    assert english.status_code == portuguese.status_code == 400
    assert english.json().keys() == portuguese.json().keys()  # field names never change
    assert "This field is required." in str(english.json())
    assert "Este campo é obrigatório." in str(portuguese.json())


# --------------------------------------------------------------------------- formats and labels


def test_figures_are_written_in_the_readers_locale():
    with translation.override("en"):
        assert format_value(METRICS["csat"], 81.26) == "81.3%"
        assert format_value(METRICS["case_volume"], 12345) == "12,345"
    with translation.override("pt-br"):
        assert format_value(METRICS["csat"], 81.26) == "81,3%"
        assert format_value(METRICS["nps"], 12.34) == "+12,3"
        assert format_value(METRICS["ttr_hours"], 3.25) == "3,2 h"
    with translation.override("pl"):
        assert format_value(METRICS["ces"], 5.5) == "5,50"


def test_report_labels_name_touchpoints_networks_and_topics_never_their_codes():
    from journeys.choices import MapStatus
    from journeys.tests.factories import JourneyMapFactory, StageFactory, TouchpointFactory

    journey_map = JourneyMapFactory(status=MapStatus.PUBLISHED)
    TouchpointFactory(stage=StageFactory(journey_map=journey_map), key="bruno-chat-help", name="Chat help")
    assert dimension_labels("touchpoint", ["bruno-chat-help"])["bruno-chat-help"] == "Chat help"
    assert dimension_labels("network", ["whatsapp"])["whatsapp"] == "WhatsApp"
    with translation.override("es"):
        assert dimension_labels("channel", ["store"])["store"] == "Visita a tienda"
        assert dimension_labels("topic", ["detractor follow-up"])["detractor follow-up"] == "Seguimiento de detractor"


@pytest.fixture
def csat_by_channel():
    for score, channel in ((5, "chat"), (1, "chat"), (4, "email")):
        ResponseFactory(kind="csat", score=score, channel=channel, submitted_at=_at(2026, 1, 9))
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))


def _at(*args):
    from datetime import UTC, datetime

    return datetime(*args, 12, tzinfo=UTC)


BREAKDOWN = {"period": "custom", "start": "2026-01-01", "end": "2026-01-31", "metric": "csat", "dimension": "channel"}


def test_a_breakdown_shows_labels_and_exports_stable_headers_codes_and_labels(client, manager_user, csat_by_channel):
    client.force_login(manager_user)
    client.post(reverse("language_set"), {"language": "es"})
    page = client.get(reverse("feedback:report_breakdown"), BREAKDOWN).content.decode()
    table = page[page.index('data-testid="report-table"') :]
    assert "Correo electrónico" in table and ">email<" not in table

    exported = client.get(reverse("feedback:report_breakdown"), {**BREAKDOWN, "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["channel", "channel_label", "CSAT (%)", "n"]
    assert ["chat", "Chat"] in [r[:2] for r in rows[1:]]
    assert ["email", "Correo electrónico"] in [r[:2] for r in rows[1:]]
    assert "50.0" in [r[2] for r in rows[1:]]  # numbers keep "." in files


def test_the_cases_export_keeps_codes_with_labels_beside_them_in_the_readers_language(client, manager_user):
    CaseFactory(status=CaseStatus.OPEN, subject="Late parcel")
    client.force_login(manager_user)
    client.post(reverse("language_set"), {"language": "pt-br"})
    exported = client.get(reverse("customers:case_export"), {"status": CaseStatus.values})
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig"))))
    assert rows and rows[0]["status"] == "open"
    assert rows[0]["status_label"] == "Aberto"


def test_lifecycle_stages_are_shown_by_their_label_on_the_customer_page(client, rep_user):
    customer = CustomerFactory(lifecycle_stage=LifecycleStage.AT_RISK)
    client.force_login(rep_user)
    client.post(reverse("language_set"), {"language": "pl"})
    html = client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert "Zagrożony" in html
    assert ">at_risk<" not in html


def test_the_admins_javascript_texts_come_in_the_users_language(client, superuser):
    """The journey map admin's fold buttons read Django's JavaScript catalogue, ours included (djangojs)."""
    client.force_login(superuser)
    client.post(reverse("language_set"), {"language": "pl"})
    catalogue = client.get(reverse("admin:jsi18n")).content.decode()
    assert "Zwi\\u0144 wszystkie etapy" in catalogue or "Zwiń wszystkie etapy" in catalogue
