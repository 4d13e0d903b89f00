"""The figures the report pages and the weekly digest show, built on `query` so they
agree with the API: KPI tiles, labelled breakdowns, worst touchpoints against their
targets, case topics over time, campaign engagement and follow-up closure."""

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from customers.choices import OPEN_CASE_STATUSES
from customers.models import Case
from cxcrm.choices import Channel
from journeys.models import JourneyMap, Persona, Touchpoint

from ..models import Survey
from ..scales import SMALL_SAMPLE
from . import query
from .definitions import DIMENSIONS, METRICS, format_value, metric_allows_filter

OVERVIEW_METRICS = ("nps", "csat", "ces", "response_rate", "ttr_hours", "churn_rate")
OWN_TILE_METRICS = ("csat", "nps", "ces", "ttr_hours", "first_response_hours", "case_volume")
TOUCHPOINT_TARGETS = {"csat": "target_csat", "nps": "target_nps", "ces": "target_ces", "ttr_hours": "target_ttr_hours"}
# Each metric's scale, to compare shortfalls against different targets (ttr: relative to the target).
TARGET_SCALES = {"csat": 100.0, "nps": 200.0, "ces": 6.0}


def number(value) -> str:
    """A table cell: whole numbers as such, others with one decimal, nothing for no value."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


@dataclass
class Table:
    """A table shown on a page and exported as CSV with exactly the same cells."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # a drill-down URL per row
    # Per row: the sample behind its figure when that is under SMALL_SAMPLE (flagged on the page, not in the CSV).
    small: list[str | None] = field(default_factory=list)
    link_label: str = "rows"  # what a row's link opens: the rows behind it, a case, a customer, a map

    @property
    def items(self):
        return list(zip(self.rows, self.links, self.small, strict=True))

    @property
    def has_side_column(self) -> bool:
        """Whether any row has a link or a small-sample flag (the page's last column)."""
        return any(self.links) or any(self.small)

    def add(self, cells, link=None, *, small: str | None = None):
        self.rows.append([number(c) if not isinstance(c, str) else c for c in cells])
        self.links.append(link)
        self.small.append(small)


def small_sample_note(metric, n: int) -> str | None:
    """ "Fewer than SMALL_SAMPLE answers" when a figure rests on a small sample; None otherwise (and for counts)."""
    if metric.unit == "count" or not 0 < n < SMALL_SAMPLE:
        return None
    return f"Fewer than {SMALL_SAMPLE} {metric.sample_label} ({n}): read with care"


# --------------------------------------------------------------------------- labels


def dimension_labels(dimension: str, values) -> dict[str, str]:
    """Readable names of dimension values ("" is "(none)"); one query at most."""
    values = [v for v in values if v not in ("", None)]
    labels: dict[str, str] = {"": "(none)"}
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
        labels.update({value: str(label) for value, label in Channel.choices})
        labels["survey"] = "Survey follow-up"
    elif dimension == "touchpoint":
        names = Touchpoint.objects.filter(key__in=values, published=True).values_list("key", "name")
        labels.update({key: f"{name} ({key})" for key, name in names})
    for value in values:
        labels.setdefault(str(value), str(value))
    return labels


# --------------------------------------------------------------------------- tiles


def kpi_tile(metric_name: str, *, start: date, end: date, filters: dict | None = None) -> dict:
    metric = METRICS[metric_name]
    filters = filters or {}
    tile = {"metric": metric_name, "label": metric.label, "formula": metric.formula, "unit": metric.unit}
    if any(not metric_allows_filter(metric, name) for name in filters if name != "agent"):
        return {**tile, "unavailable": True, "display": "—", "n": 0}
    current = query.metric_total(metric_name, start=start, end=end, filters=filters)
    prev_start, prev_end = query.previous_range(start, end)
    previous = query.metric_total(metric_name, start=prev_start, end=prev_end, filters=filters)
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
        "sample_label": metric.sample_label,
        "small_sample": bool(small_sample_note(metric, current["n"])),
        "row": current,
    }


def kpi_tiles(metrics, *, start: date, end: date, filters: dict | None = None) -> list[dict]:
    return [kpi_tile(name, start=start, end=end, filters=filters) for name in metrics]


# --------------------------------------------------------------------------- breakdowns


def breakdown_table(metric_name: str, *, start, end, dimension, filters=None, link=None) -> Table:
    """Rows per dimension value: label, value, sample and the metric's counts."""
    metric = METRICS[metric_name]
    rows = query.metric_breakdown(metric_name, start=start, end=end, dimension=dimension, filters=filters)
    labels = dimension_labels(dimension, [r["dimension_value"] for r in rows])
    # The columns of the metric's counts, also when no row has any (an empty period).
    empty = metric.counts_to_row(dict.fromkeys(query.compute.COUNT_FIELDS, 0))
    extra = [k for k in (rows[0] if rows else empty) if k not in ("value", "n", "period_start")]
    extra = [k for k in extra if k not in ("dimension", "dimension_value")]
    table = Table(columns=[str(DIMENSIONS[dimension]), f"{metric.label} ({metric.unit})", "n", *extra])
    for row in rows:
        table.add(
            [
                labels.get(row["dimension_value"], row["dimension_value"]),
                row["value"],
                row["n"],
                *(row[k] for k in extra),
            ],
            link(row["dimension_value"]) if link else None,
            small=small_sample_note(metric, row["n"]),
        )
    return table


def worst_touchpoints(*, start: date, end: date, limit: int | None = None) -> list[dict]:
    """Published touchpoints with a target, each by its largest shortfall, worst first."""
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
                gap = (row["value"] - target) / TARGET_SCALES[metric_name]
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


def topics_over_time(*, start, end, granularity, filters=None, top: int = 8):
    """Cases opened per topic per period: (periods, [(topic, counts per period, total)])."""
    series = query.metric_series(
        "case_volume", granularity=granularity, start=start, end=end, dimension="topic", filters=filters
    )
    periods = [first for first, _last in query.compute.periods_in(start, end, granularity)]
    counts: dict[str, dict] = {}
    for row in series:
        counts.setdefault(row["dimension_value"], {})[row["period_start"]] = row["n"]
    topics = sorted(counts, key=lambda t: (-sum(counts[t].values()), t))
    return periods, [
        (topic, [counts[topic].get(p, 0) for p in periods], sum(counts[topic].values())) for topic in topics
    ]


def campaign_rows(*, start, end, filters=None) -> list[dict]:
    """Per campaign: recipients, open rate, CTR, click-to-open, conversion."""
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


def followup_closure(*, start, end) -> dict:
    """Detractor follow-up cases (origin survey): open now, and time to close those resolved in the range."""
    followups = Case.objects.filter(origin="survey")
    counts = followups.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_CASE_STATUSES)),
        opened_in_range=Count("pk", filter=Q(opened_at__date__gte=start, opened_at__date__lte=end)),
    )
    closed = query.metric_total("ttr_hours", start=start, end=end, filters={"channel": "survey"})
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
