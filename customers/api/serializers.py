"""API representations of the customers app. Writes go through services; the
acting user comes from the request context, never from the body."""

from rest_framework import serializers

from cxcrm.api.serializers import DirectReadModelSerializer, ModelSerializer
from cxcrm.choices import CHANNEL_ALIASES, LANGUAGE_UNSUPPORTED, Channel, Language, language_best_match
from cxcrm.fields import ChannelSerializerField, InstantSerializerField, StorableDictField
from journeys.models import Persona

from ..choices import (
    IDENTITY_KIND_ALIASES,
    CaseOrigin,
    CasePriority,
    CaseStatus,
    Direction,
    IdentityKind,
    InteractionType,
    LifecycleStage,
)
from ..models import Case, CaseChange, Customer, Identity, Interaction, MergeRecord, MergeSuggestion, Note
from ..selectors import case_assignable_users

MAX_BULK_ITEMS = 1000


# --------------------------------------------------------------------------- identities and customers


class IdentitySerializer(ModelSerializer):
    class Meta:
        model = Identity
        fields = ["id", "kind", "network", "value", "created_at"]
        read_only_fields = fields


class IdentityInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[*IdentityKind.values, *IDENTITY_KIND_ALIASES],
        help_text="whatsapp, sms and mobile are read as phone (a phone identity has no network).",
    )
    value = serializers.CharField(max_length=254, trim_whitespace=False)
    network = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class IdentityListInputField(serializers.ListField):
    """A list of {kind, value, network?}. The service normalises them (customers.identities), reading a
    national-format phone in the customer's country, and names each bad value."""

    child = IdentityInputSerializer()


