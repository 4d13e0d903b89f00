"""Beat tasks of the metrics: recent rollups, the weekly digest (imported by FeedbackConfig.ready)."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from customers.models import MergeRecord

from .digest import metrics_digest_send
from .rollup import merge_backfill_start, metric_rollups_backfill, metric_rollups_recent

logger = logging.getLogger(__name__)

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="feedback.rollup_recent_metrics", **TASK_OPTIONS)
def rollup_recent_metrics(days: int | None = None) -> int:
    """Today, yesterday and the days whose source rows changed since the last successful run (see
    feedback/metrics/changes.py). Idempotent: the days' rollups are replaced in one transaction, and the
    watermark moves only after they are stored, so a failed or killed run is redone by the next one."""
    summary = metric_rollups_recent(recent_days=days or settings.METRICS_ROLLUP_RECENT_DAYS)
    total = sum(summary.values())
    logger.info("metric rollups: %s rows over %s metrics", total, len(summary))
    return total


@shared_task(name="feedback.rollup_metrics_after_merge", **TASK_OPTIONS)
def rollup_metrics_after_merge(merge_id: int) -> int:
    """A merge or its undo moved history: recompute every metric from the first day it touched to today.
    Idempotent: each chunk of days is replaced in one transaction."""
    merge = MergeRecord.objects.select_related("merged").filter(pk=merge_id).first()
    if merge is None:  # its customers were deleted since: nothing left to refresh
        return 0
    start = merge_backfill_start(merge)
    stored = metric_rollups_backfill(start=start, end=timezone.localdate())
    total = sum(stored.values())
    logger.info("merge %s: metric rollups since %s recomputed, %s rows", merge_id, start, total)
    return total


@shared_task(name="feedback.send_metrics_digest", **TASK_OPTIONS)
def send_metrics_digest() -> int:
    """Once per week: MetricDigest.week_start is unique."""
    return metrics_digest_send()
