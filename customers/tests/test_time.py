"""Interaction times within the product's bounds (cxcrm.validators): no future beyond the clock-skew
allowance (INTERACTION_FUTURE_SKEW), no year or offset outside the range, at every door; "last contact"
never in the future."""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.models import Customer, Interaction
from cxcrm.validators import INSTANT_MAX_YEAR, INSTANT_MIN_YEAR

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(api_as, integration_user):
    return api_as(integration_user)


def payload(occurred_at, n=1):
    return {
        "channel": "email",
        "occurred_at": occurred_at,
        "summary": "Hi",
        "identities": [{"kind": "email", "value": f"p{n}@example.com"}],
    }


REFUSED = {
    "2031": ("2031-01-01T10:00:00Z", "in the future"),
    # Relative times are worked out when the test runs (a callable), not when the module is collected.
    "tomorrow": (lambda: (timezone.now() + timedelta(days=1)).isoformat(), "in the future"),
    "ten minutes ahead": (lambda: (timezone.now() + timedelta(minutes=10)).isoformat(), "in the future"),
    "year 9999 at -12:00": ("9999-12-31T23:59:59-12:00", f"between {INSTANT_MIN_YEAR}-01-01 and {INSTANT_MAX_YEAR}"),
    "year 1 at +01:00": ("0001-01-01T00:00:00+01:00", f"between {INSTANT_MIN_YEAR}-01-01"),
    "1969": ("1969-07-20T20:17:00Z", f"between {INSTANT_MIN_YEAR}-01-01"),
    "offset -21:00": ("2024-01-01T00:00:00-21:00", "-21:00 is outside -14:00 to +14:00"),
}


@pytest.mark.parametrize(("occurred_at", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_every_door_refuses_a_time_out_of_bounds_with_a_message(integration, tmp_path, occurred_at, message):
    occurred_at = occurred_at() if callable(occurred_at) else occurred_at
    single = integration.post("/api/interactions/", payload(occurred_at), format="json")
    assert single.status_code == 400
    assert message in " ".join(single.json()["occurred_at"])
    bulk = integration.post("/api/interactions/bulk/", [payload(occurred_at)], format="json").json()["results"]
    assert bulk[0]["status"] == "error" and message in " ".join(bulk[0]["errors"]["occurred_at"])
    path = tmp_path / "history.jsonl"
    path.write_text(json.dumps(payload("2024-01-01T10:00:00Z", 2)) + "\n" + json.dumps(payload(occurred_at, 3)))
    out = io.StringIO()
    call_command("import_interactions", str(path), "--no-progress", stdout=out)
    assert "line 2: occurred_at" in out.getvalue() and message in out.getvalue()
    assert Interaction.objects.count() == 1  # the valid line is kept
    assert not Customer.objects.filter(last_contact_at__gt=timezone.now()).exists()


@pytest.mark.parametrize("occurred_at", ["1990-06-01T10:00:00Z", "1970-01-01T00:00:00Z", "2015-03-01T08:00:00-03:00"])
def test_old_history_is_accepted(integration, occurred_at):
    response = integration.post("/api/interactions/", payload(occurred_at), format="json")
    assert response.status_code == 201, response.json()


def test_a_time_a_little_ahead_is_taken_as_now_so_last_contact_is_never_in_the_future(integration):
    before = timezone.now()
    ahead = (before + timedelta(minutes=3)).isoformat()
    response = integration.post("/api/interactions/", payload(ahead), format="json")
    assert response.status_code == 201, response.json()
    after = timezone.now()
    interaction = Interaction.objects.get()
    assert before <= interaction.occurred_at <= after
    assert interaction.customer.last_contact_at <= after


def test_the_allowance_is_a_setting(integration, settings):
    settings.INTERACTION_FUTURE_SKEW = timedelta(hours=2)
    ahead = (timezone.now() + timedelta(hours=1)).isoformat()
    assert integration.post("/api/interactions/", payload(ahead), format="json").status_code == 201
    settings.INTERACTION_FUTURE_SKEW = timedelta(0)
    ahead = (timezone.now() + timedelta(minutes=1)).isoformat()
    response = integration.post("/api/interactions/", payload(ahead, 2), format="json")
    assert response.status_code == 400


def test_the_future_message_says_how_far_ahead_and_the_allowance(integration):
    response = integration.post("/api/interactions/", payload("2031-01-01T10:00:00Z"), format="json")
    message = response.json()["occurred_at"][0]
    assert "days in the future" in message and "5 minutes" in message


def test_the_log_form_refuses_the_future_beyond_the_allowance(client, rep_user):
    from django.urls import reverse

    from customers.tests.factories import CustomerFactory

    customer = CustomerFactory()
    client.force_login(rep_user)
    url = reverse("customers:interaction_log", args=[customer.pk])
    data = {"log-channel": "phone", "log-direction": "outbound", "log-type": "call", "log-summary": "Called"}
    tomorrow = timezone.localtime() + timedelta(days=1)
    response = client.post(url, {**data, "log-occurred_at": tomorrow.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 200 and not Interaction.objects.exists()
    response = client.post(url, {**data, "log-occurred_at": "2024-05-01T10:00"})
    assert response.status_code == 302
    assert Interaction.objects.get().occurred_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def test_the_migration_brings_future_contact_dates_back_to_the_interactions_as_stored():
    from importlib import import_module

    from django.apps import apps

    from customers.tests.factories import CustomerFactory, InteractionFactory

    migration = import_module("customers.migrations.0008_last_contact_not_in_future")
    now = timezone.now()
    customer = CustomerFactory()
    InteractionFactory(customer=customer, occurred_at=now - timedelta(days=3))
    InteractionFactory(customer=customer, occurred_at=now - timedelta(hours=2))
    Customer.objects.filter(pk=customer.pk).update(
        first_contact_at=now - timedelta(days=3), last_contact_at=now + timedelta(days=1)
    )
    untouched = CustomerFactory(last_contact_at=now - timedelta(days=9))
    migration.contact_dates_up_to_now(apps, None)
    customer.refresh_from_db()
    assert customer.last_contact_at == now - timedelta(hours=2)
    assert customer.first_contact_at == now - timedelta(days=3)
    untouched.refresh_from_db()
    assert untouched.last_contact_at == now - timedelta(days=9)
