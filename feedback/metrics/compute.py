"""Aggregation of the metrics from their source rows, in SQL.

One *source* per type of row (responses, invitations, cases by one of their
times, interactions, campaign recipients, customers for churn). A source knows
its date field, how each dimension and filter maps onto its columns, and the
conditional counts each metric needs. `aggregate()` groups by period (a day,
week, month or quarter in TIME_ZONE, or the whole range) and dimension value;
`drill_queryset()` returns exactly the rows behind one such figure, built from
the same queryset so the two cannot disagree.

`as_of` (an aware datetime, optional everywhere) reads the rows as they were at that moment: each source
leaves out the rows recorded after it (`Source.recorded_fields`: a response's or interaction's `created_at`,
an invitation's `created_at` and `sent_at`, a case's `created_at` and the time it measures, a customer's
`created_at` and a lifecycle change's `changed_at`), and the subsets that depend on later rows (answered,
opened, breached, churned) look only at rows recorded by then. The rollups are computed as of their
`computed_at`, so a drill-down as of that moment lists exactly the rows the figure counted.
"""

import statistics
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models import Case as CaseWhen
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone

from customers.choices import ACTIVE_STAGES, CaseOrigin, InteractionType, LifecycleStage
from customers.models import Case, Customer, Interaction, LifecycleChange
from customers.selectors import lifecycle_churn_counts
from cxcrm.choices import Channel

from ..models import Invitation, Response
from ..scales import SCALES
from .definitions import METRICS, Metric

# The exact counts every figure is derived from (definitions.py value functions), stored per day in MetricRollup:
# the sample, a ratio's parts, a sum for means, and the answers in the top box, middle and bottom box of the
# survey kind's scale (feedback/scales.py: promoters/passives/detractors for NPS, satisfied/neutral/dissatisfied
# for CSAT, easy/neutral/difficult for CES).
COUNT_FIELDS = ("n", "numerator", "denominator", "value_sum", "top_box", "middle", "bottom_box")


def local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in TIME_ZONE: the inclusive days as an instant range."""
    tz = timezone.get_default_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


class Median(Aggregate):
    """PostgreSQL's continuous median (SQLite gets the Python fallback in `_medians`)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False


class EpochSeconds(Func):
    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def _duration(end_field: str, start_field: str = "opened_at"):
    return ExpressionWrapper(F(end_field) - F(start_field), output_field=DurationField())


# --------------------------------------------------------------------------- sources


class Source:
    model = None
    date_field = ""
    # When a row entered the figures: rows with any of these after `as_of` are left out of a reading as of then.
    recorded_fields: tuple[str, ...] = ("created_at",)
    dims: dict[str, tuple[str, str]] = {}  # dimension -> (path, value type "id" | "str")
    filter_paths: dict[str, str] = {}
    # The values of the `channel` dimension and filter (where the source has one).
    channels: tuple[str, ...] = tuple(Channel.values)

    def base(self, metric: Metric, as_of: datetime | None = None):
        return self.model.objects.all()

    def annotate_for(self, qs, needed: set[str]):
        """Add the annotations some dimensions or filters are computed from."""
        return qs

    def aggregates(self, metric: Metric, as_of: datetime | None = None) -> dict:
        return {"n": Count("pk")}

    def buckets(self, metric: Metric, as_of: datetime | None = None) -> dict[str, Q]:
        """Named subsets of the rows behind a figure, for drill-down."""
        return {}

    def recorded_by(self, as_of: datetime) -> Q:
        """The rows recorded at or before `as_of` (those a reading as of then counts)."""
        return Q(**{f"{name}__lte": as_of for name in self.recorded_fields})

    # -- shared machinery

    def queryset(self, metric: Metric, start: date, end: date, *, dimension="overall", filters=None, as_of=None):
        low, high = local_bounds(start, end)
        filters = filters or {}
        needed = {self.dims[dimension][0] if dimension != "overall" else ""} | {
            self.filter_paths[name] for name in filters
        }
        qs = self.annotate_for(self.base(metric, as_of), needed)
        qs = qs.filter(**{f"{self.date_field}__gte": low, f"{self.date_field}__lt": high})
        if as_of is not None:
            qs = qs.filter(self.recorded_by(as_of))
        for name, value in filters.items():
            qs = qs.filter(**{self.filter_paths[name]: value})
        return qs

    def dimension_q(self, dimension: str, value: str) -> Q:
        path, value_type = self.dims[dimension]
        if value in ("", None):
            empty = Q(**{f"{path}__isnull": True})
            return empty if value_type == "id" else empty | Q(**{path: ""})
        return Q(**{path: int(value) if value_type == "id" else value})


