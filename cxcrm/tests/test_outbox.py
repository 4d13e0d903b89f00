"""The transactional outbox: recorded with the write, dispatched after commit and by the sweep, done once."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from cxcrm import outbox
from cxcrm.models import OutboxMessage

pytestmark = pytest.mark.django_db

EVENT = "tests.something_happened"


@pytest.fixture
def handled():
    calls = []
    outbox.outbox_register(EVENT, calls.append)
    yield calls
    outbox._handlers.pop(EVENT, None)


@pytest.fixture
def enqueue():
    with mock.patch("cxcrm.outbox._enqueue") as enqueue:
        yield enqueue


def test_an_event_nobody_handles_is_not_recorded():
    assert outbox.outbox_record(event="tests.unhandled", payload={}) is None
    assert not OutboxMessage.objects.exists()


def test_the_row_rolls_back_with_the_write(handled, enqueue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        outbox.outbox_record(event=EVENT, payload={"n": 1})
        raise RuntimeError("the write failed")
    assert not OutboxMessage.objects.exists()
    enqueue.assert_not_called()


def test_the_row_is_handed_to_the_broker_after_commit_under_a_lease(
    handled, enqueue, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_LEASE_SECONDS = 120
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.outbox_record(event=EVENT, payload={"n": 1})
        enqueue.assert_not_called()
    enqueue.assert_called_once_with(message.pk)
    message.refresh_from_db()
    assert message.dispatched_at is not None and message.dispatch_count == 1
    assert message.lease_until == message.dispatched_at + timedelta(seconds=120)
    # The sweep leaves a row alone while its lease runs.
    assert outbox.outbox_dispatch() == 0
    assert enqueue.call_count == 1


def test_broker_down_the_row_waits_for_the_sweep(handled, enqueue, django_capture_on_commit_callbacks):
    enqueue.side_effect = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with django_capture_on_commit_callbacks(execute=True):
        message = outbox.outbox_record(event=EVENT, payload={"n": 1})
    message.refresh_from_db()
    assert message.lease_until is None and message.done_at is None

    enqueue.side_effect = None
    assert outbox.outbox_dispatch() == 1
    enqueue.assert_called_with(message.pk)


def test_the_sweep_hands_over_again_a_row_whose_lease_expired_unfinished(handled, enqueue):
    message = OutboxMessage.objects.create(event=EVENT, payload={})
    assert outbox.outbox_dispatch() == 1
    assert outbox.outbox_dispatch() == 0
    later = timezone.now() + timedelta(seconds=301)
    assert outbox.outbox_dispatch(now=later) == 1
    message.refresh_from_db()
    assert message.dispatch_count == 2
    # Done: never handed over again.
    assert outbox.outbox_run(message_id=message.pk) is True
    assert outbox.outbox_dispatch(now=later + timedelta(hours=1)) == 0


def test_a_row_delivered_twice_is_done_once(handled):
    message = OutboxMessage.objects.create(event=EVENT, payload={"n": 7})
    assert outbox.outbox_run(message_id=message.pk) is True
    assert outbox.outbox_run(message_id=message.pk) is False
    assert handled == [{"n": 7}]
    message.refresh_from_db()
    assert message.done_at is not None


def test_a_failing_handler_is_retried_with_backoff_then_failed(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.OUTBOX_RETRY_BACKOFF_SECONDS = 30
    outbox.outbox_register(EVENT, mock.Mock(side_effect=ValueError("boom")))
    try:
        message = OutboxMessage.objects.create(event=EVENT, payload={})
        before = timezone.now()
        assert outbox.outbox_run(message_id=message.pk) is False
        message.refresh_from_db()
        assert (message.attempts, message.last_error, message.failed_at) == (1, "ValueError: boom", None)
        assert message.lease_until >= before + timedelta(seconds=30)
        assert outbox.outbox_run(message_id=message.pk) is False
        message.refresh_from_db()
        assert message.failed_at is not None and message.done_at is None
        assert outbox.outbox_dispatch(now=timezone.now() + timedelta(days=1)) == 0
    finally:
        outbox._handlers.pop(EVENT, None)


def test_a_subscriber_gets_its_own_row_run_and_retried_apart(handled, enqueue, django_capture_on_commit_callbacks):
    seen = []

    def subscriber(payload, *, message):
        seen.append((payload, message.pk))
        raise RuntimeError("receiver down")

    outbox.outbox_register(EVENT, subscriber, subscriber="tests", with_message=True)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = outbox.outbox_record(event=EVENT, payload={"n": 1})
        own, theirs = OutboxMessage.objects.order_by("id")
        assert first == own and (own.event, theirs.event) == (EVENT, f"{EVENT}:tests")
        assert enqueue.call_count == 2
        assert outbox.outbox_run(message_id=own.pk) is True and handled == [{"n": 1}]
        assert outbox.outbox_run(message_id=theirs.pk) is False and seen == [({"n": 1}, theirs.pk)]
        own.refresh_from_db()
        theirs.refresh_from_db()
        assert own.done_at is not None and theirs.done_at is None and theirs.attempts == 1
    finally:
        outbox._handlers.pop(f"{EVENT}:tests", None)


def test_a_subscriber_whose_condition_fails_gets_no_row(handled, enqueue):
    outbox.outbox_register(EVENT, mock.Mock(), subscriber="tests", when=lambda: False)
    try:
        outbox.outbox_record(event=EVENT, payload={})
        assert list(OutboxMessage.objects.values_list("event", flat=True)) == [EVENT]
    finally:
        outbox._handlers.pop(f"{EVENT}:tests", None)
        outbox._conditions.pop(f"{EVENT}:tests", None)


def test_the_hand_over_after_commit_runs_no_query(
    handled, enqueue, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # One query: the row, leased in its INSERT.
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(1):
        message = outbox.outbox_record(event=EVENT, payload={"n": 1})
    with django_assert_num_queries(0):
        for callback in callbacks:
            callback()
    enqueue.assert_called_once_with(message.pk)


@pytest.fixture
def local_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()


def test_a_condition_on_models_is_asked_once_then_again_after_they_change(
    handled, enqueue, local_cache, django_capture_on_commit_callbacks
):
    """A subscriber's condition read from the cache (no query an event) until a row it reads is saved or deleted."""
    from django.contrib.auth.models import Group

    asked = []

    def any_group():
        asked.append(1)
        return Group.objects.filter(name="tests-enabled").exists()

    outbox.outbox_register(EVENT, mock.Mock(), subscriber="tests", when=any_group, when_models=(Group,))
    try:
        outbox.outbox_record(event=EVENT, payload={})
        outbox.outbox_record(event=EVENT, payload={})
        assert len(asked) == 1 and not OutboxMessage.objects.filter(event=f"{EVENT}:tests").exists()
        with django_capture_on_commit_callbacks(execute=True):
            group = Group.objects.create(name="tests-enabled")
        outbox.outbox_record(event=EVENT, payload={})
        assert len(asked) == 2 and OutboxMessage.objects.filter(event=f"{EVENT}:tests").count() == 1
        with django_capture_on_commit_callbacks(execute=True):
            group.delete()
        outbox.outbox_record(event=EVENT, payload={})
        assert len(asked) == 3 and OutboxMessage.objects.filter(event=f"{EVENT}:tests").count() == 1
    finally:
        outbox._handlers.pop(f"{EVENT}:tests", None)
        outbox._conditions.pop(f"{EVENT}:tests", None)
        outbox._cached_conditions.pop(any_group, None)
