"""The survey loop through a real Celery worker on the configured broker."""

import time
from datetime import timedelta
from unittest import mock
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from customers.choices import CaseStatus, Direction
from customers.services import case_status_set, interaction_ingest, interaction_input_parse
from customers.signals import INTERACTIONS_RECORDED
from customers.tests.factories import CaseFactory, InteractionFactory
from cxcrm.outbox import outbox_record
from feedback import tasks
from feedback.choices import InvitationStatus, TriggerEvent
from feedback.models import Invitation
from feedback.tests.factories import InvitationFactory, SurveyFactory, SurveyRuleFactory, customer_with_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]


def ingest(email, *, occurred_at=None, live=True, channel="chat", **details):
    data = interaction_input_parse(
        {
            "channel": channel,
            "occurred_at": occurred_at or timezone.now(),
            "summary": "Chat about a delivery",
            "identities": [{"kind": "email", "value": email}],
            "customer": details,
        }
    )
    result = interaction_ingest(data=data, live=live)
    return result.interaction


def test_live_interaction_to_email_in_the_customers_language_with_a_working_link(celery_live_worker, wait, client):
    SurveyRuleFactory(survey=SurveyFactory(name="Chat"), channel="chat", delay_minutes=0)

    interaction = ingest("joana@example.com", first_name="Joana", language="pt-br", timezone="America/Sao_Paulo")

    invitation = wait(lambda: Invitation.objects.filter(interaction=interaction).first())
    assert invitation.status == InvitationStatus.SCHEDULED
    tasks.send_due_invitations.delay()
    wait(lambda: mail.outbox)
    [message] = mail.outbox
    assert message.to == ["joana@example.com"]
    assert message.subject == "Como nos saímos? Chat feedback"
    assert "Olá, Joana," in message.body
    html = message.alternatives[0][0]
    assert "Quão satisfeito você ficou com o nosso atendimento?" in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The worker hands the message over, then commits the invitation as sent: wait for the commit.
    wait(lambda: Invitation.objects.filter(pk=invitation.pk, status=InvitationStatus.SENT).exists())
    invitation.refresh_from_db()
    assert invitation.language == "pt-br"

    link = next(word for word in message.body.split() if "/s/" in word and "unsubscribe" not in word)
    response = client.get(urlparse(link).path)
    assert response.status_code == 200
    assert "Enviar minha resposta" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPENED


def test_history_and_old_interactions_start_nothing_on_the_worker(celery_live_worker, wait):
    SurveyRuleFactory(delay_minutes=0)
    ingest("history@example.com", live=False)
    ingest("old@example.com", occurred_at=timezone.now() - timedelta(days=30))
    with transaction.atomic():  # a system interaction recorded as live
        system = InteractionFactory(customer=customer_with_email(), direction=Direction.SYSTEM)
        outbox_record(event=INTERACTIONS_RECORDED, payload={"interaction_ids": [system.pk]})
    fresh = ingest("fresh@example.com")

    wait(lambda: Invitation.objects.filter(interaction=fresh).exists())
    # The worker runs one task at a time, in order: the others' evaluations ran before the fresh one's.
    assert list(Invitation.objects.values_list("interaction_id", flat=True)) == [fresh.pk]


def test_case_resolved_event_invites_through_the_worker(celery_live_worker, wait):
    SurveyRuleFactory(event=TriggerEvent.CASE_RESOLVED, delay_minutes=0)
    case = CaseFactory(customer=customer_with_email(), status=CaseStatus.OPEN)

    case_status_set(case=case, status=CaseStatus.RESOLVED)

    invitation = wait(lambda: Invitation.objects.filter(case=case).first())
    assert invitation.source_key == f"case:{case.pk}"


