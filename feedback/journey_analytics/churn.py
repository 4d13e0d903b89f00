"""Churn by stage: the churn rate (docs/metrics.md: customers active at a period's start who entered churned
during it ÷ customers active at its start) of the customers who have been on a journey map, broken down by the
furthest stage they had reached on it (over their journeys started before the period's end)."""

from datetime import date

from django.db.models import Count, OuterRef, Q, Subquery

from journeys.models import JourneyMap

from ..metrics.compute import SOURCES, local_bounds, periods_in
from .models import CustomerJourney


def _furthest_stage(journey_map: JourneyMap, high, filters: dict):
    journeys = CustomerJourney.objects.filter(customer=OuterRef("pk"), journey_map=journey_map, started_at__lt=high)
    if filters.get("channel"):
        journeys = journeys.filter(entry_channel=filters["channel"])
    return Subquery(journeys.order_by("-furthest_index").values("furthest_stage_id")[:1])


def churn_stage_counts(journey_map: JourneyMap, *, start: date, end: date, filters: dict | None = None) -> dict:
    """{stage id: {"n", "numerator" (churned), "denominator" (active at start)}} for one period [start, end]
    (inclusive days); customers without a journey on the map before the period's end are left out. One query."""
    filters = dict(filters or {})
    low, high = local_bounds(start, end)
    churn_filters = {"persona": filters["persona"]} if filters.get("persona") else None
    customers = SOURCES["churn"].period_queryset(low, high, filters=churn_filters)
    rows = (
        customers.annotate(_stage=_furthest_stage(journey_map, high, filters))
        .filter(_stage__isnull=False)
        .values("_stage")
        .annotate(n=Count("pk"), numerator=Count("pk", filter=Q(churned=True)))
        .order_by()
    )
    return {r["_stage"]: {"n": r["n"], "numerator": r["numerator"], "denominator": r["n"]} for r in rows}


def _rate(churned: int, active: int) -> float | None:
    return round(100.0 * churned / active, 1) if active else None


def churn_by_stage(journey_map: JourneyMap, *, start: date, end: date, filters: dict | None = None) -> list[dict]:
    """One row per stage of the map, in order: {"stage_id", "label", "active_at_start", "churned", "value"
    (churn rate %, None without customers)}. Two queries."""
    counts = churn_stage_counts(journey_map, start=start, end=end, filters=filters)
    rows = []
    for stage_id, name in journey_map.stages.order_by("position", "id").values_list("pk", "name"):
        c = counts.get(stage_id, {"n": 0, "numerator": 0})
        rows.append(
            {
                "stage_id": stage_id,
                "label": name,
                "active_at_start": c["n"],
                "churned": c["numerator"],
                "value": _rate(c["numerator"], c["n"]),
            }
        )
    return rows


def churn_stage_series(
    journey_map: JourneyMap, *, start: date, end: date, granularity: str | None, filters: dict | None = None
) -> list[dict]:
    """Counts per (period, stage name) as `feedback.metrics.compute.aggregate` returns them (`period`,
    `dimension_value`, the count fields), for `/api/metrics/?metric=churn_rate&dimension=stage&journey=<id>`:
    each period's base is who was active at its start."""
    names = dict(journey_map.stages.values_list("pk", "name"))
    rows = []
    for first, last in periods_in(start, end, granularity):
        for stage_id, counts in churn_stage_counts(journey_map, start=first, end=last, filters=filters).items():
            rows.append(
                {
                    "period": first,
                    "dimension_value": names.get(stage_id, ""),
                    "n": counts["n"],
                    "numerator": counts["numerator"],
                    "denominator": counts["denominator"],
                    "value_sum": 0,
                    "top_box": 0,
                    "middle": 0,
                    "bottom_box": 0,
                }
            )
    return rows
