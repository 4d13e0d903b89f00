"""Admin of alert rules: the condition, the audience and the channels."""

from django import forms
from django.contrib import admin

from .choices import Condition
from .models import AlertRule


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
            raise forms.ValidationError("Choose an audience: the customer's owner, a role or named users.")
        if data.get("condition") != Condition.DETRACTOR and data.get("touchpoint_key"):
            self.add_error("touchpoint_key", "Only a detractor rule looks at the touchpoint.")
        return data


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    form = AlertRuleForm
    list_display = ["name", "condition", "enabled", "notify_owner", "in_app", "email", "webhook", "window_hours"]
    list_filter = ["condition", "enabled"]
    search_fields = ["name", "touchpoint_key"]
    filter_horizontal = ["roles", "users"]
    fieldsets = [
        (
            None,
            {"fields": ["name", "enabled", "condition", "touchpoint_key", "health_below", "vip_tag", "window_hours"]},
        ),
        ("Audience", {"fields": ["notify_owner", "roles", "users"]}),
        ("Channels", {"fields": ["in_app", "email", "webhook"]}),
    ]
