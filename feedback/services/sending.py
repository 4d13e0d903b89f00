"""Sending: getting scheduled invitations (and their one reminder) out, and expiring the rest.

The beat tasks call these in batches. Each invitation is claimed with a conditional update before
anything is sent, so two workers never message a customer twice; a backend failure goes back to
scheduled with backoff (feedback/scheduling.py `retry_delay`) until SURVEY_SEND_MAX_ATTEMPTS.
The messages themselves are rendered by feedback/delivery.py and SMS go through feedback/sms.py.

Every function is keyword-only; each docstring says what it raises.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from .. import delivery, scheduling, sms
from ..choices import OPEN_STATUSES, DeliveryChannel, InvitationStatus, SuppressionReason
from ..models import Invitation, Survey
from ..selectors import customer_contact

logger = logging.getLogger(__name__)


def _deliver(invitation: Invitation, *, reminder: bool = False) -> None:
    """Send the email or SMS (link-only: nothing to send). Raises whatever the backend raises."""
    if invitation.channel == DeliveryChannel.EMAIL:
        delivery.invitation_email(invitation, reminder=reminder).send(fail_silently=False)
    elif invitation.channel == DeliveryChannel.SMS:
        sms.send_sms(to=invitation.recipient, body=delivery.invitation_sms_text(invitation, reminder=reminder))


def _claimed(invitation_ids: list[int]):
    return (
        Invitation.objects.filter(pk__in=invitation_ids, status=InvitationStatus.SENDING)
        .select_related("survey", "customer")
        .prefetch_related("survey__texts", "survey__questions")
        .order_by("scheduled_for", "id")
    )


def _send_one(invitation: Invitation, *, now: datetime) -> str:
    """Deliver one claimed (sending) invitation and record the outcome; returns the new status."""
    sending = Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.SENDING)
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
        sending.update(status=InvitationStatus.SUPPRESSED, suppression_reason=reason, suppressed_at=now)
        return InvitationStatus.SUPPRESSED
    if invitation.expires_at <= now:
        sending.update(status=InvitationStatus.EXPIRED, expired_at=now)
        return InvitationStatus.EXPIRED
    invitation.language = delivery.normalise_language(customer.language)
    try:
        _deliver(invitation)
    except Exception as exc:  # any backend failure is retried, then recorded
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        if invitation.attempts >= settings.SURVEY_SEND_MAX_ATTEMPTS:
            sending.update(status=InvitationStatus.FAILED, failed_at=timezone.now(), last_error=error, sending_at=None)
            logger.warning("invitation %s failed after %s attempts: %s", invitation.pk, invitation.attempts, error)
            return InvitationStatus.FAILED
        retry_at = now + scheduling.retry_delay(invitation.attempts)
        sending.update(status=InvitationStatus.SCHEDULED, scheduled_for=retry_at, last_error=error, sending_at=None)
        logger.info("invitation %s send failed (attempt %s), retry at %s", invitation.pk, invitation.attempts, retry_at)
        return InvitationStatus.SCHEDULED
    sending.update(
        status=InvitationStatus.SENT,
        sent_at=timezone.now(),
        recipient=invitation.recipient,
        language=invitation.language,
        last_error="",
    )
    return InvitationStatus.SENT


def invitations_send_due(*, now: datetime | None = None, batch_size: int | None = None) -> dict[str, int]:
    """Send up to `batch_size` due invitations; returns how many ended in each status.

    Each row is claimed with a conditional update (scheduled → sending) before anything is sent, so
    two workers never send the same invitation; a success is marked sent and never repeated; a
    failure goes back to scheduled with backoff until SURVEY_SEND_MAX_ATTEMPTS, then failed with
    the error. Raises nothing.
    """
    now = now or timezone.now()
    batch_size = batch_size or settings.SURVEY_SEND_BATCH_SIZE
    due_ids = list(
        Invitation.objects.due(now).order_by("scheduled_for", "id").values_list("pk", flat=True)[:batch_size]
    )
    claimed = [
        pk
        for pk in due_ids
        if Invitation.objects.filter(pk=pk, status=InvitationStatus.SCHEDULED).update(
            status=InvitationStatus.SENDING, sending_at=now, attempts=F("attempts") + 1
        )
    ]
    outcome: dict[str, int] = {}
    for invitation in _claimed(claimed):
        status = _send_one(invitation, now=now)
        outcome[status] = outcome.get(status, 0) + 1
    logger.info("send due invitations: %s due, %s claimed, %s", len(due_ids), len(claimed), outcome)
    return outcome


def invitations_fail_stale_sending(*, now: datetime | None = None) -> int:
    """Mark failed the invitations left in `sending` by a worker that died mid-send.

    They are not retried: the message may have gone out, and sending twice is worse than
    once too few. Returns how many rows it marked. Raises nothing.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.SURVEY_SENDING_STALE_MINUTES)
    count = Invitation.objects.filter(status=InvitationStatus.SENDING, sending_at__lt=cutoff).update(
        status=InvitationStatus.FAILED,
        failed_at=now,
        last_error="Interrupted while sending (worker lost); not retried so the customer is not messaged twice.",
    )
    if count:
        logger.warning("marked %s invitations stuck in sending as failed", count)
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
