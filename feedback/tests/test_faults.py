"""Fault tests: the broker down, the worker killed, the same event ten times at once, the database lost
mid-request. They run against real PostgreSQL and a Redis of their own (and real worker processes) in
.ci/run (CXCRM_FAULT_TESTS=1); elsewhere, and on SQLite, they are skipped."""

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import _reset_celery_pools, wait_until
from customers.models import Case, Customer, Identity, Interaction
from customers.tests.factories import CaseFactory, CustomerFactory
from cxcrm.celery import app as celery_app
from cxcrm.choices import Role
from cxcrm.models import OutboxMessage
from cxcrm.outbox import outbox_dispatch, outbox_run
from cxcrm.tests.factories import UserFactory
from feedback import tasks
from feedback.choices import InvitationStatus, SurveyKind, TriggerEvent
from feedback.models import Invitation, Response
from feedback.tests import recording_backend
from feedback.tests.factories import InvitationFactory, SurveyFactory, SurveyRuleFactory, customer_with_email
from feedback.tokens import invitation_token

pytestmark = [pytest.mark.fault, pytest.mark.celery_worker]

RECORDING_BACKEND = "feedback.tests.recording_backend.RecordingEmailBackend"


@pytest.fixture
def sent_emails(fault_services):
    """The recording backend's table: a function returning the rows (message_id, recipient, subject)."""
    with connection.cursor() as cursor:
        cursor.execute(recording_backend.CREATE)
        cursor.execute(f"TRUNCATE {recording_backend.TABLE}")

    def rows():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT message_id, recipient, subject FROM {recording_backend.TABLE} ORDER BY id")
            return cursor.fetchall()

    yield rows
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {recording_backend.TABLE}")


def integration_client():
    client = APIClient()
    client.force_authenticate(UserFactory(role=Role.INTEGRATION))
    return client


def interaction(n: int, **extra) -> dict:
    return {
        "channel": "email",
        "occurred_at": timezone.now().isoformat(),
        "summary": f"Question {n}",
        "identities": [{"kind": "email", "value": f"fault{n}@example.com"}],
        **extra,
    }


def test_1_broker_down_every_request_succeeds_and_the_work_is_done_once_it_is_back(
    fault_services, sent_emails, worker_process
):
    SurveyRuleFactory(delay_minutes=0)
    SurveyRuleFactory(event=TriggerEvent.CASE_RESOLVED, delay_minutes=0)
    cases = [CaseFactory(customer=customer_with_email()) for _ in range(10)]
    owner = UserFactory(role=Role.SUPPORT_REP, email="owner@example.com")
    nps = SurveyFactory(kind=SurveyKind.NPS)
    answered = [
        InvitationFactory(
            survey=nps, customer=CustomerFactory(owner=owner), status=InvitationStatus.SENT, sent_at=timezone.now()
        )
        for _ in range(10)
    ]
    scores = [2, 10] * 5  # five detractors
    api = integration_client()

    fault_services.stop()
    assert Client().get("/health/").status_code == 503
    statuses = [api.post("/api/interactions/", interaction(n), format="json").status_code for n in range(50)]
    statuses += [
        api.patch(f"/api/cases/{case.pk}/", {"status": "resolved"}, format="json").status_code for case in cases
    ]
    for invitation, score in zip(answered, scores, strict=True):
        primary = invitation.survey.questions.get(is_primary=True)
        path = reverse("feedback:survey_answer", args=[invitation_token(invitation.pk)])
        statuses.append(Client().post(path, {f"q{primary.pk}": score, "comment": "fault"}).status_code)
    assert all(200 <= code < 400 for code in statuses), statuses
    assert Interaction.objects.filter(summary__startswith="Question").count() == 50
    assert Response.objects.count() == 10
    pending = OutboxMessage.objects.filter(done_at__isnull=True)
    # The events' own rows: interactions, case resolutions, detractors' follow-up emails; subscribers
    # (webhooks, health, ...) add rows named "<event>:<subscriber>", held back just the same.
    assert pending.exclude(event__contains=":").count() == 50 + 10 + 5
    held = pending.count()
    assert not OutboxMessage.objects.filter(lease_until__isnull=False).exists()  # none reached the broker

    fault_services.start()
    _reset_celery_pools(celery_app)
    worker_process(broker_url=fault_services.url, env={"EMAIL_BACKEND": RECORDING_BACKEND})
    assert outbox_dispatch() == held
    wait_until(lambda: not OutboxMessage.objects.filter(done_at__isnull=True).exists(), timeout=90, interval=0.5)

    by_interaction = Invitation.objects.filter(interaction__summary__startswith="Question")
    assert by_interaction.count() == 50
    assert by_interaction.values("interaction").distinct().count() == 50
    assert Invitation.objects.filter(case__in=cases).count() == 10
    emails = sent_emails()
    assert len(emails) == 5
    assert {recipient for _, recipient, _ in emails} == {"owner@example.com"}
    assert Response.objects.filter(followup_notified_at__isnull=False).count() == 5
    # The sweep has nothing more to hand over.
    assert outbox_dispatch(now=timezone.now() + timedelta(hours=1)) == 0


