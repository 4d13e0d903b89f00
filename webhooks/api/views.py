"""The webhooks API: /api/webhooks/ (endpoints), /api/webhooks/{id}/deliveries/, /api/webhooks/{id}/test/ and
/api/webhooks/{id}/rotate-secret/.

Webhook permissions belong to no role: superusers hold them, and an administrator may grant them
(webhooks' model permissions) to a user or group in the admin.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from cxcrm.api.pagination import PageNumberPagination

from .. import selectors, services
from ..choices import DeliveryStatus
from ..filtersets import WebhookDeliveryFilterSet, WebhookEndpointFilterSet
from ..models import WebhookEndpoint
from .serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
    WebhookSecretRotatedSerializer,
)


class WebhookEndpointViewSet(viewsets.ModelViewSet):
    """Outbound webhook endpoints. POST answers with the `secret` (whsec_…), shown only then; DELETE revokes.
    Making, changing and revoking one are audit events."""

    queryset = WebhookEndpoint.objects.none()
    serializer_class = WebhookEndpointSerializer
    filterset_class = WebhookEndpointFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    action_permissions = {
        "deliveries": ["webhooks.view_webhookendpoint", "webhooks.view_webhookdelivery"],
        "test": ["webhooks.change_webhookendpoint"],
        "rotate_secret": ["webhooks.change_webhookendpoint"],
    }

    def get_queryset(self):
        return selectors.webhook_endpoint_list()

    @extend_schema(responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(**serializer.validated_data, user=request.user)
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = services.webhook_endpoint_update(
            endpoint=serializer.instance, user=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.webhook_endpoint_revoke(endpoint=instance, user=self.request.user)

    @extend_schema(
        responses=WebhookDeliverySerializer(many=True),
        parameters=[
            OpenApiParameter("status", enum=[s.value for s in DeliveryStatus]),
            OpenApiParameter("event_type", str),
            OpenApiParameter("ordering", str, description="created_at, last_response_ms; - for descending"),
        ],
    )
    @action(detail=True, methods=["get"], pagination_class=PageNumberPagination, filter_backends=[])
    def deliveries(self, request, pk=None):
        """The endpoint's delivery log, newest first, paginated; filter by `status` and `event_type`,
        sort with `ordering` (created_at, last_response_ms)."""
        endpoint = get_object_or_404(self.get_queryset(), pk=pk)
        self.check_object_permissions(request, endpoint)
        filters = WebhookDeliveryFilterSet(
            request.query_params, queryset=selectors.webhook_delivery_list(endpoint=endpoint), request=request
        )
        if not filters.is_valid():
            raise exceptions.ValidationError(filters.errors)
        page = self.paginate_queryset(filters.qs)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses=WebhookDeliverySerializer)
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send a `webhook.test` event to the endpoint now; answers with the delivery and its outcome."""
        delivery = services.webhook_send_test(endpoint=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data)

    @extend_schema(request=None, responses=WebhookSecretRotatedSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """Give the endpoint a new signing secret, answered this once as `secret`. Until
        `previous_secret_expires_at` (now + WEBHOOKS_SECRET_OVERLAP_SECONDS, 24 h by default) every delivery is
        signed with both secrets (two space-separated `v1,…` signatures in `webhook-signature`), so the receiver
        can switch without refusing one. Audited as webhook_changed."""
        endpoint = services.webhook_secret_rotate(endpoint=self.get_object(), user=request.user)
        return Response(WebhookSecretRotatedSerializer(endpoint).data)
