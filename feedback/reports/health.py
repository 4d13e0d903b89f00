"""Health by persona, lifecycle stage and journey: the customer health score over time, from its history of
changes (HealthScoreChange: a row each time a score moves), and the customers behind each figure.

A customer's score at a period's end is the last change at or before that end (the period's last day ends at
midnight in the organisation's time zone); a customer without one is not counted. Per period and dimension
value: the average score, the customers counted (n) and those below the attention threshold
(HealthSettings.attention_below). docs/metrics.md ("Health by persona, stage and journey") gives the formula.

- persona and lifecycle stage are the customer's now (a customer is in one group for the whole range);
- journey: the customers who had an interaction on one of the map's touchpoints during the period (a customer
  may be in several maps, or in none).

Queries: two for `overall`, persona and stage whatever the number of periods (the scores at the range's start,
then the changes of each period summed as moves: sum of scores, customers scored, customers below), one for
journey (the period's members, each with its score at the period's end).
"""

from collections import defaultdict
from datetime import date, datetime

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Interaction
from journeys.models import Touchpoint

from ..metrics.compute import local_bounds, periods_in
from ..models import HealthScoreChange, HealthSettings

HEALTH_DIMENSIONS = {
    "overall": _("Overall"),
    "persona": _("Persona"),
    "lifecycle_stage": _("Lifecycle stage"),
    "journey": _("Journey map"),
}
# The customer's column each static dimension groups by ("" for overall).
_CUSTOMER_COLUMNS = {"overall": None, "persona": "persona_id", "lifecycle_stage": "lifecycle_stage"}


def _key(value) -> str:
    return "" if value is None else str(value)


def score_at(end: datetime) -> Subquery:
    """A customer's (OuterRef("pk")) health score at the instant `end`: its last change before it, or None."""
    return Subquery(
        HealthScoreChange.objects.filter(customer=OuterRef("pk"), changed_at__lt=end)
        .order_by("-changed_at", "-id")
        .values("score")[:1]
    )


def _periods_sql(periods: list[tuple[datetime, datetime]]) -> tuple[str, list]:
    """A `periods (idx, starts_at, ends_at)` common table of the period instants, and its parameters."""
    adapt = connection.ops.adapt_datetimefield_value
    rows = ", ".join(["(%s, %s, %s)"] * len(periods))
    params = []
    for index, (low, high) in enumerate(periods):
        params += [index, adapt(low), adapt(high)]
    return f"periods (idx, starts_at, ends_at) AS (VALUES {rows})", params


def _listed(alias: str) -> str:
    return f"{alias}.merged_into_id IS NULL AND NOT {alias}.erased"


def _static_series(dimension: str, instants: list[tuple[datetime, datetime]], below: int) -> list[dict]:
    """{idx, value: key, n, total, below} per period and dimension value, for a dimension fixed per customer."""
    column = _CUSTOMER_COLUMNS[dimension]
    scored = Customer.objects.listed().annotate(start_score=score_at(instants[0][0])).filter(start_score__isnull=False)
    aggregates = {
        "n": Count("pk"),
        "total": Sum("start_score"),
        "below": Count("pk", filter=Q(start_score__lt=below)),
    }
    if column:
        base = [(_key(r[column]), r) for r in scored.order_by().values(column).annotate(**aggregates)]
    else:
        base = [("", scored.aggregate(**aggregates))]
    state: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for key, row in base:
        if row["n"]:
            state[key] = [row["n"], row["total"] or 0, row["below"]]

    changes, customer = HealthScoreChange._meta.db_table, Customer._meta.db_table
    dim_sql = f"c.{connection.ops.quote_name(column)}" if column else "''"
    ctes, params = _periods_sql(instants)
    sql = f"""
        WITH {ctes}
        SELECT p.idx, {dim_sql},
            SUM(CASE WHEN h.from_score IS NULL THEN 1 ELSE 0 END),
            SUM(h.score - COALESCE(h.from_score, 0)),
            SUM(CASE WHEN h.score < %s THEN 1 ELSE 0 END) - SUM(CASE WHEN h.from_score < %s THEN 1 ELSE 0 END)
        FROM {changes} h
        JOIN periods p ON h.changed_at >= p.starts_at AND h.changed_at < p.ends_at
        JOIN {customer} c ON c.id = h.customer_id
        WHERE {_listed("c")}
        GROUP BY p.idx{f", {dim_sql}" if column else ""}
    """
    moves: dict[int, list] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, below, below])
        for index, value, added, moved, fell in cursor.fetchall():
            moves[index].append((_key(value) if column else "", int(added), int(moved), int(fell)))
    rows = []
    for index in range(len(instants)):
        for key, added, moved, fell in moves[index]:
            counts = state[key]
            counts[0] += added
            counts[1] += moved
            counts[2] += fell
        rows += [
            {"idx": index, "value": key, "n": n, "total": total, "below": fell}
            for key, (n, total, fell) in state.items()
            if n
        ]
    return rows