def _score_counts(metric: Metric) -> dict:
    scale = SCALES[metric.survey_kind]
    high, low = scale.top_box_from, scale.bottom_box_to
    return {
        "n": Count("pk"),
        "top_box": Count("pk", filter=Q(score__gte=high)),
        "middle": Count("pk", filter=Q(score__gt=low, score__lt=high)),
        "bottom_box": Count("pk", filter=Q(score__lte=low)),
        "value_sum": Sum("score"),
    }


class ResponseSource(Source):
    model = Response
    date_field = "submitted_at"
    dims = {
        "channel": ("channel", "str"),
        "network": ("interaction__network", "str"),
        "touchpoint": ("touchpoint_key", "str"),
        "stage": ("stage_name", "str"),
        "journey": ("journey_map_id", "id"),
        "persona": ("persona_id", "id"),
        "survey": ("survey_id", "id"),
        "agent": ("agent_id", "id"),
        "topic": ("case__topic", "str"),
        "campaign": ("interaction__campaign", "str"),
    }
    filter_paths = {
        "persona": "persona_id",
        "journey": "journey_map_id",
        "channel": "channel",
        "survey": "survey_id",
        "agent": "agent_id",
    }

    def base(self, metric, as_of=None):
        # Only answered primary questions count; a skipped one (score None) counts in no metric.
        return Response.objects.filter(kind=metric.survey_kind, score__isnull=False)

    def aggregates(self, metric, as_of=None):
        return _score_counts(metric)

    def buckets(self, metric, as_of=None):
        # Named as the drill-down URLs name them for every kind (scales.ScoreScale.bucket_names labels them).
        scale = SCALES[metric.survey_kind]
        high, low = scale.top_box_from, scale.bottom_box_to
        return {
            "promoters": Q(score__gte=high),
            "passives": Q(score__gt=low, score__lt=high),
            "detractors": Q(score__lte=low),
        }


class InvitationSource(Source):
    model = Invitation
    date_field = "sent_at"
    # An invitation counts once stored and sent; it counts as answered once its answer is stored (see `base`).
    recorded_fields = ("created_at", "sent_at")
    dims = {
        "channel": ("event_channel", "str"),
        "network": ("interaction__network", "str"),
        "touchpoint": ("interaction__touchpoint_key", "str"),
        "journey": ("interaction__touchpoint__journey_map_id", "id"),
        "persona": ("customer__persona_id", "id"),
        "survey": ("survey_id", "id"),
    }
    filter_paths = {
        "persona": "customer__persona_id",
        "journey": "interaction__touchpoint__journey_map_id",
        "channel": "event_channel",
        "survey": "survey_id",
    }

    def base(self, metric, as_of=None):
        answers = Response.objects.filter(invitation=OuterRef("pk"))
        if as_of is not None:
            answers = answers.filter(created_at__lte=as_of)
        return Invitation.objects.filter(sent_at__isnull=False).alias(answered=Exists(answers))

    def annotate_for(self, qs, needed):
        if "event_channel" in needed:
            # The channel of the event surveyed: the interaction's, or the case's origin.
            qs = qs.alias(event_channel=Coalesce("interaction__channel", "case__origin"))
        return qs

    def aggregates(self, metric, as_of=None):
        return {
            "n": Count("pk"),
            "denominator": Count("pk"),
            "numerator": Count("pk", filter=Q(answered=True)),
        }

    def buckets(self, metric, as_of=None):
        return {"numerator": Q(answered=True)}


def _case_touchpoint_subquery():
    """A case's touchpoint: the key of its earliest interaction that carries one."""
    return Subquery(
        Interaction.objects.filter(case=OuterRef("pk"))
        .exclude(touchpoint_key="")
        .order_by("occurred_at", "id")
        .values("touchpoint_key")[:1]
    )


