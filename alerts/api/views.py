"""The alerts API: GET /api/alerts/ and /api/alerts/{id}/, the signed-in user's own in-app alerts."""

from django.db.models import OuterRef, Subquery
from rest_framework import viewsets

from ..models import Alert, AlertRecipient
from .serializers import AlertSerializer


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """The user's alerts, newest first, each with `read_at` (null while unread). Others' alerts are 404."""

    serializer_class = AlertSerializer
    required_permissions = ["alerts.view_alert"]
    queryset = Alert.objects.none()

    def get_queryset(self):
        user = self.request.user
        receipts = AlertRecipient.objects.filter(alert=OuterRef("pk"), user=user, in_app=True)
        return (
            Alert.objects.filter(pk__in=AlertRecipient.objects.filter(user=user, in_app=True).values("alert_id"))
            .select_related("rule", "customer")
            .annotate(read_at=Subquery(receipts.values("read_at")[:1]))
            .order_by("-raised_at", "-pk")
        )