def _journey_series(instants: list[tuple[datetime, datetime]], below: int) -> list[dict]:
    """{idx, value: journey map id, n, total, below} per period and journey map."""
    changes, customer = HealthScoreChange._meta.db_table, Customer._meta.db_table
    interaction, touchpoint = Interaction._meta.db_table, Touchpoint._meta.db_table
    ctes, params = _periods_sql(instants)
    sql = f"""
        WITH {ctes},
        members AS (
            SELECT DISTINCT p.idx, p.ends_at, t.journey_map_id, i.customer_id
            FROM {interaction} i
            JOIN {touchpoint} t ON t.id = i.touchpoint_id
            JOIN periods p ON i.occurred_at >= p.starts_at AND i.occurred_at < p.ends_at
            JOIN {customer} c ON c.id = i.customer_id
            WHERE {_listed("c")} AND i.occurred_at >= %s AND i.occurred_at < %s
        ),
        scored AS (
            SELECT m.idx, m.journey_map_id,
                (SELECT h.score FROM {changes} h WHERE h.customer_id = m.customer_id AND h.changed_at < m.ends_at
                 ORDER BY h.changed_at DESC, h.id DESC LIMIT 1) AS score
            FROM members m
        )
        SELECT idx, journey_map_id, COUNT(score), SUM(score), SUM(CASE WHEN score < %s THEN 1 ELSE 0 END)
        FROM scored WHERE score IS NOT NULL
        GROUP BY idx, journey_map_id
    """
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, adapt(instants[0][0]), adapt(instants[-1][1]), below])
        return [
            {"idx": index, "value": _key(value), "n": int(n), "total": int(total or 0), "below": int(fell or 0)}
            for index, value, n, total, fell in cursor.fetchall()
        ]


def health_series(*, start: date, end: date, granularity: str, dimension: str = "overall") -> list[dict]:
    """The health figures of each period of [start, end] (inclusive days, `granularity` periods) by `dimension`
    (HEALTH_DIMENSIONS): [{"period_start": date, "period_end": date, "dimension", "dimension_value": str ("" for
    overall or none), "value": average score 0–100 (1 decimal), "n": customers scored, "below": customers under
    the attention threshold, "below_share": their % of n (1 decimal)}], by period then dimension value. Overall:
    a row per period, one without a scored customer with n 0 and value and below_share None; by a dimension, a
    value without a scored customer in a period has no row for it. Raises KeyError for an unknown dimension.
    """
    if dimension not in HEALTH_DIMENSIONS:
        raise KeyError(dimension)
    periods = periods_in(start, end, granularity)
    instants = [local_bounds(first, last) for first, last in periods]
    threshold = HealthSettings.load().attention_below
    if dimension == "journey":
        raw = _journey_series(instants, threshold)
    else:
        raw = _static_series(dimension, instants, threshold)
    if dimension == "overall":
        # One row per period, empty periods included (n 0, no value), as the metrics' overall series.
        found = {r["idx"] for r in raw}
        raw += [{"idx": i, "value": "", "n": 0, "total": 0, "below": 0} for i in range(len(periods)) if i not in found]
    raw.sort(key=lambda r: (r["idx"], r["value"]))
    return [
        {
            "period_start": periods[r["idx"]][0],
            "period_end": periods[r["idx"]][1],
            "dimension": dimension,
            "dimension_value": r["value"],
            "value": round(r["total"] / r["n"], 1) if r["n"] else None,
            "n": r["n"],
            "below": r["below"],
            "below_share": round(100.0 * r["below"] / r["n"], 1) if r["n"] else None,
        }
        for r in raw
    ]


def health_customers_at(*, start: date, end: date, dimension: str = "overall", value: str = "", below: bool = False):
    """The customers behind a health figure: the listed customers scored at the end of [start, end] (in the
    dimension value: persona id, stage, or journey map id, whose touchpoints they met in the period), annotated
    `health_at` (their score then), lowest first; `below`: only those under the attention threshold."""
    low, high = local_bounds(start, end)
    customers = Customer.objects.listed().annotate(health_at=score_at(high)).filter(health_at__isnull=False)
    if dimension == "persona":
        customers = customers.filter(persona_id=int(value)) if value else customers.filter(persona__isnull=True)
    elif dimension == "lifecycle_stage":
        customers = customers.filter(lifecycle_stage=value)
    elif dimension == "journey":
        met = Interaction.objects.filter(
            customer=OuterRef("pk"), touchpoint__journey_map_id=int(value), occurred_at__gte=low, occurred_at__lt=high
        )
        customers = customers.filter(Exists(met))
    if below:
        customers = customers.filter(health_at__lt=HealthSettings.load().attention_below)
    return customers.select_related("persona").order_by("health_at", "pk")


def health_labels(dimension: str, values) -> dict[str, str]:
    """Readable names of dimension values: persona and journey map names, stage labels; "" is "(none)" (or
    "All customers" overall). One query at most."""
    from customers.choices import LifecycleStage

    from .figures import dimension_labels

    if dimension == "overall":
        return {"": str(_("All customers"))}
    if dimension == "lifecycle_stage":
        labels = {value: str(label) for value, label in LifecycleStage.choices}
        return {"": str(_("(none)")), **labels, **{v: v for v in values if v not in labels and v}}
    return dimension_labels(dimension, values)


def health_drill_url(*, start: date, end: date, dimension: str = "overall", value: str = "", below=False) -> str:
    """The link to the customers behind one health figure (HealthDrillView)."""
    from urllib.parse import urlencode

    from django.urls import reverse

    params = {"start": start.isoformat(), "end": end.isoformat(), "dimension": dimension, "value": value}
    if below:
        params["below"] = 1
    return f"{reverse('feedback:report_health_drill')}?{urlencode(params)}"
