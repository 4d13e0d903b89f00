"""Factories for the metrics tests: responses (with their invitation), cases, lifecycle changes,
campaign interactions — rows created directly so each figure can be computed by hand."""

from datetime import UTC, datetime, timedelta

import factory

from customers.services import lifecycle_change_record
from customers.tests.factories import CaseFactory, CustomerFactory, InteractionFactory
from feedback import models
from feedback.choices import InvitationStatus, SurveyKind
from feedback.tests.factories import InvitationFactory, SurveyFactory


def at(year, month, day, hour=12, minute=0) -> datetime:
    """An aware instant (UTC, the tests' TIME_ZONE)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


_surveys: dict = {}


def survey_of_kind(kind: str):
    survey = models.Survey.objects.filter(kind=kind, name=f"Metrics {kind}").first()
    return survey or SurveyFactory(kind=kind, name=f"Metrics {kind}")


class SentInvitationFactory(InvitationFactory):
    status = InvitationStatus.SENT
    scheduled_for = factory.LazyFunction(lambda: at(2026, 1, 5))
    sent_at = factory.LazyAttribute(lambda o: o.scheduled_for)
    expires_at = factory.LazyAttribute(lambda o: o.scheduled_for + timedelta(days=14))


class ResponseFactory(factory.django.DjangoModelFactory):
    """A response to a sent invitation; pass kind= (nps/csat/ces) and score=."""

    class Meta:
        model = models.Response
        exclude = ("sent_at",)

    kind = SurveyKind.NPS
    score = 9
    submitted_at = factory.LazyFunction(lambda: at(2026, 1, 5))
    sent_at = factory.LazyAttribute(lambda o: o.submitted_at - timedelta(hours=1))
    survey = factory.LazyAttribute(lambda o: survey_of_kind(o.kind))
    customer = factory.SubFactory(CustomerFactory)
    invitation = factory.LazyAttribute(
        lambda o: SentInvitationFactory(
            survey=o.survey,
            customer=o.customer,
            status=InvitationStatus.RESPONDED,
            scheduled_for=o.sent_at,
            responded_at=o.submitted_at,
        )
    )


def case(*, opened, resolved=None, first_response=None, due=None, **fields):
    from customers.choices import CaseStatus

    status = fields.pop("status", CaseStatus.RESOLVED if resolved else CaseStatus.OPEN)
    return CaseFactory(
        opened_at=opened,
        resolved_at=resolved,
        first_response_at=first_response,
        resolution_due_at=due,
        status=status,
        **fields,
    )


def lifecycle(customer, to_stage, when, from_stage=""):
    return lifecycle_change_record(customer=customer, from_stage=from_stage, to_stage=to_stage, at=when)


def campaign_event(customer, kind, when, campaign="spring"):
    return InteractionFactory(customer=customer, channel="email", type=kind, campaign=campaign, occurred_at=when)


__all__ = [
    "CustomerFactory",
    "ResponseFactory",
    "SentInvitationFactory",
    "at",
    "campaign_event",
    "case",
    "lifecycle",
    "survey_of_kind",
]
