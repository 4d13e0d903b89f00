"""Admin of outbound webhooks: endpoints (saved, revoked and tested through the services, so each change is
audited) and the read-only delivery log."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cxcrm.admin import ReadOnlyAdminMixin

from . import services
from .choices import DeliveryStatus, EventType
from .models import WebhookDelivery, WebhookEndpoint


def _local_datetime(value) -> str:
    """An instant in the organisation's time zone, in the reader's locale format with the zone's name."""
    local = timezone.localtime(value)
    return f"{date_format(local, 'SHORT_DATETIME_FORMAT')} {date_format(local, 'T')}"


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", label=_("URL"))
    events = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple, label=_("events")
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "enabled"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "description", "enabled", "event_list", "created_by", "created_at"]
    list_filter = ["enabled"]
    search_fields = ["url", "description"]
    list_select_related = ["created_by"]
    readonly_fields = ["signing_secret", "disabled_reason", "created_by", "created_at", "updated_at"]
    actions = ["send_test"]

    @admin.display(description=_("events"))
    def event_list(self, obj):
        return ", ".join(obj.events)

    @admin.display(description=_("signing secret"))
    def signing_secret(self, obj):
        if obj is None or not obj.pk:
            return _("Made when the endpoint is saved.")
        if obj.previous_secret and obj.previous_secret_expires_at and obj.previous_secret_expires_at > timezone.now():
            return format_html(
                "<code>{}</code><br>{}",
                obj.secret,
                format_html(
                    gettext("The previous secret {secret} also signs until {until}."),
                    secret=format_html("<code>{}</code>", obj.previous_secret),
                    until=_local_datetime(obj.previous_secret_expires_at),
                ),
            )
        return format_html("<code>{}</code>", obj.secret)

    def get_readonly_fields(self, request, obj=None):
        # The secret is shown on the endpoint's own page only, never in a list.
        return self.readonly_fields if obj is not None else ["disabled_reason"]

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("url", "description", "events", "enabled")}
        if change:
            services.webhook_endpoint_update(endpoint=WebhookEndpoint.objects.get(pk=obj.pk), user=request.user, **data)
        else:
            created = services.webhook_endpoint_create(**data, user=request.user)
            obj.pk = created.pk
            obj.secret = created.secret

    def response_change(self, request, obj):
        # "Save and send a test event" on the endpoint's page: saved, tested, and back to the same page.
        if "_send_test" in request.POST:
            self._send_and_report(request, WebhookEndpoint.objects.get(pk=obj.pk))
            return HttpResponseRedirect(request.path)
        if "_rotate_secret" in request.POST:
            endpoint = services.webhook_secret_rotate(endpoint=obj, user=request.user)
            self.message_user(
                request,
                gettext(
                    "%(endpoint)s: new signing secret made. The old one keeps signing beside it until %(until)s: give "
                    "the receiver the new secret before then."
                )
                % {
                    "endpoint": endpoint,
                    "until": _local_datetime(endpoint.previous_secret_expires_at),
                },
                messages.WARNING,
            )
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def delete_model(self, request, obj):
        services.webhook_endpoint_revoke(endpoint=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            services.webhook_endpoint_revoke(endpoint=endpoint, user=request.user)

    @admin.action(description=_("Send a test event now"), permissions=["change"])
    def send_test(self, request, queryset):
        for endpoint in queryset:
            self._send_and_report(request, endpoint)

    def _send_and_report(self, request, endpoint):
        delivery = services.webhook_send_test(endpoint=endpoint)
        if delivery.status == DeliveryStatus.SUCCEEDED:
            self.message_user(
                request,
                gettext("%(endpoint)s: test delivered (HTTP %(status)s, %(ms)s ms).")
                % {"endpoint": endpoint, "status": delivery.last_status_code, "ms": delivery.last_response_ms},
                messages.SUCCESS,
            )
        else:
            message = gettext("%(endpoint)s: test failed: %(error)s") % {
                "endpoint": endpoint,
                "error": delivery.last_error,
            }
            self.message_user(request, message, messages.ERROR)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "event_type",
        "event_id",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_response_ms",
        "created_at",
        "delivered_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    search_fields = ["event_id"]
    list_select_related = ["endpoint"]
    date_hierarchy = "created_at"
