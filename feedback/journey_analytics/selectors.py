"""Reading the journey analytics of a map: the stage funnel, the top paths, the stage flow and the customers
behind a funnel figure (docs/metrics.md, "Journey analytics"). Every figure is an SQL aggregation over the
materialised rows (`models`); percentiles use PERCENTILE_CONT on PostgreSQL and the same interpolation in
Python over the fetched durations on SQLite."""

from collections import Counter
from datetime import date, datetime, timedelta

from django.db.models import Aggregate, Count, F, FloatField, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journeys.models import JourneyMap

from ..metrics.compute import is_postgres, local_bounds
from .compute import PATH_SEPARATOR, map_layout
from .models import CustomerJourney, JourneyAnalyticsState, JourneyStageVisit

BREAKDOWNS = ("persona", "channel", "cohort")
# The touchpoint flow chart draws a journey's first steps only (later ones stay in the transitions table).
FLOW_STEPS = 8
STATUSES = ("reached", "entered", "skipped", "converted", "in_progress", "dropped")
DEFAULT_PATHS = 10
MAX_PATHS = 100
DROPPED_NODE = _("Left the journey")  # a node's label: read in the reader's language


class Percentile(Aggregate):
    """PostgreSQL's continuous percentile of an expression (`fraction` 0..1)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """The continuous percentile PERCENTILE_CONT computes (linear interpolation between the closest ranks)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ratio(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600.0, 1)


def computed_at(journey_map: JourneyMap) -> datetime | None:
    """When the map's analytics were last refreshed (None: never, e.g. a draft)."""
    state = JourneyAnalyticsState.objects.filter(journey_map=journey_map).values_list("computed_at", flat=True)
    return state.first()


def _journey_filters(prefix: str, filters: dict) -> Q:
    q = Q()
    if filters.get("persona"):
        q &= Q(**{f"{prefix}persona_id": filters["persona"]})
    if filters.get("channel"):
        q &= Q(**{f"{prefix}entry_channel": filters["channel"]})
    return q


def _in_progress_since(journey_map: JourneyMap, now: datetime | None = None) -> datetime:
    """A journey whose last touchpoint interaction is after this instant may still go on."""
    return (now or timezone.now()) - timedelta(days=journey_map.journey_gap_days)


def _visit_status_q(status: str, in_progress_since: datetime) -> Q:
    ongoing = Q(left_at__isnull=True, journey__ended_at__gt=in_progress_since)
    return {
        "reached": Q(),
        "entered": Q(skipped=False),
        "skipped": Q(skipped=True),
        "converted": Q(left_at__isnull=False),
        "in_progress": ongoing,
        "dropped": Q(left_at__isnull=True) & ~ongoing,
    }[status]


def visits_in_period(journey_map: JourneyMap, *, start: date, end: date, filters: dict | None = None):
    """The stage visits of `journey_map` entered (or passed) in the inclusive days [start, end], filtered by
    the journey's persona and entry channel."""
    low, high = local_bounds(start, end)
    return JourneyStageVisit.objects.filter(
        _journey_filters("journey__", filters or {}), journey_map=journey_map, entered_at__gte=low, entered_at__lt=high
    )


def _group_expression(by: str | None):
    if by == "persona":
        return F("journey__persona_id")
    if by == "channel":
        return F("journey__entry_channel")
    if by == "cohort":
        return TruncMonth("journey__first_contact_at", tzinfo=timezone.get_default_timezone())
    return None


