"""Reading metrics: series by period and dimension, totals for tiles, breakdowns.

Single-dimension series of additive metrics are sums of the daily rollups;
with filters (persona and channel, say), or for medians and churn over periods
longer than a day, they are computed live from the source rows. Both paths give
the same counts (tested), and the API, the pages and the digest all read through
here, so they agree (the journeys provider sums the same daily rollups per touchpoint).
"""

from datetime import date, datetime, timedelta

from django.db.models import Case, DateField, F, Max, Sum, Value, When
from django.db.models.functions import Trunc

from journeys.models import JourneyMap

from ..journey_analytics.churn import churn_stage_series
from ..models import MetricRollup
from . import compute
from .definitions import JOURNEY_STAGE_METRICS, METRICS

ROUND = 2


def _rollup_counts(metric_name, *, start, end, granularity, dimension, periods=None) -> list[dict]:
    qs = MetricRollup.objects.filter(metric=metric_name, dimension=dimension, day__gte=start, day__lte=end)
    if periods:
        whens = [When(day__gte=first, day__lte=last, then=Value(first)) for first, last in periods]
        qs = qs.annotate(_period=Case(*whens, output_field=DateField())).filter(_period__isnull=False)
    elif granularity == "day":
        qs = qs.annotate(_period=F("day"))
    elif granularity:
        qs = qs.annotate(_period=Trunc("day", granularity, output_field=DateField()))
    group = (["_period"] if granularity or periods else []) + ["dimension_value"]
    sums = {name: Sum(name) for name in compute.COUNT_FIELDS}
    if granularity == "day":
        sums["median"] = Max("median")  # one row per group: the day's own median
    rows = []
    for counts in qs.values(*group).annotate(**sums).order_by(*group):
        # Counts are whole numbers (stored as floats beside the sums); sums stay floats.
        row = {
            name: (counts[name] or 0) if name == "value_sum" else int(counts[name] or 0)
            for name in compute.COUNT_FIELDS
        }
        if granularity == "day":
            row["median"] = counts["median"]
        row["period"] = counts["_period"] if periods else max(counts["_period"], start) if granularity else start
        row["dimension_value"] = counts["dimension_value"]
        rows.append(row)
    return rows


def uses_rollups(metric_name: str, *, granularity: str | None, filters: dict | None) -> bool:
    """Whether the daily rollups give the figure: one dimension, no filters, and a metric that sums over days
    (or daily periods, whose medians and churn are stored)."""
    metric = METRICS[metric_name]
    if filters:
        return False
    return metric.additive or granularity == "day"


def metric_counts(
    metric_name: str,
    *,
    start: date,
    end: date,
    granularity: str | None,
    dimension: str = "overall",
    filters: dict | None = None,
    source: str = "auto",
    as_of: datetime | None = None,
    periods: list[tuple[date, date]] | None = None,
) -> list[dict]:
    """Counts per (period, dimension value), `granularity` None for the whole range; `source` "auto",
    "rollups" or "live". `as_of` (aware datetime) reads live counts as of that moment (compute.aggregate);
    the rollups are as of their own `computed_at` and ignore it. `periods`: explicit disjoint (first, last)
    days instead (each as a whole range, so a non-additive metric is computed live), read in one query."""
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    if dimension == "stage" and metric_name in JOURNEY_STAGE_METRICS:
        # By the furthest stage reached on the `journey` filter's map (journey analytics), always live.
        journey_map = JourneyMap.objects.get(pk=filters.pop("journey"))
        return churn_stage_series(journey_map, start=start, end=end, granularity=granularity, filters=filters)
    if periods:
        start, end, granularity = min(p[0] for p in periods), max(p[1] for p in periods), None
    live = source == "live" or (
        source == "auto" and not uses_rollups(metric_name, granularity=granularity, filters=filters)
    )
    if live:
        return compute.aggregate(
            metric_name,
            start=start,
            end=end,
            granularity=granularity,
            dimension=dimension,
            filters=filters,
            as_of=as_of,
            periods=periods,
        )
    return _rollup_counts(
        metric_name, start=start, end=end, granularity=granularity, dimension=dimension, periods=periods
    )


def _round(value):
    return round(value, ROUND) if isinstance(value, float) else value


def to_row(metric_name: str, counts: dict | None, *, period_start: date, dimension: str, dimension_value) -> dict:
    metric = METRICS[metric_name]
    derived = metric.counts_to_row(counts or dict.fromkeys(compute.COUNT_FIELDS, 0))
    return {
        "period_start": period_start,
        "dimension": dimension,
        "dimension_value": None if dimension == "overall" else dimension_value,
        **{key: _round(value) for key, value in derived.items()},
    }


def metric_series(
    metric_name: str,
    *,
    granularity: str,
    start: date,
    end: date,
    dimension: str = "overall",
    filters: dict | None = None,
    source: str = "auto",
    as_of: datetime | None = None,
) -> list[dict]:
    """The rows the API returns: one per period (every period for `overall`, empty ones with
    n = 0 and value None) or per (period, dimension value) that has data."""
    counts = metric_counts(
        metric_name,
        start=start,
        end=end,
        granularity=granularity,
        dimension=dimension,
        filters=filters,
        source=source,
        as_of=as_of,
    )
    if dimension == "overall":
        by_period = {row["period"]: row for row in counts}
        return [
            to_row(metric_name, by_period.get(first), period_start=first, dimension=dimension, dimension_value=None)
            for first, _last in compute.periods_in(start, end, granularity)
        ]
    counts.sort(key=lambda row: (row["period"], row["dimension_value"]))
    return [
        to_row(
            metric_name, row, period_start=row["period"], dimension=dimension, dimension_value=row["dimension_value"]
        )
        for row in counts
    ]


