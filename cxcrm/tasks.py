import logging

from celery import shared_task
from django.utils import timezone

from .models import Heartbeat
from .outbox import outbox_dispatch, run_outbox_message  # noqa: F401 - the workers find the outbox's task here

logger = logging.getLogger(__name__)


@shared_task(name="cxcrm.heartbeat", acks_late=True, ignore_result=True)
def heartbeat(name: str = "worker") -> None:
    """Record that the worker runs (and, when beat sent it, that beat runs too)."""
    row, created = Heartbeat.objects.get_or_create(name=name, defaults={"beat_at": timezone.now(), "count": 1})
    if not created:
        from django.db.models import F

        Heartbeat.objects.filter(pk=row.pk).update(beat_at=timezone.now(), count=F("count") + 1)
    logger.info("heartbeat %s", name)


@shared_task(name="cxcrm.dispatch_outbox", acks_late=True, ignore_result=True)
def dispatch_outbox(limit: int = 500) -> int:
    """Beat: hand to the broker the outbox rows never handed over or whose lease expired unfinished."""
    return outbox_dispatch(limit=limit)
