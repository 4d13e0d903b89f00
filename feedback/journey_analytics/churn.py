"""Churn by stage: the churn rate (docs/metrics.md: customers active at a period's start who entered churned
during it ÷ customers active at its start) of the customers who have been on a journey map, broken down by the
furthest stage they had reached on it (over their journeys started before the period's end)."""

from datetime import date

from django.db.models import OuterRef, Subquery

from customers.models import Customer
from customers.selectors import lifecycle_churn_counts
from journeys.models import JourneyMap

from ..metrics.compute import local_bounds, periods_in
from .models import CustomerJourney


def churn_stage_counts(journey_map: JourneyMap, *, start: date, end: date, filters: dict | None = None) -> dict:
    """{stage id: {"n", "numerator" (churned), "denominator" (active at start)}} for one period [start, end]
    (inclusive days), from the lifecycle stage intervals (customers.selectors.lifecycle_churn_counts: the churn
    definition of docs/metrics.md) of the customers with a journey on the map started before the period's end
    (of that persona, and entered by that channel, when filtered), grouped by the furthest stage they had
    reached on it. Two queries."""
    filters = dict(filters or {})
    low, high = local_bounds(start, end)
    journeys = CustomerJourney.objects.filter(journey_map=journey_map, started_at__lt=high)
    if filters.get("channel"):
        journeys = journeys.filter(entry_channel=filters["channel"])
    customers = Customer.objects.filter(pk__in=journeys.values("customer_id"))
    if filters.get("persona"):
        customers = customers.filter(persona_id=filters["persona"])
    furthest = Subquery(
        journeys.filter(customer_id=OuterRef("customer_id")).order_by("-furthest_index").values("furthest_stage_id")[:1]
    )
    counts = lifecycle_churn_counts(periods=[(low, high)], customers=customers, group_by=furthest)
    return {
        stage_id: {"n": c.active_at_start, "numerator": c.churned, "denominator": c.active_at_start}
        for (_period, stage_id), c in counts.items()
        if stage_id is not None
    }


def _rate(churned: int, active: int) -> float | None:
    return round(100.0 * churned / active, 1) if active else None


def churn_by_stage(journey_map: JourneyMap, *, start: date, end: date, filters: dict | None = None) -> list[dict]:
    """One row per stage of the map, in order: {"stage_id", "label", "active_at_start", "churned", "value"
    (churn rate %, None without customers)}. Three queries."""
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
