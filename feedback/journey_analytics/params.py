"""The parameters of the journey analytics, validated once for the API and the pages: the period and the
filters of `/api/metrics/` that apply to journeys (persona, entry channel), a breakdown and a path count."""

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import serializers

from cxcrm.choices import Channel
from journeys.models import Persona

from ..metrics.params import range_errors
from .selectors import BREAKDOWNS, DEFAULT_PATHS, MAX_PATHS

DEFAULT_DAYS = 90
# The permission that opens the journey analytics (marketers and managers hold it).
PERMISSION = "feedback.view_marketing_reports"


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last DEFAULT_DAYS days, today included."""
    today = today or timezone.localdate()
    return today - timedelta(days=DEFAULT_DAYS - 1), today


class JourneyAnalyticsQuerySerializer(serializers.Serializer):
    """`GET /api/journeys/{id}/funnel/` and `/paths/` parameters (the same names as `/api/metrics/`'s).

    start, end: inclusive days (default the last 90 days); persona: a persona id (the journey's customer's);
    channel: the channel of the journey's first touchpoint interaction; by (funnel): persona, channel or cohort;
    limit (paths): how many paths, 1–100 (default 10). `survey` and `granularity` do not apply: 400."""

    start = serializers.DateField(required=False, help_text="First day, inclusive (YYYY-MM-DD); default 89 days ago")
    end = serializers.DateField(required=False, help_text="Last day, inclusive (YYYY-MM-DD); default today")
    persona = serializers.PrimaryKeyRelatedField(queryset=Persona.objects.all(), required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, help_text="Channel of entry")
    by = serializers.ChoiceField(choices=BREAKDOWNS, required=False, help_text="Funnel breakdown")
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PATHS, default=DEFAULT_PATHS, required=False)

    NOT_APPLICABLE = ("survey", "granularity", "dimension", "metric", "journey")

    def validate(self, attrs):
        errors = {}
        for name in self.NOT_APPLICABLE:
            if name in self.initial_data:
                # The parameter is named as the client sent it (a code).
                errors[name] = [
                    gettext("Journey analytics cannot be filtered or grouped by %(parameter)s.") % {"parameter": name}
                ]
        first, last = default_period()
        start, end = attrs.get("start"), attrs.get("end")
        if start is None and end is not None:
            start = end - timedelta(days=DEFAULT_DAYS - 1)
        attrs["start"], attrs["end"] = start or first, end or (last if start is None or start <= last else start)
        for name, message in range_errors(attrs["start"], attrs["end"], "day", max_periods=None).items():
            errors[name] = [message]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def filters_of(data: dict) -> dict:
    """{persona: id, channel: code} of validated data (only those given)."""
    filters = {}
    if data.get("persona") is not None:
        filters["persona"] = data["persona"].pk
    if data.get("channel"):
        filters["channel"] = data["channel"]
    return filters
