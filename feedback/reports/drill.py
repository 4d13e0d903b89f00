"""The drill-down: the rows behind any figure (responses, invitations, cases, interactions or customers).

A figure is named by the API's parameters (metric, range, dimension, filters) plus a dimension value, a
bucket of its rows (detractors, answered…) and `mine`; `drill_url` writes that link, `DrillQuerySerializer`
reads it back, and `drill_rows`/`drill_table` lay out its rows.
"""

from urllib.parse import urlencode

from django.db.models import F
from django.urls import reverse
from rest_framework import serializers

from customers.choices import CaseOrigin

from ..metrics.compute import drill_buckets, source_for
from ..metrics.definitions import DIMENSIONS, GRANULARITIES, METRICS, OWN_METRICS
from ..metrics.params import MetricQuerySerializer
from ..scales import SCALES
from .tables import Table

# --------------------------------------------------------------------------- the link and its parameters


def drill_url(metric, *, start, end, filters=None, dimension="overall", value=None, bucket=None, mine=False) -> str:
    """The drill-down of one figure; `filters` as the query read them (an `agent` scope is left out: the
    drill-down applies the reader's own scope, and `mine` the signed-in user's own rows whatever their role)."""
    params = {"metric": metric, "start": start.isoformat(), "end": end.isoformat(), **(filters or {})}
    params.pop("agent", None)
    if mine:
        params["mine"] = 1
    if dimension != "overall":
        params.update(dimension=dimension, value=value or "")
    if bucket:
        params["bucket"] = bucket
    return f"{reverse('feedback:report_drilldown')}?{urlencode(params)}"


