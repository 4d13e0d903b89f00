"""Admin of alert rules (the condition, the audience and the channels) and a read-only log of the alerts they
raised, with their recipients."""

from django import forms
from django.contrib import admin
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from customers.text import search_fold

from .choices import Condition
from .models import Alert, AlertRecipient, AlertRule


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = [
            "name",
            "enabled",
            "condition",
            "touchpoint_key",
            "health_below",
            "vip_tag",
            "window_hours",
            "notify_owner",
            "roles",
            "users",
            "in_app",
            "email",
            "webhook",
        ]

    def clean(self):
        data = super().clean()
        if not (data.get("notify_owner") or data.get("roles") or data.get("users")):
            raise forms.ValidationError(_("Choose an audience: the customer's owner, a role or named users."))
        if data.get("condition") != Condition.DETRACTOR and data.get("touchpoint_key"):
            self.add_error("touchpoint_key", _("Only a detractor rule looks at the touchpoint."))
        return data


def alerts_of_rule_url(rule_id: int) -> str:
    """The admin's list of the alerts `rule_id` raised."""
    return f"{reverse('admin:alerts_alert_changelist')}?rule__id__exact={rule_id}"


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = AlertRuleForm
    list_display = [
        "name",
        "condition",
        "enabled",
        "notify_owner",
        "in_app",
        "email",
        "webhook",
        "window_hours",
        "alerts_raised",
    ]
    list_filter = ["condition", "enabled"]
    search_fields = ["name", "touchpoint_key"]
    filter_horizontal = ["roles", "users"]
    readonly_fields = ["alerts_raised"]
    fieldsets = [
        (
            None,
            {"fields": ["name", "enabled", "condition", "touchpoint_key", "health_below", "vip_tag", "window_hours"]},
        ),
        (_("Audience"), {"fields": ["notify_owner", "roles", "users"]}),
        (_("Channels"), {"fields": ["in_app", "email", "webhook"]}),
        (_("Raised"), {"fields": ["alerts_raised"]}),
    ]

    def get_queryset(self, request):
        # The count of each rule's alerts in the list's own query (no query per row).
        return super().get_queryset(request).annotate(alert_count=Count("alerts"))

    @admin.display(description=_("alerts raised"), ordering="alert_count")
    def alerts_raised(self, rule):
        """The number of alerts the rule raised, linked to their list (filtered to the rule)."""
        if rule.pk is None:
            return "—"
        count = getattr(rule, "alert_count", None)
        if count is None:
            count = rule.alerts.count()
        return format_html(
            '<a href="{}" data-testid="rule-alerts">{}</a>',
            alerts_of_rule_url(rule.pk),
            ngettext("%(count)d alert", "%(count)d alerts", count) % {"count": count},
        )


# --------------------------------------------------------------------------- the alerts raised (read-only)


class ReadFilter(admin.SimpleListFilter):
    """Read or unread by its in-app recipients: unread while any of them has not opened it."""

    title = _("read")
    parameter_name = "read"

    def lookups(self, request, model_admin):
        return [("unread", _("Unread by someone")), ("read", _("Read by every recipient"))]

    def queryset(self, request, queryset):
        unread = Exists(AlertRecipient.objects.filter(alert=OuterRef("pk"), in_app=True, read_at__isnull=True))
        if self.value() == "unread":
            return queryset.filter(unread)
        if self.value() == "read":
            return queryset.exclude(unread)
        return queryset


class CustomerFilter(admin.SimpleListFilter):
    """The alerts about one customer (`?customer=<id>`, the link each row's customer gives); offers the customers
    with the most alerts (one query)."""

    title = _("customer")
    parameter_name = "customer"
    offered = 10

    def lookups(self, request, model_admin):
        top = (
            Alert.objects.values("customer_id", "customer__first_name", "customer__last_name")
            .annotate(n=Count("pk"))
            .order_by("-n", "customer_id")[: self.offered]
        )
        choices = [
            (
                str(r["customer_id"]),
                f"{r['customer__first_name']} {r['customer__last_name']}".strip()
                or gettext("Customer #%(id)s") % {"id": r["customer_id"]},
            )
            for r in top
        ]
        value = self.value()
        if value and value not in {c[0] for c in choices}:
            choices.append((value, gettext("Customer #%(id)s") % {"id": value}))
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if not (value.isascii() and value.isdigit() and len(value) < 19):
            return queryset.none()
        return queryset.filter(customer_id=int(value))


class AlertRecipientInline(admin.TabularInline):
    model = AlertRecipient
    fields = ["user", "in_app", "read_at", "emailed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request, obj=None):
        # The recipients are part of the alert: whoever reads the alert reads who it went to.
        return request.user.has_perm("alerts.view_alert")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyByRuleAdmin:
    """Only who may read the rules reads the log of what they raised; nobody writes it here."""

    def has_module_permission(self, request):
        return request.user.has_perm("alerts.view_alertrule") and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("alerts.view_alertrule") and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyByRuleAdmin, admin.ModelAdmin):
    """The alerts raised, newest first: by rule, reason, customer, read or unread and when; searched by message,
    rule or customer name. Read-only (raised by the rules, scrubbed by a customer's erasure)."""

    list_display = ["raised_at", "reason", "rule", "customer_link", "text", "recipients_count", "unread_count"]
    list_display_links = ["raised_at"]
    list_filter = ["rule", "reason", CustomerFilter, ReadFilter, "raised_at"]
    search_fields = ["message", "rule__name", "customer__search_name"]
    date_hierarchy = "raised_at"
    list_select_related = ["rule", "customer"]
    fields = ["raised_at", "rule", "reason", "customer_link", "text", "detail", "window_start"]
    readonly_fields = fields
    inlines = [AlertRecipientInline]
    ordering = ["-raised_at", "-id"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                recipient_count=Count("recipients", distinct=True),
                unread=Count(
                    "recipients", filter=Q(recipients__in_app=True, recipients__read_at__isnull=True), distinct=True
                ),
            )
        )

    def get_search_results(self, request, queryset, search_term):
        """The message or the rule's name containing the words, or the customer's name as customers are searched
        (folded: "jose" finds "José")."""
        term = search_term.strip()
        if not term:
            return queryset, False
        matches = (
            Q(message__icontains=term)
            | Q(rule__name__icontains=term)
            | Q(customer__search_name__contains=search_fold(term))
        )
        return queryset.filter(matches), False

    @admin.display(description=_("message"), ordering="message")
    def text(self, alert):
        """The sentence in the reader's language (the search reads the stored one, in LANGUAGE_CODE)."""
        return alert.text

    @admin.display(description=_("customer"), ordering="customer__search_name")
    def customer_link(self, alert):
        return format_html(
            '<a href="{}">{}</a> · <a href="?customer={}" title="{}">{}</a>',
            reverse("customers:customer_detail", args=[alert.customer_id]),
            alert.customer,
            alert.customer_id,
            gettext("Alerts about this customer"),
            gettext("alerts"),
        )

    @admin.display(description=_("recipients"), ordering="recipient_count")
    def recipients_count(self, alert):
        return alert.recipient_count

    @admin.display(description=_("unread"), ordering="unread")
    def unread_count(self, alert):
        return alert.unread
