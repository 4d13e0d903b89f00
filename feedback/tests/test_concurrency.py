"""Races decided by row locks: two rules firing at once for one customer invite once (fatigue is decided
with the customer row locked); two answers posted at once record one response (the invitation row is locked)."""

import threading
from unittest import mock

import pytest
from django.db import connection, connections
from django.utils import timezone

from customers.tests.factories import InteractionFactory
from feedback import services
from feedback.choices import InvitationStatus, SuppressionReason
from feedback.models import Invitation, Response
from feedback.tests.factories import InvitationFactory, SurveyRuleFactory, customer_with_email

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The in-memory SQLite test database shares one cache between threads and answers a concurrent
    # write with "table is locked" instead of waiting; a file database (IMMEDIATE transactions, busy
    # timeout) serialises writers anyway. The row lock this test proves matters on PostgreSQL.
    pytest.mark.skipif(connection.vendor == "sqlite", reason="row locks are exercised on PostgreSQL"),
]


@pytest.mark.parametrize("round_", range(3))
def test_two_rules_firing_at_once_invite_once(round_):
    rules = [SurveyRuleFactory(), SurveyRuleFactory()]
    customer = customer_with_email()
    interaction = InteractionFactory(customer=customer)
    barrier = threading.Barrier(2)
    errors = []

    def fire(rule):
        try:
            barrier.wait(timeout=5)
            services.invitation_schedule(
                rule=rule, customer_id=customer.pk, interaction_id=interaction.pk, event_at=interaction.occurred_at
            )
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fire, args=(rule,)) for rule in rules]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    statuses = sorted(Invitation.objects.filter(customer=customer).values_list("status", "suppression_reason"))
    assert statuses == [(InvitationStatus.SCHEDULED, ""), (InvitationStatus.SUPPRESSED, SuppressionReason.FATIGUE)]


def test_two_submissions_at_once_record_one_answer():
    """A double click (or two tabs) posting together: one response, one follow-up, the other refused."""
    invitation = InvitationFactory(status=InvitationStatus.SENT, sent_at=timezone.now())
    primary = invitation.survey.questions.get(is_primary=True)
    barrier = threading.Barrier(2)
    outcomes = []

    def post(score):
        try:
            barrier.wait(timeout=5)
            services.response_submit(invitation_id=invitation.pk, answers={str(primary.pk): score})
            outcomes.append("recorded")
        except services.InvitationClosed as exc:
            outcomes.append(exc.reason)
        except Exception as exc:  # surfaced below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    with mock.patch("feedback.tasks.notify_followup_assignee.apply_async"):
        threads = [threading.Thread(target=post, args=(score,)) for score in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert sorted(outcomes) == ["answered", "recorded"]
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert Response.objects.get().followup_case is not None
