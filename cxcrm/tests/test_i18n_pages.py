"""The main staff pages in each language: no English text of our catalogue left untranslated on them (a check
against the catalogue itself), and a pt-BR user reads the login, navigation, customer page and reports in
Portuguese."""

import gettext
import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from customers.choices import CaseStatus, LifecycleStage
from customers.tests.factories import CaseFactory, CustomerFactory, InteractionFactory
from cxcrm.choices import Role
from cxcrm.models import UserPreference
from cxcrm.tests.factories import UserFactory
from feedback.tests.factories import ResponseFactory
from journeys.choices import MapStatus
from journeys.tests.factories import JourneyMapFactory, StageFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

LANGUAGES = {"pt-br": "pt_BR", "es": "es", "pl": "pl", "el": "el"}


def catalogue(language: str) -> dict[str, str]:
    """{English text: its translation} of our compiled catalogue, for texts that read differently once
    translated and carry no placeholder or markup (those are checked whole on the page)."""
    path = Path(settings.BASE_DIR) / "locale" / LANGUAGES[language] / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as file:
        entries = gettext.GNUTranslations(file)._catalog
    texts = {}
    for msgid, msgstr in entries.items():
        if not isinstance(msgid, str) or not msgid or msgid == msgstr:
            continue
        if "%" in msgid or "{" in msgid or "<" in msgid or "\x04" in msgid:
            continue
        # Short words ("Open", "New") may be a customer's data or part of a longer text: whole phrases only.
        if len(msgid) < 14 or " " not in msgid:
            continue
        texts[msgid] = msgstr
    return texts


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return " ".join(unescape(html).split())


@pytest.fixture
def world(db):
    return world_objects()


def world_objects() -> dict:
    """A customer at risk with an owner, a chat on a published map's touchpoint, an open case and an answer."""
    owner = UserFactory(username="ana", role=Role.SUPPORT_REP, first_name="Ana")
    customer = CustomerFactory(owner=owner, lifecycle_stage=LifecycleStage.AT_RISK, first_name="Zed", last_name="Q")
    journey_map = JourneyMapFactory(status=MapStatus.PUBLISHED, name="Zeta map")
    stage = StageFactory(journey_map=journey_map, name="Zeta stage")
    touchpoint = TouchpointFactory(stage=stage, key="zeta-chat", name="Zeta chat")
    InteractionFactory(customer=customer, channel="chat", touchpoint=touchpoint, touchpoint_key="zeta-chat")
    CaseFactory(customer=customer, assignee=owner, status=CaseStatus.OPEN, subject="Zeta parcel")
    ResponseFactory(kind="csat", score=2, customer=customer, submitted_at=timezone.now() - timedelta(days=1))
    return {"customer": customer, "journey_map": journey_map, "owner": owner}


def staff_pages(world) -> list[str]:
    return [
        reverse("customers:my_work"),
        reverse("customers:customer_detail", args=[world["customer"].pk]),
        reverse("customers:case_list"),
        reverse("feedback:report_overview"),
        world["journey_map"].get_absolute_url(),
        reverse("admin:index"),
    ]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_main_staff_pages_leave_no_text_of_our_catalogue_in_english(client, world, language):
    texts = catalogue(language)
    assert len(texts) > 100  # the check reads a real catalogue
    manager = UserFactory(username=f"m-{language}", role=Role.MANAGER, is_staff=True, is_superuser=True)
    UserPreference.objects.create(user=manager, language=language)
    anonymous = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=language)
    pages = {"login": visible_text(anonymous.content.decode())}
    client.force_login(manager)
    session = client.session
    session["cxcrm_language"] = language
    session.save()
    for url in staff_pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Language"] == language, url
        pages[url] = visible_text(response.content.decode())
    left = {url: [msgid for msgid in texts if msgid in text] for url, text in pages.items()}
    assert {url: found for url, found in left.items() if found} == {}


def test_a_pt_br_user_reads_login_navigation_customer_page_and_reports_in_portuguese(client, world):
    login = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9").content.decode()
    assert "Entrar no cxcrm" in login and "Esqueceu sua senha?" in login
    assert "Log in to cxcrm" not in login and "Forgot your password?" not in login

    manager = UserFactory(username="gerente", role=Role.MANAGER)
    UserPreference.objects.create(user=manager, language="pt-br")
    response = client.post(reverse("login"), {"username": "gerente", "password": "pass-word-1"})
    assert response.status_code == 302

    my_work = client.get(reverse("customers:my_work")).content.decode()
    for text in ("Meu trabalho", "Clientes", "Casos", "Relatórios", "Idioma", "Idioma do navegador"):
        assert text in my_work
    customer = client.get(reverse("customers:customer_detail", args=[world["customer"].pk])).content.decode()
    for text in ("Linha do tempo", "Em risco", "Registrar uma interação", "Casos abertos"):
        assert text in customer
    reports = client.get(reverse("feedback:report_overview")).content.decode()
    for text in ("Visão geral de CX", "Taxa de resposta", "Tempo até a resolução", "Mostrar"):
        assert text in reports


def test_the_check_finds_english_text_on_an_english_page(client, world):
    """The catalogue check above is not vacuous: the same pages in English show many of its texts."""
    texts = catalogue("pt-br")
    manager = UserFactory(username="m-en", role=Role.MANAGER, is_staff=True, is_superuser=True)
    client.force_login(manager)
    page = visible_text(client.get(reverse("customers:customer_detail", args=[world["customer"].pk])).content.decode())
    assert len([msgid for msgid in texts if msgid in page]) >= 5


def test_a_page_the_users_role_does_not_open_says_so_in_their_language(client, marketer_user):
    UserPreference.objects.create(user=marketer_user, language="pl")
    client.force_login(marketer_user)

    response = client.get(reverse("feedback:report_overview"))

    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="pl">' in page
    assert "Brak dostępu" in page and "Forbidden" not in page
