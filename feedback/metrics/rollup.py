"""Storing the daily rollups: compute every metric per day and dimension, and replace
a range of days in one transaction, so re-running is idempotent."""

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from customers.models import Case, Interaction, LifecycleChange

from ..models import MetricRollup, MetricRollupWatermark
from . import changes, compute
from .definitions import METRICS

logger = logging.getLogger(__name__)


def _rows_for(
    metric_name: str, start: date, end: date, computed_at: datetime, days: list[date] | None = None
) -> list[MetricRollup]:
    """The rows of [start, end], or of just `days` (each a period of its own, read in one query a dimension)."""
    metric = METRICS[metric_name]
    periods = [(day, day) for day in days] if days else None
    rows = []
    for dimension in metric.dimensions:
        for counts in compute.aggregate(
            metric_name,
            start=start,
            end=end,
            granularity="day",
            dimension=dimension,
            as_of=computed_at,
            periods=periods,
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


def metric_rollups_recompute_days(*, days: dict[str, Iterable[date]]) -> dict[str, int]:
    """Recompute the daily rows of each metric of `days` ({metric: days}) on just those days, as of one moment
    like metric_rollups_recompute: everything computed first, then each metric's rows of those days deleted
    and the new ones inserted, all in one transaction. A metric with no day is left alone.
    Returns {metric: rows stored}. Raises ValueError for an unknown metric."""
    wanted = {name: sorted(set(metric_days)) for name, metric_days in days.items() if metric_days}
    unknown = [name for name in wanted if name not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s): {', '.join(unknown)}")
    computed_at = timezone.now()
    computed: dict[str, list[MetricRollup]] = {}
    for name, metric_days in wanted.items():
        computed[name] = _rows_for(name, metric_days[0], metric_days[-1], computed_at, days=metric_days)
    with transaction.atomic():
        for name, metric_days in wanted.items():
            MetricRollup.objects.filter(metric=name, day__in=metric_days).delete()
        MetricRollup.objects.bulk_create([row for rows in computed.values() for row in rows], batch_size=500)
    summary = {name: len(rows) for name, rows in computed.items()}
    logger.info(
        "metric rollups of %s metric-days: %s rows",
        sum(len(metric_days) for metric_days in wanted.values()),
        sum(summary.values()),
    )
    return summary


def rollup_days_due(*, recent_days: int, today: date) -> dict[str, set[date]]:
    """{metric: the days the beat recomputes now} (see feedback/metrics/changes.py): today and yesterday, every
    day since the watermark's, and the earlier days of the metric's settle window (at least `recent_days`)
    whose source rows changed since the watermark less WATERMARK_MARGIN; the whole windows when there is no
    watermark (the first run) or history was rewritten since."""
    windows = {name: today - timedelta(days=max(recent_days, metric.settle_days)) for name, metric in METRICS.items()}
    watermark = MetricRollupWatermark.objects.filter(pk=WATERMARK_PK).first()
    since = None
    if watermark is not None and watermark.run_started_at is not None:
        since = watermark.run_started_at - changes.WATERMARK_MARGIN
    if since is None or (watermark.rewritten_at is not None and watermark.rewritten_at >= since):
        return {name: changes.days_between(low, today) for name, low in windows.items()}
    changed = changes.rollup_days_changed(since=since, windows=windows, today=today)
    recent = changes.days_between(min(timezone.localdate(since), today - timedelta(days=1)), today)
    return {name: changed[name] | {day for day in recent if day >= low} for name, low in windows.items()}


def metric_rollups_recent(*, recent_days: int, today: date | None = None) -> dict[str, int]:
    """The beat's work: each metric on the days due (`rollup_days_due`), then the watermark moved to this run's
    start. Only a run that stored its rows moves it (never backwards, should two runs overlap): after a failure
    the next run looks for changes since the last good run's start, so nothing is lost. Returns {metric: rows}."""
    started = timezone.now()
    days = rollup_days_due(recent_days=recent_days, today=today or timezone.localdate(started))
    summary = metric_rollups_recompute_days(days=days)
    watermark_advance(started)
    return summary


# --------------------------------------------------------------------------- the watermark

WATERMARK_PK = 1


def watermark_advance(started: datetime) -> None:
    """Record a successful run that started at `started` (the watermark only moves forward)."""
    _, created = MetricRollupWatermark.objects.get_or_create(pk=WATERMARK_PK, defaults={"run_started_at": started})
    if not created:
        MetricRollupWatermark.objects.filter(pk=WATERMARK_PK).filter(
            Q(run_started_at__isnull=True) | Q(run_started_at__lt=started)
        ).update(run_started_at=started, updated_at=timezone.now())


def metric_rollups_history_rewritten(*, at: datetime | None = None) -> None:
    """History changed in a way no source row's time shows (an edit or a deletion in the admin, a customer's new
    persona): the next beat run recomputes every metric's whole settle window. Call it in the transaction of
    the change."""
    at = at or timezone.now()
    _, created = MetricRollupWatermark.objects.get_or_create(pk=WATERMARK_PK, defaults={"rewritten_at": at})
    if not created:
        MetricRollupWatermark.objects.filter(pk=WATERMARK_PK).update(rewritten_at=at, updated_at=timezone.now())
