"""Events become signed deliveries to a real local receiver: fan-out, signature, retries, giving up, leases."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from customers.services import case_create, case_status_set
from customers.tests.factories import CaseFactory, CustomerFactory
from cxcrm import outbox
from cxcrm.models import OutboxMessage
from webhooks import services
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def enqueue():
    with mock.patch("cxcrm.outbox._enqueue") as enqueue:
        yield enqueue


def run_webhook_rows() -> int:
    """The worker: run the webhooks' outbox rows."""
    rows = OutboxMessage.objects.filter(event__endswith=":webhooks", done_at__isnull=True)
    return sum(outbox.outbox_run(message_id=pk) for pk in rows.values_list("pk", flat=True))


def test_a_resolved_case_reaches_the_receiver_signed_with_the_case_as_the_api_shows_it(
    receiver, endpoint_for, superuser, api_as, django_capture_on_commit_callbacks
):
    endpoint_for(["case.resolved"])
    case = CaseFactory()
    with django_capture_on_commit_callbacks(execute=True):
        case_status_set(case=case, status="resolved")
    assert run_webhook_rows() == 1

    assert services.deliveries_send_due() == {"succeeded": 1}

    [got] = receiver.received
    assert got["error"] == "" and got["path"] == "/hooks/cxcrm?source=test"
    body = got["json"]
    message = OutboxMessage.objects.get(event__endswith=":webhooks")
    assert body["id"] == f"msg_{message.pk}" == got["headers"]["webhook-id"]
    assert body["type"] == "case.resolved"
    assert body["timestamp"].endswith("Z")
    assert body["data"] == api_as(superuser).get(f"/api/cases/{case.pk}/").json()
    assert body["data"]["status"] == "resolved"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert delivery.last_response_ms is not None and delivery.delivered_at is not None


def test_each_interaction_of_a_batch_is_its_own_event(
    receiver, endpoint_for, api_as, integration_user, django_capture_on_commit_callbacks
):
    endpoint_for(["interaction.recorded"])
    items = [
        {
            "channel": "email",
            "occurred_at": timezone.now().isoformat(),
            "summary": f"Message {n}",
            "identities": [{"kind": "email", "value": f"c{n}@example.com"}],
        }
        for n in range(2)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        answer = api_as(integration_user).post("/api/interactions/bulk/", items, format="json")
    assert answer.status_code in (200, 201, 207), answer.content
    run_webhook_rows()
    services.deliveries_send_due()
    bodies = sorted(receiver.bodies(), key=lambda b: b["data"]["id"])
    assert [b["data"]["summary"] for b in bodies] == ["Message 0", "Message 1"]
    assert len({b["id"] for b in bodies}) == 2
    assert all(b["type"] == "interaction.recorded" for b in bodies)


def test_an_opened_case_is_sent_only_to_the_endpoints_that_subscribe(
    receiver, endpoint_for, django_capture_on_commit_callbacks
):
    endpoint_for(["case.opened"])
    services.webhook_endpoint_create(url="https://hooks.example.com/other", events=["case.resolved"])
    services.webhook_endpoint_create(url="https://hooks.example.com/off", events=["case.opened"], enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(customer=CustomerFactory(), subject="Broken kettle")
    run_webhook_rows()
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.endpoint.url.startswith("http://127.0.0.1")
    assert delivery.payload["data"]["subject"] == "Broken kettle" and delivery.payload["data"]["id"] == case.pk


def test_without_an_enabled_endpoint_no_webhook_work_is_recorded(django_capture_on_commit_callbacks):
    services.webhook_endpoint_create(url="https://hooks.example.com/off", events=["case.opened"], enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        case_create(customer=CustomerFactory(), subject="Quiet")
    assert not OutboxMessage.objects.filter(event__endswith=":webhooks").exists()


def test_the_handler_run_twice_makes_one_delivery(receiver, endpoint_for):
    endpoint_for(["case.opened"])
    with transaction.atomic():
        case = case_create(customer=CustomerFactory(), subject="Twice")
    message = OutboxMessage.objects.get(event__endswith=":webhooks")
    handler = outbox._handlers[message.event]
    assert handler(message.payload, message=message) == 1
    assert handler(message.payload, message=message) == 0
    assert WebhookDelivery.objects.filter(event_id=f"msg_{message.pk}").count() == 1
    assert WebhookDelivery.objects.get().payload["data"]["id"] == case.pk


def test_a_failed_delivery_is_tried_again_after_the_backoff_then_succeeds(receiver, endpoint_for):
    endpoint = endpoint_for(["case.opened"])
    receiver.statuses.extend([500])
    start = timezone.now()
    services.deliveries_fan_out_event(
        event_type="case.opened", event_id="msg_1", occurred_at=start, resources=lambda: [("", {"id": 1})], now=start
    )
    assert services.deliveries_send_due(now=start) == {"failed": 1}
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 500)
    assert delivery.next_attempt_at == start + timedelta(seconds=30)
    assert "HTTP 500" in delivery.last_error

    # Not due before the backoff has passed.
    assert services.deliveries_send_due(now=start + timedelta(seconds=29)) == {}
    assert services.deliveries_send_due(now=start + timedelta(seconds=30)) == {"succeeded": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "succeeded",
        2,
        200,
        "",
    )
    # The same event id both times, each attempt signed anew and verified by the receiver.
    assert [r["headers"]["webhook-id"] for r in receiver.received] == ["msg_1", "msg_1"]
    assert all(r["error"] == "" for r in receiver.received)


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (30, 3600)]
)
def test_the_backoff_doubles_from_30_seconds_up_to_an_hour(attempts, seconds):
    assert services.retry_delay(attempts) == timedelta(seconds=seconds)


