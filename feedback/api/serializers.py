from rest_framework import serializers

from customers.models import Case, Customer, Interaction
from cxcrm.api.serializers import ModelSerializer, WholeItemsListSerializer
from cxcrm.fields import ChannelSerializerField, LocalTimeField

from .. import tokens
from ..choices import InvitationStatus
from ..models import Invitation, QuestionChoice, Response, Survey, SurveyQuestion, SurveyRule, SurveyText


class QuestionChoiceSerializer(ModelSerializer):
    class Meta:
        list_serializer_class = WholeItemsListSerializer
        model = QuestionChoice
        fields = ["value", "label", "translations"]


class SurveyQuestionSerializer(ModelSerializer):
    choices = QuestionChoiceSerializer(many=True, required=False)

    class Meta:
        list_serializer_class = WholeItemsListSerializer
        model = SurveyQuestion
        fields = [
            "id",
            "position",
            "type",
            "text",
            "translations",
            "is_primary",
            "required",
            "scale_min",
            "scale_max",
            "choices",
        ]
        read_only_fields = ["id", "position"]


class SurveyTextSerializer(ModelSerializer):
    class Meta:
        list_serializer_class = WholeItemsListSerializer
        model = SurveyText
        fields = ["language", "title", "intro", "thank_you"]


class SurveySerializer(ModelSerializer):
    """A survey with its ordered questions and texts; writing questions or texts replaces them (services)."""

    questions = SurveyQuestionSerializer(many=True, required=False)
    texts = SurveyTextSerializer(many=True, required=False)

    class Meta:
        model = Survey
        fields = [
            "id",
            "name",
            "kind",
            "active",
            "delivery_channel",
            "expiry_days",
            "reminder_after_days",
            "questions",
            "texts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Cross-field rules (reminder before expiry) run in the service's full_clean().
        validators = []


class SurveyRuleSerializer(ModelSerializer):
    channel = ChannelSerializerField(
        required=False,
        allow_blank=True,
        help_text="Interaction channel or case origin (any case; aliases such as whatsapp too); empty: any",
    )
    quiet_start = LocalTimeField(
        required=False, allow_null=True, help_text="Customer's local time; null: no quiet hours"
    )
    quiet_end = LocalTimeField(
        required=False, allow_null=True, help_text="Customer's local time; null with quiet_start"
    )

    class Meta:
        model = SurveyRule
        fields = [
            "id",
            "survey",
            "name",
            "event",
            "channel",
            "interaction_type",
            "touchpoint_key",
            "delay_minutes",
            "sample_percent",
            "quiet_start",
            "quiet_end",
            "priority",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []

    def validate(self, attrs):
        instance = SurveyRule(**{**self._current(), **attrs})
        instance.clean()
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        return {f: getattr(self.instance, f) for f in self.Meta.fields if f not in self.Meta.read_only_fields}


class InvitationSerializer(ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "survey",
            "customer",
            "rule",
            "interaction",
            "case",
            "channel",
            "status",
            "suppression_reason",
            "language",
            "attempts",
            "last_error",
            "url",
            "scheduled_for",
            "expires_at",
            "sending_at",
            "sent_at",
            "opened_at",
            "responded_at",
            "expired_at",
            "suppressed_at",
            "failed_at",
            "reminder_sent_at",
            "reminder_attempts",
            "reminder_retry_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_url(self, invitation) -> str | None:
        if invitation.status == InvitationStatus.SUPPRESSED:
            return None
        return tokens.survey_url(invitation.pk)


class InvitationCreateSerializer(serializers.Serializer):
    """`{survey, customer, interaction?, case?}` of a link-only invitation an integration hands out."""

    survey = serializers.PrimaryKeyRelatedField(queryset=Survey.objects.all())
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    interaction = serializers.PrimaryKeyRelatedField(
        queryset=Interaction.objects.all(), required=False, allow_null=True
    )
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.all(), required=False, allow_null=True)


class InvitationCreatedSerializer(ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ["id", "url", "status", "expires_at"]
        read_only_fields = fields

    def get_url(self, invitation) -> str | None:
        return None if invitation.status == InvitationStatus.SUPPRESSED else tokens.survey_url(invitation.pk)


class FollowupCaseSerializer(ModelSerializer):
    """The detractor follow-up case: who has it, its state, and once closed the note and the time it took."""

    hours_to_close = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "status",
            "priority",
            "assignee",
            "opened_at",
            "resolution_due_at",
            "resolved_at",
            "closed_at",
            "resolution_note",
            "hours_to_close",
        ]
        read_only_fields = fields

    def get_hours_to_close(self, case) -> float | None:
        done = case.closed_at or case.resolved_at
        return round((done - case.opened_at).total_seconds() / 3600, 2) if done else None


class ResponseSerializer(ModelSerializer):
    """A survey response with its score, kind, submitted time and denormalised context."""

    survey_name = serializers.CharField(source="survey.name", read_only=True)
    persona_name = serializers.CharField(source="persona.name", read_only=True, default=None, allow_null=True)
    journey_map_name = serializers.CharField(source="journey_map.name", read_only=True, default=None, allow_null=True)
    followup = FollowupCaseSerializer(source="followup_case", read_only=True, allow_null=True)

    class Meta:
        model = Response
        fields = [
            "id",
            "invitation",
            "survey",
            "survey_name",
            "kind",
            "score",
            "comment",
            "answers",
            "language",
            "sentiment",
            "sentiment_score",
            "submitted_at",
            "customer",
            "persona",
            "persona_name",
            "channel",
            "touchpoint_key",
            "touchpoint",
            "journey_map",
            "journey_map_name",
            "stage",
            "stage_name",
            "interaction",
            "case",
            "agent",
            "followup",
        ]
        read_only_fields = fields