class LanguageTagField(serializers.CharField):
    """A BCP 47 language tag in any case, with "_" or "-" ("pt-BR", "PT_BR", "es-MX"), given back as its best
    supported language (cxcrm.choices.language_best_match); a tag without a match is a 400 naming the supported ones."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 35)
        kwargs.setdefault(
            "help_text",
            "A BCP 47 language tag; stored as the best supported language (" + ", ".join(Language.values) + ").",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        tag = super().to_internal_value(data)
        language = language_best_match(tag)
        if language is None:
            raise serializers.ValidationError(LANGUAGE_UNSUPPORTED % {"value": tag}, code="invalid_choice")
        return language

    def to_representation(self, value):
        return value


class TagListField(serializers.ListField):
    child = serializers.CharField(max_length=50)

    def to_representation(self, data):
        return [tag.name for tag in data.all()]


class CustomerSerializer(ModelSerializer):
    language = LanguageTagField(required=False)
    lifecycle_stage = serializers.ChoiceField(choices=LifecycleStage.choices, required=False)
    preferred_channel = ChannelSerializerField(required=False, allow_blank=True)
    persona = serializers.PrimaryKeyRelatedField(queryset=Persona.objects.all(), required=False, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=case_assignable_users(), required=False, allow_null=True, help_text="An active support rep"
    )
    tags = TagListField(required=False)
    identities = IdentitySerializer(many=True, read_only=True)
    full_name = serializers.CharField(read_only=True)
    interaction_count = serializers.IntegerField(read_only=True)
    open_case_count = serializers.IntegerField(read_only=True)

    def get_fields(self):
        # Other apps' read-only fields (customers/extensions.py), e.g. feedback's health score.
        from customers.extensions import customer_fields_extra

        fields = super().get_fields()
        fields.update(customer_fields_extra())
        return fields

    class Meta:
        model = Customer
        fields = [
            "id",
            "first_name",
            "last_name",
            "full_name",
            "language",
            "timezone",
            "country",
            "lifecycle_stage",
            "persona",
            "owner",
            "tags",
            "marketing_consent",
            "survey_opt_out",
            "preferred_channel",
            "identities",
            "interaction_count",
            "open_case_count",
            "first_contact_at",
            "last_contact_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "full_name",
            "identities",
            "interaction_count",
            "open_case_count",
            "first_contact_at",
            "last_contact_at",
            "created_at",
            "updated_at",
        ]


class CustomerCreateSerializer(CustomerSerializer):
    identities = IdentityListInputField(required=False)

    class Meta(CustomerSerializer.Meta):
        read_only_fields = [f for f in CustomerSerializer.Meta.read_only_fields if f != "identities"]


class CustomerDetailsSerializer(serializers.Serializer):  # schema only, as InteractionIngestSerializer
    """Fields that fill a customer created by an ingested interaction."""

    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    language = LanguageTagField(required=False)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    timezone = serializers.CharField(max_length=64, required=False)


class CustomerRefSerializer(ModelSerializer):
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "full_name"]
        read_only_fields = fields


# --------------------------------------------------------------------------- interactions


class InteractionSerializer(DirectReadModelSerializer):
    """An interaction as the API gives it (read-only: interactions are written through ingestion)."""

    # The product's own entries (case updates, survey answers) in the request's language (customers.summaries).
    summary = serializers.CharField(source="summary_display", read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "customer",
            "channel",
            "network",
            "direction",
            "type",
            "occurred_at",
            "summary",
            "body",
            "agent",
            "case",
            "touchpoint",
            "touchpoint_key",
            "campaign",
            "source",
            "external_id",
            "metadata",
            "live",
            "created_at",
        ]
        read_only_fields = fields


# The body of POST /api/interactions/ (and each item of bulk/), for the API schema and the browsable API only:
# it is never run. The views parse the input with customers.services.ingest_input, which holds the rules
# (the same for the file import) and checks a whole bulk batch in one pass.
class InteractionIngestSerializer(serializers.Serializer):
    """One interaction to ingest. At least one identity or customer_id."""

    channel = serializers.ChoiceField(
        choices=[*Channel.values, *CHANNEL_ALIASES],
        help_text="A channel, or a messaging app or social network read as its channel and network "
        "(whatsapp: chat + network whatsapp; instagram: social + network instagram); any case.",
    )
    network = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        help_text="The messaging app or social network (lower case), e.g. whatsapp, telegram, instagram; "
        "set by a channel alias when not given.",
    )
    occurred_at = InstantSerializerField()
    summary = serializers.CharField(max_length=300)
    body = serializers.CharField(required=False, allow_blank=True, default="")
    direction = serializers.ChoiceField(choices=Direction.choices, default=Direction.INBOUND)
    type = serializers.ChoiceField(choices=InteractionType.choices, default=InteractionType.MESSAGE)
    identities = IdentityListInputField(required=False, default=list)
    customer_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    customer = CustomerDetailsSerializer(required=False)
    source = serializers.CharField(max_length=50, required=False, default="api")
    external_id = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    touchpoint = serializers.CharField(
        max_length=80, required=False, allow_blank=True, default="", help_text="Touchpoint key (published map)"
    )
    case = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    campaign = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    metadata = StorableDictField(required=False, default=dict)
    agent = serializers.IntegerField(required=False, allow_null=True)


class IngestResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer = serializers.IntegerField()
    created = serializers.BooleanField()


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "existing", "error"])
    id = serializers.IntegerField(required=False)
    customer = serializers.IntegerField(required=False)
    errors = serializers.DictField(required=False)


class BulkResultSerializer(serializers.Serializer):
    results = BulkItemResultSerializer(many=True)


# --------------------------------------------------------------------------- cases and notes


class CaseSerializer(ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    origin = ChannelSerializerField(choices=CaseOrigin.choices, default=Channel.OTHER)
    priority = serializers.ChoiceField(choices=CasePriority.choices, default=CasePriority.NORMAL)
    status = serializers.ChoiceField(choices=CaseStatus.choices, default=CaseStatus.NEW)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=case_assignable_users(), required=False, allow_null=True, help_text="An active support rep"
    )
    opened_at = InstantSerializerField(required=False)
    source = serializers.CharField(max_length=50, required=False, default="api")
    external_id = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    breached = serializers.BooleanField(source="is_breached", read_only=True, help_text="SLA missed (derived now)")

    class Meta:
        model = Case
        fields = [
            "id",
            "customer",
            "subject",
            "description",
            "topic",
            "origin",
            "priority",
            "status",
            "assignee",
            "assigned_at",
            "opened_at",
            "first_response_at",
            "first_response_due_at",
            "resolved_at",
            "resolution_due_at",
            "closed_at",
            "reopen_count",
            "pending_seconds",
            "resolution_note",
            "breached",
            "source",
            "external_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "assigned_at",
            "first_response_at",
            "first_response_due_at",
            "resolved_at",
            "resolution_due_at",
            "closed_at",
            "reopen_count",
            "pending_seconds",
            "breached",
            "created_at",
            "updated_at",
        ]
        validators = []  # the (source, external_id) key is an idempotency key, handled by the service


class CaseUpdateSerializer(CaseSerializer):
    """PATCH: the customer, opening time and idempotency key of a case do not change; `reason` (write-only)
    is kept in the case's history with each change."""

    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=2000, help_text="Why, kept in the history"
    )

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "reason"]
        read_only_fields = [*CaseSerializer.Meta.read_only_fields, "customer", "opened_at", "source", "external_id"]


