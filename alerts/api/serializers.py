from rest_framework import serializers

from ..models import Alert


class AlertSerializer(serializers.ModelSerializer):
    """An alert as the API and the `alert.raised` webhook show it; `read_at` is the reading user's (API only)."""

    rule_name = serializers.CharField(source="rule.name", read_only=True)
    # The sentence in the reader's language (the request's; LANGUAGE_CODE in webhooks), from detail["text"].
    message = serializers.CharField(source="text", read_only=True)
    read_at = serializers.DateTimeField(read_only=True, allow_null=True, required=False, default=None)

    class Meta:
        model = Alert
        fields = ["id", "rule", "rule_name", "reason", "message", "customer", "detail", "window_start", "raised_at"]
        fields += ["read_at"]
        read_only_fields = fields