def test_failing_backend_is_retried_without_a_second_successful_send(celery_live_worker, wait, settings):
    settings.SURVEY_SEND_RETRY_BACKOFF_SECONDS = 60
    invitation = InvitationFactory(customer=customer_with_email())
    real_send = mail.EmailMultiAlternatives.send
    calls = []

    def flaky_send(message, *args, **kwargs):
        calls.append(message.to)
        if len(calls) == 1:
            raise ConnectionRefusedError("SMTP refused")
        return real_send(message, *args, **kwargs)

    with mock.patch.object(mail.EmailMultiAlternatives, "send", flaky_send):
        tasks.send_due_invitations.delay()
        wait(lambda: Invitation.objects.filter(pk=invitation.pk, attempts=1, status="scheduled").exists())
        invitation.refresh_from_db()
        assert "SMTP refused" in invitation.last_error
        assert mail.outbox == []
        # The backoff has passed.
        Invitation.objects.filter(pk=invitation.pk).update(scheduled_for=timezone.now() - timedelta(seconds=1))
        tasks.send_due_invitations.delay()
        wait(lambda: Invitation.objects.filter(pk=invitation.pk, status="sent").exists())
        # Beat keeps running: nothing is sent again.
        tasks.send_due_invitations.delay()
        tasks.send_due_invitations.delay()
        tasks.expire_invitations.delay()
        wait(lambda: len(calls) == 2 and not Invitation.objects.filter(status="scheduled").exists())
    invitation.refresh_from_db()
    assert invitation.attempts == 2
    assert len(mail.outbox) == 1


def test_backend_failing_every_time_ends_failed_with_the_error(celery_live_worker, wait, settings):
    settings.SURVEY_SEND_MAX_ATTEMPTS = 2
    invitation = InvitationFactory(customer=customer_with_email())
    with mock.patch.object(mail.EmailMultiAlternatives, "send", side_effect=TimeoutError("SMTP timeout")):
        tasks.send_due_invitations.delay()
        wait(lambda: Invitation.objects.filter(pk=invitation.pk, attempts=1, status="scheduled").exists())
        Invitation.objects.filter(pk=invitation.pk).update(scheduled_for=timezone.now() - timedelta(seconds=1))
        tasks.send_due_invitations.delay()
        failed = wait(lambda: Invitation.objects.filter(pk=invitation.pk, status="failed").first())
    assert failed.last_error == "TimeoutError: SMTP timeout"
    assert failed.failed_at is not None
    assert mail.outbox == []


def test_worker_crash_after_claiming_is_sent_once_when_the_lease_expires(celery_live_worker, wait, settings):
    settings.SURVEY_SEND_LEASE_SECONDS = 60
    invitation = InvitationFactory(customer=customer_with_email())
    # A worker claimed the row and died before sending it: its lease ran out.
    claimed_at = timezone.now() - timedelta(minutes=2)
    assert Invitation.objects.filter(pk=invitation.pk, status="scheduled").update(
        status="sending",
        sending_at=claimed_at,
        lease_until=claimed_at + timedelta(seconds=60),
        claim_token="x",
        attempts=1,
    )

    # The broker redelivers the task (acks_late) and beat keeps ticking.
    tasks.send_due_invitations.delay()
    tasks.send_due_invitations.delay()
    sent = wait(lambda: Invitation.objects.filter(pk=invitation.pk, status="sent").first())
    wait(lambda: len(mail.outbox) >= 1)
    time.sleep(0.5)
    assert len(mail.outbox) == 1
    assert sent.message_id and mail.outbox[0].extra_headers["Message-ID"] == sent.message_id


def test_reminders_and_expiry_run_on_the_worker(celery_live_worker, wait):
    survey = SurveyFactory(reminder_after_days=2)
    customer = customer_with_email(language="el")
    sent_at = timezone.now() - timedelta(days=3)
    to_remind = InvitationFactory(
        survey=survey,
        customer=customer,
        status="sent",
        sent_at=sent_at,
        scheduled_for=sent_at,
        recipient=f"c{customer.pk}@example.com",
    )
    to_expire = InvitationFactory(
        survey=survey,
        customer=customer_with_email(),
        status="sent",
        sent_at=sent_at,
        scheduled_for=sent_at,
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    tasks.send_survey_reminders.delay()
    tasks.expire_invitations.delay()

    wait(lambda: mail.outbox and Invitation.objects.filter(pk=to_expire.pk, status="expired").exists())
    [reminder] = mail.outbox
    assert reminder.subject.startswith("Υπενθύμιση:")
    assert reminder.to == [to_remind.recipient]
    to_remind.refresh_from_db()
    assert to_remind.reminder_sent_at is not None
