"""The transactional outbox: background work recorded with the write that causes it, then handed to Celery.

A service whose write must start background work calls `outbox_record(event=..., payload=...)` inside its
transaction: the row commits or rolls back with the write, so the work is never lost when the broker is down
and never done for a write that did not happen. The row is written already leased (`dispatched_at`,
`lease_until`: it is this process's to hand over), and after commit it is enqueued at once, best effort (a
broker that does not answer is logged and the lease is cleared, never raised to the request), with no further
query: a request pays one INSERT for its background work. The beat sweep (task `cxcrm.dispatch_outbox`,
every 30 s) enqueues again the rows whose enqueue failed or whose lease (OUTBOX_LEASE_SECONDS) expired without
the task finishing (a process that died between commit and enqueue included). The task (`cxcrm.run_outbox_message`)
locks its row, runs the handler and stamps `done_at` in one transaction: a row delivered twice is done once.

cxcrm imports no app: an app registers the handler of each event it handles in its AppConfig.ready()
(`outbox_register`), and a lower app records events by name without knowing who handles them. An event
nobody registered is not recorded. Handlers take the payload (a dict of JSON values), are idempotent and
raise on failure (the row is then tried again after a backoff, up to OUTBOX_MAX_ATTEMPTS runs).

An event may have several handlers: the first is registered under the event's name, each further one
under a `subscriber` name (webhooks subscribes to events that feedback handles). `outbox_record` then
writes one row per handler (the event name for the first, "<event>:<subscriber>" for the others), so each
handler runs, is retried and fails on its own. A handler registered with `with_message=True` is also given
the row (`handler(payload, message=row)`): its id and `created_at` name the occurrence of the event.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)


# Row name ("<event>" or "<event>:<subscriber>") -> handler; handlers given the row as well.
_handlers: dict[str, Callable[..., object]] = {}
_with_message: set[str] = set()
_conditions: dict[str, Callable[[], bool]] = {}
# Conditions whose answer is kept in the cache, and the models whose changes make it stale.
_cached_conditions: dict[Callable[[], bool], tuple] = {}
CONDITION_CACHE_SECONDS = 60


def outbox_register(
    event: str,
    handler: Callable[..., object],
    *,
    subscriber: str = "",
    with_message: bool = False,
    when: Callable[[], bool] | None = None,
    when_models: tuple = (),
) -> None:
    """Register `handler(payload)` as the handler of `event` (registering again replaces it).

    `subscriber` (a short name, e.g. the app's label) registers a further handler beside the event's
    own: its rows are named "<event>:<subscriber>". With `with_message` the handler is called as
    `handler(payload, message=<OutboxMessage>)`. `when()`, if given, is asked at each record whether
    this handler has anything to do (webhooks: is any endpoint enabled?); no row is written for it if not.
    `when_models` (model classes) are what `when()` reads: its answer is then kept in Django's cache for up
    to CONDITION_CACHE_SECONDS and forgotten when a row of those models is saved or deleted, so recording
    an event costs no query for it (with Redis; the embedded database cache would cost what it saves, so
    there it is asked every time). A change made without signals (`QuerySet.update()`) is seen within that time.
    """
    name = f"{event}:{subscriber}" if subscriber else event
    _handlers[name] = handler
    if with_message:
        _with_message.add(name)
    else:
        _with_message.discard(name)
    if when is not None:
        _conditions[name] = when
    else:
        _conditions.pop(name, None)
    if when is not None and when_models:
        _cached_conditions[when] = tuple(when_models)
        from django.db.models.signals import post_delete, post_save

        for model in when_models:
            uid = f"cxcrm.outbox.condition.{when.__module__}.{when.__qualname__}.{model._meta.label}"
            post_save.connect(_forget_conditions, sender=model, dispatch_uid=f"{uid}.save")
            post_delete.connect(_forget_conditions, sender=model, dispatch_uid=f"{uid}.delete")


def _row_names(event: str) -> list[str]:
    prefix = f"{event}:"
    return [name for name in _handlers if name == event or name.startswith(prefix)]


def _condition_key(condition: Callable[[], bool]) -> str:
    return f"outbox-when:{condition.__module__}.{condition.__qualname__}"


def _conditions_cached() -> bool:
    from django.core.cache import caches
    from django.core.cache.backends.db import DatabaseCache

    return not isinstance(caches["default"], DatabaseCache)


def _forget_conditions(sender=None, **kwargs) -> None:
    """Drop the cached answers of the conditions that read `sender`'s rows, now and after commit (a request
    reading the old rows in between must not keep them). Signal receiver."""
    keys = [_condition_key(c) for c, models in _cached_conditions.items() if sender in models]
    if not keys or not _conditions_cached():
        return

    def forget():
        from django.core.cache import cache

        try:
            cache.delete_many(keys)
        except Exception:  # noqa: BLE001 - the answer then expires on its own
            logger.warning("outbox: could not forget cached conditions %s", keys, exc_info=True)

    forget()
    transaction.on_commit(forget)


def _wanted_names(names: list[str]) -> list[str]:
    """The names among these whose condition holds now; each condition asked once, from the cache if kept there."""
    conditions = {_conditions[name] for name in names if name in _conditions}
    cached = {c for c in conditions if c in _cached_conditions} if conditions and _conditions_cached() else set()
    answers: dict[Callable[[], bool], bool] = {}
    if cached:
        from django.core.cache import cache

        try:
            found = cache.get_many([_condition_key(c) for c in cached])
        except Exception:  # noqa: BLE001 - without its cache the condition is asked
            found = {}
        for condition in cached:
            if _condition_key(condition) in found:
                answers[condition] = bool(found[_condition_key(condition)])
    for condition in conditions - answers.keys():
        answers[condition] = bool(condition())
        if condition in cached:
            try:
                from django.core.cache import cache

                cache.set(_condition_key(condition), answers[condition], CONDITION_CACHE_SECONDS)
            except Exception:  # noqa: BLE001
                logger.warning("outbox: could not cache a condition", exc_info=True)
    return [name for name in names if name not in _conditions or answers[_conditions[name]]]


def outbox_handles(event: str) -> bool:
    return bool(_row_names(event))


def outbox_record(*, event: str, payload: dict) -> OutboxMessage | None:
    """Record `event` with its JSON `payload` in the current transaction and dispatch it after commit.

    One row per handler registered for `event` (its own, then its subscribers' whose `when` holds).
    Returns the first row, or None when no app handles `event` (or none wants it now). Raises what the database raises.

    The rows are inserted in one statement, leased for OUTBOX_LEASE_SECONDS, and handed to the broker after
    commit (`_hand_over`) without another query; should this process die first, the sweep takes them when the
    lease expires.
    """
    names = sorted(_wanted_names(_row_names(event)), key=lambda name: name != event)
    if not names:
        return None
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(event=name, payload=payload, dispatched_at=now, lease_until=lease_until, dispatch_count=1)
        for name in names
    )
    ids = [m.pk for m in messages]
    transaction.on_commit(lambda: _hand_over(ids))
    return messages[0]


def _hand_over(ids: list[int]) -> int:
    """Enqueue rows leased to this process (just committed); returns how many the broker took. A failed enqueue
    clears the lease of the rows not handed over, so the next sweep takes them. Raises nothing."""
    for position, message_id in enumerate(ids):
        try:
            _enqueue(message_id)
        except Exception as exc:  # broker down: the rows wait for the sweep
            try:
                OutboxMessage.objects.filter(pk__in=ids[position:], done_at__isnull=True).update(lease_until=None)
            except Exception:  # noqa: BLE001 - the lease then expires on its own
                logger.exception("outbox: could not clear the lease of %s rows", len(ids) - position)
            logger.warning(
                "outbox: broker did not take message %s (%s); %s left for the sweep",
                message_id,
                exc,
                len(ids) - position,
            )
            return position
    return len(ids)


def _pending(now: datetime):
    return OutboxMessage.objects.filter(done_at__isnull=True, failed_at__isnull=True).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    )


def _enqueue(message_id: int) -> None:
    # Through the task object, not its name: sent by name, eager mode (tests) would be skipped.
    run_outbox_message.apply_async(args=(message_id,), retry=False)


def outbox_dispatch(*, ids: Iterable[int] | None = None, now: datetime | None = None, limit: int = 500) -> int:
    """Hand pending rows (never handed over, or lease expired) to the broker; returns how many were enqueued.

    `ids` limits it to those rows; without, it is the sweep (task `cxcrm.dispatch_outbox`), taking
    the oldest `limit` rows. Rows are taken with FOR UPDATE SKIP LOCKED on PostgreSQL and stamped
    (`dispatched_at`, `lease_until`) before the enqueue; a failed enqueue clears the lease so the next
    sweep tries again, and stops this run (the broker is down). Raises nothing.
    """
    now = now or timezone.now()
    lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    try:
        with transaction.atomic():
            pending = _pending(now).order_by("id")
            if ids is not None:
                pending = pending.filter(pk__in=list(ids))
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True)
            taken = list(pending.values_list("pk", flat=True)[:limit])
            OutboxMessage.objects.filter(pk__in=taken).update(
                dispatched_at=now, lease_until=now + lease, dispatch_count=F("dispatch_count") + 1
            )
    except Exception:  # a database that does not answer: the sweep tries again
        logger.exception("outbox: could not take rows to dispatch")
        return 0
    sent = 0
    for position, message_id in enumerate(taken):
        try:
            _enqueue(message_id)
            sent += 1
        except Exception as exc:  # broker down: the rows stay pending for the next sweep
            OutboxMessage.objects.filter(pk__in=taken[position:], done_at__isnull=True).update(lease_until=None)
            logger.warning(
                "outbox: broker did not take message %s (%s); %s left for the sweep",
                message_id,
                exc,
                len(taken) - position,
            )
            break
    if taken:
        logger.info("outbox: %s of %s rows enqueued", sent, len(taken))
    return sent


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(settings.OUTBOX_RETRY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), 3600))


def outbox_run(*, message_id: int) -> bool:
    """Run the handler of one row and mark it done, in one transaction; returns whether it ran now.

    A row already done (delivered twice), failed for good or unknown is not run again (False). A handler
    that raises rolls its work back; the row records the error and is handed over again after a backoff,
    or is marked failed after OUTBOX_MAX_ATTEMPTS runs. Raises nothing.
    """
    try:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update()
                .filter(pk=message_id, done_at__isnull=True, failed_at__isnull=True)
                .first()
            )
            if message is None:
                return False
            handler = _handlers.get(message.event)
            if handler is None:
                raise LookupError(f"no handler registered for outbox event {message.event!r}")
            if message.event in _with_message:
                handler(message.payload, message=message)
            else:
                handler(message.payload)
            OutboxMessage.objects.filter(pk=message_id).update(done_at=timezone.now(), lease_until=None, last_error="")
    except Exception as exc:
        now = timezone.now()
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        row = OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True)
        attempts = (row.values_list("attempts", flat=True).first() or 0) + 1
        if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            row.update(attempts=attempts, last_error=error, failed_at=now, lease_until=None)
            logger.error("outbox message %s failed after %s runs: %s", message_id, attempts, error)
        else:
            row.update(attempts=attempts, last_error=error, lease_until=now + _retry_delay(attempts))
            logger.warning("outbox message %s failed (run %s), tried again later: %s", message_id, attempts, error)
        return False
    return True


@shared_task(name="cxcrm.run_outbox_message", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_outbox_message(message_id: int) -> bool:
    """Do one outbox row's work (the task each dispatched row is handed to the broker as). Idempotent on the
    row: a row already done is not run again."""
    return outbox_run(message_id=message_id)
