from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Case
from customers.services import case_create, case_create_or_get, case_status_set, case_update
from customers.signals import case_resolved
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)


@pytest.mark.parametrize(
    "priority, first, resolution",
    [("urgent", 30, 240), ("high", 60, 480), ("normal", 240, 1440), ("low", 480, 4320)],
)
def test_due_times_come_from_the_priority_policy(priority, first, resolution):
    case = case_create(customer=CustomerFactory(), subject="Broken", priority=priority, opened_at=T0)
    assert case.first_response_due_at == T0 + timedelta(minutes=first)
    assert case.resolution_due_at == T0 + timedelta(minutes=resolution)


def test_pending_pauses_the_clock_and_counts_as_first_response():
    case = case_create(customer=CustomerFactory(), subject="Broken", priority="high", opened_at=T0)
    case = case_status_set(case=case, status="pending", at=T0 + timedelta(minutes=20))
    assert case.first_response_at == T0 + timedelta(minutes=20)
    assert Case.objects.breached(T0 + timedelta(hours=30)).count() == 0  # stopped while pending
    case = case_status_set(case=case, status="open", at=T0 + timedelta(hours=3, minutes=20))
    assert case.pending_seconds == 3 * 3600
    assert case.resolution_due_at == T0 + timedelta(hours=8 + 3)
    assert not Case.objects.breached(T0 + timedelta(hours=10)).exists()
    assert Case.objects.breached(T0 + timedelta(hours=11, minutes=1)).exists()


def test_resolve_reopen_resolve_keeps_last_resolution_and_counts_reopens(django_capture_on_commit_callbacks):
    resolved = []
    case_resolved.connect(receiver := lambda sender, case, **kw: resolved.append((sender, case.pk)))
    try:
        case = case_create(customer=CustomerFactory(), subject="Broken", opened_at=T0)
        with django_capture_on_commit_callbacks(execute=True):
            case = case_status_set(case=case, status="resolved", at=T0 + timedelta(hours=1))
            assert case.first_response_at == T0 + timedelta(hours=1)
            case = case_status_set(case=case, status="open", at=T0 + timedelta(hours=2))
            assert case.resolved_at is None and case.reopen_count == 1
            case = case_status_set(case=case, status="resolved", at=T0 + timedelta(hours=3))
        assert case.resolved_at == T0 + timedelta(hours=3)
        assert case.first_response_at == T0 + timedelta(hours=1)
        assert resolved == [(Case, case.pk), (Case, case.pk)]
    finally:
        case_resolved.disconnect(receiver)


def test_priority_change_recomputes_due_times():
    case = case_create(customer=CustomerFactory(), subject="Broken", priority="low", opened_at=T0)
    case = case_update(case=case, priority="urgent")
    assert case.resolution_due_at == T0 + timedelta(hours=4)


def test_idempotency_key_returns_the_existing_case():
    customer = CustomerFactory()
    first, created = case_create_or_get(customer=customer, subject="A", source="zendesk", external_id="9")
    again, created_again = case_create_or_get(customer=customer, subject="B", source="zendesk", external_id="9")
    assert (created, created_again, again.pk, again.subject) == (True, False, first.pk, "A")


def test_case_is_breached_by_missed_first_response():
    case = case_create(customer=CustomerFactory(), subject="Broken", priority="urgent", opened_at=T0)
    annotated = Case.objects.with_breached(T0 + timedelta(minutes=31)).get(pk=case.pk)
    assert annotated.is_breached is True
    assert Case.objects.with_breached(T0 + timedelta(minutes=29)).get(pk=case.pk).is_breached is False


@pytest.mark.parametrize(
    "kwargs, field",
    [({"priority": "asap"}, "priority"), ({"status": "done"}, "status"), ({"subject": " "}, "subject")],
)
def test_bad_case_values_are_rejected(kwargs, field):
    data = {"customer": CustomerFactory(), "subject": "Broken", **kwargs}
    with pytest.raises(ValidationError) as exc:
        case_create(**data)
    assert field in exc.value.message_dict