def metric_series_with_totals(
    metric_name: str,
    *,
    granularity: str,
    start: date,
    end: date,
    filters: dict | None = None,
    as_of: datetime | None = None,
) -> tuple[list[dict], list[dict]]:
    """What a page with a trend and a tile reads: metric_series' overall rows, and metric_totals' rows for
    [start, end] and the range of the same length before it. Churn read live takes one query for both (its
    periods may overlap); other metrics a series query and a totals query."""
    ranges = [(start, end), previous_range(start, end)]
    present = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    live = not uses_rollups(metric_name, granularity=granularity, filters=present)
    if METRICS[metric_name].source == "churn" and live:
        periods = compute.periods_in(start, end, granularity)
        rows = compute.churn_counts(periods=[*ranges, *periods], filters=present, as_of=as_of)
        by_index = {row["period_index"]: row for row in rows}

        def row_of(index, first):
            counts = by_index.get(index)
            return to_row(metric_name, counts, period_start=first, dimension="overall", dimension_value=None)

        totals = [row_of(i, first) for i, (first, _last) in enumerate(ranges)]
        return [row_of(len(ranges) + i, first) for i, (first, _last) in enumerate(periods)], totals
    series = metric_series(metric_name, granularity=granularity, start=start, end=end, filters=filters, as_of=as_of)
    return series, metric_totals(metric_name, ranges=ranges, filters=filters, as_of=as_of)


def metric_total(
    metric_name: str,
    *,
    start: date,
    end: date,
    filters: dict | None = None,
    source: str = "auto",
    as_of: datetime | None = None,
) -> dict:
    """The figure over the whole range (a tile)."""
    counts = metric_counts(
        metric_name, start=start, end=end, granularity=None, filters=filters, source=source, as_of=as_of
    )
    return to_row(
        metric_name, counts[0] if counts else None, period_start=start, dimension="overall", dimension_value=None
    )


def metric_totals(
    metric_name: str,
    *,
    ranges: list[tuple[date, date]],
    filters: dict | None = None,
    source: str = "auto",
    as_of: datetime | None = None,
) -> list[dict]:
    """The figure over each of several disjoint ranges (a tile's range and the one before it), read in one
    query (two for churn): rows as `metric_total`'s, in the order of `ranges`. `as_of`: as metric_counts'."""
    counts = metric_counts(
        metric_name,
        start=None,
        end=None,
        granularity=None,
        filters=filters,
        source=source,
        as_of=as_of,
        periods=ranges,
    )
    by_start = {row["period"]: row for row in counts}
    return [
        to_row(metric_name, by_start.get(first), period_start=first, dimension="overall", dimension_value=None)
        for first, _last in ranges
    ]


def metric_breakdown(
    metric_name: str,
    *,
    start: date,
    end: date,
    dimension: str,
    filters: dict | None = None,
    source: str = "auto",
    as_of: datetime | None = None,
):
    """One row per dimension value over the whole range, largest sample first."""
    counts = metric_counts(
        metric_name,
        start=start,
        end=end,
        granularity=None,
        dimension=dimension,
        filters=filters,
        source=source,
        as_of=as_of,
    )
    rows = [
        to_row(metric_name, row, period_start=start, dimension=dimension, dimension_value=row["dimension_value"])
        for row in counts
    ]
    rows.sort(key=lambda row: (-row["n"], row["dimension_value"] or ""))
    return rows


def rollups_computed_at(metric_names, *, start: date, end: date) -> datetime | None:
    """When the latest of the daily rollups of `metric_names` over [start, end] was computed (one query); None
    when there are none. The figures read from rollups are as of this moment: the beat recomputes the recent
    days and those whose rows changed every few minutes (`metric_rollups_recompute` on demand); the days it left
    had no change since they were computed, and the days before the settle windows are settled
    (`Metric.settle_days`)."""
    return MetricRollup.objects.filter(metric__in=list(metric_names), day__gte=start, day__lte=end).aggregate(
        latest=Max("computed_at")
    )["latest"]


def rollups_as_of(*, start: date, end: date) -> dict[str, datetime]:
    """{metric: when its latest daily rollup over [start, end] was computed}, two queries at most. A metric
    without a rollup in the range (nothing to count when last computed) gets the range's latest run, or else the
    latest `computed_at` of any rollup; with no rollup at all, metrics are left out (never computed).

    The moment a figure read from the rollups is as of: its drill-down lists the rows as of then
    (`compute.drill_queryset(as_of=)`), which are exactly the rows it counted."""
    latest = dict(
        MetricRollup.objects.filter(day__gte=start, day__lte=end)
        .values_list("metric")
        .annotate(latest=Max("computed_at"))
        .order_by()
    )
    missing = [name for name in METRICS if name not in latest]
    if missing:
        last_run = max(latest.values(), default=None)
        if last_run is None:
            last_run = MetricRollup.objects.aggregate(latest=Max("computed_at"))["latest"]
        if last_run is not None:
            latest.update(dict.fromkeys(missing, last_run))
    return latest


def previous_range(start: date, end: date) -> tuple[date, date]:
    """The range of the same length just before [start, end]."""
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)