class CaseSource(Source):
    model = Case
    dims = {
        "channel": ("origin", "str"),
        "touchpoint": ("case_touchpoint", "str"),
        "persona": ("customer__persona_id", "id"),
        "agent": ("assignee_id", "id"),
        "topic": ("topic", "str"),
    }
    filter_paths = {"persona": "customer__persona_id", "channel": "origin", "agent": "assignee_id"}
    # A case's channel is its origin: a channel, or "survey" for a detractor follow-up.
    channels = tuple(CaseOrigin.values)

    def __init__(self, date_field: str, duration: bool = False):
        self.date_field = date_field
        self.duration = duration
        # A case counts once stored and, for the times measured, once that time is reached (resolved, first
        # answered); a due time counts from the case's creation.
        self.recorded_fields = (
            ("created_at",)
            if date_field in ("opened_at", "resolution_due_at")
            else (
                "created_at",
                date_field,
            )
        )

    def base(self, metric, as_of=None):
        return Case.objects.filter(**{f"{self.date_field}__isnull": False})

    def annotate_for(self, qs, needed):
        if "case_touchpoint" in needed:
            qs = qs.alias(case_touchpoint=_case_touchpoint_subquery())
        return qs

    def aggregates(self, metric, as_of=None):
        if self.duration:
            return {"n": Count("pk"), "value_sum": Sum(_duration(self.date_field))}
        if metric.name == "sla_breach_rate":
            return {
                "n": Count("pk"),
                "denominator": Count("pk"),
                "numerator": Count("pk", filter=Case.objects.breached_condition(as_of or timezone.now())),
            }
        return {"n": Count("pk")}

    def buckets(self, metric, as_of=None):
        if metric.name == "sla_breach_rate":
            return {"numerator": Case.objects.breached_condition(as_of or timezone.now())}
        return {}


class InteractionSource(Source):
    model = Interaction
    date_field = "occurred_at"
    dims = {
        "channel": ("channel", "str"),
        "network": ("network", "str"),
        "touchpoint": ("touchpoint_key", "str"),
        "journey": ("touchpoint__journey_map_id", "id"),
        "persona": ("customer__persona_id", "id"),
        "agent": ("agent_id", "id"),
        "campaign": ("campaign", "str"),
    }
    filter_paths = {
        "persona": "customer__persona_id",
        "journey": "touchpoint__journey_map_id",
        "channel": "channel",
        "agent": "agent_id",
    }


class CampaignSource(Source):
    """Recipients of a campaign: one row per (customer, campaign), its first `email_sent`.

    Attributing each pair to the day of its first send makes the counts exact sums of
    days. A click counts as an open (the tracking pixel may be blocked).
    """

    model = Interaction
    date_field = "occurred_at"
    dims = {"campaign": ("campaign", "str"), "persona": ("customer__persona_id", "id")}
    filter_paths = {"persona": "customer__persona_id"}

    def base(self, metric, as_of=None):
        # As of a moment, every interaction read (the sends, opens, clicks and purchases) is one recorded by then.
        recorded = Interaction.objects.all() if as_of is None else Interaction.objects.filter(created_at__lte=as_of)
        # Every lookup says campaign <> "" (true of the outer row too): the partial index of campaign
        # interactions (customers_int_campaign_idx) answers it.
        purchases = recorded.filter(type=InteractionType.PURCHASE)
        recorded = recorded.exclude(campaign="")
        earlier_send = recorded.filter(
            type=InteractionType.EMAIL_SENT, customer=OuterRef("customer_id"), campaign=OuterRef("campaign")
        ).filter(
            Q(occurred_at__lt=OuterRef("occurred_at")) | Q(occurred_at=OuterRef("occurred_at"), pk__lt=OuterRef("pk"))
        )

        def of_type(interaction_type):
            return recorded.filter(
                type=interaction_type, customer=OuterRef("customer_id"), campaign=OuterRef("campaign")
            )

        days = getattr(settings, "CAMPAIGN_CONVERSION_DAYS", 7)
        purchase_after_click = purchases.filter(
            customer=OuterRef("customer_id"),
            occurred_at__gte=OuterRef("occurred_at"),
            occurred_at__lte=OuterRef("occurred_at") + timedelta(days=days),
        )
        return (
            Interaction.objects.filter(type=InteractionType.EMAIL_SENT)
            .exclude(campaign="")
            .filter(~Exists(earlier_send))
            .alias(
                clicked=Exists(of_type(InteractionType.EMAIL_CLICK)),
                opened=Exists(of_type(InteractionType.EMAIL_OPEN)) | Exists(of_type(InteractionType.EMAIL_CLICK)),
                converted=Exists(of_type(InteractionType.EMAIL_CLICK).filter(Exists(purchase_after_click))),
            )
        )

    def aggregates(self, metric, as_of=None):
        opened, clicked, converted = Q(opened=True), Q(clicked=True), Q(converted=True)
        parts = {
            "open_rate": (opened, None),
            "ctr": (clicked, None),
            "click_to_open": (clicked, opened),
            "conversion_rate": (converted, None),
        }
        numerator, denominator = parts[metric.name]
        return {
            "n": Count("pk", filter=denominator),
            "denominator": Count("pk", filter=denominator),
            "numerator": Count("pk", filter=numerator),
        }

    def buckets(self, metric, as_of=None):
        return {
            "opened": Q(opened=True),
            "clicked": Q(clicked=True),
            "converted": Q(converted=True),
            "numerator": self.aggregates(metric)["numerator"].filter,
        }


