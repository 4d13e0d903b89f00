"""Writes of outbound webhooks: endpoints made, changed and revoked (audited), events fanned out to
deliveries, and due deliveries sent, signed as Standard Webhooks says, retried with backoff for a day.

Every function is keyword-only; each docstring says what it raises.
"""

import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import mail_admins, send_mail
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from standardwebhooks import Webhook

from cxcrm.audit import audit_record
from cxcrm.models import AuditAction

from . import transport
from .choices import TEST_EVENT, DeliveryStatus
from .models import WebhookDelivery, WebhookEndpoint, webhook_secret_new

logger = logging.getLogger(__name__)

DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
ENDPOINT_FIELDS = ("url", "description", "events", "enabled")


# --------------------------------------------------------------------------- endpoints


def _audit_details(endpoint: WebhookEndpoint, **extra) -> dict:
    # The host only: a URL's path or query may hold a token of the receiver.
    return {"host": urlsplit(endpoint.url).hostname or "", "events": list(endpoint.events), **extra}


@transaction.atomic
def webhook_endpoint_create(
    *, url: str, events: list[str], description: str = "", enabled: bool = True, user=None
) -> WebhookEndpoint:
    """Make an endpoint with a new `whsec_` secret (audited as webhook_created); returns it.

    Raises ValidationError (keyed by field) for a refused URL or unknown event types.
    """
    endpoint = WebhookEndpoint(url=url, events=list(events), description=description, enabled=enabled)
    endpoint.created_by = user if user is not None and user.is_authenticated else None
    endpoint.full_clean()
    endpoint.save()
    audit_record(action=AuditAction.WEBHOOK_CREATED, obj=endpoint, actor=user, details=_audit_details(endpoint))
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, user=None, **fields) -> WebhookEndpoint:
    """Change an endpoint's url, description, events or enabled flag (audited as webhook_changed).

    Enabling it again clears `disabled_reason`. Raises ValidationError for bad values, TypeError for
    another field.
    """
    unknown = set(fields) - set(ENDPOINT_FIELDS)
    if unknown:
        raise TypeError(f"Not an endpoint field: {', '.join(sorted(unknown))}")
    changed = sorted(name for name, value in fields.items() if getattr(endpoint, name) != value)
    for name, value in fields.items():
        setattr(endpoint, name, value)
    if fields.get("enabled"):
        endpoint.disabled_reason = ""
    endpoint.full_clean()
    endpoint.save()
    if changed:
        audit_record(
            action=AuditAction.WEBHOOK_CHANGED,
            obj=endpoint,
            actor=user,
            details=_audit_details(endpoint, changed=changed),
        )
    return endpoint


@transaction.atomic
def webhook_endpoint_revoke(*, endpoint: WebhookEndpoint, user=None) -> None:
    """Delete an endpoint and its delivery log (audited as webhook_revoked): nothing more is sent to it."""
    audit_record(action=AuditAction.WEBHOOK_REVOKED, obj=endpoint, actor=user, details=_audit_details(endpoint))
    endpoint.delete()


# --------------------------------------------------------------------------- fan-out


