"""Writes that start background work record it in the outbox with the write: nothing is lost when the broker is down."""

from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from customers.services import case_status_set
from customers.signals import CASE_RESOLVED, INTERACTIONS_RECORDED
from customers.tests.factories import CaseFactory
from cxcrm import outbox
from cxcrm.models import OutboxMessage
from feedback.models import Invitation
from feedback.tests.factories import SurveyRuleFactory, customer_with_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueue():
    with mock.patch("cxcrm.outbox._enqueue") as enqueue:
        yield enqueue


def test_an_interaction_posted_while_the_broker_is_down_is_stored_and_its_survey_work_kept(
    api_as, integration_user, enqueue, django_capture_on_commit_callbacks
):
    SurveyRuleFactory(delay_minutes=0)
    enqueue.side_effect = OperationalError("Connection refused.")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(integration_user).post(
            "/api/interactions/",
            {
                "channel": "email",
                "occurred_at": timezone.now().isoformat(),
                "summary": "Where is my order?",
                "identities": [{"kind": "email", "value": "ana@example.com"}],
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    [message] = OutboxMessage.objects.all()
    assert (message.event, message.payload) == (INTERACTIONS_RECORDED, {"interaction_ids": [response.json()["id"]]})
    # The broker is back: the sweep hands it over and the worker's run invites once.
    enqueue.side_effect = None
    assert outbox.outbox_dispatch() == 1
    assert outbox.outbox_run(message_id=message.pk) is True
    assert Invitation.objects.filter(interaction_id=response.json()["id"]).count() == 1


def test_a_bulk_call_records_one_rule_evaluation_for_the_batch(
    api_as, integration_user, enqueue, django_capture_on_commit_callbacks
):
    SurveyRuleFactory(delay_minutes=0)
    items = [
        {
            "channel": "email",
            "occurred_at": timezone.now().isoformat(),
            "summary": f"Message {n}",
            "source": "helpdesk",
            "external_id": f"m-{n}",
            "identities": [{"kind": "email", "value": f"person{n}@example.com"}],
        }
        for n in range(30)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(integration_user).post("/api/interactions/bulk/", items, format="json")
    assert response.status_code in (200, 201, 207), response.content
    [message] = OutboxMessage.objects.all()
    assert message.event == INTERACTIONS_RECORDED and len(message.payload["interaction_ids"]) == 30
    enqueue.assert_called_once_with(message.pk)
    assert outbox.outbox_run(message_id=message.pk) is True
    assert Invitation.objects.count() == 30


def test_a_case_resolved_while_the_broker_is_down_is_surveyed_once_it_is_back(
    enqueue, django_capture_on_commit_callbacks
):
    SurveyRuleFactory(event="case_resolved", delay_minutes=0)
    case = CaseFactory(customer=customer_with_email())
    enqueue.side_effect = OperationalError("Connection refused.")
    with django_capture_on_commit_callbacks(execute=True):
        case_status_set(case=case, status="resolved")
    [message] = OutboxMessage.objects.filter(event=CASE_RESOLVED)
    assert message.payload == {"case_id": case.pk}
    enqueue.side_effect = None
    assert outbox.outbox_dispatch() == 1
    assert outbox.outbox_run(message_id=message.pk) is True
    assert outbox.outbox_run(message_id=message.pk) is False
    assert Invitation.objects.filter(case=case).count() == 1
