"""Through a real Celery worker: a detractor's answer reaches a local receiver as signed webhooks."""

import pytest
from django.utils import timezone

from customers.choices import CasePriority
from customers.models import SlaPolicy
from feedback import services as feedback_services
from feedback.choices import InvitationStatus
from feedback.tests.factories import InvitationFactory
from webhooks import tasks

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


def test_a_detractor_answer_is_delivered_to_the_receiver_by_the_worker(
    celery_live_worker, wait, receiver, endpoint_for
):
    endpoint_for(["response.submitted", "case.opened"])
    SlaPolicy.objects.update_or_create(
        priority=CasePriority.HIGH, defaults={"first_response_minutes": 60, "resolution_minutes": 480}
    )
    invitation = InvitationFactory(status=InvitationStatus.SENT, sent_at=timezone.now())
    primary = invitation.survey.questions.get(is_primary=True)

    response = feedback_services.response_submit(
        invitation_id=invitation.pk, answers={str(primary.pk): 2}, comment="Nobody called back."
    )

    # The worker runs the outbox rows after commit; beat's task (run here at once) sends the deliveries.
    wait(lambda: endpoint_deliveries_made(2))
    tasks.send_due_deliveries.delay()
    wait(lambda: len(receiver.received) == 2)
    by_type = {body["type"]: body for body in receiver.bodies()}
    assert set(by_type) == {"response.submitted", "case.opened"}
    assert by_type["response.submitted"]["data"]["id"] == response.pk
    assert by_type["response.submitted"]["data"]["score"] == 2
    assert by_type["case.opened"]["data"]["id"] == by_type["response.submitted"]["data"]["followup"]["id"]
    assert all(r["error"] == "" for r in receiver.received)


def endpoint_deliveries_made(count):
    from webhooks.models import WebhookDelivery

    return WebhookDelivery.objects.count() >= count
