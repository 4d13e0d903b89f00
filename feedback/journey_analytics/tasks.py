"""The beat task of the journey analytics (imported by FeedbackConfig.ready)."""

import logging

from celery import shared_task
from django.conf import settings

from .compute import journey_analytics_refresh_all, journey_analytics_since_days

logger = logging.getLogger(__name__)

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="feedback.refresh_journey_analytics", **TASK_OPTIONS)
def refresh_journey_analytics(days: int | None = None) -> int:
    """Every published map's journeys recomputed for the customers whose history changed since the start of
    the day `days` (JOURNEY_ANALYTICS_RECENT_DAYS, 1: yesterday) days ago; a map never computed or whose layout
    changed, whole. Idempotent: each map's customers' rows are replaced in one transaction. Returns journeys
    stored."""
    days = settings.JOURNEY_ANALYTICS_RECENT_DAYS if days is None else days
    summary = journey_analytics_refresh_all(since=journey_analytics_since_days(days))
    journeys = sum(counts["journeys"] for counts in summary.values())
    logger.info("journey analytics: %s maps, %s journeys stored", len(summary), journeys)
    return journeys
