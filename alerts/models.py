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

    name = models.CharField(verbose_name=_("name"), max_length=120)
    condition = models.CharField(verbose_name=_("condition"), max_length=20, choices=Condition.choices)
    touchpoint_key = models.CharField(
        verbose_name=_("touchpoint key"),
        max_length=80,
        blank=True,
        help_text=_("Detractor: only answers about this touchpoint key (blank: any)"),
    )
    health_below = models.PositiveSmallIntegerField(
        verbose_name=_("health below"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Health below: alert when a customer's health score falls from this or above to below it (1–100)"),
    )
    vip_tag = models.CharField(
        verbose_name=_("VIP tag"), max_length=50, default="vip", help_text=_("VIP: the tag that marks a VIP customer")
    )
    notify_owner = models.BooleanField(
        verbose_name=_("notify the owner"), default=True, help_text=_("Tell the customer's owner")
    )
    roles = models.ManyToManyField(
        Group, verbose_name=_("roles"), blank=True, related_name="+", help_text=_("Tell everyone in these roles")
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("users"),
        blank=True,
        related_name="+",
        help_text=_("Tell these users by name"),
    )
    in_app = models.BooleanField(
        _("in-app"), default=True, help_text=_("Show it under the bell and on the alerts page")
    )
    email = models.BooleanField(verbose_name=_("email"), default=False, help_text=_("Email each recipient"))
    webhook = models.BooleanField(
        verbose_name=_("webhook"), default=False, help_text=_("Send the alert.raised webhook event")
    )
    window_hours = models.PositiveIntegerField(
        verbose_name=_("window (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 31)],
        help_text=_("One alert per customer and reason in each window of this many hours"),
    )
    enabled = models.BooleanField(verbose_name=_("enabled"), default=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

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

    rule = models.ForeignKey(
        AlertRule, verbose_name=_("alert rule"), on_delete=models.CASCADE, related_name="alerts", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="alerts"
    )
    reason = models.CharField(verbose_name=_("reason"), max_length=20, choices=Condition.choices)
    message = models.CharField(verbose_name=_("message"), max_length=300)
    detail = models.JSONField(
        verbose_name=_("details"),
        default=dict,
        blank=True,
        help_text=_("The ids behind it (response, case, interactions)"),
    )
    window_start = models.DateTimeField(
        verbose_name=_("window start"), help_text=_("Start of the de-duplication window the alert belongs to")
    )
    raised_at = models.DateTimeField(verbose_name=_("raised at"), db_index=True)

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

    @property
    def text(self) -> str:
        """The alert's sentence in the active language (alerts.texts; its stored `message` for older rows)."""
        from .texts import alert_text

        return alert_text(self)


class AlertRecipient(models.Model):
    """A user an alert is for: unread until they open or mark it; `emailed_at` stamps the single email."""

    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="recipients", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="alert_receipts",
        db_index=False,
    )
    in_app = models.BooleanField(verbose_name=_("in-app"), default=True)
    read_at = models.DateTimeField(verbose_name=_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(verbose_name=_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert recipient")
        verbose_name_plural = _("alert recipients")
        ordering = ["-alert__raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="alerts_recipient_once")]
        indexes = [models.Index(fields=["user", "in_app", "read_at"], name="alerts_recipient_unread_idx")]

    def __str__(self):
        return f"{self.alert} → {self.user}"
