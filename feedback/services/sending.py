"""Sending: getting scheduled invitations (and their one reminder) out, and expiring the rest.

The beat tasks call these in batches. Due invitations are claimed set-based under a lease
(SURVEY_SEND_LEASE_SECONDS) before anything is sent, so two workers never message a customer twice;
each send commits together with its `sent` stamp, Message-ID and `survey_sent` audit event, and a claim
whose worker died is handed back when its lease expires (never marked failed). A backend failure goes back to scheduled
with backoff (feedback/scheduling.py `retry_delay`) until SURVEY_SEND_MAX_ATTEMPTS.
The messages themselves are rendered by feedback/delivery.py and SMS go through feedback/sms.py.

Every function is keyword-only; each docstring says what it raises.
"""

import logging
import time
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from cxcrm.audit import audit_record
from cxcrm.models import AuditAction

from .. import delivery, scheduling, sms
from ..choices import OPEN_STATUSES, DeliveryChannel, InvitationStatus, SuppressionReason
from ..models import Invitation, Survey
from ..selectors import customer_contact

logger = logging.getLogger(__name__)


def _message_id(invitation: Invitation) -> str:
    """The invitation's one Message-ID: the same on every try, so a relay or inbox can drop a duplicate."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<survey-invitation-{invitation.pk}@{host}>"


def _deliver(invitation: Invitation, *, reminder: bool = False) -> str:
    """Send the email or SMS (link-only: nothing to send); returns the email's Message-ID ("" for others).

    Raises whatever the backend raises.
    """
    if invitation.channel == DeliveryChannel.EMAIL:
        message = delivery.invitation_email(invitation, reminder=reminder)
        message_id = "" if reminder else _message_id(invitation)
        if message_id:
            message.extra_headers["Message-ID"] = message_id
        message.send(fail_silently=False)
        return message_id
    if invitation.channel == DeliveryChannel.SMS:
        sms.send_sms(to=invitation.recipient, body=delivery.invitation_sms_text(invitation, reminder=reminder))
    return ""


def _claimed(token: str):
    return (
        Invitation.objects.filter(status=InvitationStatus.SENDING, claim_token=token)
        .select_related("survey", "customer")
        .prefetch_related("survey__texts", "survey__questions")
        .order_by("scheduled_for", "id")
    )


def _send_one(invitation: Invitation, *, token: str, now: datetime) -> str | None:
    """Deliver one invitation this run claimed and record the outcome; returns the new status.

    The row is locked and checked to be still ours (status sending, our claim token) in the
    transaction that sends and records the result, so a claim handed back meanwhile is left alone
    (returns None) and a sent row is never sent again: the send and the `sent` stamp commit together.
    """
    with transaction.atomic():
        ours = Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.SENDING, claim_token=token)
        if not ours.select_for_update().values_list("pk", flat=True).first():
            return None
        done = {"claim_token": "", "lease_until": None}
        customer = invitation.customer
        reason = ""
        if not invitation.survey.active:
            reason = SuppressionReason.SURVEY_INACTIVE
        elif customer.survey_opt_out:
            reason = SuppressionReason.OPT_OUT
        else:
            invitation.recipient = customer_contact(customer_id=customer.pk, channel=invitation.channel)
            if invitation.channel != DeliveryChannel.LINK and not invitation.recipient:
                reason = SuppressionReason.NO_CONTACT
        if reason:
            ours.update(status=InvitationStatus.SUPPRESSED, suppression_reason=reason, suppressed_at=now, **done)
            return InvitationStatus.SUPPRESSED
        if invitation.expires_at <= now:
            ours.update(status=InvitationStatus.EXPIRED, expired_at=now, **done)
            return InvitationStatus.EXPIRED
        invitation.language = delivery.normalise_language(customer.language)
        try:
            with transaction.atomic():
                message_id = _deliver(invitation)
        except Exception as exc:  # any backend failure is retried, then recorded
            error = f"{exc.__class__.__name__}: {exc}"[:2000]
            if invitation.attempts >= settings.SURVEY_SEND_MAX_ATTEMPTS:
                ours.update(
                    status=InvitationStatus.FAILED, failed_at=timezone.now(), last_error=error, sending_at=None, **done
                )
                logger.warning("invitation %s failed after %s attempts: %s", invitation.pk, invitation.attempts, error)
                return InvitationStatus.FAILED
            retry_at = now + scheduling.retry_delay(invitation.attempts)
            ours.update(
                status=InvitationStatus.SCHEDULED, scheduled_for=retry_at, last_error=error, sending_at=None, **done
            )
            logger.info(
                "invitation %s send failed (attempt %s), retry at %s", invitation.pk, invitation.attempts, retry_at
            )
            return InvitationStatus.SCHEDULED
        ours.update(
            status=InvitationStatus.SENT,
            sent_at=timezone.now(),
            recipient=invitation.recipient,
            language=invitation.language,
            message_id=message_id,
            last_error="",
            **done,
        )
        # In the transaction of the `sent` stamp: one event per invitation sent, by the system, naming the
        # survey and the channel (never the address).
        audit_record(
            action=AuditAction.SURVEY_SENT,
            obj=invitation,
            system=True,
            details={"survey": invitation.survey_id, "channel": invitation.channel},
        )
    return InvitationStatus.SENT


def invitations_claim_due(*, now: datetime, batch_size: int) -> str:
    """Claim up to `batch_size` due invitations for one send run; returns the run's claim token.

    One set-based claim per batch: the due rows are selected FOR UPDATE SKIP LOCKED on PostgreSQL
    (concurrent runs take disjoint rows without waiting) and moved scheduled → sending in one UPDATE
    that stamps the token, `attempts + 1` and the lease (now + SURVEY_SEND_LEASE_SECONDS). Raises nothing.
    """
    token = uuid.uuid4().hex
    with transaction.atomic():
        due = Invitation.objects.due(now).order_by("scheduled_for", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch_size])
        Invitation.objects.filter(pk__in=ids, status=InvitationStatus.SCHEDULED).update(
            status=InvitationStatus.SENDING,
            sending_at=now,
            claim_token=token,
            lease_until=now + timedelta(seconds=settings.SURVEY_SEND_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    return token


def invitations_send_due(*, now: datetime | None = None, batch_size: int | None = None) -> dict[str, int]:
    """Send up to `batch_size` due invitations; returns how many ended in each status.

    The batch is claimed under a lease (invitations_claim_due); each row is then sent and its result
    recorded in one transaction, checked against the claim (_send_one), and the lease is renewed while
    the run goes on. A failure goes back to scheduled with backoff until SURVEY_SEND_MAX_ATTEMPTS, then
    failed with the error. Rows whose claim was handed back meanwhile are skipped. Raises nothing.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.SURVEY_SEND_BATCH_SIZE
    lease = timedelta(seconds=settings.SURVEY_SEND_LEASE_SECONDS)
    token = invitations_claim_due(now=now, batch_size=batch_size)
    outcome: dict[str, int] = {}
    renewed = time.monotonic()
    claimed = 0
    for invitation in _claimed(token):
        claimed += 1
        if time.monotonic() - renewed > lease.total_seconds() / 3:
            Invitation.objects.filter(status=InvitationStatus.SENDING, claim_token=token).update(
                lease_until=timezone.now() + lease
            )
            renewed = time.monotonic()
        status = _send_one(invitation, token=token, now=now)
        if status:
            outcome[status] = outcome.get(status, 0) + 1
    logger.info("send due invitations: %s claimed, %s", claimed, outcome)
    return outcome