def _timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def deliveries_fan_out_event(
    *,
    event_type: str,
    event_id: str,
    occurred_at: datetime,
    resources: Callable[[], list[tuple[str, dict]]],
    now: datetime | None = None,
) -> int:
    """Make one pending delivery of the event per enabled endpoint subscribed to `event_type`.

    `resources()` is called only when an endpoint subscribes; it returns (suffix, data) pairs, one
    event each, with the id `event_id` or `<event_id>_<suffix>`. Idempotent: an (endpoint, event id)
    that already has a delivery is left as it is. Returns the deliveries made now.
    """
    endpoints = [e for e in WebhookEndpoint.objects.filter(enabled=True) if e.subscribes_to(event_type)]
    if not endpoints:
        return 0
    now = now or timezone.now()
    rows = []
    for suffix, data in resources():
        full_id = f"{event_id}_{suffix}" if suffix else event_id
        body = {"id": full_id, "type": event_type, "timestamp": _timestamp(occurred_at), "data": data}
        for endpoint in endpoints:
            rows.append(
                WebhookDelivery(
                    endpoint=endpoint,
                    event_id=full_id,
                    event_type=event_type,
                    payload=body,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    existing = set(
        WebhookDelivery.objects.filter(endpoint__in=endpoints, event_id__in={r.event_id for r in rows}).values_list(
            "endpoint_id", "event_id"
        )
    )
    fresh = [r for r in rows if (r.endpoint.pk, r.event_id) not in existing]
    WebhookDelivery.objects.bulk_create(fresh, ignore_conflicts=True)
    if fresh:
        logger.info("webhooks: %s %s: %s deliveries", event_type, event_id, len(fresh))
    return len(fresh)


# --------------------------------------------------------------------------- sending


def webhook_sign(*, secret: str | list[str], event_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of `body` (a str, sent as is): webhook-id, webhook-timestamp
    (Unix seconds of `at`) and webhook-signature ("v1,<base64 HMAC-SHA256>" over id.timestamp.body).
    With several secrets (during a rotation's overlap) the signature header holds one signature per secret,
    space-separated, as the specification allows; a receiver verifying with either secret accepts it."""
    at = at.astimezone(UTC)
    secrets = [secret] if isinstance(secret, str) else list(secret)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(s).sign(event_id, at, body) for s in secrets),
    }


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint, user=None, overlap: timedelta | None = None) -> WebhookEndpoint:
    """Give the endpoint a new `whsec_` secret; the old one keeps signing beside it for `overlap` (default
    WEBHOOKS_SECRET_OVERLAP_SECONDS, 24 h), so the receiver can switch to the new secret without refusing a
    delivery. Rotating again during an overlap drops the oldest secret at once. Audited as webhook_changed
    with changed=["secret"] (never the secret itself). Returns the endpoint, whose `secret` is the new one.
    Raises ValueError for a negative overlap."""
    if overlap is None:
        overlap = timedelta(seconds=settings.WEBHOOKS_SECRET_OVERLAP_SECONDS)
    if overlap < timedelta(0):
        raise ValueError("The overlap of the old secret cannot be negative.")
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + overlap
    endpoint.secret = webhook_secret_new()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    audit_record(
        action=AuditAction.WEBHOOK_CHANGED,
        obj=endpoint,
        actor=user,
        details=_audit_details(
            endpoint, changed=["secret"], previous_secret_expires_at=endpoint.previous_secret_expires_at.isoformat()
        ),
    )
    return endpoint


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: WEBHOOKS_RETRY_BASE_SECONDS doubled each time
    (30 s, 1 min, 2 min, …) up to WEBHOOKS_RETRY_MAX_SECONDS."""
    base = settings.WEBHOOKS_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), settings.WEBHOOKS_RETRY_MAX_SECONDS))


def _claim_next(now: datetime) -> WebhookDelivery | None:
    """Take the oldest due delivery under a lease: next_attempt_at moves on by WEBHOOKS_LEASE_SECONDS and
    attempts counts the attempt, in one short transaction (FOR UPDATE SKIP LOCKED on PostgreSQL)."""
    with transaction.atomic():
        due = WebhookDelivery.objects.filter(
            status__in=DUE_STATUSES, next_attempt_at__lte=now, endpoint__enabled=True
        ).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        delivery = due.first()
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + timedelta(seconds=settings.WEBHOOKS_LEASE_SECONDS)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=F("attempts") + 1, next_attempt_at=delivery.next_attempt_at
        )
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery.pk)


def _send(delivery: WebhookDelivery) -> tuple[bool, int | None, int | None, str]:
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "cxcrm-webhooks/1",
        **webhook_sign(
            secret=delivery.endpoint.signing_secrets(), event_id=delivery.event_id, body=body, at=datetime.now(UTC)
        ),
    }
    try:
        result = transport.post(
            delivery.endpoint.url,
            body=body.encode(),
            headers=headers,
            timeout=settings.WEBHOOKS_TIMEOUT_SECONDS,
        )
    except transport.AddressRefused as exc:
        return False, None, None, f"refused: {exc}"
    except transport.SendFailed as exc:
        return False, None, None, str(exc)
    except Exception as exc:  # anything else the receiver causes is a failed attempt, never a stuck delivery
        logger.exception("webhook delivery %s: unexpected error", delivery.pk)
        return False, None, None, f"{exc.__class__.__name__}: {exc}"[:1000]
    ok = 200 <= result.status < 300
    error = "" if ok else f"HTTP {result.status}: {result.body_start}".strip()[:1000]
    return ok, result.status, result.elapsed_ms, error


