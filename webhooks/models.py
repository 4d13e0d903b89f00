"""Outbound webhooks: the endpoints that subscribe to events, and each event's delivery to each endpoint."""

import base64
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cxcrm.models import ChoiceLabelsModel

from .choices import DeliveryStatus, EventType
from .validators import webhook_url_validate

SECRET_PREFIX = "whsec_"


def webhook_secret_new() -> str:
    """A new signing secret as Standard Webhooks writes it: "whsec_" and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    """An outbound webhook subscription: a URL that receives the chosen events, signed with its secret.

    `events` lists EventType values. The secret signs every delivery (Standard Webhooks); it is shown
    once, when the endpoint is made. An endpoint whose deliveries kept failing for the retry window is
    disabled with the reason in `disabled_reason`.
    """

    url = models.URLField(verbose_name=_("URL"), max_length=500, validators=[webhook_url_validate])
    description = models.CharField(verbose_name=_("description"), max_length=200, blank=True)
    events = models.JSONField(verbose_name=_("events"), default=list, help_text=_("Event types sent to this endpoint"))
    secret = models.CharField(
        verbose_name=_("signing secret"), max_length=100, default=webhook_secret_new, editable=False
    )
    # After a rotation the old secret keeps signing beside the new one until previous_secret_expires_at, so
    # a receiver can switch without refusing a delivery (Standard Webhooks: several space-separated signatures).
    previous_secret = models.CharField(verbose_name=_("previous secret"), max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(
        verbose_name=_("previous secret expires at"), null=True, blank=True, editable=False
    )
    enabled = models.BooleanField(verbose_name=_("enabled"), default=True)
    disabled_reason = models.CharField(verbose_name=_("reason disabled"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.description or self.url

    def clean(self):
        super().clean()
        events = self.events
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise ValidationError({"events": gettext("Give a list of event types.")})
        unknown = sorted(set(events) - set(EventType.values))
        if unknown:
            message = gettext("Unknown event types: %(unknown)s. Known: %(codes)s.") % {
                "unknown": ", ".join(unknown),
                "codes": ", ".join(EventType.values),
            }
            raise ValidationError({"events": message})
        if not events:
            raise ValidationError({"events": _("Choose at least one event type.")})

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in (self.events or [])

    def signing_secrets(self, now=None) -> list[str]:
        """The secrets a delivery is signed with now: the current one, then the previous one while its
        overlap after a rotation lasts."""
        now = now or timezone.now()
        if self.previous_secret and self.previous_secret_expires_at and now < self.previous_secret_expires_at:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookDelivery(ChoiceLabelsModel):
    """One event sent (or to be sent) to one endpoint: its signed body and what each attempt got.

    `(endpoint, event_id)` is unique, so handing an event over twice makes one delivery. A delivery is
    due when `next_attempt_at` has passed and it is pending or failed (to be tried again); the sender
    moves `next_attempt_at` forward by a lease when it takes one, so a worker killed mid-send leaves it
    to be tried again after the lease and two workers never send it at once.
    """

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("webhook endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    event_id = models.CharField(verbose_name=_("event ID"), max_length=100)
    event_type = models.CharField(verbose_name=_("event type"), max_length=40)
    payload = models.JSONField(verbose_name=_("payload"), help_text=_("The body sent: id, type, timestamp, data"))
    status = models.CharField(
        verbose_name=_("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(verbose_name=_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        verbose_name=_("next attempt at"), null=True, blank=True, default=timezone.now
    )
    last_status_code = models.PositiveIntegerField(verbose_name=_("last status code"), null=True, blank=True)
    last_response_ms = models.PositiveIntegerField(
        verbose_name=_("last response time (ms)"), null=True, blank=True, help_text=_("Response time (ms)")
    )
    last_error = models.TextField(verbose_name=_("last error"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(verbose_name=_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhooks_delivery_event_uniq")]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="webhooks_delivery_due_idx",
                condition=models.Q(status__in=["pending", "failed"]),
            ),
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhooks_delivery_log_idx"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.event_id} → {self.endpoint_id} ({self.status})"