class ChurnSource(Source):
    """Customers (not folded into another by a merge), their stage read from the stage intervals of their
    LifecycleChange rows (customers.selectors.lifecycle_churn_counts for the counts)."""

    model = Customer
    dims = {"persona": ("persona_id", "id")}
    filter_paths = {"persona": "persona_id"}

    def customers(self, filters=None):
        """The customers counted with these filters (a Customer queryset), or None for all of them."""
        if not filters:
            return None
        return Customer.objects.filter(**{self.filter_paths[name]: value for name, value in filters.items()})

    def period_queryset(self, low: datetime, high: datetime, *, dimension="overall", filters=None, as_of=None):
        """The customers behind one period's figure: active just before `low`, `churned` if they entered
        churned in [low, high). As of a moment: the customers created by then, and the stage moves recorded
        by then."""
        changes = LifecycleChange.objects.all()
        customers = Customer.objects.active()
        if as_of is not None:
            changes = changes.filter(changed_at__lte=as_of)
            customers = customers.filter(created_at__lte=as_of)
        active_at_start = LifecycleChange.objects.stage_before(low, as_of=as_of).filter(
            customer=OuterRef("pk"), to_stage__in=ACTIVE_STAGES
        )
        churned = Exists(
            changes.filter(
                customer=OuterRef("pk"), to_stage=LifecycleStage.CHURNED, changed_at__gte=low, changed_at__lt=high
            )
        )
        qs = customers.filter(Exists(active_at_start)).alias(churned=churned)
        for name, value in (filters or {}).items():
            qs = qs.filter(**{self.filter_paths[name]: value})
        return qs

    def queryset(self, metric, start, end, *, dimension="overall", filters=None, as_of=None):
        low, high = local_bounds(start, end)
        return self.period_queryset(low, high, dimension=dimension, filters=filters, as_of=as_of)

    def aggregates(self, metric, as_of=None):
        return {"n": Count("pk"), "denominator": Count("pk"), "numerator": Count("pk", filter=Q(churned=True))}

    def buckets(self, metric, as_of=None):
        return {"numerator": Q(churned=True)}


SOURCES: dict[str, Source] = {
    "responses": ResponseSource(),
    "invitations": InvitationSource(),
    "cases_resolved": CaseSource("resolved_at", duration=True),
    "cases_first_response": CaseSource("first_response_at", duration=True),
    "cases_due": CaseSource("resolution_due_at"),
    "cases_opened": CaseSource("opened_at"),
    "interactions": InteractionSource(),
    "campaign": CampaignSource(),
    "churn": ChurnSource(),
}


def source_for(metric: Metric) -> Source:
    return SOURCES[metric.source]


# --------------------------------------------------------------------------- aggregation


def _empty_counts() -> dict:
    return dict.fromkeys(COUNT_FIELDS, 0)


def _normalise(counts: dict) -> dict:
    out = _empty_counts()
    for key in COUNT_FIELDS:
        value = counts.get(key)
        if value is None:
            continue
        if isinstance(value, timedelta):
            value = value.total_seconds() / 3600
        out[key] = value
    if "median" in counts:
        out["median"] = counts["median"]
    return out


