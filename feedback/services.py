"""Writes of the feedback app: rule evaluation, invitations and their delivery, opt-out, merges, surveys.

Every function is keyword-only; each docstring says what it raises.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.choices import CaseOrigin, Direction, IdentityKind, InteractionType
from customers.models import Case, Customer, Identity, Interaction
from customers.services import customer_update

from . import delivery, scheduling, sms
from .choices import (
    OPEN_STATUSES,
    DeliveryChannel,
    InvitationStatus,
    QuestionType,
    SuppressionReason,
    SurveyKind,
    TriggerEvent,
)
from .merges import rows_move_back_on_undo, rows_move_on_merge
from .models import Invitation, InvitationMergeMove, QuestionChoice, Survey, SurveyQuestion, SurveyRule, SurveyText
from .scales import SCALES

logger = logging.getLogger(__name__)

CONTACT_KIND = {DeliveryChannel.EMAIL: IdentityKind.EMAIL, DeliveryChannel.SMS: IdentityKind.PHONE}


def source_key_for(*, interaction_id: int | None = None, case_id: int | None = None, customer_id: int | None = None):
    if interaction_id:
        return f"interaction:{interaction_id}"
    if case_id:
        return f"case:{case_id}"
    return f"manual:{customer_id}"


def _contact(customer_id: int, channel: str) -> str:
    """The newest email (or phone) identity of the customer for the channel; "" when none or link-only."""
    kind = CONTACT_KIND.get(channel)
    if kind is None:
        return ""
    value = (
        Identity.objects.filter(customer_id=customer_id, kind=kind)
        .order_by("-created_at", "-id")
        .values_list("value", flat=True)
        .first()
    )
    return value or ""


# --------------------------------------------------------------------------- rule evaluation


def _rule_matches_interaction(rule: SurveyRule, interaction: Interaction) -> bool:
    return (
        (not rule.channel or rule.channel == interaction.channel)
        and (not rule.interaction_type or rule.interaction_type == interaction.type)
        and (not rule.touchpoint_key or rule.touchpoint_key == interaction.touchpoint_key)
    )


def interaction_starts_surveys(interaction: Interaction, *, now: datetime | None = None) -> bool:
    """Only live events count: not history, not system interactions, not survey responses, not old ones."""
    now = now or timezone.now()
    window = timedelta(days=settings.SURVEY_LIVE_WINDOW_DAYS)
    return (
        interaction.live
        and interaction.direction != Direction.SYSTEM
        and interaction.type != InteractionType.SURVEY_RESPONSE
        and interaction.occurred_at >= now - window
        and interaction.occurred_at <= now + timedelta(hours=1)
    )


def survey_rules_evaluate_interaction(*, interaction_id: int, now: datetime | None = None) -> list[Invitation]:
    """Schedule (or record as suppressed) one invitation per active rule the interaction matches.

    A missing interaction, history, a system interaction, a survey response or an
    interaction older than SURVEY_LIVE_WINDOW_DAYS starts nothing. Raises nothing.
    """
    now = now or timezone.now()
    interaction = Interaction.objects.filter(pk=interaction_id).first()
    if interaction is None or not interaction_starts_surveys(interaction, now=now):
        return []
    rules = [
        r for r in SurveyRule.objects.for_event(TriggerEvent.INTERACTION) if _rule_matches_interaction(r, interaction)
    ]
    return [
        invitation_schedule(
            rule=rule,
            customer_id=interaction.customer_id,
            interaction_id=interaction.pk,
            case_id=interaction.case_id,
            event_at=interaction.occurred_at,
            now=now,
        )
        for rule in rules
    ]


def survey_rules_evaluate_case(*, case_id: int, now: datetime | None = None) -> list[Invitation]:
    """Schedule (or suppress) one invitation per active case-resolved rule matching the case's origin.

    A case resolved longer ago than SURVEY_LIVE_WINDOW_DAYS (or not resolved), or a survey follow-up
    case, starts nothing. Raises nothing.
    """
    now = now or timezone.now()
    case = Case.objects.filter(pk=case_id).first()
    if case is None or case.resolved_at is None:
        return []
    if case.origin == CaseOrigin.SURVEY:
        # A detractor follow-up closing is not a service event to survey the customer about again.
        return []
    if case.resolved_at < now - timedelta(days=settings.SURVEY_LIVE_WINDOW_DAYS):
        return []
    rules = [
        r for r in SurveyRule.objects.for_event(TriggerEvent.CASE_RESOLVED) if not r.channel or r.channel == case.origin
    ]
    return [
        invitation_schedule(
            rule=rule, customer_id=case.customer_id, case_id=case.pk, event_at=case.resolved_at, now=now
        )
        for rule in rules
    ]


def _suppression_reason(*, rule: SurveyRule, customer: Customer, source_key: str, send_at: datetime) -> str:
    survey = rule.survey
    if not survey.active:
        return SuppressionReason.SURVEY_INACTIVE
    if customer.survey_opt_out:
        return SuppressionReason.OPT_OUT
    if survey.delivery_channel != DeliveryChannel.LINK and not _contact(customer.pk, survey.delivery_channel):
        return SuppressionReason.NO_CONTACT
    if not scheduling.sampled_in(percent=rule.sample_percent, rule_id=rule.pk, source_key=source_key):
        return SuppressionReason.SAMPLED_OUT
    since = send_at - timedelta(days=settings.SURVEY_FATIGUE_DAYS)
    if Invitation.objects.fatiguing(customer.pk, since).exists():
        return SuppressionReason.FATIGUE
    return ""


def invitation_schedule(
    *,
    rule: SurveyRule,
    customer_id: int,
    event_at: datetime,
    interaction_id: int | None = None,
    case_id: int | None = None,
    now: datetime | None = None,
) -> Invitation:
    """The invitation of `rule`'s survey for this event: scheduled after the delay and outside quiet
    hours, or suppressed with the reason. Idempotent: the same survey and event return the existing row.

    The customer row is locked (select_for_update) while fatigue is decided, so two rules firing at
    once invite once. Raises Customer.DoesNotExist for an unknown customer.
    """
    now = now or timezone.now()
    survey = rule.survey
    source_key = source_key_for(interaction_id=interaction_id, case_id=case_id)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        existing = Invitation.objects.filter(survey=survey, source_key=source_key).first()
        if existing is not None:
            return existing
        send_at = max(event_at + timedelta(minutes=rule.delay_minutes), now)
        send_at = scheduling.next_allowed_time(
            send_at,
            zone=delivery.customer_zone(customer.timezone),
            quiet_start=rule.quiet_start,
            quiet_end=rule.quiet_end,
        )
        reason = _suppression_reason(rule=rule, customer=customer, source_key=source_key, send_at=send_at)
        invitation = Invitation.objects.create(
            survey=survey,
            customer=customer,
            rule=rule,
            interaction_id=interaction_id,
            case_id=case_id,
            source_key=source_key,
            channel=survey.delivery_channel,
            status=InvitationStatus.SUPPRESSED if reason else InvitationStatus.SCHEDULED,
            suppression_reason=reason,
            suppressed_at=now if reason else None,
            scheduled_for=send_at,
            expires_at=send_at + timedelta(days=survey.expiry_days),
        )
    logger.info(
        "survey rule %s: invitation %s for customer %s %s%s",
        rule.pk,
        invitation.pk,
        customer_id,
        invitation.status,
        f" ({reason})" if reason else f" for {send_at.isoformat()}",
    )
    return invitation


def invitation_create_link(
    *, survey: Survey, customer: Customer, interaction: Interaction | None = None, case: Case | None = None
) -> tuple[Invitation, bool]:
    """A link-only invitation an integration hands to the customer itself: (invitation, created).

    The same survey and source event (interaction, else case, else the customer alone) return the
    existing invitation with created False. An opted-out customer gets a suppressed invitation (no url).
    Raises ValidationError for an inactive survey, a merged customer, or an interaction or case of
    another customer.
    """
    errors = {}
    if not survey.active:
        errors["survey"] = [_("This survey is not active.")]
    if customer.merged_into_id:
        errors["customer"] = [_("This customer was merged into customer %(id)s.") % {"id": customer.merged_into_id}]
    if interaction is not None and interaction.customer_id != customer.pk:
        errors["interaction"] = [_("This interaction belongs to another customer.")]
    if case is not None and case.customer_id != customer.pk:
        errors["case"] = [_("This case belongs to another customer.")]
    if errors:
        raise ValidationError(errors)
    source_key = source_key_for(
        interaction_id=interaction.pk if interaction else None,
        case_id=case.pk if case else None,
        customer_id=customer.pk,
    )
    now = timezone.now()
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        existing = Invitation.objects.filter(survey=survey, source_key=source_key).first()
        if existing is not None:
            return existing, False
        opted_out = locked.survey_opt_out
        invitation = Invitation.objects.create(
            survey=survey,
            customer=locked,
            interaction=interaction,
            case=case if case is not None else (interaction.case if interaction is not None else None),
            source_key=source_key,
            channel=DeliveryChannel.LINK,
            status=InvitationStatus.SUPPRESSED if opted_out else InvitationStatus.SENT,
            suppression_reason=SuppressionReason.OPT_OUT if opted_out else "",
            suppressed_at=now if opted_out else None,
            sent_at=None if opted_out else now,
            language=locked.language,
            scheduled_for=now,
            expires_at=now + timedelta(days=survey.expiry_days),
        )
    return invitation, True


# --------------------------------------------------------------------------- delivery


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
        invitation.recipient = _contact(customer.pk, invitation.channel)
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


# --------------------------------------------------------------------------- link visits and opt-out


def invitation_mark_opened(*, invitation_id: int) -> bool:
    """Stamp the first visit of a sent invitation's link (sent → opened). Returns whether it changed."""
    return bool(
        Invitation.objects.filter(pk=invitation_id, status=InvitationStatus.SENT).update(
            status=InvitationStatus.OPENED, opened_at=timezone.now()
        )
    )


