import django_filters

from cxcrm.fields import OrderingFilter

from .choices import DeliveryStatus
from .models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="url", lookup_expr="icontains")

    ordering = OrderingFilter(fields=("created_at", "url"))

    class Meta:
        model = WebhookEndpoint
        fields = ["enabled"]


class WebhookDeliveryFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event_type = django_filters.CharFilter()

    ordering = OrderingFilter(fields=("created_at", "last_response_ms"))

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event_type"]
