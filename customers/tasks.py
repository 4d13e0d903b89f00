"""Celery tasks of customers: the beat task that finds SLA breaches."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="customers.detect_sla_breaches", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def detect_sla_breaches() -> int:
    """Beat (every minute): stamp the open cases newly breached and record CASE_BREACHED for each."""
    count = services.cases_breach_detect()
    if count:
        logger.info("SLA breaches: %s cases newly breached", count)
    return count
