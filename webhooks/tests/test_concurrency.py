"""Two senders at once on PostgreSQL: each due delivery is taken by one of them (FOR UPDATE SKIP LOCKED)."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from webhooks import services
from webhooks.models import WebhookDelivery

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor == "sqlite", reason="row locks are exercised on PostgreSQL"),
]


def test_a_delivery_locked_by_one_sender_is_skipped_by_the_other_not_waited_for():
    endpoint = services.webhook_endpoint_create(url="https://hooks.example.com/in", events=["case.opened"])
    now = timezone.now()
    services.deliveries_fan_out_event(
        event_type="case.opened",
        event_id="msg_1",
        occurred_at=now,
        resources=lambda: [("a", {"id": 1}), ("b", {"id": 2})],
        now=now,
    )
    first, second = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id")
    locked = threading.Event()
    release = threading.Event()

    def hold_first():
        try:
            with transaction.atomic():
                WebhookDelivery.objects.select_for_update().get(pk=first.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_first)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        taken = services._claim_next(now)
    finally:
        release.set()
        holder.join(timeout=10)
    assert taken.pk == second.pk and taken.attempts == 1
    assert services._claim_next(now).pk == first.pk
    assert services._claim_next(now) is None