def _dimension_key(value) -> str:
    return "" if value is None else str(value)


def _medians(qs, source: CaseSource, group: list[str]) -> dict:
    """Median hours per group, from the rows (PostgreSQL computes it in SQL in `aggregate`)."""
    values: dict[tuple, list[float]] = {}
    for row in qs.annotate(_hours=_duration(source.date_field)).values_list(*group, "_hours"):
        *key, duration = row
        values.setdefault(tuple(key), []).append(duration.total_seconds() / 3600)
    return {key: statistics.median(hours) for key, hours in values.items()}


def dimension_expression(source: "Source", dimension: str):
    """The value a row is grouped by for a dimension. A text dimension reached through a nullable relation
    (a response's campaign, an invitation's network when it has no interaction) groups its NULLs with ""
    as one "(none)" value, so a day never has two rows for the same empty key."""
    path, value_type = source.dims[dimension]
    return Coalesce(F(path), Value("")) if value_type == "str" else F(path)


def period_of(date_field: str, periods: list[tuple[date, date]]) -> CaseWhen:
    """The first day of the period (of `periods`, inclusive days in TIME_ZONE) a row's `date_field` falls in;
    NULL outside them."""
    whens = []
    for first, last in periods:
        low, high = local_bounds(first, last)
        whens.append(When(**{f"{date_field}__gte": low, f"{date_field}__lt": high}, then=Value(first)))
    return CaseWhen(*whens, output_field=DateField())


def within_periods(date_field: str, periods: list[tuple[date, date]]) -> Q:
    """The rows whose `date_field` falls in one of `periods` (inclusive days in TIME_ZONE): one range a run of
    adjacent periods."""
    runs: list[list[date]] = []
    for first, last in sorted(periods):
        if runs and first <= runs[-1][1] + timedelta(days=1):
            runs[-1][1] = max(runs[-1][1], last)
        else:
            runs.append([first, last])
    condition = Q()
    for first, last in runs:
        low, high = local_bounds(first, last)
        condition |= Q(**{f"{date_field}__gte": low, f"{date_field}__lt": high})
    return condition


def aggregate(
    metric_name: str,
    *,
    start: date,
    end: date,
    granularity: str | None,
    dimension: str = "overall",
    filters: dict | None = None,
    as_of: datetime | None = None,
    periods: list[tuple[date, date]] | None = None,
) -> list[dict]:
    """Counts per (period, dimension value) straight from the source rows.

    `granularity` is day/week/month/quarter (periods start in TIME_ZONE, weeks on Monday,
    the first one cut to `start`) or None for the whole range; or `periods`, explicit disjoint
    (first, last) days (a tile's range and the one before it), which then set the range. Returns dicts with
    `period` (date), `dimension_value` ("" for none or overall) and the counts (COUNT_FIELDS,
    hours for durations, and `median` for the case times). `as_of` (aware datetime): the rows as they were
    then (see the module's docstring); None: as they are now.
    """
    metric = METRICS[metric_name]
    source = source_for(metric)
    if periods:
        start, end = min(first for first, _ in periods), max(last for _, last in periods)
    if isinstance(source, ChurnSource):
        periods = periods or periods_in(start, end, granularity)
        return churn_counts(periods=periods, dimension=dimension, filters=filters, as_of=as_of)
    qs = source.queryset(metric, start, end, dimension=dimension, filters=filters, as_of=as_of)
    group = []
    if periods:
        # Only the rows inside the periods are read (the beat's scattered days), each run by the date's index.
        qs = qs.filter(within_periods(source.date_field, periods))
        qs = qs.annotate(_period=period_of(source.date_field, periods)).filter(_period__isnull=False)
        group.append("_period")
    elif granularity:
        tz = timezone.get_default_timezone()
        qs = qs.annotate(_period=Trunc(source.date_field, granularity, output_field=DateField(), tzinfo=tz))
        group.append("_period")
    if dimension != "overall":
        qs = qs.annotate(_dim=dimension_expression(source, dimension))
        group.append("_dim")
    aggregates = dict(source.aggregates(metric, as_of))
    duration = isinstance(source, CaseSource) and source.duration
    if duration and is_postgres():
        aggregates["median"] = Median(EpochSeconds(_duration(source.date_field))) / 3600.0
    grouped = qs.values(*group).annotate(**aggregates).order_by() if group else [qs.aggregate(**aggregates)]
    medians = _medians(qs, source, group) if duration and not is_postgres() else None
    rows = []
    for counts in grouped:
        if not group and not counts.get("n"):
            continue
        key = tuple(counts.get(g) for g in group)
        row = _normalise(counts)
        if medians is not None:
            row["median"] = medians.get(key)
        row["period"] = counts["_period"] if periods else max(counts["_period"], start) if granularity else start
        row["dimension_value"] = _dimension_key(counts.get("_dim")) if dimension != "overall" else ""
        rows.append(row)
    return rows


