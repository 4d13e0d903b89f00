"""Dates, times and numbers in the reader's language (docs/i18n.md, "Dates, times and numbers"): the customer
page, the case page, a report's drill-down, a journey map and the alerts read "14/03/2026 09:05" in Brazilian
Portuguese and "14.03.2026 09:05" in Polish, in the organisation's time zone; the health panel's figures take
the decimal comma; codes are shown by their labels."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.urls import reverse

from alerts.models import Alert, AlertRecipient
from alerts.tests.factories import AlertRuleFactory
from customers.choices import CaseOrigin, CaseStatus, IdentityKind, LifecycleStage
from customers.tests.factories import CaseFactory, CustomerFactory, IdentityFactory, InteractionFactory, NoteFactory
from cxcrm.choices import Role
from cxcrm.models import UserPreference
from cxcrm.tests.factories import UserFactory
from feedback.models import HealthScore
from journeys.choices import MapStatus
from journeys.models import JourneyMap
from journeys.tests.factories import JourneyMapFactory

pytestmark = pytest.mark.django_db

# 12:05 UTC is 09:05 in São Paulo (UTC−3 all year).
AT = datetime(2026, 3, 14, 12, 5, tzinfo=UTC)
SHOWN = {"pt-br": "14/03/2026 09:05", "pl": "14.03.2026 09:05", "en": "14 Mar 2026, 09:05"}
ISO_MINUTE = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d\b")
# Django's Portuguese month abbreviations, capitalised ("Dez"): never in a Portuguese sentence.
PT_MONTH_ABBREVIATIONS = re.compile(r"\b(Jan|Fev|Mar|Abr|Mai|Jun|Jul|Ago|Set|Out|Nov|Dez)\b")


@pytest.fixture(autouse=True)
def _organisation_in_sao_paulo(settings):
    settings.TIME_ZONE = "America/Sao_Paulo"


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return " ".join(unescape(html).split())


def reader(client, language: str, role: str = Role.MANAGER):
    """The client signed in as a user of `role` who reads `language`."""
    user = UserFactory(username=f"reader-{language}", role=role, first_name="Zoe")
    UserPreference.objects.create(user=user, language=language)
    client.force_login(user)
    session = client.session
    session["cxcrm_language"] = language
    session.save()
    return user


@pytest.fixture
def customer():
    """An at-risk customer last seen at AT, with an Instagram handle, a chat, a note and an open case."""
    customer = CustomerFactory(
        first_name="Zed",
        last_name="Quill",
        lifecycle_stage=LifecycleStage.AT_RISK,
        first_contact_at=AT - timedelta(days=30),
        last_contact_at=AT,
    )
    IdentityFactory(customer=customer, kind=IdentityKind.HANDLE, network="instagram", value="zed.q")
    InteractionFactory(customer=customer, channel="chat", occurred_at=AT, summary="Where is the parcel")
    NoteFactory(customer=customer, body="Rang back", created_at=AT)
    CaseFactory(customer=customer, subject="Parcel", status=CaseStatus.OPEN, opened_at=AT, resolution_due_at=AT)
    return customer


def assert_reads_dates_as(text: str, language: str):
    assert SHOWN[language] in text
    assert not ISO_MINUTE.search(text), ISO_MINUTE.search(text)
    if language == "pt-br":
        assert not PT_MONTH_ABBREVIATIONS.search(text), PT_MONTH_ABBREVIATIONS.search(text)


# --------------------------------------------------------------------------- pages


@pytest.mark.parametrize("language", ["pt-br", "pl", "en"])
def test_the_customer_page_writes_its_dates_in_the_readers_format_and_local_time(client, customer, language):
    reader(client, language)

    text = visible_text(client.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode())

    assert_reads_dates_as(text, language)
    assert "Instagram: zed.q" in text and "instagram:" not in text
    assert "at_risk" not in text


@pytest.mark.parametrize("language", ["pt-br", "pl"])
def test_the_case_page_writes_its_dates_in_the_readers_format(client, customer, language):
    reader(client, language)
    case = customer.cases.get()

    text = visible_text(client.get(reverse("customers:case_detail", args=[case.pk])).content.decode())

    assert_reads_dates_as(text, language)


@pytest.mark.parametrize(
    ("language", "period", "hours", "topic"),
    [
        ("pt-br", "01/03/2026 – 31/03/2026", "1,5", "Acompanhamento de detrator"),
        ("pl", "01.03.2026 – 31.03.2026", "1,5", "Obsługa krytyka"),
    ],
)
def test_the_drill_down_writes_dates_and_hours_in_the_readers_format_and_topics_by_label(
    client, customer, language, period, hours, topic
):
    reader(client, language)
    CaseFactory(
        customer=customer,
        status=CaseStatus.RESOLVED,
        topic="detractor follow-up",
        origin=CaseOrigin.SURVEY,
        opened_at=AT,
        resolved_at=AT + timedelta(minutes=90),
    )

    page = client.get(
        reverse("feedback:report_drilldown"), {"metric": "ttr_hours", "start": "2026-03-01", "end": "2026-03-31"}
    )

    text = visible_text(page.content.decode())
    assert page.status_code == 200
    assert period in text
    assert_reads_dates_as(text, language)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page.content.decode().split('data-testid="report-table"', 1)[1])
    assert hours in cells
    assert topic in cells and "detractor follow-up" not in cells and "survey" not in cells


@pytest.mark.parametrize(
    ("language", "period"), [("pt-br", "01/03/2026 – 31/03/2026"), ("pl", "01.03.2026 – 31.03.2026")]
)
def test_the_journey_map_page_writes_its_period_and_update_in_the_readers_format(client, language, period):
    reader(client, language, role=Role.MARKETER)
    journey_map = JourneyMapFactory(status=MapStatus.PUBLISHED, name="Zeta map")
    JourneyMap.objects.filter(pk=journey_map.pk).update(updated_at=AT)

    page = client.get(journey_map.get_absolute_url(), {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"})

    text = visible_text(page.content.decode())
    assert period in text
    assert_reads_dates_as(text, language)


@pytest.mark.parametrize("language", ["pt-br", "pl"])
def test_the_alerts_page_writes_when_each_alert_was_raised_in_the_readers_format(client, customer, language):
    user = reader(client, language, role=Role.SUPPORT_REP)
    alert = Alert.objects.create(
        rule=AlertRuleFactory(),
        customer=customer,
        reason="detractor",
        message="Zed Quill",
        window_start=AT,
        raised_at=AT,
    )
    AlertRecipient.objects.create(alert=alert, user=user, in_app=True)

    page = client.get(reverse("alerts:alert_list")).content.decode()

    assert_reads_dates_as(visible_text(page), language)
    assert 'datetime="2026-03-14T09:05:00-03:00"' in page  # the machine's instant stays ISO 8601


# --------------------------------------------------------------------------- the health panel


HEALTH_PARTS = {
    "surveys": {"weight": 25, "fraction": 0.675, "detail": {"nps": 6, "csat": 4, "ces": None}},
    "survey_trend": {"weight": 5, "fraction": 0.2, "detail": {"previous": {"nps": 9}}},
    "cases": {"weight": 20, "fraction": 0.1, "detail": {"open": 2, "breached": 1}},
    "recency": {"weight": 10, "fraction": 0.833, "detail": {"days_since_contact": 3.2, "usual_gap_days": 20.0}},
    "lifecycle": {"weight": 5, "fraction": 0.8, "detail": {"stage": "at_risk"}},
}


def health_panel(client, customer, language) -> str:
    reader(client, language, role=Role.SUPPORT_REP)
    HealthScore.objects.create(customer=customer, score=45, parts=HEALTH_PARTS, computed_at=AT)
    return client.get(reverse("feedback:customer_health", args=[customer.pk])).content.decode()


def test_the_health_panel_writes_every_figure_with_the_decimal_comma_in_portuguese(client, customer):
    panel = health_panel(client, customer, "pt-br")

    text = visible_text(panel)
    assert not re.search(r"\d\.\d", text), re.search(r"\d\.\d", text)
    assert "3,2 dias" in text and "20" in text
    assert "16,9 / 25" in text and "8,3 / 10" in text  # 25 × 0,675 and 10 × 0,833, rounded
    assert "NPS anterior: 9" in text
    assert "Em risco" in text and "at_risk" not in text
    assert SHOWN["pt-br"] in text


def test_the_health_panel_in_english_keeps_the_decimal_point_and_names_the_stage(client, customer):
    text = visible_text(health_panel(client, customer, "en"))

    assert "3.2 days since last contact; usually every 20" in text
    assert "16.9 / 25" in text and "NPS 9 before" in text
    assert "At risk" in text and "at_risk" not in text
