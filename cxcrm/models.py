from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.hashable import make_hashable
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# {(field, language code): {stored value: its label in that language}}; choices are fixed at start-up.
_CHOICE_LABELS: dict[tuple[models.Field, str | None], dict] = {}


class ChoiceLabelsModel(models.Model):
    """Base of the models with choice fields: `get_<field>_display()` reads a per-language table of labels.

    Django's own `get_FOO_display` hashes every (lazy, translated) label of the field's choices on each call,
    one gettext per choice: a timeline of 50 interactions showing channel, type and direction spent about a
    quarter of the customer page's time there. Here each field's labels are translated once per language and
    looked up after; the result is the same (the label, or the stored value when it is not a choice).
    Choices must be static (TextChoices, settings.LANGUAGES), as they are in cxcrm.
    """

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        key = (field, get_language())
        labels = _CHOICE_LABELS.get(key)
        if labels is None:
            labels = _CHOICE_LABELS[key] = {make_hashable(value): str(label) for value, label in field.flatchoices}
        value = getattr(self, field.attname)
        return labels.get(make_hashable(value), value)


class Heartbeat(models.Model):
    """The last time a background process (the Celery worker, via beat) proved it runs.

    Written by the `cxcrm.tasks.heartbeat` task that beat schedules every minute;
    /health/ reports its age so an operator sees a stopped worker or beat.
    """

    name = models.CharField(verbose_name=_("name"), max_length=64, unique=True)
    beat_at = models.DateTimeField(verbose_name=_("last beat at"))
    count = models.PositiveBigIntegerField(verbose_name=_("beat count"), default=0)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return f"{self.name} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class OutboxMessage(models.Model):
    """Background work that must not be lost, written in the same transaction as the write that causes it.

    `event` names the work ("customers.interactions_recorded"); the app that handles it registered a
    handler under that name (cxcrm/outbox.py), which `payload` (JSON) is handed to. The dispatcher
    enqueues the row after commit and again from a beat sweep: `dispatched_at` is the last hand-over to
    the broker and `lease_until` the time after which a row not yet done is handed over again. The task
    marks `done_at` in the transaction that does the work, so a row handed over twice is done once.
    After OUTBOX_MAX_ATTEMPTS failed runs `failed_at` is set and the row is left for an operator.
    """

    event = models.CharField(verbose_name=_("event"), max_length=64)
    payload = models.JSONField(verbose_name=_("payload"), default=dict)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    dispatched_at = models.DateTimeField(verbose_name=_("dispatched at"), null=True, blank=True)
    lease_until = models.DateTimeField(verbose_name=_("lease until"), null=True, blank=True)
    dispatch_count = models.PositiveIntegerField(verbose_name=_("hand-overs"), default=0)
    attempts = models.PositiveIntegerField(
        verbose_name=_("failed runs"), default=0, help_text=_("Runs of its handler that failed")
    )
    last_error = models.TextField(verbose_name=_("last error"), blank=True)
    done_at = models.DateTimeField(verbose_name=_("done at"), null=True, blank=True)
    failed_at = models.DateTimeField(verbose_name=_("failed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["lease_until", "id"],
                name="cxcrm_outbox_pending_idx",
                condition=models.Q(done_at__isnull=True, failed_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"Outbox #{self.pk} {self.event} ({'done' if self.done_at else 'pending'})"


class Access(models.Model):
    """No rows: the holder of the permissions that belong to no model (Django keeps a permission on
    a model's content type). Grant them to a role or a user in the admin like any other."""

    class Meta:
        verbose_name = _("access")
        verbose_name_plural = _("access")
        managed = False
        default_permissions = ()
        permissions = [
            ("export_customer_rows", "Can export customer-level rows (CSV, Excel)"),
        ]

    def __str__(self):
        return "access"


class AuditAction(models.TextChoices):
    """What an audit event records."""

    MERGE = "merge", _("Customers merged")
    MERGE_UNDO = "merge_undo", _("Merge undone")
    EXPORT = "export", _("Rows exported")
    ERASURE = "erasure", _("Customer erased")
    ROLE_CHANGE = "role_change", _("Roles changed")
    PERMISSION_CHANGE = "permission_change", _("Permissions changed")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    SURVEY_SENT = "survey_sent", _("Survey sent")
    LOGIN_LOCKOUT = "login_lockout", _("Login locked out")
    WEBHOOK_CREATED = "webhook_created", _("Webhook endpoint created")
    WEBHOOK_CHANGED = "webhook_changed", _("Webhook endpoint changed")
    WEBHOOK_REVOKED = "webhook_revoked", _("Webhook endpoint revoked")
    ATTENTION_SNOOZED = "attention_snoozed", _("Needs attention: snoozed")
    ATTENTION_HANDLED = "attention_handled", _("Needs attention: handled")


class AuditEvent(ChoiceLabelsModel):
    """The audit log: one thing done that must be answerable later (who, what, when, which object,
    from which address). Events, not model diffs: the services write them (cxcrm.audit.audit_record);
    nothing changes or deletes them. The actor's name is copied so the event outlives the user, and
    `details` never holds a customer's personal data (ids and counts only), so erasing a customer
    leaves the events that name it as they are."""

    at = models.DateTimeField(verbose_name=_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(
        verbose_name=_("actor's username"), max_length=150, blank=True, help_text=_("The actor's username at the time")
    )
    action = models.CharField(verbose_name=_("action"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(
        verbose_name=_("object type"), max_length=100, blank=True, help_text=_('"app_label.model" of the object')
    )
    object_id = models.CharField(verbose_name=_("object ID"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(verbose_name=_("IP address"), null=True, blank=True)
    details = models.JSONField(verbose_name=_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["-at", "-id"], name="cxcrm_audit_at_idx"),
            models.Index(fields=["object_type", "object_id"], name="cxcrm_audit_object_idx"),
            models.Index(fields=["action", "-at"], name="cxcrm_audit_action_idx"),
        ]

    def __str__(self):
        who = self.actor_label or "system"
        return f"{self.at:%Y-%m-%d %H:%M} {who} {self.get_action_display()} {self.object_type} {self.object_id}".strip()


class UserPreference(ChoiceLabelsModel):
    """A staff user's own settings: the language of their pages and of the emails sent to them.

    `language` empty means "the browser's language" (Accept-Language, then LANGUAGE_CODE); a chosen one
    (a code of settings.LANGUAGES) wins over the browser's on every page once signed in (cxcrm.i18n).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Empty: the browser's language."),
    )

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self):
        return f"{self.user} ({self.language or 'browser'})"
