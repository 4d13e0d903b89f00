"""The figures the report pages and the weekly digest show, read through `feedback.metrics.query` so they
agree with the API: KPI tiles, dimension labels, worst touchpoints against their targets, case topics over
time, campaign engagement, follow-up closure and journey stages. Plain data (dicts, lists); `tables` and
`charts` lay them out."""

from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from customers.choices import OPEN_CASE_STATUSES, CaseOrigin, case_topic_label
from customers.models import Case
from cxcrm.choices import NETWORK_LABELS
from journeys.models import JourneyMap, Persona, Touchpoint

from ..metrics import query
from ..metrics.compute import periods_in
from ..metrics.definitions import METRICS, Metric, format_value, metric_allows_filters
from ..metrics.journeys import journey_figures
from ..models import Survey
from ..scales import SCALES, SMALL_SAMPLE

OVERVIEW_METRICS = ("nps", "csat", "ces", "response_rate", "ttr_hours", "churn_rate")
OWN_TILE_METRICS = ("csat", "nps", "ces", "ttr_hours", "first_response_hours", "case_volume")
TOUCHPOINT_TARGETS = {"csat": "target_csat", "nps": "target_nps", "ces": "target_ces", "ttr_hours": "target_ttr_hours"}


def value_range(metric: Metric) -> tuple[float | None, float | None]:
    """The values a metric can take: −100..100 points (NPS), 0..100 % (rates), the kind's scale for a mean
    score (CES 1..7, from feedback/scales.py), from 0 with no top for hours and counts."""
    if metric.unit == "points":
        return -100, 100
    if metric.unit == "%":
        return 0, 100
    if metric.unit == "score" and metric.name in SCALES:
        return SCALES[metric.name].low, SCALES[metric.name].high
    if metric.unit in ("hours", "count"):
        return 0, None
    return None, None


def small_sample_note(metric: Metric, n: int) -> str | None:
    """ "Fewer than SMALL_SAMPLE answers" when a figure rests on a small sample; None otherwise (and for counts)."""
    if metric.unit == "count" or not 0 < n < SMALL_SAMPLE:
        return None
    return _("Fewer than %(limit)s %(sample)s (%(n)s): read with care") % {
        "limit": SMALL_SAMPLE,
        "sample": metric.sample_words,
        "n": n,
    }


# --------------------------------------------------------------------------- labels


def dimension_labels(dimension: str, values) -> dict[str, str]:
    """Readable names of dimension values ("" is "(none)"); one query at most."""
    values = [v for v in values if v not in ("", None)]
    labels: dict[str, str] = {"": _("(none)")}
    ids = [int(v) for v in values if str(v).isdigit()]
    if dimension == "persona":
        labels.update({str(pk): name for pk, name in Persona.objects.filter(pk__in=ids).values_list("pk", "name")})
    elif dimension == "journey":
        labels.update({str(m.pk): m.label for m in JourneyMap.objects.filter(pk__in=ids).only("name", "version")})
    elif dimension == "survey":
        labels.update({str(pk): name for pk, name in Survey.objects.filter(pk__in=ids).values_list("pk", "name")})
    elif dimension == "agent":
        for user in get_user_model().objects.filter(pk__in=ids).only("username", "first_name", "last_name"):
            labels[str(user.pk)] = user.get_full_name() or user.username
    elif dimension == "channel":
        # The interactions' channels, and the cases' origins (which add survey follow-ups).
        labels.update({value: str(label) for value, label in CaseOrigin.choices})
    elif dimension == "touchpoint":
        names = Touchpoint.objects.filter(key__in=values, published=True).values_list("key", "name")
        labels.update(dict(names))
    elif dimension == "network":
        labels.update({value: NETWORK_LABELS.get(value, value) for value in values})
    elif dimension == "topic":
        labels.update({value: str(case_topic_label(value)) for value in values})
    for value in values:
        labels.setdefault(str(value), str(value))
    return labels


# --------------------------------------------------------------------------- tiles


def kpi_tile(
    metric_name: str,
    *,
    start: date,
    end: date,
    filters: dict | None = None,
    as_of: datetime | None = None,
    totals: list[dict] | None = None,
) -> dict:
    """A metric's figure over the range beside the previous range of the same length: {metric, label, formula,
    unit, value, display, previous, change, improved (True/False/None), n, sample_label, small_sample, row};
    {…, "unavailable": True} when a filter does not apply to the metric. `as_of`: the moment a figure read live
    (not from the rollups) is read as of (the page's, so its drill-down lists the same rows). `totals`: the
    figures over the range and the one before, when the page read them already (query.metric_series_with_totals)."""
    metric = METRICS[metric_name]
    filters = filters or {}
    tile = {"metric": metric_name, "label": metric.label, "formula": metric.formula, "unit": metric.unit}
    if not metric_allows_filters(metric, filters):
        return {**tile, "unavailable": True, "display": "—", "n": 0}
    current, previous = totals or query.metric_totals(
        metric_name, ranges=[(start, end), query.previous_range(start, end)], filters=filters, as_of=as_of
    )
    change = None
    if current["value"] is not None and previous["value"] is not None:
        change = round(current["value"] - previous["value"], 2)
    improved = None
    if change and metric.better:
        improved = (change > 0) == (metric.better == "high")
    return {
        **tile,
        "value": current["value"],
        "display": format_value(metric, current["value"]),
        "previous": previous["value"],
        "change": change,
        "improved": improved,
        "n": current["n"],
        "sample_label": metric.sample_words,
        "small_sample": bool(small_sample_note(metric, current["n"])),
        "row": current,
    }


