"""The drill-down: the rows behind any figure (responses, invitations, cases, interactions or customers).

A figure is named by the API's parameters (metric, range, dimension, filters) plus a dimension value, a
bucket of its rows (detractors, answered…) and `mine`; `drill_url` writes that link, `DrillQuerySerializer`
reads it back, and `drill_rows`/`drill_table_class` lay out its rows.
"""

from urllib.parse import urlencode

import django_tables2 as tables
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.choices import CaseOrigin, case_topic_label
from cxcrm.fields import InstantSerializerField

from ..metrics.compute import drill_buckets, source_for
from ..metrics.definitions import DIMENSIONS, GRANULARITIES, METRICS, OWN_METRICS
from ..metrics.params import MetricQuerySerializer, no_such_value
from ..scales import SCALES
from .tables import CodedColumn, LabelColumn, LinkedTable, TextColumn, WhenColumn, number, number_shown, user_name

# --------------------------------------------------------------------------- the link and its parameters


def drill_url(
    metric, *, start, end, filters=None, dimension="overall", value=None, bucket=None, mine=False, as_of=None
) -> str:
    """The drill-down of one figure; `filters` as the query read them (an `agent` scope is left out: the
    drill-down applies the reader's own scope, and `mine` the signed-in user's own rows whatever their role).
    `as_of` (aware datetime): the moment the figure was computed; the drill-down lists the rows as of then
    (ISO 8601 with microseconds and offset in the link), None for the live rows."""
    params = {"metric": metric, "start": start.isoformat(), "end": end.isoformat(), **(filters or {})}
    params.pop("agent", None)
    if mine:
        params["mine"] = 1
    if dimension != "overall":
        params.update(dimension=dimension, value=value or "")
    if bucket:
        params["bucket"] = bucket
    if as_of is not None:
        params["as_of"] = as_of.isoformat()
    return f"{reverse('feedback:report_drilldown')}?{urlencode(params)}"


