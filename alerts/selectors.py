"""Reads of real-time alerts: a user's alerts and their unread count."""

from .models import AlertRecipient


def alert_inbox(*, user, unread_only: bool = False):
    """`user`'s in-app alerts, newest first, with the alert, its rule and customer loaded."""
    rows = AlertRecipient.objects.filter(user=user, in_app=True).select_related("alert__customer", "alert__rule")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-alert__raised_at", "-pk")


def alert_unread_count(*, user) -> int:
    """How many in-app alerts `user` has not read (one query)."""
    return AlertRecipient.objects.filter(user=user, in_app=True, read_at__isnull=True).count()
