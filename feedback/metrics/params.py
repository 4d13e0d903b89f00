"""The parameters of a metric query, validated once for the API and the pages, and
the role scope applied to them (who may read which figure)."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.choices import CaseOrigin
from cxcrm.choices import Channel
from cxcrm.validators import EARLIEST_DAY, LATEST_DAY
from journeys.models import JourneyMap, Persona

from ..models import Survey
from .compute import source_for
from .definitions import (
    DIMENSIONS,
    FILTERS,
    GRANULARITIES,
    JOURNEY_DIMENSIONS,
    JOURNEY_STAGE_METRICS,
    MARKETING_METRICS,
    METRICS,
    OWN_METRICS,
    SCORE_METRICS,
    metric_allows_filter,
)

MAX_PERIODS = 1000
# `metric=health`: the customer health score by period (feedback.reports.health), not a metric of METRICS.
HEALTH = "health"
HEALTH_DIMENSIONS = ("overall", "persona", "lifecycle_stage", "journey")
HEALTH_LABEL = _("Customer health")
# The permissions that open the reports, broadest first (declared on MetricRollup, granted by cxcrm/roles.py).
REPORT_PERMISSIONS = ("feedback.view_reports", "feedback.view_marketing_reports", "feedback.view_own_reports")
# Dates outside these bounds are refused: the years of every instant the product accepts (cxcrm.validators),
# which also keep the previous period of a tile and the calendar arithmetic of periods inside Python's range.
EARLIEST_DATE = EARLIEST_DAY
LATEST_DATE = LATEST_DAY


def period_count(start: date, end: date, granularity: str) -> int:
    """How many (cut) periods of `granularity` the inclusive range holds, without listing them."""
    if start > end:
        return 0
    if granularity == "day":
        return (end - start).days + 1
    if granularity == "week":
        return (end.toordinal() - end.weekday() - (start.toordinal() - start.weekday())) // 7 + 1
    months = 1 if granularity == "month" else 3
    return ((end.year * 12 + end.month - 1) // months) - ((start.year * 12 + start.month - 1) // months) + 1


def range_errors(start: date, end: date, granularity: str, *, max_periods: int | None = MAX_PERIODS) -> dict[str, str]:
    """What is wrong with a period range ({field: message}); empty when it can be computed.

    `max_periods` None: the range is read as one total, however long."""
    errors = {}
    for name, day in (("start", start), ("end", end)):
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            errors[name] = gettext("Choose a date between %(earliest)s and %(latest)s.") % {
                "earliest": f"{EARLIEST_DATE:%Y-%m-%d}",
                "latest": f"{LATEST_DATE:%Y-%m-%d}",
            }
    if errors:
        return errors
    if start > end:
        return {"start": _("The start is after the end.")}
    if max_periods is not None and period_count(start, end, granularity) > max_periods:
        return {
            "start": gettext("More than %(count)s periods: choose a shorter range or a coarser granularity.")
            % {"count": max_periods}
        }
    return {}


def dimension_label(code: str) -> str:
    """A dimension's or filter's name in the reader's language, lower case, to sit inside a sentence
    ("journey map"); the code itself when it has no label."""
    label = DIMENSIONS.get(code) or (_("Lifecycle stage") if code == "lifecycle_stage" else None)
    return str(label).lower() if label else code


def not_by_dimension(subject, code: str, codes, hint: str = "") -> str:
    """The message for a breakdown `subject` (a metric's label) does not offer: the dimension by its label,
    then the codes a client may send (`hint` after them, already translated)."""
    return gettext("%(subject)s cannot be broken down by %(dimension)s; use one of: %(codes)s%(hint)s.") % {
        "subject": subject,
        "dimension": dimension_label(code),
        "codes": ", ".join(codes),
        "hint": hint,
    }


def not_filtered_by(subject, code: str) -> str:
    """The message for a filter `subject` (a metric's label) does not take, the filter by its label."""
    return gettext("%(subject)s cannot be filtered by %(filter)s.") % {
        "subject": subject,
        "filter": dimension_label(code),
    }


def no_such_value(dimension_name, value: str) -> str:
    """The message for a value of a dimension that names nothing: "No persona “xyz”." (`dimension_name`: its label)."""
    return gettext("No %(dimension)s “%(value)s”.") % {"dimension": str(dimension_name).lower(), "value": value}


def filters_of(data: dict) -> dict:
    """{filter: id or code} of the filters (FILTERS) given in validated `data`, the pages' forms' or the API's."""
    filters = {}
    for name in FILTERS:
        value = data.get(name)
        if value not in (None, ""):
            filters[name] = getattr(value, "pk", value)
    return filters


class MetricQuerySerializer(serializers.Serializer):
    """`GET /api/metrics/` parameters; filters are ids (persona, journey, survey) or a channel code."""

    metric = serializers.ChoiceField(
        choices=[*((name, m.label) for name, m in METRICS.items()), (HEALTH, HEALTH_LABEL)],
        help_text="A metric, or `health`: the average customer health score at each period's end",
    )
    granularity = serializers.ChoiceField(choices=GRANULARITIES)
    start = serializers.DateField(help_text="First day, inclusive (YYYY-MM-DD)")
    end = serializers.DateField(help_text="Last day, inclusive (YYYY-MM-DD)")
    dimension = serializers.ChoiceField(
        choices=[*DIMENSIONS, "lifecycle_stage"],
        required=False,
        default="overall",
        help_text="`lifecycle_stage` for `health` only (which reads overall, persona, lifecycle_stage or journey)",
    )
    persona = serializers.PrimaryKeyRelatedField(queryset=Persona.objects.all(), required=False)
    journey = serializers.PrimaryKeyRelatedField(queryset=JourneyMap.objects.all(), required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    survey = serializers.PrimaryKeyRelatedField(queryset=Survey.objects.all(), required=False)

    def validate(self, attrs):
        if attrs["metric"] == HEALTH:
            return self._validate_health(attrs)
        errors = {}
        metric = METRICS[attrs["metric"]]
        for name, message in range_errors(attrs["start"], attrs["end"], attrs["granularity"]).items():
            errors[name] = [message]
        dimension = attrs.get("dimension") or "overall"
        # Churn by the furthest stage reached on one map (journey analytics): stage with a journey only.
        by_journey_stage = metric.name in JOURNEY_STAGE_METRICS and dimension == "stage" and attrs.get("journey")
        if dimension not in metric.dimensions and not by_journey_stage:
            hint = gettext(" (stage: with journey=<id>)") if metric.name in JOURNEY_STAGE_METRICS else ""
            errors["dimension"] = [not_by_dimension(metric.label, dimension, metric.dimensions, hint)]
        for name in FILTERS:
            if by_journey_stage and name == "journey":
                continue
            if attrs.get(name) not in (None, "") and not metric_allows_filter(metric, name):
                errors[name] = [not_filtered_by(metric.label, name)]
        channel = attrs.get("channel")
        if channel and "channel" not in errors and channel not in source_for(metric).channels:
            # A case's origin can be "survey" (a detractor follow-up); no other row has that channel.
            errors["channel"] = [
                gettext("%(metric)s cannot be filtered by the channel “%(channel)s”: only cases have it.")
                % {"metric": metric.label, "channel": CaseOrigin(channel).label}
            ]
        if errors:
            raise serializers.ValidationError(errors)
        attrs["dimension"] = dimension
        return attrs

    def _validate_health(self, attrs):
        """Health reads its own dimensions (HEALTH_DIMENSIONS) and takes no filter."""
        errors = {
            name: [message]
            for name, message in range_errors(attrs["start"], attrs["end"], attrs["granularity"]).items()
        }
        dimension = attrs.get("dimension") or "overall"
        if dimension not in HEALTH_DIMENSIONS:
            errors["dimension"] = [not_by_dimension(HEALTH_LABEL, dimension, HEALTH_DIMENSIONS)]
        for name in FILTERS:
            if attrs.get(name) not in (None, ""):
                errors[name] = [not_filtered_by(HEALTH_LABEL, name)]
        if errors:
            raise serializers.ValidationError(errors)
        attrs["dimension"] = dimension
        return attrs


def report_scope(
    user, *, metric: str, dimension: str = "overall", filters: dict | None = None, mine: bool = False
) -> dict:
    """The filters a user's role imposes on a query; raises PermissionDenied if it may not read it.

    Managers read everything; marketers campaign figures and journey figures (scores by
    journey, stage or touchpoint, or filtered to one journey; churn by the furthest stage on one map); reps
    their own cases' and answers' figures (filtered to agent = themselves). `mine` ("My figures" and its
    drill-downs): the user's own figures only, whatever else their role may read.
    """
    filters = dict(filters or {})
    if mine:
        if user.has_perm("feedback.view_own_reports") and metric in OWN_METRICS and dimension != "agent":
            filters["agent"] = user.pk
            return filters
        raise PermissionDenied(_("These figures have no share of your own."))
    if user.has_perm("feedback.view_reports"):
        return filters
    if user.has_perm("feedback.view_marketing_reports"):
        journey_figure = metric in SCORE_METRICS and (dimension in JOURNEY_DIMENSIONS or "journey" in filters)
        # Churn by the furthest stage reached on one map is a journey figure too (the journey analytics).
        journey_figure = journey_figure or (
            metric in JOURNEY_STAGE_METRICS and dimension == "stage" and "journey" in filters
        )
        if metric in MARKETING_METRICS or journey_figure:
            return filters
    if user.has_perm("feedback.view_own_reports") and metric in OWN_METRICS and dimension != "agent":
        filters["agent"] = user.pk
        return filters
    raise PermissionDenied(_("Your role cannot read this figure."))


def response_rows_scope(user) -> dict:
    """The filters a user's role imposes on survey response rows (/api/responses/): the scope of the score
    figures by journey in the reports and /api/metrics/ (report_scope), so a row is readable exactly when
    its figure is. Managers and marketers: {} (every row); reps: {"agent": their id} (the answers attributed
    to them). Raises PermissionDenied for a role that reads no score figure."""
    return report_scope(user, metric="nps", dimension="journey")


def report_permission_for(user) -> str:
    """The report permission a user holds (the API requires one of them)."""
    for perm in REPORT_PERMISSIONS:
        if user.has_perm(perm):
            return perm
    return REPORT_PERMISSIONS[0]
