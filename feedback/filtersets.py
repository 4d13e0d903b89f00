import django_filters

from cxcrm.choices import Channel
from cxcrm.fields import BoundedDateFilter, BoundedIsoDateTimeFilter, BoundedNumberFilter, OrderingFilter

from .choices import InvitationStatus, Sentiment, SuppressionReason, SurveyKind
from .models import Invitation, Response, Survey, SurveyRule


class SurveyFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    ordering = OrderingFilter(fields=("name", "created_at"))

    class Meta:
        model = Survey
        fields = ["kind", "active", "delivery_channel"]


class SurveyRuleFilterSet(django_filters.FilterSet):
    survey_id = BoundedNumberFilter(field_name="survey_id")

    ordering = OrderingFilter(fields=("name", "created_at"))

    class Meta:
        model = SurveyRule
        fields = ["survey", "event", "channel", "active"]


class InvitationFilterSet(django_filters.FilterSet):
    survey = BoundedNumberFilter(field_name="survey_id")
    survey_id = BoundedNumberFilter(field_name="survey_id")
    customer = BoundedNumberFilter(field_name="customer_id")
    customer_id = BoundedNumberFilter(field_name="customer_id")
    status = django_filters.MultipleChoiceFilter(choices=InvitationStatus.choices)
    reason = django_filters.ChoiceFilter(field_name="suppression_reason", choices=SuppressionReason.choices)
    created_after = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    date_from = BoundedDateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = BoundedDateFilter(field_name="created_at", lookup_expr="date__lte")

    ordering = OrderingFilter(fields=("created_at", "scheduled_for", "sent_at"))

    class Meta:
        model = Invitation
        fields = ["channel"]


class ResponseFilterSet(django_filters.FilterSet):
    """Filters of /api/responses/: survey, kind, score range, submitted range and the denormalised context."""

    survey = BoundedNumberFilter(field_name="survey_id")
    survey_id = BoundedNumberFilter(field_name="survey_id")
    kind = django_filters.MultipleChoiceFilter(choices=SurveyKind.choices)
    score_min = BoundedNumberFilter(field_name="score", lookup_expr="gte")
    score_max = BoundedNumberFilter(field_name="score", lookup_expr="lte")
    submitted_after = BoundedIsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte")
    submitted_before = BoundedIsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt")
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    touchpoint = django_filters.CharFilter(field_name="touchpoint_key")
    persona = BoundedNumberFilter(field_name="persona_id")
    journey = BoundedNumberFilter(field_name="journey_map_id")
    stage = BoundedNumberFilter(field_name="stage_id")
    stage_name = django_filters.CharFilter(field_name="stage_name")
    sentiment = django_filters.MultipleChoiceFilter(choices=Sentiment.choices)
    customer = BoundedNumberFilter(field_name="customer_id")
    has_followup = django_filters.BooleanFilter(field_name="followup_case", lookup_expr="isnull", exclude=True)

    ordering = OrderingFilter(fields=("submitted_at", "score"))

    class Meta:
        model = Response
        fields = []
