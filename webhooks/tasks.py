"""Celery tasks of webhooks: the beat task that sends due deliveries."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="webhooks.send_due_deliveries", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_due_deliveries(limit: int | None = None) -> dict:
    """Beat (every 10 s): send a batch of due deliveries. Each is taken under a lease, so concurrent or
    redelivered runs never send one twice at once, and a killed worker's delivery is tried again."""
    return services.deliveries_send_due(limit=limit)


@shared_task(name="webhooks.prune_deliveries", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def prune_deliveries() -> int:
    """Beat (daily): delete finished deliveries older than WEBHOOKS_LOG_DAYS from the log."""
    return services.deliveries_prune()