def invitations_release_expired_claims(*, now: datetime | None = None) -> int:
    """Hand back to scheduled the invitations whose send lease expired (the worker that claimed them died).

    Nothing was recorded as sent for them (a send and its `sent` stamp commit together), so the next
    run sends them; their attempt still counts. A live run's row being sent is locked, so this waits
    for its commit and then no longer matches. Returns how many rows it handed back. Raises nothing.
    """
    now = now or timezone.now()
    lease = timedelta(seconds=settings.SURVEY_SEND_LEASE_SECONDS)
    expired = Q(lease_until__lt=now) | Q(lease_until__isnull=True, sending_at__lt=now - lease)
    count = Invitation.objects.filter(expired, status=InvitationStatus.SENDING).update(
        status=InvitationStatus.SCHEDULED, claim_token="", lease_until=None, sending_at=None
    )
    if count:
        logger.warning("handed back %s invitations whose send lease expired", count)
    return count


def invitations_send_reminders(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Send the one reminder of surveys that have one, to invitations sent N days ago and not answered.

    Each reminder is claimed by stamping `reminder_sent_at` with a conditional update, so it goes out at
    most once; it carries the same link. A backend that fails releases the claim and the reminder is
    tried again after the same backoff as first sends, up to SURVEY_SEND_MAX_ATTEMPTS tries in all
    (the last error is kept). Returns how many were sent. Raises nothing.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.SURVEY_SEND_BATCH_SIZE
    due = Q(pk__in=[])
    for survey_id, days in Survey.objects.filter(reminder_after_days__isnull=False).values_list(
        "pk", "reminder_after_days"
    ):
        due |= Q(survey_id=survey_id, sent_at__lte=now - timedelta(days=days))
    ids = list(
        Invitation.objects.filter(due)
        .filter(Q(reminder_retry_at__isnull=True) | Q(reminder_retry_at__lte=now))
        .filter(
            status__in=OPEN_STATUSES,
            reminder_sent_at__isnull=True,
            reminder_attempts__lt=settings.SURVEY_SEND_MAX_ATTEMPTS,
            expires_at__gt=now,
            channel__in=(DeliveryChannel.EMAIL, DeliveryChannel.SMS),
            customer__survey_opt_out=False,
            survey__active=True,
        )
        .order_by("sent_at", "id")
        .values_list("pk", flat=True)[:batch_size]
    )
    claimed = [
        pk
        for pk in ids
        if Invitation.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(
            reminder_sent_at=now, reminder_attempts=F("reminder_attempts") + 1
        )
    ]
    sent = 0
    invitations = (
        Invitation.objects.filter(pk__in=claimed)
        .select_related("survey", "customer")
        .prefetch_related("survey__texts", "survey__questions")
    )
    for invitation in invitations:
        try:
            _deliver(invitation, reminder=True)
            sent += 1
        except Exception as exc:
            # Not sent: release the claim so a later run tries again (until the attempts run out).
            attempt = invitation.reminder_attempts
            Invitation.objects.filter(pk=invitation.pk).update(
                reminder_sent_at=None,
                reminder_retry_at=now + scheduling.retry_delay(attempt),
                last_error=f"reminder: {exc.__class__.__name__}: {exc}",
            )
            logger.warning("reminder for invitation %s failed (attempt %s): %s", invitation.pk, attempt, exc)
    logger.info("survey reminders: %s due, %s sent", len(claimed), sent)
    return sent


def invitations_expire(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Expire unanswered invitations past `expires_at`, in batches. Returns how many. Raises nothing."""
    now = now or timezone.now()
    batch_size = batch_size or settings.SURVEY_SEND_BATCH_SIZE
    expirable = Invitation.objects.filter(status__in=(InvitationStatus.SCHEDULED, *OPEN_STATUSES), expires_at__lte=now)
    total = 0
    while True:
        ids = list(expirable.order_by("expires_at", "id").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        total += expirable.filter(pk__in=ids).update(status=InvitationStatus.EXPIRED, expired_at=now)
    if total:
        logger.info("expired %s survey invitations", total)
    return total
