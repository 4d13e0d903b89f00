"""An alert reads in its reader's language whatever language was active when it was raised: its sentence is
built when it is shown (the alerts page, the API, the email) from the values the alert keeps; an alert kept
without them (raised before, or erased) shows its stored message."""

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from alerts import services
from alerts.choices import Condition
from alerts.models import Alert
from alerts.tests.factories import AlertRuleFactory
from alerts.tests.test_alerts import answer, run_outbox
from customers.tests.factories import CustomerFactory
from cxcrm.choices import Role
from cxcrm.i18n import user_language_set
from cxcrm.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def enqueue():
    with mock.patch("cxcrm.outbox._enqueue") as enqueue:
        yield enqueue


@pytest.fixture
def polish_owner():
    owner = UserFactory(username="kasia", role=Role.SUPPORT_REP, email="kasia@example.com")
    user_language_set(user=owner, language="pl")
    return owner


def test_a_detractor_alert_raised_in_english_reads_in_polish_on_the_page_and_by_email(client, polish_owner):
    AlertRuleFactory(name="Detractors", email=True)
    customer = CustomerFactory(first_name="Ana", last_name="Lima", owner=polish_owner)

    with translation.override("en"):
        answer(customer, 2)
        run_outbox()

    alert = Alert.objects.get()
    assert alert.message == "Ana Lima is a detractor: CSAT 2"  # stored in LANGUAGE_CODE
    assert mail.outbox[-1].to == ["kasia@example.com"]
    assert "Klient Ana Lima jest krytykiem: CSAT 2" in mail.outbox[-1].subject
    assert "Klient Ana Lima jest krytykiem: CSAT 2." in mail.outbox[-1].body
    client.force_login(polish_owner)
    page = client.get(reverse("alerts:alert_list")).content.decode()
    assert "Klient Ana Lima jest krytykiem: CSAT 2" in page
    assert "is a detractor" not in page


def test_an_sla_alert_reads_in_the_api_clients_language(api_as, polish_owner):
    customer = CustomerFactory(first_name="Rui", last_name="Costa", owner=polish_owner)
    rule = AlertRuleFactory(condition=Condition.SLA_BREACH)
    text = {
        "key": "sla_breached",
        "case_id": 12,
        "subject": "Reembolso",
        "missed": "resolution",
        "due": datetime(2026, 3, 2, 9, 30, tzinfo=UTC).isoformat(),
    }
    services.alert_raise(rule=rule, customer=customer, text=text, detail={"case_id": 12}, occurred_at=timezone.now())

    portuguese = api_as(polish_owner).get("/api/alerts/", HTTP_ACCEPT_LANGUAGE="pt-BR").json()["results"][0]
    english = api_as(polish_owner).get("/api/alerts/", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]

    assert portuguese["message"] == (
        "O caso #12 “Reembolso” de Rui Costa teve violação de SLA: a resolução vencia em 2026-03-02 09:30 UTC"
    )
    assert (
        english["message"]
        == 'Case #12 "Reembolso" of Rui Costa breached its SLA: resolution was due 2026-03-02 09:30 UTC'
    )
    assert portuguese["detail"]["text"]["missed"] == "resolution"  # codes and values stay as they are


def test_a_repeat_contact_alert_counts_in_polish_plural_forms(polish_owner):
    customer = CustomerFactory(first_name="Ewa", last_name="Nowak", owner=polish_owner)
    rule = AlertRuleFactory(condition=Condition.REPEAT_CONTACT)
    text = {"key": "repeat_contact", "repeats": [{"count": 5, "touchpoint": "Koszyk"}], "days": 7}
    alert = services.alert_raise(rule=rule, customer=customer, text=text, detail={}, occurred_at=timezone.now())

    with translation.override("pl"):
        shown = alert.text

    assert alert.message == "Ewa Nowak contacted us again: 5 contacts on Koszyk within 7 days"
    assert (
        shown == "Klient Ewa Nowak ponownie się z nami skontaktował: 5 kontaktów w punkcie styku Koszyk w ciągu 7 dni"
    )


def test_an_alert_stored_without_its_values_shows_its_stored_message(client, polish_owner):
    customer = CustomerFactory(owner=polish_owner)
    rule = AlertRuleFactory()
    services.alert_raise(
        rule=rule, customer=customer, message="Older words", detail={"response_id": 1}, occurred_at=timezone.now()
    )
    client.force_login(polish_owner)

    assert "Older words" in client.get(reverse("alerts:alert_list")).content.decode()


def test_the_alert_raised_webhook_gives_the_message_in_language_code_whatever_language_is_active(polish_owner):
    from webhooks.events import sources

    customer = CustomerFactory(first_name="Ana", last_name="Lima", owner=polish_owner)
    text = {"key": "detractor", "kind": "nps", "score": 3, "touchpoint": ""}
    alert = services.alert_raise(
        rule=AlertRuleFactory(), customer=customer, text=text, detail={}, occurred_at=timezone.now()
    )
    source = next(s for s in sources() if s.outbox_event == services.ALERT_RAISED)

    with translation.override("pl"):
        [(_key, data)] = source.resources({"alert_id": alert.pk})

    assert data["message"] == "Ana Lima is a detractor: NPS 3"
    assert data["detail"]["text"] == text