class CaseChangeSerializer(ModelSerializer):
    """One change in a case's history: the field, its stored values and labels, who, when and why."""

    # A status, priority or origin by its label in the request's language (customers.summaries).
    from_label = serializers.CharField(source="from_display", read_only=True)
    to_label = serializers.CharField(source="to_display", read_only=True)

    class Meta:
        model = CaseChange
        fields = [
            "id",
            "field",
            "from_value",
            "to_value",
            "from_label",
            "to_label",
            "reason",
            "changed_by",
            "changed_at",
        ]
        read_only_fields = fields


class NoteSerializer(ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())

    class Meta:
        model = Note
        fields = ["id", "customer", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class NoteUpdateSerializer(NoteSerializer):
    class Meta(NoteSerializer.Meta):
        read_only_fields = [*NoteSerializer.Meta.read_only_fields, "customer"]


# --------------------------------------------------------------------------- merges


class MergeRequestSerializer(serializers.Serializer):
    other = serializers.IntegerField(min_value=1, help_text="Id of the customer folded into the one in the URL")


class MergeSerializer(MergeRequestSerializer):
    lifecycle_stage = serializers.ChoiceField(
        choices=LifecycleStage.choices,
        required=False,
        help_text="The merged customer's stage; by default the survivor's, or the other's when the survivor is a "
        "lead or prospect and the other is later in lead → prospect → active",
    )


class MergeResultSerializer(serializers.Serializer):
    merge_id = serializers.IntegerField()
    customer = serializers.IntegerField(help_text="The survivor's id")


class ErasureResultSerializer(serializers.Serializer):
    """The answer of POST /api/customers/{id}/erase/ (output only)."""

    customer = serializers.IntegerField(read_only=True, help_text="The erased customer's id")
    erased = serializers.BooleanField(read_only=True)
    erased_at = serializers.DateTimeField(read_only=True, help_text="When it was first erased")
    already_erased = serializers.BooleanField(read_only=True, help_text="True when this call repeated an erasure")
    customers = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, help_text="Its id and those of the customers folded into it"
    )
    counts = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text="Rows removed or anonymised, by label"
    )


class MergePreviewSerializer(serializers.Serializer):
    survivor = CustomerRefSerializer()
    other = CustomerRefSerializer()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Rows that would move, by label")
    identities = IdentitySerializer(many=True)
    tags = serializers.ListField(child=serializers.CharField())
    fields = serializers.DictField(help_text="Survivor fields the merge would fill: {name: {old, new}}")
    survivor_counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="The survivor's own rows, by the labels of `counts`"
    )
    suggested_survivor_id = serializers.IntegerField(help_text="The customer with more history: keep this one")
    lifecycle_stage = serializers.CharField(help_text="The merged customer's lifecycle stage unless one is given")


class MergeRecordSerializer(ModelSerializer):
    class Meta:
        model = MergeRecord
        fields = ["id", "survivor", "merged", "merged_by", "merged_at", "moved", "undone_at", "undone_by"]
        read_only_fields = fields


class MergeSuggestionSerializer(ModelSerializer):
    customer = CustomerRefSerializer(read_only=True)
    other = CustomerRefSerializer(read_only=True)
    reason = serializers.CharField(source="reason_display", read_only=True)  # in the request's language

    class Meta:
        model = MergeSuggestion
        fields = [
            "id",
            "customer",
            "other",
            "reason",
            "interaction",
            "status",
            "created_at",
            "decided_at",
            "decided_by",
        ]
        read_only_fields = fields