class _AnyText(serializers.CharField):
    """Text taken as given, null characters included: a value no row has is answered by name below."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = []


class DrillQuerySerializer(MetricQuerySerializer):
    """The drill-down's parameters: the API's (`granularity` optional, it only bounds the range) and `value`
    (of the dimension), `bucket` (compute.drill_buckets) and `mine` (the user's own rows: "My figures").

    The channel filter also takes the cases' origin "survey": the follow-up report's link to the detractor
    follow-ups (MetricQuerySerializer refuses it for any metric but the cases').
    """

    granularity = serializers.ChoiceField(choices=GRANULARITIES, default="quarter")
    channel = serializers.ChoiceField(choices=CaseOrigin.choices, required=False)
    value = _AnyText(required=False, allow_blank=True, trim_whitespace=False, default="")
    bucket = serializers.CharField(required=False, allow_blank=True, default="")
    mine = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        metric, dimension, value = METRICS[attrs["metric"]], attrs["dimension"], attrs["value"]
        errors = {}
        if dimension != "overall":
            _path, value_type = source_for(metric).dims[dimension]
            if "\x00" in value or (
                value_type == "id" and value and not (value.isascii() and value.isdigit() and len(value) < 19)
            ):
                errors["value"] = [f"No {DIMENSIONS[dimension].lower()} “{value}”."]
        if attrs["bucket"] and attrs["bucket"] not in drill_buckets(metric.name):
            errors["bucket"] = [f"No subset “{attrs['bucket']}” for {metric.label}."]
        if attrs["mine"] and metric.name not in OWN_METRICS:
            errors["mine"] = [f"{metric.label} has no figures of your own."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# How each bucket of a figure's rows is named on the page (the URL keeps the short key).
BUCKET_NAMES = {
    "response_rate": {"numerator": "Answered"},
    "sla_breach_rate": {"numerator": "Breached"},
    "churn_rate": {"numerator": "Churned"},
    "open_rate": {"numerator": "Opened"},
    "ctr": {"numerator": "Clicked"},
    "click_to_open": {"numerator": "Clicked after opening"},
    "conversion_rate": {"numerator": "Converted"},
}


def bucket_name(metric: str, bucket: str) -> str:
    """ "Promoters (9–10)" for NPS's `promoters` bucket (from the scale table); "Answered" for a ratio's numerator."""
    if metric in SCALES:
        return SCALES[metric].bucket_names().get(bucket, bucket)
    return BUCKET_NAMES.get(metric, {}).get(bucket, bucket.replace("_", " ").capitalize())


# --------------------------------------------------------------------------- the rows


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _user(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _customer_link(customer_id) -> str:
    return reverse("customers:customer_detail", args=[customer_id])


def _responses(rows):
    table = Table(
        columns=["Submitted", "Customer", "Survey", "Score", "Channel", "Touchpoint", "Stage", "Agent", "Comment"],
        link_label="customer",
    )
    for r in rows:
        table.add(
            [
                _when(r.submitted_at),
                str(r.customer),
                r.survey.name,
                r.score,
                r.channel,
                r.touchpoint_key,
                r.stage_name,
                _user(r.agent),
                r.comment[:200],
            ],
            _customer_link(r.customer_id),
        )
    return table


def _invitations(rows):
    table = Table(columns=["Sent", "Customer", "Survey", "Channel", "Status", "Answered"], link_label="customer")
    for i in rows:
        table.add(
            [_when(i.sent_at), str(i.customer), i.survey.name, i.channel, i.status, "yes" if i.answered_flag else "no"],
            _customer_link(i.customer_id),
        )
    return table


def _cases(rows, metric):
    table = Table(
        columns=["Case", "Subject", "Customer", "Topic", "Origin", "Assignee", "Opened", "Resolved", "Hours"],
        link_label="case",
    )
    end_field = {"ttr_hours": "resolved_at", "first_response_hours": "first_response_at"}.get(metric.name)
    for c in rows:
        hours = None
        if end_field and getattr(c, end_field):
            hours = (getattr(c, end_field) - c.opened_at).total_seconds() / 3600
        table.add(
            [
                f"#{c.pk}",
                c.subject,
                str(c.customer),
                c.topic,
                c.origin,
                _user(c.assignee),
                _when(c.opened_at),
                _when(c.resolved_at),
                hours,
            ],
            reverse("customers:case_detail", args=[c.pk]),
        )
    return table


def _interactions(rows, metric):
    if metric.source == "campaign":
        table = Table(
            columns=["First sent", "Customer", "Campaign", "Opened", "Clicked", "Converted"], link_label="customer"
        )
        for i in rows:
            table.add(
                [
                    _when(i.occurred_at),
                    str(i.customer),
                    i.campaign,
                    "yes" if i.opened_flag else "no",
                    "yes" if i.clicked_flag else "no",
                    "yes" if i.converted_flag else "no",
                ],
                _customer_link(i.customer_id),
            )
        return table
    table = Table(
        columns=["When", "Customer", "Channel", "Type", "Touchpoint", "Campaign", "Agent", "Summary"],
        link_label="customer",
    )
    for i in rows:
        table.add(
            [
                _when(i.occurred_at),
                str(i.customer),
                i.channel,
                i.type,
                i.touchpoint_key,
                i.campaign,
                _user(i.agent),
                i.summary,
            ],
            _customer_link(i.customer_id),
        )
    return table


def _customers(rows):
    table = Table(columns=["Customer", "Persona", "Stage now", "Churned in the period"], link_label="customer")
    for c in rows:
        table.add(
            [str(c), c.persona.name if c.persona else "", c.lifecycle_stage, "yes" if c.churned_flag else "no"],
            _customer_link(c.pk),
        )
    return table


def drill_rows(metric_name: str, qs):
    """The drill-down queryset shaped for its table (joins, flags); paginate this."""
    metric = METRICS[metric_name]
    if metric.source == "responses":
        return qs.select_related("customer", "survey", "agent")
    if metric.source == "invitations":
        return qs.select_related("customer", "survey").annotate(answered_flag=F("answered"))
    if metric.source.startswith("cases"):
        return qs.select_related("customer", "assignee")
    if metric.source == "campaign":
        return qs.select_related("customer").annotate(
            opened_flag=F("opened"), clicked_flag=F("clicked"), converted_flag=F("converted")
        )
    if metric.source == "interactions":
        return qs.select_related("customer", "agent")
    return qs.select_related("persona").annotate(churned_flag=F("churned"))


def drill_table(metric_name: str, rows) -> Table:
    """The table of drill-down rows (`drill_rows`, or a page of them), with a link per row."""
    metric = METRICS[metric_name]
    if metric.source == "responses":
        return _responses(rows)
    if metric.source == "invitations":
        return _invitations(rows)
    if metric.source.startswith("cases"):
        return _cases(rows, metric)
    if metric.source in ("campaign", "interactions"):
        return _interactions(rows, metric)
    return _customers(rows)