def customer_survey_opt_out(*, invitation: Invitation) -> int:
    """Opt the invitation's customer out of surveys and suppress their scheduled invitations.

    Returns how many scheduled invitations were suppressed. Idempotent. Raises nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=invitation.customer_id)
        if not customer.survey_opt_out:
            customer_update(customer=customer, survey_opt_out=True)
        suppressed = Invitation.objects.filter(
            customer_id=invitation.customer_id, status=InvitationStatus.SCHEDULED
        ).update(status=InvitationStatus.SUPPRESSED, suppression_reason=SuppressionReason.OPT_OUT, suppressed_at=now)
    logger.info("customer %s opted out of surveys (%s scheduled suppressed)", invitation.customer_id, suppressed)
    return suppressed


# --------------------------------------------------------------------------- merges


def invitations_move_on_merge(*, merge) -> int:
    """Move the merged customer's invitations to the survivor, remembering each move by merge id.

    Idempotent (a replay finds nothing left to move). Returns how many moved. Raises nothing.
    """
    return rows_move_on_merge(model=Invitation, move_model=InvitationMergeMove, field="invitation", merge=merge)


def invitations_move_back_on_undo(*, merge) -> int:
    """Move back exactly the invitations this merge moved (those still on the survivor).

    Idempotent: each move is marked undone once. Returns how many moved back. Raises nothing.
    """
    return rows_move_back_on_undo(model=Invitation, move_model=InvitationMergeMove, field="invitation", merge=merge)


# --------------------------------------------------------------------------- surveys


def _validate_questions(kind: str, questions: list[dict]) -> None:
    primaries = [q for q in questions if q.get("is_primary")]
    errors = []
    if kind in SCALES and len(primaries) != 1:
        errors.append(_("A %(kind)s survey needs exactly one primary score question.") % {"kind": kind.upper()})
    if kind == SurveyKind.CUSTOM and len(primaries) > 1:
        errors.append(_("At most one question can be the primary score."))
    for number, question in enumerate(questions, start=1):
        qtype = question.get("type", QuestionType.SCORE)
        if question.get("is_primary") and qtype != QuestionType.SCORE:
            errors.append(_("Question %(n)s: only a score question can be the primary score.") % {"n": number})
        if (
            qtype in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)
            and len(question.get("choices") or []) < 2
        ):
            errors.append(_("Question %(n)s: a choice question needs at least two choices.") % {"n": number})
        low, high = question.get("scale_min"), question.get("scale_max")
        if low is not None and high is not None and low >= high:
            errors.append(_("Question %(n)s: the scale's maximum must be above its minimum.") % {"n": number})
    if errors:
        raise ValidationError({"questions": errors})


def _write_questions(survey: Survey, questions: list[dict]) -> None:
    survey.questions.all().delete()
    for position, data in enumerate(questions, start=1):
        data = dict(data)
        choices = data.pop("choices", None) or []
        data.pop("position", None)
        question = SurveyQuestion.objects.create(survey=survey, position=position, **data)
        QuestionChoice.objects.bulk_create(
            [QuestionChoice(question=question, position=i, **choice) for i, choice in enumerate(choices, start=1)]
        )


def _write_texts(survey: Survey, texts: list[dict]) -> None:
    languages = [t["language"] for t in texts]
    if len(set(languages)) != len(languages):
        raise ValidationError({"texts": [_("Give each language once.")]})
    survey.texts.all().delete()
    SurveyText.objects.bulk_create([SurveyText(survey=survey, **t) for t in texts])


def survey_create(*, fields: dict, questions: list[dict], texts: list[dict], created_by=None) -> Survey:
    """A survey with its ordered questions (and choices) and per-language texts.

    Raises ValidationError when the questions break the primary-score rule or the survey's own clean().
    """
    _validate_questions(fields.get("kind", SurveyKind.CSAT), questions)
    with transaction.atomic():
        survey = Survey(created_by=created_by, **fields)
        survey.full_clean()
        survey.save()
        _write_questions(survey, questions)
        _write_texts(survey, texts)
    return survey


def survey_update(
    *, survey: Survey, fields: dict, questions: list[dict] | None = None, texts: list[dict] | None = None
) -> Survey:
    """Change a survey; questions and texts, when given, replace the old ones.

    Raises ValidationError when the questions break the primary-score rule, or when questions
    of a survey that already has invitations would be replaced (its answers refer to them).
    """
    for name, value in fields.items():
        setattr(survey, name, value)
    if questions is not None:
        _validate_questions(survey.kind, questions)
        if survey.invitations.exists():
            raise ValidationError(
                {"questions": [_("This survey has invitations; copy it to a new survey to change its questions.")]}
            )
    elif "kind" in fields:
        _validate_questions(survey.kind, list(survey.questions.values("is_primary", "type")))
    with transaction.atomic():
        survey.full_clean()
        survey.save()
        if questions is not None:
            _write_questions(survey, questions)
        if texts is not None:
            _write_texts(survey, texts)
    return survey


def survey_send_test(*, survey: Survey, language: str, to: str) -> None:
    """Email a sample invitation of the survey in `language` to `to` (links do not open a real invitation).

    Raises ValidationError without an address; whatever the email backend raises otherwise.
    """
    if not to:
        raise ValidationError({"to": [_("Your user has no email address.")]})
    subject, text, html, headers = delivery.render_email(survey=survey, language=language, invitation_id=0)
    delivery.build_email(to=to, subject=f"[TEST] {subject}", text=text, html=html, headers=headers).send()