def delivery_attempt(*, delivery: WebhookDelivery, now: datetime | None = None) -> str:
    """POST one claimed delivery and record the outcome; returns its new status.

    2xx: succeeded. Otherwise failed, tried again after retry_delay(attempts); once the delivery is
    older than WEBHOOKS_RETRY_WINDOW_SECONDS it gave up, its endpoint is disabled and the admins told.
    An outcome is recorded only while the claim holds (a worker that outlived its lease records nothing).
    Raises nothing for the receiver's faults.
    """
    now = now or timezone.now()
    ok, status_code, elapsed_ms, error = _send(delivery)
    claim = WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts, status__in=DUE_STATUSES)
    outcome = {"last_status_code": status_code, "last_response_ms": elapsed_ms, "last_error": error}
    if ok:
        claim.update(status=DeliveryStatus.SUCCEEDED, delivered_at=now, next_attempt_at=None, **outcome)
        return DeliveryStatus.SUCCEEDED
    window = timedelta(seconds=settings.WEBHOOKS_RETRY_WINDOW_SECONDS)
    if now - delivery.created_at < window and delivery.event_type != TEST_EVENT:
        claim.update(status=DeliveryStatus.FAILED, next_attempt_at=now + retry_delay(delivery.attempts), **outcome)
        logger.warning("webhook delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error)
        return DeliveryStatus.FAILED
    if delivery.event_type == TEST_EVENT:
        claim.update(status=DeliveryStatus.FAILED, next_attempt_at=None, **outcome)
        return DeliveryStatus.FAILED
    if claim.update(status=DeliveryStatus.GAVE_UP, next_attempt_at=None, **outcome):
        webhook_endpoint_disable(endpoint=delivery.endpoint, delivery=delivery, error=error, now=now)
    return DeliveryStatus.GAVE_UP


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, delivery: WebhookDelivery, error: str, now: datetime):
    """Disable an endpoint whose delivery gave up, and email the administrators (superusers with an
    address, and settings.ADMINS) once. Raises nothing for a mail server that does not answer."""
    reason = f"Gave up on {delivery.event_type} {delivery.event_id} on {now:%Y-%m-%d %H:%M} UTC: {error}"[:300]
    if not WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(enabled=False, disabled_reason=reason):
        return
    logger.error("webhook endpoint %s disabled: %s", endpoint.pk, reason)
    subject = f"Webhook endpoint disabled: {endpoint}"
    text = (
        f"The webhook endpoint {endpoint.url} (id {endpoint.pk}) was disabled: its deliveries kept failing "
        f"for {settings.WEBHOOKS_RETRY_WINDOW_SECONDS // 3600} hours.\n\n{reason}\n\n"
        "Events are not sent to it while it is disabled. Enable it again in the admin (Webhooks, webhook "
        "endpoints) once the receiver answers; the deliveries still waiting are then tried again."
    )
    recipients = list(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    try:
        if recipients:
            send_mail(f"{settings.EMAIL_SUBJECT_PREFIX}{subject}", text, None, recipients)
        if settings.ADMINS:
            mail_admins(subject, text)
    except Exception:
        logger.exception("webhooks: could not email the administrators about endpoint %s", endpoint.pk)


def deliveries_send_due(*, now: datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """Send up to `limit` (WEBHOOKS_BATCH_SIZE) due deliveries, one claim at a time; returns counts by
    the status each ended in. Safe to run on several workers at once. Raises nothing for a receiver."""
    limit = limit or settings.WEBHOOKS_BATCH_SIZE
    counts: dict[str, int] = {}
    for _ in range(limit):
        at = now or timezone.now()
        delivery = _claim_next(at)
        if delivery is None:
            break
        status = delivery_attempt(delivery=delivery, now=at)
        counts[status] = counts.get(status, 0) + 1
    if counts:
        logger.info("webhooks: sent due deliveries: %s", counts)
    return counts


def deliveries_prune(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Delete finished deliveries (succeeded, gave up, failed tests) older than WEBHOOKS_LOG_DAYS from the
    log, in batches; returns how many. Deliveries still to be tried are kept whatever their age."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOKS_LOG_DAYS)
    old = WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(
        status__in=DUE_STATUSES, next_attempt_at__isnull=False
    )
    deleted = 0
    while True:
        ids = list(old.order_by("id").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        deleted += WebhookDelivery.objects.filter(pk__in=ids).delete()[0]
    if deleted:
        logger.info(
            "webhooks: %s deliveries older than %s days deleted from the log", deleted, settings.WEBHOOKS_LOG_DAYS
        )
    return deleted


def webhook_send_test(*, endpoint: WebhookEndpoint, user=None) -> WebhookDelivery:
    """Send a `webhook.test` event to `endpoint` now (enabled or not) and return its delivery with the
    outcome (one attempt, not retried). Raises nothing for the receiver's faults."""
    now = timezone.now()
    event_id = f"msg_test_{uuid.uuid4().hex}"
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=event_id,
        event_type=TEST_EVENT,
        payload={
            "id": event_id,
            "type": TEST_EVENT,
            "timestamp": _timestamp(now),
            "data": {"endpoint": endpoint.pk, "message": "A test event sent from cxcrm."},
        },
        attempts=1,
        next_attempt_at=None,
        created_at=now,
    )
    delivery_attempt(delivery=delivery, now=now)
    delivery.refresh_from_db()
    return delivery
