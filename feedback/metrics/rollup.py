"""Storing the daily rollups: compute every metric per day and dimension, and replace
a range of days in one transaction, so re-running is idempotent."""

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from customers.models import Case, Interaction, LifecycleChange

from ..models import MetricRollup
from . import compute
from .definitions import METRICS

logger = logging.getLogger(__name__)


def _rows_for(metric_name: str, start: date, end: date, computed_at: datetime) -> list[MetricRollup]:
    metric = METRICS[metric_name]
    rows = []
    for dimension in metric.dimensions:
        for counts in compute.aggregate(
            metric_name, start=start, end=end, granularity="day", dimension=dimension, as_of=computed_at
        ):
            rows.append(
                MetricRollup(
                    metric=metric_name,
                    day=counts["period"],
                    dimension=dimension,
                    dimension_value=counts["dimension_value"][:160],
                    median=counts.get("median"),
                    computed_at=computed_at,
                    **{name: counts[name] for name in compute.COUNT_FIELDS},
                )
            )
    return rows


def metric_rollups_recompute(
    *,
    start: date,
    end: date,
    metrics: Iterable[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Recompute the daily rows of `metrics` (default all) for the inclusive days [start, end].

    Everything is computed first, then the range's old rows are deleted and the new
    ones inserted in one transaction: readers see the old or the new figures, never a
    mix, and a re-run leaves the same rows. Every row is computed as of the moment the run starts, stored as
    its `computed_at` (rows recorded later wait for the next run), so the drill-down as of `computed_at` lists
    exactly the rows counted. Returns {metric: rows stored}.
    Raises ValueError if start is after end or a metric is unknown.
    """
    if start > end:
        raise ValueError("start is after end")
    names = list(metrics or METRICS)
    unknown = [name for name in names if name not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s): {', '.join(unknown)}")
    computed_at = timezone.now()
    computed: dict[str, list[MetricRollup]] = {}
    for name in names:
        computed[name] = _rows_for(name, start, end, computed_at)
        if progress:
            progress(name)
    with transaction.atomic():
        MetricRollup.objects.filter(metric__in=names, day__gte=start, day__lte=end).delete()
        for rows in computed.values():
            MetricRollup.objects.bulk_create(rows, batch_size=500)
    summary = {name: len(rows) for name, rows in computed.items()}
    logger.info("metric rollups %s..%s: %s rows", start, end, sum(summary.values()))
    return summary


def metric_rollups_backfill(
    *,
    start: date,
    end: date,
    metrics: Iterable[str] | None = None,
    chunk_days: int = 31,
    progress: Callable[[int, int, date], None] | None = None,
) -> dict[str, int]:
    """Recompute [start, end] in chunks of `chunk_days`, each replaced in its own transaction (so a long
    backfill holds no long lock). `progress(chunks done, chunks, last day done)`. Returns {metric: rows}."""
    chunks, cursor = [], start
    while cursor <= end:
        last = min(cursor + timedelta(days=chunk_days - 1), end)
        chunks.append((cursor, last))
        cursor = last + timedelta(days=1)
    stored: dict[str, int] = {}
    for index, (first, last) in enumerate(chunks, 1):
        for name, rows in metric_rollups_recompute(start=first, end=last, metrics=metrics).items():
            stored[name] = stored.get(name, 0) + rows
        if progress:
            progress(index, len(chunks), last)
    return stored


def merge_backfill_start(merge) -> date:
    """The first day whose rollups a merge (or its undo) can change: the earliest of the folded customer's
    creation and first contact and of the rows that moved (interactions, lifecycle changes, cases), which
    count by persona, in churn and as unique customers."""
    moved = merge.moved or {}
    moments = [merge.merged.created_at, merge.merged.first_contact_at]
    for model, field_name, key in (
        (Interaction, "occurred_at", "interactions"),
        (LifecycleChange, "changed_at", "lifecycle_changes"),
        (Case, "opened_at", "cases"),
    ):
        ids = moved.get(key) or []
        for i in range(0, len(ids), 500):  # a long history moves thousands of rows: bounded IN lists
            moments.append(model.objects.filter(pk__in=ids[i : i + 500]).aggregate(m=Min(field_name))["m"])
    return timezone.localdate(min(moment for moment in moments if moment is not None))


def metric_rollups_recent(*, recent_days: int, today: date | None = None) -> dict[str, int]:
    """The beat's work: each metric over its settle window (at least `recent_days`) up to today.

    Metrics are grouped by window so each group is one replace.
    """
    today = today or timezone.localdate()
    by_window: dict[int, list[str]] = {}
    for name, metric in METRICS.items():
        by_window.setdefault(max(recent_days, metric.settle_days), []).append(name)
    summary: dict[str, int] = {}
    for days, names in sorted(by_window.items()):
        summary.update(metric_rollups_recompute(start=today - timedelta(days=days), end=today, metrics=names))
    return summary