def kpi_tiles(
    metrics, *, start: date, end: date, filters: dict | None = None, as_of: datetime | None = None
) -> list[dict]:
    return [kpi_tile(name, start=start, end=end, filters=filters, as_of=as_of) for name in metrics]


# --------------------------------------------------------------------------- touchpoints, topics, campaigns


def worst_touchpoints(*, start: date, end: date, limit: int | None = None) -> list[dict]:
    """Published touchpoints with a target, each by its largest shortfall, worst first.

    A shortfall is measured as a share of the metric's whole range (value_range: NPS's 200 points, CSAT's
    100 %, CES's scale), so that different targets compare; time to resolution relative to its target.
    """
    touchpoints = {
        tp.key: tp
        for tp in Touchpoint.objects.published()
        .filter(
            Q(target_csat__isnull=False)
            | Q(target_nps__isnull=False)
            | Q(target_ces__isnull=False)
            | Q(target_ttr_hours__isnull=False)
        )
        .select_related("journey_map", "stage")
    }
    if not touchpoints:
        return []
    rows: dict[str, dict] = {}
    for metric_name, target_field in TOUCHPOINT_TARGETS.items():
        for row in query.metric_breakdown(metric_name, start=start, end=end, dimension="touchpoint"):
            tp = touchpoints.get(row["dimension_value"])
            target = getattr(tp, target_field, None) if tp else None
            if target is None or row["value"] is None:
                continue
            target = float(target)
            if metric_name == "ttr_hours":
                gap = (target - row["value"]) / max(target, 1.0)
            else:
                low, high = value_range(METRICS[metric_name])
                gap = (row["value"] - target) / (high - low)
            current = rows.get(tp.key)
            if current is None or gap < current["gap"]:
                rows[tp.key] = {
                    "key": tp.key,
                    "name": tp.name,
                    "journey": tp.journey_map.label,
                    "stage": tp.stage.name,
                    "metric": metric_name,
                    "label": METRICS[metric_name].label,
                    "value": row["value"],
                    "target": target,
                    "gap": gap,
                    "missed": gap < 0,
                    "n": row["n"],
                }
    ordered = sorted(rows.values(), key=lambda r: (r["gap"], r["key"]))
    return ordered[:limit] if limit else ordered


def topics_over_time(*, start, end, granularity, filters=None):
    """Cases opened per topic per period: (periods' first days, [(topic, counts per period, total)]), the
    largest topic first."""
    series = query.metric_series(
        "case_volume", granularity=granularity, start=start, end=end, dimension="topic", filters=filters
    )
    periods = [first for first, _last in periods_in(start, end, granularity)]
    counts: dict[str, dict] = {}
    for row in series:
        counts.setdefault(row["dimension_value"], {})[row["period_start"]] = row["n"]
    topics = sorted(counts, key=lambda t: (-sum(counts[t].values()), t))
    return periods, [
        (topic, [counts[topic].get(p, 0) for p in periods], sum(counts[topic].values())) for topic in topics
    ]


def campaign_rows(*, start, end, filters=None) -> list[dict]:
    """Per campaign: recipients, open rate, CTR, click-to-open, conversion; the largest campaign first."""
    merged: dict[str, dict] = {}
    for name in ("open_rate", "ctr", "click_to_open", "conversion_rate"):
        for row in query.metric_breakdown(name, start=start, end=end, dimension="campaign", filters=filters):
            entry = merged.setdefault(row["dimension_value"], {"campaign": row["dimension_value"]})
            entry[name] = row["value"]
            if name == "open_rate":
                entry["recipients"] = row["denominator"]
                entry["openers"] = row["numerator"]
            if name == "ctr":
                entry["clickers"] = row["numerator"]
            if name == "conversion_rate":
                entry["converted"] = row["numerator"]
    return sorted(merged.values(), key=lambda r: (-r.get("recipients", 0), r["campaign"]))


# --------------------------------------------------------------------------- follow-ups, journeys

# Detractor follow-up cases are the cases of origin "survey"; the metrics read them as that channel.
FOLLOWUP_FILTERS = {"channel": CaseOrigin.SURVEY.value}


def followup_closure(*, start, end) -> dict:
    """Detractor follow-up cases: {open (now), closed (resolved in the range), median_hours, mean_hours (time to
    close those), open_cases (queryset, oldest first)}."""
    followups = Case.objects.filter(origin=CaseOrigin.SURVEY)
    counts = followups.aggregate(open=Count("pk", filter=Q(status__in=OPEN_CASE_STATUSES)))
    closed = query.metric_total("ttr_hours", start=start, end=end, filters=FOLLOWUP_FILTERS)
    open_cases = (
        followups.filter(status__in=OPEN_CASE_STATUSES)
        .select_related("customer", "assignee", "survey_response")
        .order_by("opened_at", "id")
    )
    return {
        "open": counts["open"],
        "closed": closed["n"],
        "median_hours": closed["median"],
        "mean_hours": closed["mean"],
        "open_cases": open_cases,
    }


def journey_stage_rows(*, start, end) -> list[tuple]:
    """Every stage of the published maps with its figures from the journeys provider: [(map, stage, figures)]."""
    rows = []
    for journey_map in JourneyMap.objects.published().prefetch_related("stages").order_by("name"):
        figures = journey_figures(journey_map, start, end)["stages"]
        rows.extend((journey_map, stage, figures.get(stage.pk, {})) for stage in journey_map.stages.all())
    return rows
