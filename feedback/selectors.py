"""Reads of the feedback app, with their query shapes."""

from datetime import timedelta

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from customers.choices import IdentityKind
from customers.models import Identity

from .choices import DeliveryChannel, InvitationStatus, SuppressionReason, SurveyKind, TriggerEvent
from .models import Invitation, Response, Survey, SurveyRule
from .scales import SCALES

# The identity an invitation goes to, per delivery channel (link-only surveys need none).
CONTACT_KIND = {DeliveryChannel.EMAIL: IdentityKind.EMAIL, DeliveryChannel.SMS: IdentityKind.PHONE}


def customer_contact(*, customer_id: int, channel: str) -> str:
    """The customer's newest email (or phone) identity for the delivery channel; "" when none or link-only."""
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


def survey_list_with_counts():
    """Surveys with their rules and invitation counts per state (one aggregate query)."""
    counts = {
        f"n_{status}": Count("invitations", filter=Q(invitations__status=status)) for status in InvitationStatus.values
    }
    return (
        Survey.objects.annotate(n_invitations=Count("invitations"), **counts)
        .prefetch_related(Prefetch("rules", queryset=SurveyRule.objects.order_by("name", "id")))
        .order_by("name")
    )


def survey_detail_queryset():
    return Survey.objects.prefetch_related("texts", "questions__choices")


def invitation_list():
    return Invitation.objects.select_related("survey", "customer", "rule").order_by("-created_at", "-id")


def invitation_for_link(invitation_id: int) -> Invitation | None:
    return (
        Invitation.objects.select_related("survey", "customer")
        .prefetch_related("survey__texts", "survey__questions__choices")
        .filter(pk=invitation_id)
        .first()
    )


# --------------------------------------------------------------------------- responses


def response_list():
    """Responses with what their API items and admin rows show, newest first."""
    return Response.objects.select_related(
        "survey", "customer", "persona", "touchpoint", "journey_map", "stage", "agent", "followup_case"
    ).order_by("-submitted_at", "-id")


def case_csat_responses(*, case_ids) -> QuerySet[Response]:
    """Scored CSAT responses about these cases (their `case`), newest first (one query)."""
    return (
        Response.objects.scored()
        .filter(kind=SurveyKind.CSAT, case_id__in=list(case_ids))
        .only("id", "case_id", "score", "submitted_at")
        .order_by("-submitted_at", "-id")
    )


def latest_scores_for_customer(customer) -> dict[str, Response]:
    """The customer's latest scored NPS, CSAT and CES responses by kind (one query); missing kinds are absent."""
    latest = (
        Response.objects.scored()
        .filter(customer_id=OuterRef("customer_id"), kind=OuterRef("kind"))
        .order_by("-submitted_at", "-id")
        .values("pk")[:1]
    )
    rows = (
        Response.objects.scored()
        .filter(customer_id=customer.pk, kind__in=list(SCALES), pk=Subquery(latest))
        .select_related("survey")
    )
    return {row.kind: row for row in rows}


# --------------------------------------------------------------------------- a rule's activity

RULE_ACTIVITY_DAYS = 30


def survey_rule_activity(*, rule: SurveyRule, days: int = RULE_ACTIVITY_DAYS, now=None) -> dict[str, int]:
    """What `rule` did with the events it matched in the last `days` days, in one aggregate query.

    Returns {"matched", "invited", "deferred_quiet_hours", "suppressed", and one count per
    SuppressionReason value}: `matched` counts the events the rule was offered (each records one
    invitation of the rule, scheduled or suppressed), plus the events the rule matches that another
    rule of the same survey had already invited for (one invitation per survey and event, so these
    count as `overlap`). `invited` are the rule's invitations not suppressed; `deferred_quiet_hours`
    those of them whose send time was moved past the customer's quiet hours. Raises nothing.
    """
    now = now or timezone.now()
    since = now - timedelta(days=days)
    own = Q(rule=rule)
    # Events this rule matches that the same survey's invitation of another rule already covers.
    covered = Q(survey_id=rule.survey_id, rule__event=rule.event, created_at__gte=rule.created_at) & ~own
    if rule.event == TriggerEvent.INTERACTION:
        covered &= Q(interaction__isnull=False)
        for field, lookup in (
            ("channel", "interaction__channel"),
            ("interaction_type", "interaction__type"),
            ("touchpoint_key", "interaction__touchpoint_key"),
        ):
            if getattr(rule, field):
                covered &= Q(**{lookup: getattr(rule, field)})
    else:
        covered &= Q(source_key__startswith="case:")
        if rule.channel:
            covered &= Q(case__origin=rule.channel)
    suppressed = Q(status=InvitationStatus.SUPPRESSED)
    aggregates = {
        "matched": Count("id"),
        "invited": Count("id", filter=own & ~suppressed),
        "suppressed": Count("id", filter=(own & suppressed) | covered),
        **{
            reason.value: Count("id", filter=own & Q(suppression_reason=reason))
            for reason in SuppressionReason
            if reason != SuppressionReason.OVERLAP
        },
        SuppressionReason.OVERLAP.value: Count(
            "id", filter=(own & Q(suppression_reason=SuppressionReason.OVERLAP)) | covered
        ),
    }
    if rule.quiet_start is not None:
        # Sent later than the delay (or the evaluation, when that came after it) made it: quiet hours moved it.
        event_at = Coalesce("interaction__occurred_at", "case__resolved_at")
        earliest = Greatest(event_at + timedelta(minutes=rule.delay_minutes), F("created_at"))
        aggregates["deferred_quiet_hours"] = Count(
            "id", filter=own & ~suppressed & Q(scheduled_for__gt=earliest + timedelta(minutes=1))
        )
    counts = Invitation.objects.filter(own | covered, created_at__gte=since).aggregate(**aggregates)
    counts.setdefault("deferred_quiet_hours", 0)
    return counts
