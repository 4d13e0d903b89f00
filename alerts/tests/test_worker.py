"""Through a real Celery worker: a detractor's answer becomes an in-app alert, an email to the customer's owner
and an alert.raised webhook at a local receiver, with no call but the answer itself."""

import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import Alert, AlertRecipient
from customers.tests.factories import CustomerFactory
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory
from feedback import services as feedback_services
from feedback.choices import InvitationStatus
from feedback.tests.factories import InvitationFactory
from webhooks import tasks as webhook_tasks

from .factories import AlertRuleFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


def test_a_detractor_answer_alerts_the_owner_in_app_by_email_and_webhook_through_the_worker(
    celery_live_worker, wait, receiver, endpoint_for
):
    endpoint_for(["alert.raised"])
    owner = UserFactory(username="owner", role=Role.SUPPORT_REP)
    AlertRuleFactory(name="Detractors", email=True, webhook=True)
    customer = CustomerFactory(first_name="Ana", last_name="Lima", owner=owner)
    invitation = InvitationFactory(customer=customer, status=InvitationStatus.SENT, sent_at=timezone.now())
    primary = invitation.survey.questions.get(is_primary=True)

    feedback_services.response_submit(invitation_id=invitation.pk, answers={str(primary.pk): 1})

    # The worker runs the outbox rows after commit: the alert, then its email and its webhook delivery.
    wait(lambda: any(m.subject.startswith("Alert:") for m in mail.outbox))
    receipt = AlertRecipient.objects.select_related("alert").get()
    assert receipt.user == owner and receipt.in_app and receipt.read_at is None
    assert receipt.alert.message == "Ana Lima is a detractor: CSAT 1"
    [email] = [m for m in mail.outbox if m.subject.startswith("Alert:")]
    assert email.to == [owner.email]
    wait(lambda: _deliveries() >= 1)
    webhook_tasks.send_due_deliveries.delay()
    wait(lambda: len(receiver.received) == 1)
    [body] = receiver.bodies()
    assert body["type"] == "alert.raised" and body["data"]["id"] == Alert.objects.get().pk
    assert receiver.received[0]["error"] == ""


def _deliveries() -> int:
    from webhooks.models import WebhookDelivery

    return WebhookDelivery.objects.count()
