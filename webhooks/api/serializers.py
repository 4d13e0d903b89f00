"""Serializers of the webhooks API: endpoints (the secret only in the answer that made it) and deliveries."""

from rest_framework import serializers

from ..choices import EventType
from ..models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        allow_empty=False,
        help_text="Event types sent to this endpoint: " + ", ".join(EventType.values),
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "enabled",
            "disabled_reason",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "disabled_reason", "created_by", "created_at", "updated_at"]

    def validate_events(self, value):
        return list(dict.fromkeys(value))


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The answer to POST: the endpoint and its signing secret, shown this once."""

    secret = serializers.CharField(read_only=True, help_text="whsec_…: verify the webhook-signature with it")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = [*WebhookEndpointSerializer.Meta.read_only_fields, "secret"]


class WebhookSecretRotatedSerializer(WebhookEndpointCreatedSerializer):
    """The answer to a rotation: the endpoint, its new secret (shown this once) and until when the old one
    still signs beside it."""

    class Meta(WebhookEndpointCreatedSerializer.Meta):
        fields = [*WebhookEndpointCreatedSerializer.Meta.fields, "previous_secret_expires_at"]
        read_only_fields = [*WebhookEndpointCreatedSerializer.Meta.read_only_fields, "previous_secret_expires_at"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_id",
            "event_type",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_response_ms",
            "last_error",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields
