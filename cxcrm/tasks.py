import logging

from celery import shared_task
from django.utils import timezone

from .models import Heartbeat

logger = logging.getLogger(__name__)


@shared_task(name="cxcrm.heartbeat", acks_late=True, ignore_result=True)
def heartbeat(name: str = "worker") -> None:
    """Record that the worker runs (and, when beat sent it, that beat runs too)."""
    row, created = Heartbeat.objects.get_or_create(name=name, defaults={"beat_at": timezone.now(), "count": 1})
    if not created:
        from django.db.models import F

        Heartbeat.objects.filter(pk=row.pk).update(beat_at=timezone.now(), count=F("count") + 1)
    logger.info("heartbeat %s", name)


@shared_task(name="cxcrm.run_outbox_message", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_outbox_message(message_id: int) -> bool:
    """Do one outbox row's work. Idempotent on the row: a row already done is not run again."""
    from .outbox import outbox_run

    return outbox_run(message_id=message_id)


@shared_task(name="cxcrm.dispatch_outbox", acks_late=True, ignore_result=True)
def dispatch_outbox(limit: int = 500) -> int:
    """Beat: hand to the broker the outbox rows never handed over or whose lease expired unfinished."""
    from .outbox import outbox_dispatch

    return outbox_dispatch(limit=limit)
