"""Invitations: which survey goes to whom, and when.

An interaction or a resolved case is matched against the active rules (`survey_rules_evaluate_*`);
each match becomes one invitation, scheduled after the rule's delay and outside quiet hours, or
recorded as suppressed with the reason (`invitation_schedule`). Integrations get link-only
invitations (`invitation_create_link`); the customer's first visit and opt-out are stamped here too.
Sending the scheduled ones is sending.py's job. The pure arithmetic (quiet hours, the sampling
draw) is feedback/scheduling.py.

Every function is keyword-only; each docstring says what it raises.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.choices import CaseOrigin, Direction, InteractionType
from customers.models import Case, Customer, Identity, Interaction
from customers.services import customer_update

from .. import delivery, scheduling
from ..choices import FATIGUE_STATUSES, DeliveryChannel, InvitationStatus, SuppressionReason, TriggerEvent
from ..models import Invitation, Survey, SurveyRule
from ..selectors import CONTACT_KIND, customer_contact

logger = logging.getLogger(__name__)


def source_key_for(*, interaction_id: int | None = None, case_id: int | None = None, customer_id: int | None = None):
    if interaction_id:
        return f"interaction:{interaction_id}"
    if case_id:
        return f"case:{case_id}"
    return f"manual:{customer_id}"


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
    interaction older than SURVEY_LIVE_WINDOW_DAYS starts nothing. The batch of one of
    `survey_rules_evaluate_interactions`. Raises nothing.
    """
    return survey_rules_evaluate_interactions(interaction_ids=[interaction_id], now=now)


def survey_rules_evaluate_interactions(*, interaction_ids: list[int], now: datetime | None = None) -> list[Invitation]:
    """`survey_rules_evaluate_interaction` for a batch (a bulk call), set-based: the interactions, the active
    rules, the invitations already made for these events, the customers' contacts and their latest
    fatiguing invitation are each read in one query; the customers are locked (select_for_update, in id
    order) while fatigue is decided, and the new invitations (scheduled, or suppressed with the reason)
    are inserted in one bulk insert. Decides exactly as `invitation_schedule` would one event after the
    other (in the order the interactions occurred). Idempotent: an event already invited returns its
    invitation. Unknown ids are skipped. Raises nothing.
    """
    now = now or timezone.now()
    rules = SurveyRule.objects.for_event(TriggerEvent.INTERACTION).in_precedence()
    if not rules:
        return []
    interactions = [
        i
        for i in Interaction.objects.filter(pk__in=interaction_ids).order_by("occurred_at", "id")
        if interaction_starts_surveys(i, now=now)
    ]
    # Per interaction, its matching rules in precedence order.
    matches = [(i, rule) for i in interactions for rule in rules if _rule_matches_interaction(rule, i)]
    if not matches:
        return []
    customer_ids = sorted({i.customer_id for i, _ in matches})
    channels = {rule.survey.delivery_channel for _, rule in matches}
    with transaction.atomic():
        customers = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=customer_ids).order_by("pk")}
        keys = {source_key_for(interaction_id=i.pk) for i, _ in matches}
        existing = {
            (inv.survey_id, inv.source_key): inv
            for inv in Invitation.objects.filter(source_key__in=keys, survey_id__in={r.survey_id for _, r in matches})
        }
        contacts = _contacts(customer_ids, channels)
        latest = dict(
            Invitation.objects.filter(customer_id__in=customer_ids, status__in=FATIGUE_STATUSES)
            .values("customer_id")
            .annotate(latest=Max("scheduled_for"))
            .values_list("customer_id", "latest")
        )
        result: list[Invitation] = []
        new: list[Invitation] = []
        invited_events: set[int] = set()  # interactions a rule of higher precedence has invited for
        for interaction, rule in matches:
            survey = rule.survey
            source_key = source_key_for(interaction_id=interaction.pk)
            found = existing.get((survey.pk, source_key))
            if found is not None:
                if found.status != InvitationStatus.SUPPRESSED:
                    invited_events.add(interaction.pk)
                result.append(found)
                continue
            customer = customers[interaction.customer_id]
            invitation = _invitation_decided(
                rule=rule,
                customer=customer,
                source_key=source_key,
                event_at=interaction.occurred_at,
                now=now,
                has_contact=bool(contacts.get((customer.pk, survey.delivery_channel))),
                latest_invited_at=latest.get(customer.pk),
                outranked=interaction.pk in invited_events,
                interaction_id=interaction.pk,
                case_id=interaction.case_id,
            )
            send_at, reason = invitation.scheduled_for, invitation.suppression_reason
            if not reason:
                latest[customer.pk] = max(filter(None, [latest.get(customer.pk), send_at]))
                invited_events.add(interaction.pk)
            existing[(survey.pk, source_key)] = invitation
            new.append(invitation)
            result.append(invitation)
        Invitation.objects.bulk_create(new)
    scheduled = sum(1 for i in new if i.status == InvitationStatus.SCHEDULED)
    logger.info(
        "survey rules: %s interactions, %s invitations made (%s scheduled, %s suppressed), %s already made",
        len(interactions),
        len(new),
        scheduled,
        len(new) - scheduled,
        len(result) - len(new),
    )
    return result