class _AnyText(serializers.CharField):
    """Text taken as given, null characters included: a value no row has is answered by name below."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = []


class DrillQuerySerializer(MetricQuerySerializer):
    """The drill-down's parameters: the API's (`granularity` optional, it only bounds the range) and `value`
    (of the dimension), `bucket` (compute.drill_buckets), `mine` (the user's own rows: "My figures") and `as_of`
    (ISO 8601 date-time with its offset: the rows as of the moment the figure was computed; absent: live rows).

    The channel filter also takes the cases' origin "survey": the follow-up report's link to the detractor
    follow-ups (MetricQuerySerializer refuses it for any metric but the cases').
    """

    # The drill-down of a metric's figure (health has its own: HealthDrillView).
    metric = serializers.ChoiceField(choices=[(name, m.label) for name, m in METRICS.items()])
    dimension = serializers.ChoiceField(choices=list(DIMENSIONS), required=False, default="overall")
    granularity = serializers.ChoiceField(choices=GRANULARITIES, default="quarter")
    channel = serializers.ChoiceField(choices=CaseOrigin.choices, required=False)
    value = _AnyText(required=False, allow_blank=True, trim_whitespace=False, default="")
    bucket = serializers.CharField(required=False, allow_blank=True, default="")
    mine = serializers.BooleanField(required=False, default=False)
    as_of = InstantSerializerField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        metric, dimension, value = METRICS[attrs["metric"]], attrs["dimension"], attrs["value"]
        errors = {}
        if dimension != "overall":
            _path, value_type = source_for(metric).dims[dimension]
            if "\x00" in value or (
                value_type == "id" and value and not (value.isascii() and value.isdigit() and len(value) < 19)
            ):
                errors["value"] = [no_such_value(DIMENSIONS[dimension], value)]
        if attrs["bucket"] and attrs["bucket"] not in drill_buckets(metric.name):
            message = gettext("No subset “%(bucket)s” for %(metric)s.")
            errors["bucket"] = [message % {"bucket": attrs["bucket"], "metric": metric.label}]
        if attrs["mine"] and metric.name not in OWN_METRICS:
            errors["mine"] = [gettext("%(metric)s has no figures of your own.") % {"metric": metric.label}]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# How each bucket of a figure's rows is named on the page (the URL keeps the short key).
BUCKET_NAMES = {
    "response_rate": {"numerator": _("Answered")},
    "sla_breach_rate": {"numerator": _("Breached")},
    "churn_rate": {"numerator": _("Churned")},
    "open_rate": {"numerator": _("Opened")},
    "ctr": {"numerator": _("Clicked")},
    "click_to_open": {"numerator": _("Clicked after opening")},
    "conversion_rate": {"numerator": _("Converted")},
}
# The buckets every campaign figure offers: the recipients who opened, clicked, converted.
CAMPAIGN_BUCKET_NAMES = {
    "opened": pgettext_lazy("recipients who", "Opened"),
    "clicked": pgettext_lazy("recipients who", "Clicked"),
    "converted": pgettext_lazy("recipients who", "Converted"),
}


def bucket_name(metric: str, bucket: str) -> str:
    """ "Promoters (9–10)" for NPS's `promoters` bucket (from the scale table); "Answered" for a ratio's numerator."""
    if metric in SCALES:
        return str(SCALES[metric].bucket_names().get(bucket, bucket))
    names = {**CAMPAIGN_BUCKET_NAMES, **BUCKET_NAMES.get(metric, {})}
    return str(names.get(bucket, bucket.replace("_", " ").capitalize()))


# --------------------------------------------------------------------------- the rows


def _touchpoint_name(row) -> str:
    """A row's touchpoint by its name (its key when the touchpoint is gone); "" for none."""
    if row.touchpoint_id and row.touchpoint is not None:
        return row.touchpoint.name
    return row.touchpoint_key


class DrillTable(LinkedTable):
    """The rows behind a figure of `metric` (`drill_rows`), each linked to its customer. The exports carry the
    customer's id (hidden on the page, which links the row instead), so a file's rows can be joined back."""

    link_label = _("customer")

    customer_id = tables.Column(_("Customer id"), accessor="customer_id", visible=False)

    def __init__(self, data, *, metric: str, **kwargs):
        self.metric = METRICS[metric]
        super().__init__(data, **kwargs)

    def row_link(self, record):
        return reverse("customers:customer_detail", args=[record.customer_id])


class ResponsesTable(DrillTable):
    submitted = WhenColumn(_("Submitted"), lambda r: r.submitted_at)
    customer = TextColumn(_("Customer"), lambda r: str(r.customer), wrap=True)
    survey = TextColumn(_("Survey"), lambda r: r.survey.name)
    score = TextColumn(_("Score"), lambda r: r.score)
    channel = CodedColumn(_("Channel"), lambda r: r.channel, lambda r: r.get_channel_display())
    channel_label = LabelColumn(lambda r: r.get_channel_display(), "channel_label")
    touchpoint = CodedColumn(_("Touchpoint"), lambda r: r.touchpoint_key, _touchpoint_name)
    touchpoint_label = LabelColumn(_touchpoint_name, "touchpoint_label")
    stage = TextColumn(_("Stage"), lambda r: r.stage_name)
    agent = TextColumn(_("Agent"), lambda r: user_name(r.agent))
    comment = TextColumn(_("Comment"), lambda r: r.comment[:200], wrap=True)


class InvitationsTable(DrillTable):
    sent = WhenColumn(_("Sent"), lambda i: i.sent_at)
    customer = TextColumn(_("Customer"), lambda i: str(i.customer))
    survey = TextColumn(_("Survey"), lambda i: i.survey.name)
    channel = CodedColumn(_("Channel"), lambda i: i.channel, lambda i: i.get_channel_display())
    channel_label = LabelColumn(lambda i: i.get_channel_display(), "channel_label")
    status = CodedColumn(_("Status"), lambda i: i.status, lambda i: i.get_status_display())
    status_label = LabelColumn(lambda i: i.get_status_display(), "status_label")
    answered = TextColumn(_("Answered"), lambda i: _yes_no(i.answered_flag))


class CasesTable(DrillTable):
    """Cases, with the hours the metric measures (to resolution or first response) when it measures any."""

    link_label = _("case")

    case = TextColumn(_("Case"), lambda c: f"#{c.pk}")
    subject = TextColumn(_("Subject"), lambda c: c.subject, wrap=True)
    customer = TextColumn(_("Customer"), lambda c: str(c.customer))
    topic = CodedColumn(_("Topic"), lambda c: c.topic, lambda c: case_topic_label(c.topic))
    topic_label = LabelColumn(lambda c: case_topic_label(c.topic), "topic_label")
    origin = CodedColumn(_("Origin"), lambda c: c.origin, lambda c: c.get_origin_display())
    origin_label = LabelColumn(lambda c: c.get_origin_display(), "origin_label")
    assignee = TextColumn(_("Assignee"), lambda c: user_name(c.assignee))
    opened = WhenColumn(_("Opened"), lambda c: c.opened_at)
    resolved = WhenColumn(_("Resolved"), lambda c: c.resolved_at)
    hours = tables.Column(_("Hours"), empty_values=())

    END_FIELDS = {"ttr_hours": "resolved_at", "first_response_hours": "first_response_at"}

    def _hours(self, record) -> float | None:
        end_field = self.END_FIELDS.get(self.metric.name)
        end = getattr(record, end_field) if end_field else None
        return (end - record.opened_at).total_seconds() / 3600 if end else None

    def render_hours(self, record):
        return number_shown(self._hours(record))

    def value_hours(self, record):
        return number(self._hours(record))

    def row_link(self, record):
        return reverse("customers:case_detail", args=[record.pk])


class CampaignTable(DrillTable):
    first_sent = WhenColumn(_("First sent"), lambda i: i.occurred_at)
    customer = TextColumn(_("Customer"), lambda i: str(i.customer))
    campaign = TextColumn(_("Campaign"), lambda i: i.campaign)
    opened = TextColumn(_("Opened"), lambda i: _yes_no(i.opened_flag))
    clicked = TextColumn(_("Clicked"), lambda i: _yes_no(i.clicked_flag))
    converted = TextColumn(_("Converted"), lambda i: _yes_no(i.converted_flag))


class InteractionsTable(DrillTable):
    occurred = WhenColumn(_("When"), lambda i: i.occurred_at)
    customer = TextColumn(_("Customer"), lambda i: str(i.customer))
    channel = CodedColumn(_("Channel"), lambda i: i.channel, lambda i: i.get_channel_display())
    channel_label = LabelColumn(lambda i: i.get_channel_display(), "channel_label")
    type = CodedColumn(_("Type"), lambda i: i.type, lambda i: i.get_type_display())
    type_label = LabelColumn(lambda i: i.get_type_display(), "type_label")
    touchpoint = CodedColumn(_("Touchpoint"), lambda i: i.touchpoint_key, _touchpoint_name)
    touchpoint_label = LabelColumn(_touchpoint_name, "touchpoint_label")
    campaign = TextColumn(_("Campaign"), lambda i: i.campaign)
    agent = TextColumn(_("Agent"), lambda i: user_name(i.agent))
    summary = TextColumn(_("Summary"), lambda i: i.summary_display, wrap=True)


class CustomersTable(DrillTable):
    customer_id = tables.Column(_("Customer id"), accessor="pk", visible=False)
    customer = TextColumn(_("Customer"), str)
    persona = TextColumn(_("Persona"), lambda c: c.persona.name if c.persona else "")
    stage = CodedColumn(_("Stage now"), lambda c: c.lifecycle_stage, lambda c: c.get_lifecycle_stage_display())
    stage_label = LabelColumn(lambda c: c.get_lifecycle_stage_display(), "stage_label")
    churned = TextColumn(_("Churned in the period"), lambda c: _yes_no(c.churned_flag))

    def row_link(self, record):
        return reverse("customers:customer_detail", args=[record.pk])


def _yes_no(flag) -> str:
    return str(_("yes") if flag else _("no"))


def drill_rows(metric_name: str, qs):
    """The drill-down queryset shaped for its table (joins, flags); paginate this."""
    metric = METRICS[metric_name]
    if metric.source == "responses":
        return qs.select_related("customer", "survey", "agent", "touchpoint")
    if metric.source == "invitations":
        return qs.select_related("customer", "survey").annotate(answered_flag=F("answered"))
    if metric.source.startswith("cases"):
        return qs.select_related("customer", "assignee")
    if metric.source == "campaign":
        return qs.select_related("customer").annotate(
            opened_flag=F("opened"), clicked_flag=F("clicked"), converted_flag=F("converted")
        )
    if metric.source == "interactions":
        return qs.select_related("customer", "agent", "touchpoint")
    return qs.select_related("persona").annotate(churned_flag=F("churned"))


def drill_table_class(metric_name: str) -> type[DrillTable]:
    """The table of a metric's drill-down rows (`drill_rows`), built with `metric=metric_name`."""
    metric = METRICS[metric_name]
    if metric.source == "responses":
        return ResponsesTable
    if metric.source == "invitations":
        return InvitationsTable
    if metric.source.startswith("cases"):
        return CasesTable
    if metric.source == "campaign":
        return CampaignTable
    if metric.source == "interactions":
        return InteractionsTable
    return CustomersTable