def journey_funnel(
    journey_map: JourneyMap, *, start: date, end: date, filters: dict | None = None, by: str | None = None
) -> dict:
    """The stage funnel of a map over the inclusive days [start, end].

    Returns {"stages": [row per stage, in map order], "groups": [{"value", "stages"}] (with `by`: persona id,
    entry channel code or cohort month "YYYY-MM")}. A row: stage_id, name, position, reached (journeys that
    entered or skipped the stage in the period), entered, skipped, converted (went on to a later stage, at any
    time since), in_progress (not yet gone on, last touchpoint within the map's gap of now), dropped (the rest),
    conversion_rate and drop_off_rate (% of reached; None when none reached), median_hours and p90_hours (time
    in stage of the entered visits that went on). Raises ValueError for an unknown `by`.
    """
    if by not in (None, *BREAKDOWNS):
        raise ValueError(f"unknown breakdown {by!r}")
    stages = list(journey_map.stages.order_by("position", "id").values_list("pk", "name"))
    ongoing_since = _in_progress_since(journey_map)
    visits = visits_in_period(journey_map, start=start, end=end, filters=filters)
    group = ["stage_id"]
    if by:
        visits = visits.annotate(_group=_group_expression(by))
        group.append("_group")
    timed = Q(skipped=False, seconds_in_stage__isnull=False)
    # Named apart from the fields (a `skipped` aggregate would shadow the `skipped` column in the filters).
    aggregates = {
        f"n_{status}": Count("pk", filter=_visit_status_q(status, ongoing_since))
        for status in ("reached", "entered", "skipped", "converted", "in_progress")
    }
    if is_postgres():
        aggregates["median"] = Percentile("seconds_in_stage", 0.5, filter=timed)
        aggregates["p90"] = Percentile("seconds_in_stage", 0.9, filter=timed)
    rows = {tuple(row[g] for g in group): row for row in visits.values(*group).annotate(**aggregates).order_by()}
    if not is_postgres():
        durations: dict[tuple, list[float]] = {}
        for *key, seconds in visits.filter(timed).values_list(*group, "seconds_in_stage"):
            durations.setdefault(tuple(key), []).append(seconds)
        for key, row in rows.items():
            row["median"] = percentile_cont(durations.get(key, []), 0.5)
            row["p90"] = percentile_cont(durations.get(key, []), 0.9)

    def stage_rows(group_value=None):
        result = []
        for position, (stage_id, name) in enumerate(stages):
            key = (stage_id, group_value) if by else (stage_id,)
            counts = rows.get(key) or {}
            reached = counts.get("n_reached", 0)
            converted, in_progress = counts.get("n_converted", 0), counts.get("n_in_progress", 0)
            dropped = reached - converted - in_progress
            result.append(
                {
                    "stage_id": stage_id,
                    "name": name,
                    "position": position,
                    "reached": reached,
                    "entered": counts.get("n_entered", 0),
                    "skipped": counts.get("n_skipped", 0),
                    "converted": converted,
                    "in_progress": in_progress,
                    "dropped": dropped,
                    "conversion_rate": _ratio(converted, reached),
                    "drop_off_rate": _ratio(dropped, reached),
                    "median_hours": _hours(counts.get("median")),
                    "p90_hours": _hours(counts.get("p90")),
                }
            )
        return result

    result = {"stages": stage_rows(), "groups": []}
    if by:
        # The overall rows without `by` are the sums over the groups (percentiles excepted: not summable).
        values = sorted({key[1] for key in rows}, key=lambda v: (v is None, str(v)))
        result["groups"] = [{"value": _group_label(by, value), "stages": stage_rows(value)} for value in values]
        result["stages"] = _summed(result["groups"], stages) if values else result["stages"]
        overall = journey_funnel(journey_map, start=start, end=end, filters=filters)
        for row, whole in zip(result["stages"], overall["stages"], strict=True):
            row["median_hours"], row["p90_hours"] = whole["median_hours"], whole["p90_hours"]
    return result


def _group_label(by: str, value):
    if value is None:
        return ""
    if by == "cohort":
        return f"{value:%Y-%m}"
    return value


def _summed(groups: list[dict], stages: list) -> list[dict]:
    summed = []
    for index, (stage_id, name) in enumerate(stages):
        row = {"stage_id": stage_id, "name": name, "position": index}
        for field in ("reached", "entered", "skipped", "converted", "in_progress", "dropped"):
            row[field] = sum(group["stages"][index][field] for group in groups)
        row["conversion_rate"] = _ratio(row["converted"], row["reached"])
        row["drop_off_rate"] = _ratio(row["dropped"], row["reached"])
        summed.append(row)
    return summed


