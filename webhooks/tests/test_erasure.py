"""Erasing a customer: the webhook deliveries about them lose their body and are not sent any more, and the
receiver is told `customer.erased` with the id only."""

from unittest import mock

import pytest

from customers.models import Customer
from customers.services import customer_erase
from cxcrm import outbox
from cxcrm.models import OutboxMessage
from webhooks import services
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def enqueue():
    with mock.patch("cxcrm.outbox._enqueue") as enqueue:
        yield enqueue


def run_webhook_rows() -> int:
    rows = OutboxMessage.objects.filter(event__endswith=":webhooks", done_at__isnull=True)
    return sum(outbox.outbox_run(message_id=pk) for pk in rows.values_list("pk", flat=True))


def test_pending_deliveries_about_the_customer_are_scrubbed_and_given_up_and_the_erasure_is_sent(
    receiver, endpoint_for, api_as, integration_user, django_capture_on_commit_callbacks
):
    endpoint_for(["interaction.recorded", "customer.erased"])
    body = {
        "channel": "chat",
        "occurred_at": "2026-01-05T10:00:00Z",
        "summary": "Ana's router broke",
        "identities": [{"kind": "email", "value": "ana@example.com"}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        created = api_as(integration_user).post("/api/interactions/", body, format="json")
    assert created.status_code == 201
    other = {**body, "summary": "Bruno's call", "identities": [{"kind": "email", "value": "bruno@example.com"}]}
    with django_capture_on_commit_callbacks(execute=True):
        api_as(integration_user).post("/api/interactions/", other, format="json")
    assert run_webhook_rows() == 2
    ana = Customer.objects.get(pk=created.json()["customer"])
    assert "Ana's router broke" in str(list(WebhookDelivery.objects.values_list("payload", flat=True)))

    with django_capture_on_commit_callbacks(execute=True):
        result = customer_erase(customer=ana)

    assert result.counts["webhook_deliveries"] == 1
    scrubbed = WebhookDelivery.objects.get(event_type="interaction.recorded", payload={"erased": True})
    assert scrubbed.status == "gave_up"
    kept = WebhookDelivery.objects.exclude(pk=scrubbed.pk).get()
    assert kept.payload["data"]["summary"] == "Bruno's call" and kept.status == "pending"
    assert "Ana" not in str(list(WebhookDelivery.objects.values("payload", "last_error")))

    assert run_webhook_rows() == 1
    assert services.deliveries_send_due() == {"succeeded": 2}
    sent = {got["json"]["type"]: got["json"]["data"] for got in receiver.received}
    assert sent == {"interaction.recorded": kept.payload["data"], "customer.erased": {"id": ana.pk}}

    # Erasing again tells no one again.
    with django_capture_on_commit_callbacks(execute=True):
        assert customer_erase(customer=ana).already_erased
    assert run_webhook_rows() == 0