def _contacts(customer_ids: list[int], channels: set[str]) -> dict[tuple[int, str], str]:
    """{(customer id, delivery channel): the newest email or phone identity} in one query (as customer_contact)."""
    kinds = {channel: kind for channel, kind in CONTACT_KIND.items() if channel in channels}
    if not kinds:
        return {}
    found: dict[tuple[int, str], str] = {}
    rows = (
        Identity.objects.filter(customer_id__in=customer_ids, kind__in=set(kinds.values()))
        .order_by("customer_id", "kind", "-created_at", "-id")
        .values_list("customer_id", "kind", "value")
    )
    for customer_id, kind, value in rows:
        for channel, channel_kind in kinds.items():
            if channel_kind == kind:
                found.setdefault((customer_id, channel), value)
    return found


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
        r
        for r in SurveyRule.objects.for_event(TriggerEvent.CASE_RESOLVED).in_precedence()
        if not r.channel or r.channel == case.origin
    ]
    result: list[Invitation] = []
    for rule in rules:
        invitation = invitation_schedule(
            rule=rule,
            customer_id=case.customer_id,
            case_id=case.pk,
            event_at=case.resolved_at,
            now=now,
            outranked=any(i.status != InvitationStatus.SUPPRESSED for i in result),
        )
        result.append(invitation)
    return result


def _invitation_decided(
    *,
    rule: SurveyRule,
    customer: Customer,
    source_key: str,
    event_at: datetime,
    now: datetime,
    has_contact: bool,
    latest_invited_at: datetime | None,
    outranked: bool = False,
    interaction_id: int | None = None,
    case_id: int | None = None,
) -> Invitation:
    """The (unsaved) invitation of `rule`'s survey for one event, decided from what the caller read: sent after
    the rule's delay, outside the customer's quiet hours, or suppressed with the first reason that holds
    (survey inactive, opted out, `outranked`: a rule of higher precedence invited for this event (overlap),
    no contact for the channel, sampled out, invited within SURVEY_FATIGUE_DAYS of its send time,
    `latest_invited_at` being the customer's latest fatiguing invitation). The one rule of the single and
    the batch paths; both offer an event to its rules in `SurveyRule.precedence_key` order."""
    survey = rule.survey
    send_at = scheduling.next_allowed_time(
        max(event_at + timedelta(minutes=rule.delay_minutes), now),
        zone=delivery.customer_zone(customer.timezone),
        quiet_start=rule.quiet_start,
        quiet_end=rule.quiet_end,
    )
    reason = ""
    if not survey.active:
        reason = SuppressionReason.SURVEY_INACTIVE
    elif customer.survey_opt_out:
        reason = SuppressionReason.OPT_OUT
    elif outranked:
        reason = SuppressionReason.OVERLAP
    elif survey.delivery_channel != DeliveryChannel.LINK and not has_contact:
        reason = SuppressionReason.NO_CONTACT
    elif not scheduling.sampled_in(percent=rule.sample_percent, rule_id=rule.pk, source_key=source_key):
        reason = SuppressionReason.SAMPLED_OUT
    elif latest_invited_at is not None and latest_invited_at >= send_at - timedelta(days=settings.SURVEY_FATIGUE_DAYS):
        reason = SuppressionReason.FATIGUE
    return Invitation(
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


def invitation_schedule(
    *,
    rule: SurveyRule,
    customer_id: int,
    event_at: datetime,
    interaction_id: int | None = None,
    case_id: int | None = None,
    now: datetime | None = None,
    outranked: bool = False,
) -> Invitation:
    """The invitation of `rule`'s survey for this event: scheduled after the delay and outside quiet
    hours, or suppressed with the reason (`overlap` when `outranked`: a rule of higher precedence has
    invited for this event). Idempotent: the same survey and event return the existing row.

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
        # Read only what the decision can reach (no contact lookup for an inactive survey or an opt-out).
        needs_contact = (
            survey.active and not customer.survey_opt_out and survey.delivery_channel != DeliveryChannel.LINK
        )
        latest = Invitation.objects.filter(customer_id=customer.pk, status__in=FATIGUE_STATUSES).aggregate(
            latest=Max("scheduled_for")
        )["latest"]
        invitation = _invitation_decided(
            rule=rule,
            customer=customer,
            source_key=source_key,
            event_at=event_at,
            now=now,
            has_contact=bool(customer_contact(customer_id=customer.pk, channel=survey.delivery_channel))
            if needs_contact
            else True,
            latest_invited_at=latest,
            outranked=outranked,
            interaction_id=interaction_id,
            case_id=case_id,
        )
        invitation.save()
    reason, send_at = invitation.suppression_reason, invitation.scheduled_for
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
