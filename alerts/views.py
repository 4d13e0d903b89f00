"""The in-app alerts: the page of a user's alerts, the navbar bell's unread count (polled by htmx), and
marking alerts read. Every user sees only their own alerts."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View
from django.views.generic import ListView

from cxcrm.views import ClampedPaginationMixin, StaffPermissionMixin

from . import selectors, services
from .models import AlertRecipient

PERMISSION = "alerts.view_alert"


class AlertListView(StaffPermissionMixin, ClampedPaginationMixin, ListView):
    """/alerts/: the user's alerts, newest first, 50 a page; `?unread=1` shows the unread ones only."""

    permission_required = PERMISSION
    template_name = "alerts/alert_list.html"
    context_object_name = "receipts"
    paginate_by = 50

    def get_queryset(self):
        return selectors.alert_inbox(user=self.request.user, unread_only=self.request.GET.get("unread") == "1")

    def get_context_data(self, **kwargs):
        unread = selectors.alert_unread_count(user=self.request.user)
        return super().get_context_data(unread=unread, unread_only=self.request.GET.get("unread") == "1", **kwargs)


class AlertBellView(StaffPermissionMixin, View):
    """/alerts/bell/: the bell's badge (the unread count), swapped into the navbar by htmx every 30 s.

    A visitor whose session ended gets an empty 204 (htmx swaps nothing) rather than the login page.
    """

    permission_required = PERMISSION

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return HttpResponse(status=204)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        count = selectors.alert_unread_count(user=request.user)
        return TemplateResponse(request, "alerts/_bell.html", {"unread": count})


class AlertReadView(StaffPermissionMixin, View):
    """POST /alerts/<id>/read/: mark one of the user's alerts read and open its customer (404 for another's)."""

    permission_required = PERMISSION

    def post(self, request, pk):
        receipt = get_object_or_404(AlertRecipient.objects.select_related("alert"), pk=pk, user=request.user)
        services.alert_mark_read(user=request.user, recipient_id=receipt.pk)
        if request.POST.get("next") == "list":
            return redirect("alerts:alert_list")
        return redirect(reverse("customers:customer_detail", args=[receipt.alert.customer_id]))


class AlertReadAllView(StaffPermissionMixin, View):
    """POST /alerts/read-all/: mark all of the user's alerts read, back to the page."""

    permission_required = PERMISSION

    def post(self, request):
        services.alerts_mark_all_read(user=request.user)
        return redirect("alerts:alert_list")
