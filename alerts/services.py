"""Writes of real-time alerts: rules' conditions checked on customers' events, alerts raised once per window,
their recipients resolved, emails sent and alerts marked read.

The handlers in receivers.py call the `alerts_raise_for_*` functions from the worker, inside the outbox row's
transaction: an alert, its recipients and the outbox rows of its email and webhook commit together with the
row's `done_at`, and a second run of the row finds the alert of its window and raises nothing.
"""

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from customers.choices import Direction
from customers.models import Case, Customer, Interaction
from cxcrm.i18n import user_language
from cxcrm.outbox import outbox_record
from feedback.models import Response
from feedback.scales import is_detractor
from journeys.selectors import touchpoint_for_key, touchpoints_for_keys

from .choices import Condition
from .models import Alert, AlertRecipient, AlertRule
from .texts import alert_sentence, repeat_sentence

logger = logging.getLogger(__name__)

# Outbox events: one email per recipient (handled here), and the alert for the webhooks app (which subscribes).
ALERT_EMAIL = "alerts.alert_email"
ALERT_RAISED = "alerts.alert_raised"

# A repeat contact: this many inbound contacts within REPEAT_CONTACT_DAYS on one touchpoint or one case topic.
REPEAT_CONTACT_COUNT = 3
REPEAT_CONTACT_DAYS = 7

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_start_of(at: datetime, hours: int) -> datetime:
    """The start of the de-duplication window of `hours` holding `at` (windows tile time from 1970-01-01 UTC)."""
    size = timedelta(hours=hours)
    return _EPOCH + ((at - _EPOCH) // size) * size


def audience_resolve(*, rule: AlertRule, customer: Customer) -> list:
    """The active users a rule's alert about `customer` is for: its owner (if the rule says so), everyone in the
    rule's roles and the users it names; each once, in id order (one query)."""
    wanted = Q(pk__in=rule.users.values("pk")) | Q(groups__in=rule.roles.values("pk"))
    if rule.notify_owner and customer.owner_id:
        wanted |= Q(pk=customer.owner_id)
    users = get_user_model().objects.filter(wanted, is_active=True).distinct().order_by("pk")
    return list(users)


def alert_raise(
    *,
    rule: AlertRule,
    customer: Customer,
    detail: dict,
    occurred_at: datetime,
    text: dict | None = None,
    message: str = "",
) -> Alert | None:
    """Raise `rule`'s alert about `customer` for an event at `occurred_at`, unless its window has one already.

    `text`: the codes and values of its sentence (alerts.texts), kept as detail["text"] so that each reader
    reads it in their language; `message` is the sentence in LANGUAGE_CODE (built from `text` when given), kept
    for search and for rows without `text`.

    Creates the alert and one AlertRecipient per user of the audience, and records in the current transaction
    one outbox row per email to send (rule.email, users with an address) and one for the webhook
    (rule.webhook). Returns the new alert, or None when the window already had it (de-duplicated by the
    unique constraint on rule, customer, reason and window start). Raises what the database raises.
    """
    window = window_start_of(occurred_at, rule.window_hours)
    if text is not None:
        detail = {**detail, "text": text}
        with translation.override(settings.LANGUAGE_CODE):
            message = alert_sentence(text, customer)
    with transaction.atomic():
        alert, created = Alert.objects.get_or_create(
            rule=rule,
            customer=customer,
            reason=rule.condition,
            window_start=window,
            defaults={"message": message[:300], "detail": detail, "raised_at": timezone.now()},
        )
        if not created:
            return None
        users = audience_resolve(rule=rule, customer=customer)
        recipients = AlertRecipient.objects.bulk_create(
            [AlertRecipient(alert=alert, user=user, in_app=rule.in_app) for user in users]
        )
        if rule.email:
            for recipient, user in zip(recipients, users, strict=True):
                if user.email:
                    outbox_record(event=ALERT_EMAIL, payload={"recipient_id": recipient.pk})
        if rule.webhook:
            outbox_record(event=ALERT_RAISED, payload={"alert_id": alert.pk})
    logger.info("alert %s raised (rule %s, customer %s) for %s users", alert.pk, rule.pk, customer.pk, len(users))
    return alert


def _touchpoint_name(key: str) -> str:
    """The touchpoint as people read it: its name on the published map (its key when no published map has it)."""
    touchpoint = touchpoint_for_key(key)
    return touchpoint.name if touchpoint is not None else key


def _rules(condition: str):
    return AlertRule.objects.filter(condition=condition, enabled=True).order_by("pk")


def _vip_alerts(customer: Customer, occurred_at: datetime, text: dict, detail: dict) -> list[Alert]:
    raised = []
    tags = set(customer.tags.values_list("name", flat=True))
    for rule in _rules(Condition.VIP):
        if rule.vip_tag in tags:
            alert = alert_raise(rule=rule, customer=customer, text=text, detail=detail, occurred_at=occurred_at)
            raised += [alert] if alert else []
    return raised


# --------------------------------------------------------------------------- conditions, per event


def alerts_raise_for_response(*, response_id: int) -> list[Alert]:
    """A submitted answer: the detractor rules (a bottom-box answer, on the rule's touchpoint or any) and the
    VIP rules. Returns the alerts raised now (none for an unknown response)."""
    response = Response.objects.select_related("customer", "survey").filter(pk=response_id).first()
    if response is None or response.customer.erased:
        return []
    customer = response.customer
    detail = {"response_id": response.pk, "touchpoint_key": response.touchpoint_key}
    raised = []
    if is_detractor(response.kind, response.score):
        text = {
            "key": "detractor",
            "kind": response.kind,
            "score": response.score,
            "touchpoint": _touchpoint_name(response.touchpoint_key) if response.touchpoint_key else "",
        }
        for rule in _rules(Condition.DETRACTOR).filter(touchpoint_key__in=["", response.touchpoint_key]):
            alert = alert_raise(
                rule=rule, customer=customer, text=text, detail=detail, occurred_at=response.submitted_at
            )
            raised += [alert] if alert else []
    raised += _vip_alerts(customer, response.submitted_at, {"key": "vip_answered"}, detail)
    return raised


def alerts_raise_for_case_opened(*, case_id: int) -> list[Alert]:
    """A case opened: the VIP rules. Returns the alerts raised now."""
    case = Case.objects.select_related("customer").filter(pk=case_id).first()
    if case is None or case.customer.erased:
        return []
    text = {"key": "vip_case_opened", "case_id": case.pk}
    return _vip_alerts(case.customer, case.opened_at, text, {"case_id": case.pk})


def alerts_raise_for_health_drops(*, change_ids: list[int]) -> list[Alert]:
    """Health scores that fell (feedback's HealthScoreChange rows): the health rules whose threshold the score
    crossed (from the threshold or above to below it). Returns the alerts raised now."""
    from feedback.models import HealthScoreChange

    changes = list(HealthScoreChange.objects.filter(pk__in=change_ids, from_score__isnull=False).order_by("pk"))
    rules = list(_rules(Condition.HEALTH_BELOW).filter(health_below__isnull=False))
    if not changes or not rules:
        return []
    customers = Customer.objects.filter(pk__in={c.customer_id for c in changes}, erased=False).in_bulk()
    raised = []
    for change in changes:
        customer = customers.get(change.customer_id)
        if customer is None:
            continue
        for rule in rules:
            if change.score < rule.health_below <= change.from_score:
                text = {
                    "key": "health_fell",
                    "score": change.score,
                    "from_score": change.from_score,
                    "threshold": rule.health_below,
                }
                detail = {"health_change_id": change.pk, "score": change.score, "from_score": change.from_score}
                alert = alert_raise(
                    rule=rule, customer=customer, text=text, detail=detail, occurred_at=change.changed_at
                )
                raised += [alert] if alert else []
    return raised


def alerts_raise_for_case_breached(*, case_id: int) -> list[Alert]:
    """A case found past its SLA due time (customers' beat task): the SLA-breach rules. Returns the alerts raised."""
    case = Case.objects.select_related("customer").filter(pk=case_id).first()
    if case is None or case.customer.erased:
        return []
    at = case.sla_breached_at or timezone.now()
    first_due = case.first_response_due_at
    if first_due is not None and (case.first_response_at or at) > first_due:
        missed, due = "first response", first_due
    else:
        missed, due = "resolution", case.resolution_due_at
    text = {
        "key": "sla_breached",
        "case_id": case.pk,
        "subject": case.subject,
        "missed": missed,
        "due": due.isoformat() if due else None,
    }
    detail = {"case_id": case.pk, "missed": missed}
    raised = []
    for rule in _rules(Condition.SLA_BREACH):
        alert = alert_raise(rule=rule, customer=case.customer, text=text, detail=detail, occurred_at=at)
        raised += [alert] if alert else []
    return raised


def alerts_raise_for_interactions(*, interaction_ids: list[int]) -> list[Alert]:
    """New live interactions (one call or batch): for each customer with an inbound one, the repeat-contact rules
    (REPEAT_CONTACT_COUNT inbound contacts within REPEAT_CONTACT_DAYS on the touchpoint key or the case topic of
    one of the new interactions, counted in SQL) and the VIP rules. Returns the alerts raised now."""
    new = list(
        Interaction.objects.filter(pk__in=interaction_ids, direction=Direction.INBOUND, customer__erased=False)
        .select_related("customer", "case")
        .order_by("occurred_at", "pk")
    )
    if not new:
        return []
    customers = {i.customer_id: i.customer for i in new}
    latest = {i.customer_id: i for i in new}  # the last one per customer (ordered by time)
    raised = []
    repeat_rules = list(_rules(Condition.REPEAT_CONTACT))
    if repeat_rules:
        since = min(i.occurred_at for i in new) - timedelta(days=REPEAT_CONTACT_DAYS)
        contacts = Interaction.objects.filter(
            customer_id__in=customers, direction=Direction.INBOUND, occurred_at__gte=since
        )
        touchpoints = {(i.customer_id, i.touchpoint_key) for i in new if i.touchpoint_key}
        topics = {(i.customer_id, i.case.topic) for i in new if i.case_id and i.case.topic}
        repeats: dict[int, list[dict]] = defaultdict(list)
        by_touchpoint = (
            contacts.exclude(touchpoint_key="")
            .values("customer_id", "touchpoint_key")
            .annotate(n=Count("pk"))
            .filter(n__gte=REPEAT_CONTACT_COUNT)
        )
        by_touchpoint = list(by_touchpoint)
        names = {key: tp.name for key, tp in touchpoints_for_keys(r["touchpoint_key"] for r in by_touchpoint).items()}
        for row in by_touchpoint:
            if (row["customer_id"], row["touchpoint_key"]) in touchpoints:
                name = names.get(row["touchpoint_key"], row["touchpoint_key"])
                repeats[row["customer_id"]].append({"count": row["n"], "touchpoint": name})
        by_topic = (
            contacts.filter(case__isnull=False)
            .exclude(case__topic="")
            .values("customer_id", "case__topic")
            .annotate(n=Count("pk"))
            .filter(n__gte=REPEAT_CONTACT_COUNT)
        )
        for row in by_topic:
            if (row["customer_id"], row["case__topic"]) in topics:
                repeats[row["customer_id"]].append({"count": row["n"], "topic": row["case__topic"]})
        for customer_id, items in sorted(repeats.items()):
            customer = customers[customer_id]
            text = {"key": "repeat_contact", "repeats": items, "days": REPEAT_CONTACT_DAYS}
            # `reasons`: the repeats in LANGUAGE_CODE, as the API gave them before `text` kept their values.
            with translation.override(settings.LANGUAGE_CODE):
                reasons = [repeat_sentence(item) for item in items]
            detail = {"interaction_id": latest[customer_id].pk, "reasons": reasons}
            for rule in repeat_rules:
                alert = alert_raise(
                    rule=rule,
                    customer=customer,
                    text=text,
                    detail=detail,
                    occurred_at=latest[customer_id].occurred_at,
                )
                raised += [alert] if alert else []
    for customer_id, customer in customers.items():
        interaction = latest[customer_id]
        text = {"key": "vip_contact", "channel": interaction.channel}
        raised += _vip_alerts(customer, interaction.occurred_at, text, {"interaction_id": interaction.pk})
    return raised


# --------------------------------------------------------------------------- email, reading


def alert_email_send(*, recipient_id: int) -> bool:
    """Email one recipient their alert, once: the stamp is claimed by a conditional update first.

    Returns whether an email went out (already sent, unknown, or no address: False). Raises what the email
    backend raises, after releasing the claim so that the outbox's retry sends it.
    """
    claimed = AlertRecipient.objects.filter(pk=recipient_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return False
    recipient = AlertRecipient.objects.select_related("alert__customer", "alert__rule", "user__preference").get(
        pk=recipient_id
    )
    if not recipient.user.email:
        return False
    alert = recipient.alert
    context = {
        "alert": alert,
        "user": recipient.user,
        "customer_url": settings.SITE_URL + reverse("customers:customer_detail", args=[alert.customer_id]),
        "alerts_url": settings.SITE_URL + reverse("alerts:alert_list"),
    }
    with translation.override(user_language(recipient.user)):  # the recipient's language (UserPreference)
        subject = " ".join(render_to_string("alerts/email/alert_subject.txt", context).split())
        body = render_to_string("alerts/email/alert.txt", context)
    try:
        send_mail(subject, body, None, [recipient.user.email], fail_silently=False)
    except Exception:
        AlertRecipient.objects.filter(pk=recipient_id).update(emailed_at=None)
        raise
    return True


def alert_mark_read(*, user, recipient_id: int) -> bool:
    """Mark one of `user`'s alerts read; returns whether it was unread (someone else's or unknown: False)."""
    return bool(
        AlertRecipient.objects.filter(pk=recipient_id, user=user, read_at__isnull=True).update(read_at=timezone.now())
    )


def alerts_mark_all_read(*, user) -> int:
    """Mark all of `user`'s in-app alerts read; returns how many were unread."""
    return AlertRecipient.objects.filter(user=user, in_app=True, read_at__isnull=True).update(read_at=timezone.now())
