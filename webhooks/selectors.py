"""Reads of outbound webhooks."""

from django.db.models import QuerySet

from .models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.select_related("created_by").order_by("id")


def webhook_delivery_list(*, endpoint: WebhookEndpoint | None = None) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first (the payload included: the body as sent)."""
    rows = WebhookDelivery.objects.order_by("-created_at", "-id")
    return rows.filter(endpoint=endpoint) if endpoint is not None else rows.select_related("endpoint")
