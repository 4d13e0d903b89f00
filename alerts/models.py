"""Real-time alerts: the rules an administrator sets, the alerts they raise and who receives each one."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cxcrm.models import ChoiceLabelsModel

from .choices import Condition


class AlertRule(ChoiceLabelsModel):
    """An alert rule: a condition on a customer's events, an audience and the channels it is told through.

    An alert is raised at most once per customer and reason in each window of `window_hours` (windows start
    at whole multiples of the window since 1970-01-01 UTC), whatever the number of events inside it.
    """

    name = models.CharField(max_length=120)
    condition = models.CharField(max_length=20, choices=Condition.choices)
    touchpoint_key = models.CharField(
        max_length=80, blank=True, help_text="Detractor: only answers about this touchpoint key (blank: any)"
    )
    health_below = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Health below: alert when a customer's health score falls from this or above to below it (1–100)",
    )
    vip_tag = models.CharField(max_length=50, default="vip", help_text="VIP: the tag that marks a VIP customer")
    notify_owner = models.BooleanField(default=True, help_text="Tell the customer's owner")
    roles = models.ManyToManyField(Group, blank=True, related_name="+", help_text="Tell everyone in these roles")
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", help_text="Tell these users by name"
    )
    in_app = models.BooleanField("in-app", default=True, help_text="Show it under the bell and on the alerts page")
    email = models.BooleanField(default=False, help_text="Email each recipient")
    webhook = models.BooleanField(default=False, help_text="Send the alert.raised webhook event")
    window_hours = models.PositiveIntegerField(
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 31)],
        help_text="One alert per customer and reason in each window of this many hours",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["condition", "enabled"], name="alerts_rule_condition_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(in_app=True) | models.Q(email=True) | models.Q(webhook=True),
                name="alerts_rule_has_channel",
            ),
            models.CheckConstraint(
                condition=models.Q(window_hours__gte=1, window_hours__lte=24 * 31), name="alerts_rule_window_range"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if not (self.in_app or self.email or self.webhook):
            raise ValidationError(_("Choose at least one channel: in-app, email or webhook."))
        if self.condition == Condition.HEALTH_BELOW and self.health_below is None:
            raise ValidationError({"health_below": _("A health rule needs its threshold (1–100).")})


class Alert(ChoiceLabelsModel):
    """One alert raised by a rule about a customer, with the reason in words and the ids behind it."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="alerts")
    reason = models.CharField(max_length=20, choices=Condition.choices)
    message = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True, help_text="The ids behind it (response, case, interactions)")
    window_start = models.DateTimeField(help_text="Start of the de-duplication window the alert belongs to")
    raised_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "customer", "reason", "window_start"], name="alerts_alert_once_per_window"
            ),
        ]

    def __str__(self):
        return self.message


class AlertRecipient(models.Model):
    """A user an alert is for: unread until they open or mark it; `emailed_at` stamps the single email."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_receipts")
    in_app = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert recipient")
        verbose_name_plural = _("alert recipients")
        ordering = ["-alert__raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="alerts_recipient_once")]
        indexes = [models.Index(fields=["user", "in_app", "read_at"], name="alerts_recipient_unread_idx")]

    def __str__(self):
        return f"{self.alert} → {self.user}"