def test_after_a_day_of_failures_the_delivery_gives_up_and_the_endpoint_is_disabled_and_admins_told(
    receiver, endpoint_for, superuser
):
    superuser.email = "root@example.com"
    superuser.save()
    endpoint = endpoint_for(["case.opened"], description="ERP")
    receiver.statuses.extend([500] * 5)
    start = timezone.now()
    services.deliveries_fan_out_event(
        event_type="case.opened", event_id="msg_9", occurred_at=start, resources=lambda: [("", {"id": 9})], now=start
    )
    assert services.deliveries_send_due(now=start) == {"failed": 1}
    assert services.deliveries_send_due(now=start + timedelta(hours=23, minutes=59)) == {"failed": 1}
    assert endpoint.deliveries.get().status == "failed"

    assert services.deliveries_send_due(now=start + timedelta(days=1, minutes=1)) == {"gave_up": 1}
    delivery = endpoint.deliveries.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("gave_up", 3, None)
    endpoint.refresh_from_db()
    assert endpoint.enabled is False and "msg_9" in endpoint.disabled_reason
    [email] = mail.outbox
    assert email.to == ["root@example.com"] and "ERP" in email.subject
    # A disabled endpoint gets nothing more.
    services.deliveries_fan_out_event(
        event_type="case.opened", event_id="msg_10", occurred_at=start, resources=lambda: [("", {"id": 10})]
    )
    assert endpoint.deliveries.count() == 1


def test_a_killed_workers_delivery_waits_for_its_lease_then_is_sent_once(receiver, endpoint_for, settings):
    settings.WEBHOOKS_LEASE_SECONDS = 60
    endpoint_for(["case.opened"])
    start = timezone.now()
    services.deliveries_fan_out_event(
        event_type="case.opened", event_id="msg_5", occurred_at=start, resources=lambda: [("", {"id": 5})], now=start
    )
    # A worker takes it and dies before sending.
    claimed = services._claim_next(start)
    assert claimed is not None and claimed.attempts == 1
    # Another worker does not send it while the lease holds.
    assert services.deliveries_send_due(now=start + timedelta(seconds=59)) == {}
    assert receiver.received == []
    # After the lease it is sent, once.
    assert services.deliveries_send_due(now=start + timedelta(seconds=60)) == {"succeeded": 1}
    assert len(receiver.received) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_a_worker_that_outlived_its_lease_records_nothing_over_the_new_claim(receiver, endpoint_for):
    endpoint_for(["case.opened"])
    start = timezone.now()
    services.deliveries_fan_out_event(
        event_type="case.opened", event_id="msg_6", occurred_at=start, resources=lambda: [("", {"id": 6})], now=start
    )
    slow = services._claim_next(start)
    later = start + timedelta(minutes=5)
    fresh = services._claim_next(later)
    assert fresh.attempts == 2
    receiver.statuses.extend([500])
    services.delivery_attempt(delivery=slow, now=later)  # the slow one's 500 is not recorded
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
    assert services.delivery_attempt(delivery=fresh, now=later) == "succeeded"


def test_send_test_posts_a_signed_test_event_at_once(receiver, endpoint_for):
    endpoint = endpoint_for(["case.opened"])
    delivery = services.webhook_send_test(endpoint=endpoint)
    assert (delivery.status, delivery.event_type, delivery.last_status_code) == ("succeeded", "webhook.test", 200)
    [body] = receiver.bodies()
    assert body["type"] == "webhook.test" and body["data"]["endpoint"] == endpoint.pk


def test_a_failed_test_is_not_tried_again(receiver, endpoint_for):
    endpoint = endpoint_for(["case.opened"])
    receiver.statuses.extend([503])
    delivery = services.webhook_send_test(endpoint=endpoint)
    assert (delivery.status, delivery.last_status_code, delivery.next_attempt_at) == ("failed", 503, None)
    assert services.deliveries_send_due(now=timezone.now() + timedelta(hours=2)) == {}


def test_a_merge_is_sent_as_customer_merged_with_the_merge_record(
    receiver, endpoint_for, django_capture_on_commit_callbacks
):
    from customers.services import customer_merge

    endpoint_for(["customer.merged"])
    survivor, other = CustomerFactory(), CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        merge = customer_merge(survivor=survivor, other=other)
    run_webhook_rows()
    services.deliveries_send_due()
    [body] = receiver.bodies()
    assert body["type"] == "customer.merged"
    assert (body["data"]["id"], body["data"]["survivor"], body["data"]["merged"]) == (merge.pk, survivor.pk, other.pk)


def test_the_sender_runs_every_ten_seconds_from_beat():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="webhooks: send due deliveries")
    assert task.task == "webhooks.send_due_deliveries" and task.interval.every == 10 and task.enabled


def test_finished_deliveries_leave_the_log_after_30_days_and_waiting_ones_stay(settings):
    settings.WEBHOOKS_LOG_DAYS = 30
    endpoint = services.webhook_endpoint_create(url="https://hooks.example.com/a", events=["case.opened"])
    now = timezone.now()
    old = now - timedelta(days=31)
    rows = {
        "succeeded": ("succeeded", None, old),
        "gave_up": ("gave_up", None, old),
        "failed_test": ("failed", None, old),
        "waiting": ("failed", now, old),
        "recent": ("succeeded", None, now - timedelta(days=29)),
    }
    for event_id, (status, next_at, created) in rows.items():
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=event_id,
            event_type="case.opened",
            payload={},
            status=status,
            next_attempt_at=next_at,
            created_at=created,
        )
    assert services.deliveries_prune(now=now) == 3
    assert set(WebhookDelivery.objects.values_list("event_id", flat=True)) == {"waiting", "recent"}
