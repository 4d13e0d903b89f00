"""Reads of the feedback app, with their query shapes."""

from django.db.models import Count, OuterRef, Prefetch, Q, Subquery

from customers.choices import IdentityKind
from customers.models import Identity

from .choices import DeliveryChannel, InvitationStatus
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