def _due_email_invitations(count: int) -> list[int]:
    survey = SurveyFactory()
    customers = Customer.objects.bulk_create(
        [Customer(first_name=f"C{n}", last_name="Fault", language="en", timezone="UTC") for n in range(count)]
    )
    Identity.objects.bulk_create(
        [Identity(customer=c, kind="email", value=f"kill{c.pk}@example.com") for c in customers]
    )
    now = timezone.now()
    invitations = Invitation.objects.bulk_create(
        [
            Invitation(
                survey=survey,
                customer=c,
                source_key=f"manual:kill-{c.pk}",
                channel="email",
                status=InvitationStatus.SCHEDULED,
                scheduled_for=now - timedelta(minutes=1),
                expires_at=now + timedelta(days=14),
            )
            for c in customers
        ]
    )
    return [i.pk for i in invitations]


def test_2_worker_killed_mid_send_each_invitation_is_sent_exactly_once(fault_services, sent_emails, worker_process):
    ids = _due_email_invitations(1000)
    env = {"EMAIL_BACKEND": RECORDING_BACKEND, "SURVEY_SEND_LEASE_SECONDS": "5"}
    first = worker_process(broker_url=fault_services.url, env=env)
    tasks.send_due_invitations.delay(batch_size=1000)
    wait_until(lambda: len(sent_emails()) >= 150, timeout=120, interval=0.05)
    first.kill()
    sent_before = len(sent_emails())
    in_flight = Invitation.objects.filter(pk__in=ids, status=InvitationStatus.SENDING).count()
    assert sent_before < 1000 and in_flight > 0, (sent_before, in_flight)
    print(f"killed after {sent_before} sends, {in_flight} claimed and unsent")

    worker_process(broker_url=fault_services.url, env=env)
    deadline = time.monotonic() + 180
    while Invitation.objects.filter(pk__in=ids, status=InvitationStatus.SENT).count() < 1000:
        assert time.monotonic() < deadline, "not every invitation was sent after the restart"
        tasks.send_due_invitations.delay(batch_size=1000)  # what beat does every minute
        time.sleep(2)

    emails = sent_emails()
    assert len(emails) == 1000
    assert len({message_id for message_id, _, _ in emails}) == 1000
    assert set(Invitation.objects.filter(pk__in=ids).values_list("message_id", flat=True)) == {
        message_id for message_id, _, _ in emails
    }
    assert not Invitation.objects.filter(pk__in=ids, status=InvitationStatus.FAILED).exists()


def _concurrently(count: int, func) -> list:
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = func(i)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _run_outbox():
    for message_id in OutboxMessage.objects.filter(done_at__isnull=True).values_list("pk", flat=True):
        outbox_run(message_id=message_id)


@pytest.mark.parametrize("with_external_id", [True, False])
def test_3_the_same_event_ten_times_at_once(fault_services, with_external_id):
    SurveyRuleFactory(delay_minutes=0)
    user = UserFactory(role=Role.INTEGRATION)
    body = interaction(1, **({"source": "helpdesk", "external_id": "ticket-77"} if with_external_id else {}))

    def post(_):
        client = APIClient()
        client.force_authenticate(user)
        return client.post("/api/interactions/", body, format="json").status_code

    codes = _concurrently(10, post)
    assert all(code in (200, 201) for code in codes), codes
    _run_outbox()
    _run_outbox()  # a second delivery of every row changes nothing

    assert Customer.objects.count() == 1
    assert Interaction.objects.count() == (1 if with_external_id else 10)
    # One customer is invited once; the other events of the same minute are recorded as suppressed (fatigue).
    assert Invitation.objects.exclude(status=InvitationStatus.SUPPRESSED).count() == 1
    assert Invitation.objects.count() == (1 if with_external_id else 10)


def test_4_database_lost_mid_bulk_stores_nothing_and_the_retry_stores_all_once(fault_services):
    from customers.services import ingest

    SurveyRuleFactory(delay_minutes=0)
    api = integration_client()
    items = [interaction(n, source="shop", external_id=f"order-{n}") for n in range(40)]
    widen = ingest._contact_extend

    def die_midway(*args, **kwargs):
        # Customers, identities and interactions are inserted: the server drops our connection now.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return widen(*args, **kwargs)

    with mock.patch.object(ingest, "_contact_extend", die_midway):
        lost = api.post("/api/interactions/bulk/", items, format="json")
    assert lost.status_code == 503
    assert lost["Retry-After"] == "5"
    assert lost.json()["stored"] is False and "Nothing of this request was stored" in lost.json()["detail"]
    assert not Interaction.objects.exists()
    assert not Customer.objects.filter(identities__value__startswith="fault").exists()
    assert not OutboxMessage.objects.exists()

    retried = api.post("/api/interactions/bulk/", items, format="json")
    assert retried.status_code == 200
    assert [r["status"] for r in retried.json()["results"]] == ["created"] * 40
    again = api.post("/api/interactions/bulk/", items, format="json")
    assert [r["status"] for r in again.json()["results"]] == ["existing"] * 40
    assert Interaction.objects.count() == 40
    assert OutboxMessage.objects.count() == 1
    _run_outbox()
    assert Invitation.objects.count() == 40
    assert not Case.objects.exists()