def periods_in(start: date, end: date, granularity: str | None) -> list[tuple[date, date]]:
    """The periods of a range as inclusive (first, last) days, cut to the range (None: the range itself)."""
    if granularity is None:
        return [(start, end)]
    result, cursor = [], start
    while cursor <= end:
        if granularity == "day":
            natural_end = cursor
        elif granularity == "week":
            natural_end = cursor + timedelta(days=6 - cursor.weekday())
        else:
            months = 1 if granularity == "month" else 3
            first_month = cursor.month if granularity == "month" else 3 * ((cursor.month - 1) // 3) + 1
            year, month = cursor.year, first_month + months
            if month > 12:
                year, month = year + 1, month - 12
            natural_end = date(year, month, 1) - timedelta(days=1)
        last = min(natural_end, end)
        result.append((cursor, last))
        cursor = last + timedelta(days=1)
    return result


def churn_counts(
    *,
    periods: list[tuple[date, date]],
    dimension: str = "overall",
    filters: dict | None = None,
    as_of: datetime | None = None,
) -> list[dict]:
    """Churn counts for many periods (inclusive (first, last) days in TIME_ZONE, may overlap) in one pass: rows
    like `aggregate`'s (period = its first day, counts n = denominator = active at its start, numerator =
    churned), for the (period, dimension value) pairs with customers active at the start. `as_of`: the
    customers and stage moves recorded by then (ChurnSource.period_queryset's rule)."""
    source = SOURCES["churn"]
    counts = lifecycle_churn_counts(
        periods=[local_bounds(first, last) for first, last in periods],
        customers=source.customers(filters),
        group_by=source.dims[dimension][0] if dimension != "overall" else None,
        as_of=as_of,
    )
    rows = []
    for (index, value), count in counts.items():
        row = _normalise({"n": count.active_at_start, "denominator": count.active_at_start, "numerator": count.churned})
        row["period"] = periods[index][0]
        row["period_index"] = index  # which of `periods` (they may overlap: a range and its weeks)
        row["dimension_value"] = _dimension_key(value) if dimension != "overall" else ""
        rows.append(row)
    rows.sort(key=lambda row: (row["period"], row["period_index"], row["dimension_value"]))
    return rows


# --------------------------------------------------------------------------- drill-down


def drill_queryset(
    metric_name: str,
    *,
    start: date,
    end: date,
    dimension: str = "overall",
    value: str | None = None,
    filters: dict | None = None,
    bucket: str | None = None,
    as_of: datetime | None = None,
):
    """Exactly the source rows behind one figure (all of its sample, or one named bucket); with `as_of`, the
    rows behind the figure as computed at that moment (its rollups' `computed_at`): the same count as its `n`.
    Raises KeyError for a bucket the metric has not."""
    metric = METRICS[metric_name]
    source = source_for(metric)
    qs = source.queryset(metric, start, end, dimension=dimension, filters=filters, as_of=as_of)
    if dimension != "overall":
        qs = qs.filter(source.dimension_q(dimension, value))
    if metric.name == "click_to_open":
        qs = qs.filter(opened=True)
    if bucket:
        buckets = source.buckets(metric, as_of)
        if bucket not in buckets:
            raise KeyError(bucket)
        qs = qs.filter(buckets[bucket])
    return qs


def drill_buckets(metric_name: str) -> list[str]:
    metric = METRICS[metric_name]
    return list(source_for(metric).buckets(metric))