def breakdown_group_q(by: str, value: str) -> Q:
    """The stage visits of one breakdown group of `journey_funnel` (`value` as its "groups" give it, as text:
    a persona id, an entry channel code, a cohort month "YYYY-MM"; "" the group without one). Raises ValueError
    for an unknown `by` or a value that group cannot take."""
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}")
    if by == "persona":
        if value == "":
            return Q(journey__persona_id__isnull=True)
        if not (value.isascii() and value.isdigit() and len(value) < 12):
            raise ValueError(f"not a persona id: {value!r}")
        return Q(journey__persona_id=int(value))
    if by == "channel":
        return Q(journey__entry_channel=value)
    if value == "":
        return Q(journey__first_contact_at__isnull=True)
    try:
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise ValueError(f"not a cohort month: {value!r}") from None
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    low, high = local_bounds(month, following - timedelta(days=1))
    return Q(journey__first_contact_at__gte=low, journey__first_contact_at__lt=high)


def funnel_customers(
    journey_map: JourneyMap,
    *,
    start: date,
    end: date,
    stage_id: int,
    status: str,
    filters: dict | None = None,
    group: tuple[str, str] | None = None,
):
    """The stage visits behind one funnel figure (`status` one of STATUSES), with their customer and journey,
    newest first; `group` (by, value) keeps one breakdown group's (see `breakdown_group_q`). Raises ValueError
    for an unknown status or group."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    group_q = breakdown_group_q(*group) if group else Q()
    return (
        visits_in_period(journey_map, start=start, end=end, filters=filters)
        .filter(group_q, _visit_status_q(status, _in_progress_since(journey_map)), stage_id=stage_id)
        .select_related("customer", "journey", "next_stage")
        .order_by("-entered_at", "-pk")
    )


# --------------------------------------------------------------------------- paths and flow


def journeys_in_period(journey_map: JourneyMap, *, start: date, end: date, filters: dict | None = None):
    """The journeys of `journey_map` that started in the inclusive days [start, end]."""
    low, high = local_bounds(start, end)
    return CustomerJourney.objects.filter(
        _journey_filters("", filters or {}), journey_map=journey_map, started_at__gte=low, started_at__lt=high
    )


def _nps(promoters: int, detractors: int, n: int) -> float | None:
    return round(100.0 * (promoters - detractors) / n, 1) if n else None


def journey_paths(
    journey_map: JourneyMap, *, start: date, end: date, filters: dict | None = None, limit: int = DEFAULT_PATHS
) -> dict:
    """The most common touchpoint paths of the journeys started in [start, end].

    Returns {"journeys": n, "paths": [{"path": [keys], "steps": [{"key", "on_map"}], "journeys", "share" (% of
    journeys), "follows_design", "deviations" (["skipped", "reversed", "off_map"]), "furthest_stage",
    "nps", "nps_answers", "csat", "csat_answers", "churned", "churn_rate"}], "transitions": [{"from", "to",
    "journeys"}] (touchpoint to touchpoint, every path's, most common first), "touchpoint_flow": the same
    transitions for a Sankey chart, see `_step_flow`}. Two queries."""
    journeys = journeys_in_period(journey_map, start=start, end=end, filters=filters)
    grouped = list(
        journeys.values("path")
        .annotate(
            count=Count("pk"),
            skipped_any=Count("pk", filter=Q(skipped=True)),
            reversed_any=Count("pk", filter=Q(reversed=True)),
            off_map_any=Count("pk", filter=Q(off_map=True)),
            furthest=Max("furthest_stage__name"),
            nps_n_sum=Sum("nps_n"),
            promoters=Sum("nps_promoters"),
            detractors=Sum("nps_detractors"),
            csat_n_sum=Sum("csat_n"),
            satisfied=Sum("csat_satisfied"),
            churned_count=Count("pk", filter=Q(churned=True)),
        )
        .order_by("-count", "path")
    )
    total = sum(row["count"] for row in grouped)
    keys = set(map_layout_keys(journey_map))
    paths = []
    for row in grouped[:limit]:
        steps = row["path"].split(PATH_SEPARATOR) if row["path"] else []
        deviations = [
            name
            for name, flag in (
                ("skipped", row["skipped_any"]),
                ("reversed", row["reversed_any"]),
                ("off_map", row["off_map_any"]),
            )
            if flag
        ]
        paths.append(
            {
                "path": steps,
                "steps": [{"key": key, "on_map": key in keys} for key in steps],
                "journeys": row["count"],
                "share": _ratio(row["count"], total),
                "follows_design": not deviations,
                "deviations": deviations,
                "furthest_stage": row["furthest"],
                "nps": _nps(row["promoters"] or 0, row["detractors"] or 0, row["nps_n_sum"] or 0),
                "nps_answers": row["nps_n_sum"] or 0,
                "csat": _ratio(row["satisfied"] or 0, row["csat_n_sum"] or 0),
                "csat_answers": row["csat_n_sum"] or 0,
                "churned": row["churned_count"],
                "churn_rate": _ratio(row["churned_count"], row["count"]),
            }
        )
    transitions: Counter = Counter()
    step_links: Counter = Counter()
    for row in grouped:
        steps = row["path"].split(PATH_SEPARATOR) if row["path"] else []
        for index, (a, b) in enumerate(zip(steps, steps[1:], strict=False), start=1):
            transitions[(a, b)] += row["count"]
            if index < FLOW_STEPS:
                step_links[(index, a, b)] += row["count"]
    return {
        "touchpoint_flow": _step_flow(step_links),
        "journeys": total,
        "paths": paths,
        "transitions": [
            {"from": a, "to": b, "journeys": n}
            for (a, b), n in sorted(transitions.items(), key=lambda i: (-i[1], i[0]))
        ],
    }


def _step_flow(step_links: Counter) -> dict:
    """The touchpoint-to-touchpoint transitions with step-indexed nodes, so a journey that goes back to a
    touchpoint draws no cycle (a Sankey chart cannot): {"nodes": [{"id": "<step>:<key>", "key", "step"}] (by
    step, then key), "links": [{"from", "to", "journeys"}] (node ids; from step n to step n+1, n < FLOW_STEPS)}."""
    nodes = {(step + offset, key) for step, a, b in step_links for offset, key in ((0, a), (1, b))}
    return {
        "nodes": [{"id": f"{step}:{key}", "key": key, "step": step} for step, key in sorted(nodes)],
        "links": [
            {"from": f"{step}:{a}", "to": f"{step + 1}:{b}", "journeys": n}
            for (step, a, b), n in sorted(step_links.items(), key=lambda i: (i[0][0], -i[1], i[0][1:]))
        ],
    }


def map_layout_keys(journey_map: JourneyMap) -> list[str]:
    """The map's touchpoint keys (prefetched touchpoints are used when the caller has them)."""
    cache = getattr(journey_map, "_prefetched_objects_cache", {})
    if "touchpoints" in cache:
        return [tp.key for tp in journey_map.touchpoints.all()]
    return list(map_layout(journey_map).keys)


def journey_flow(journey_map: JourneyMap, *, start: date, end: date, filters: dict | None = None) -> dict:
    """Stage-to-stage flow of the stages entered in [start, end], for a Sankey chart.

    Returns {"nodes": [{"id": "stage-<pk>" | "dropped", "label"}] (stages in map order, then DROPPED_NODE),
    "links": [{"from", "to", "journeys"}] (node ids)}: from each stage entered to the next stage the journey
    entered (skipped stages jumped over), or to "dropped" for journeys that ended there (in-progress ones are
    left out). Two queries."""
    ongoing_since = _in_progress_since(journey_map)
    visits = visits_in_period(journey_map, start=start, end=end, filters=filters).filter(skipped=False)
    rows = (
        visits.values("stage_id", "next_stage_id")
        .annotate(
            went_on=Count("pk", filter=Q(next_stage__isnull=False)),
            dropped=Count("pk", filter=_visit_status_q("dropped", ongoing_since)),
        )
        .order_by()
    )
    stages = list(journey_map.stages.order_by("position", "id").values_list("pk", "name"))
    order = {pk: i for i, (pk, _name) in enumerate(stages)}
    links = []
    dropped: Counter = Counter()
    for row in sorted(rows, key=lambda r: (order.get(r["stage_id"], 0), order.get(r["next_stage_id"], -1))):
        if row["next_stage_id"] is not None and row["went_on"]:
            links.append(
                {"from": f"stage-{row['stage_id']}", "to": f"stage-{row['next_stage_id']}", "journeys": row["went_on"]}
            )
        dropped[row["stage_id"]] += row["dropped"]
    links += [{"from": f"stage-{pk}", "to": "dropped", "journeys": dropped[pk]} for pk, _name in stages if dropped[pk]]
    nodes = [{"id": f"stage-{pk}", "label": name} for pk, name in stages]
    return {"nodes": [*nodes, {"id": "dropped", "label": str(DROPPED_NODE)}], "links": links}
