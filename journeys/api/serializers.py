"""API representations. `JourneyMapSerializer` is also the JSON export format
(without ids) and validates imports."""

from rest_framework import serializers

from cxcrm.api.serializers import ModelSerializer, WholeItemsListSerializer
from cxcrm.fields import ChannelSerializerField, StorableSlugRelatedField

from ..models import JourneyMap, Persona, Stage, Touchpoint


class PersonaSerializer(ModelSerializer):
    preferred_channels = serializers.ListField(child=ChannelSerializerField(), required=False)
    picture = serializers.ImageField(required=False, allow_null=True)

    class Meta:
        model = Persona
        fields = [
            "id",
            "name",
            "summary",
            "goals",
            "frustrations",
            "motivations",
            "demographics",
            "preferred_channels",
            "picture",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness is checked by the service, which says which name clashes.
        extra_kwargs = {"name": {"validators": []}}


class TouchpointNestedSerializer(ModelSerializer):
    position = serializers.IntegerField(min_value=0, required=False)
    # Declared so no model-derived unique validator applies: a draft may carry the
    # keys of the published version it replaces (checked when publishing).
    key = serializers.SlugField(max_length=80)

    channel = ChannelSerializerField()

    class Meta:
        list_serializer_class = WholeItemsListSerializer
        model = Touchpoint
        fields = [
            "id",
            "position",
            "name",
            "key",
            "channel",
            "department",
            "kind",
            "description",
            "target_csat",
            "target_nps",
            "target_ces",
            "target_ttr_hours",
        ]
        read_only_fields = ["id"]


class StageNestedSerializer(ModelSerializer):
    position = serializers.IntegerField(min_value=0, required=False)
    emotion_score = serializers.IntegerField(min_value=-2, max_value=2, required=False)
    touchpoints = TouchpointNestedSerializer(many=True, required=False)

    class Meta:
        list_serializer_class = WholeItemsListSerializer
        model = Stage
        fields = [
            "id",
            "position",
            "name",
            "customer_goal",
            "actions",
            "thoughts",
            "emotion_score",
            "emotion_label",
            "pain_points",
            "opportunities",
            "touchpoints",
        ]
        read_only_fields = ["id"]


class JourneyMapSerializer(ModelSerializer):
    """A map with its ordered stages and touchpoints. Creating one makes a draft
    (the next version of its name); status changes go through the actions."""

    persona = StorableSlugRelatedField(
        slug_field="name", queryset=Persona.objects.all(), allow_null=True, required=False
    )
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    stages = StageNestedSerializer(many=True, required=False)

    class Meta:
        model = JourneyMap
        fields = [
            "id",
            "name",
            "description",
            "persona",
            "status",
            "version",
            "owner",
            "cloned_from",
            "published_at",
            "journey_gap_days",
            "created_at",
            "updated_at",
            "stages",
        ]
        read_only_fields = [
            "id",
            "status",
            "version",
            "owner",
            "cloned_from",
            "published_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"journey_gap_days": {"required": False}}
        # The service gives a new map the next version of its name, so (name, version) cannot clash.
        validators = []


class JourneyMapUpdateSerializer(ModelSerializer):
    """What PUT/PATCH change: the map's own fields and, on a draft, its whole
    list of stages with their touchpoints (replaced as given)."""

    persona = StorableSlugRelatedField(
        slug_field="name", queryset=Persona.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = JourneyMap
        fields = ["name", "description", "persona", "journey_gap_days", "stages"]
        extra_kwargs = {"name": {"required": False}, "journey_gap_days": {"required": False}}

    stages = StageNestedSerializer(many=True, required=False)


class TouchpointSerializer(ModelSerializer):
    """A published touchpoint with where it sits."""

    stage = serializers.PrimaryKeyRelatedField(read_only=True)
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    journey_map_name = serializers.CharField(source="journey_map.name", read_only=True)
    journey_map_version = serializers.IntegerField(source="journey_map.version", read_only=True)

    channel = ChannelSerializerField()

    class Meta:
        model = Touchpoint
        fields = [
            "id",
            "key",
            "name",
            "channel",
            "department",
            "kind",
            "description",
            "position",
            "target_csat",
            "target_nps",
            "target_ces",
            "target_ttr_hours",
            "stage",
            "stage_name",
            "journey_map",
            "journey_map_name",
            "journey_map_version",
        ]
        read_only_fields = fields
