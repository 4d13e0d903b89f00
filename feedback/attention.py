"""Needs attention: the ranked queue of customers to act on now, each with its reasons in words.

Reasons (each one set-based query; thresholds from HealthSettings, docs/metrics.md):
- health_low: the health score is below `attention_below`;
- health_drop: the score fell by `sharp_drop` points or more within `drop_days` (from its peak then);
- detractor:<response id>: a detractor answer of the last 30 days with no outbound contact since;
- breach:<case id>: an open case past its SLA;
- quiet: a high-value customer (purchases' `metadata.amount` over 12 months ≥ `high_value_amount`, or a
  `vip` tag) without contact for `quiet_days`;
- repeat:topic:<topic> / repeat:touchpoint:<key>: `repeat_contacts` inbound contacts within `repeat_days` on
  the same case topic or the same touchpoint.

The rank is the sum of the reasons' weights (REASON_WEIGHTS) plus how far the score is below 50; with a user
(My work) their own customers come first. A snoozed customer is hidden until its time; a handled one until a
reason appears that was not among those it was handled with (`AttentionAction.reasons`).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, F, FloatField, Max, OuterRef, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.choices import Direction, InteractionType, case_topic_label
from customers.models import Case, Customer, Interaction
from customers.money import AMOUNT_SQL_PATTERN
from cxcrm.audit import audit_record
from cxcrm.models import AuditAction
from journeys.selectors import touchpoints_for_keys

from .choices import SurveyKind
from .models import AttentionAction, HealthScore, HealthScoreChange, HealthSettings, Response
from .scales import SCALES

REASON_WEIGHTS = {"breach": 40, "detractor": 40, "health_drop": 30, "health_low": 25, "repeat": 25, "quiet": 20}
DETRACTOR_DAYS = 30
VALUE_DAYS = 365
VIP_TAG = "vip"
SNOOZE_DAYS_MAX = 90


@dataclass
class AttentionRow:
    """One customer in the queue: its reasons [(key, words)], rank and score (None if not computed)."""

    customer: Customer
    reasons: list[tuple[str, str]] = field(default_factory=list)
    score: int | None = None
    rank: int = 0

    @property
    def reason_keys(self) -> list[str]:
        return [key for key, _words in self.reasons]


def _detractor_condition() -> Q:
    return Q(kind__in=(SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES)) & (
        Q(kind=SurveyKind.NPS, score__lte=SCALES[SurveyKind.NPS].bottom_box_to)
        | Q(kind=SurveyKind.CSAT, score__lte=SCALES[SurveyKind.CSAT].bottom_box_to)
        | Q(kind=SurveyKind.CES, score__lte=SCALES[SurveyKind.CES].bottom_box_to)
    )


def attention_reasons(
    *, now: datetime, settings: HealthSettings, customer_ids: list[int] | None = None
) -> dict[int, list[tuple[str, str]]]:
    """{customer id: [(reason key, reason in words), …]} of every listed customer (only `customer_ids` if given)
    with a reason (one query each)."""
    found: dict[int, list[tuple[str, str]]] = {}

    def add(customer_id, key, words):
        found.setdefault(customer_id, []).append((key, words))

    customers = Customer.objects.listed()
    if customer_ids is not None:
        customers = customers.filter(pk__in=customer_ids)
    listed = customers.values("pk")
    for customer_id, score in HealthScore.objects.filter(
        customer__in=listed, score__lt=settings.attention_below
    ).values_list("customer_id", "score"):
        add(
            customer_id,
            "health_low",
            _("Health %(score)s, below %(limit)s") % {"score": score, "limit": settings.attention_below},
        )

    peaks = (
        HealthScoreChange.objects.filter(
            changed_at__gte=now - timedelta(days=settings.drop_days), from_score__isnull=False
        )
        .values("customer_id")
        .annotate(peak=Max("from_score"))
        .filter(customer__in=listed)
    )
    current = dict(
        HealthScore.objects.filter(customer_id__in=peaks.values("customer_id")).values_list("customer_id", "score")
    )
    for row in peaks:
        now_score = current.get(row["customer_id"])
        if now_score is not None and row["peak"] - now_score >= settings.sharp_drop:
            add(
                row["customer_id"],
                "health_drop",
                _("Health fell from %(peak)s to %(score)s in %(days)s days")
                % {"peak": row["peak"], "score": now_score, "days": settings.drop_days},
            )

    contacted_since = Interaction.objects.filter(
        customer=OuterRef("customer"), occurred_at__gt=OuterRef("submitted_at"), direction=Direction.OUTBOUND
    )
    detractors = (
        Response.objects.filter(_detractor_condition(), customer__in=listed)
        .filter(submitted_at__gte=now - timedelta(days=DETRACTOR_DAYS))
        .exclude(Exists(contacted_since))
        .order_by("customer_id", "-submitted_at")
        .values_list("pk", "customer_id", "kind", "score")
    )
    for pk, customer_id, kind, score in detractors:
        add(
            customer_id,
            f"detractor:{pk}",
            _("Detractor (%(kind)s %(score)s) with no follow-up contact yet") % {"kind": kind.upper(), "score": score},
        )

    breached = Case.objects.open().breached(now).filter(customer__in=listed).values_list("pk", "customer_id", "subject")
    for pk, customer_id, subject in breached:
        add(
            customer_id,
            f"breach:{pk}",
            _("Case #%(id)s “%(subject)s” is past its SLA") % {"id": pk, "subject": subject},
        )

    purchases = Interaction.objects.filter(
        type=InteractionType.PURCHASE, occurred_at__gte=now - timedelta(days=VALUE_DAYS), metadata__amount__isnull=False
    )
    quiet = Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=now - timedelta(days=settings.quiet_days))
    high_value = set(
        purchases.filter(customer__in=customers.filter(quiet).values("pk"))
        .annotate(amount_text=KeyTextTransform("amount", "metadata"))
        .filter(amount_text__regex=AMOUNT_SQL_PATTERN)
        .values("customer_id")
        .annotate(value=Sum(Cast("amount_text", FloatField())))
        .filter(value__gte=float(settings.high_value_amount))
        .values_list("customer_id", flat=True)
    )
    high_value |= set(customers.filter(quiet, tags__name=VIP_TAG).values_list("pk", flat=True))
    for customer_id in sorted(high_value):
        add(
            customer_id, "quiet", _("High-value customer silent for over %(days)s days") % {"days": settings.quiet_days}
        )

    recent = Interaction.objects.filter(
        customer__in=listed, direction=Direction.INBOUND, occurred_at__gte=now - timedelta(days=settings.repeat_days)
    ).order_by()
    for dimension, path in (("topic", "case__topic"), ("touchpoint", "touchpoint_key")):
        repeated = (
            recent.exclude(**{f"{path}__isnull": True})
            .exclude(**{path: ""})
            .values("customer_id", value=F(path))
            .annotate(n=Count("pk"))
            .filter(n__gte=settings.repeat_contacts)
        )
        repeated = list(repeated)
        # A touchpoint is named as its published map names it (its key when no published map has it); a product
        # topic by its label ("detractor follow-up" -> "Detractor follow-up" in the reader's language).
        if dimension == "touchpoint":
            names = {key: tp.name for key, tp in touchpoints_for_keys(r["value"] for r in repeated).items()}
        else:
            names = {r["value"]: str(case_topic_label(r["value"])) for r in repeated}
        for row in repeated:
            add(
                row["customer_id"],
                f"repeat:{dimension}:{row['value']}",
                _("Contacted us %(n)s times in %(days)s days about “%(value)s”")
                % {"n": row["n"], "days": settings.repeat_days, "value": names.get(row["value"], row["value"])},
            )
    return found


def _hidden(action: AttentionAction | None, keys: list[str], now: datetime) -> bool:
    if action is None:
        return False
    if action.kind == AttentionAction.Kind.SNOOZE:
        return action.until is not None and action.until > now
    return set(keys) <= set(action.reasons)


def attention_queue_page(
    *, user=None, now: datetime | None = None, offset: int = 0, limit: int = 100
) -> tuple[list[AttentionRow], int]:
    """One page of the ranked queue and the queue's length: (rows offset..offset+limit, total).

    The queue holds the customers with a reason, not snoozed or handled for the same reasons, ranked by their
    reasons' weights plus how far their health is below 50, then by customer id. With `user`, that user's
    customers (owner) come first. Only the page's customers are loaded; a fixed number of queries, whatever
    the rows."""
    now = now or timezone.now()
    settings = HealthSettings.load()
    reasons = attention_reasons(now=now, settings=settings)
    if not reasons:
        return [], 0
    latest: dict[int, AttentionAction] = {}
    for action in AttentionAction.objects.filter(customer_id__in=list(reasons)).order_by("customer_id", "-at", "-id"):
        latest.setdefault(action.customer_id, action)
    scores = dict(HealthScore.objects.filter(customer_id__in=list(reasons)).values_list("customer_id", "score"))
    owners = (
        dict(Customer.objects.filter(pk__in=list(reasons)).values_list("pk", "owner_id")) if user is not None else {}
    )
    mine = getattr(user, "pk", None)
    ranked = []
    for customer_id, found in reasons.items():
        keys = [key for key, _words in found]
        if _hidden(latest.get(customer_id), keys, now):
            continue
        score = scores.get(customer_id)
        rank = sum(REASON_WEIGHTS[key.split(":", 1)[0]] for key in keys) + max(
            0, 50 - (score if score is not None else 50)
        )
        ranked.append(((mine is None or owners.get(customer_id) != mine, -rank, customer_id), found, score, rank))
    ranked.sort(key=lambda row: row[0])
    page = ranked[max(offset, 0) : max(offset, 0) + max(limit, 0)]
    customers = Customer.objects.select_related("owner").in_bulk([key[2] for key, *_ in page])
    rows = [
        AttentionRow(customer=customers[key[2]], reasons=found, score=score, rank=rank)
        for key, found, score, rank in page
        if key[2] in customers
    ]
    return rows, len(ranked)


def attention_queue(*, user=None, now: datetime | None = None, limit: int = 100) -> list[AttentionRow]:
    """The first `limit` rows of the ranked queue (attention_queue_page)."""
    return attention_queue_page(user=user, now=now, limit=limit)[0]


# --------------------------------------------------------------------------- snooze and handled (writes)


def attention_snooze(
    *, customer: Customer, user, days: int, note: str = "", now: datetime | None = None
) -> AttentionAction:
    """Hide the customer from the queue for `days` (1–SNOOZE_DAYS_MAX), audited. Raises ValueError on a bad `days`."""
    if not 1 <= days <= SNOOZE_DAYS_MAX:
        raise ValueError(_("Snooze for 1 to %(max)s days.") % {"max": SNOOZE_DAYS_MAX})
    now = now or timezone.now()
    return _act(
        customer=customer,
        user=user,
        kind=AttentionAction.Kind.SNOOZE,
        note=note,
        until=now + timedelta(days=days),
        now=now,
    )


def attention_handle(*, customer: Customer, user, note: str, now: datetime | None = None) -> AttentionAction:
    """Mark the customer handled with a note (required), audited; it returns only on a new reason.
    Raises ValueError without a note."""
    if not note.strip():
        raise ValueError(_("Say what was done."))
    return _act(
        customer=customer,
        user=user,
        kind=AttentionAction.Kind.HANDLED,
        note=note.strip(),
        until=None,
        now=now or timezone.now(),
    )


def _act(*, customer, user, kind, note, until, now) -> AttentionAction:
    found = attention_reasons(now=now, settings=HealthSettings.load(), customer_ids=[customer.pk])
    reasons = [key for key, _words in found.get(customer.pk, [])]
    with transaction.atomic():
        action = AttentionAction.objects.create(
            customer=customer, kind=kind, reasons=reasons, note=note, until=until, by=user, at=now
        )
        audit_record(
            action=AuditAction.ATTENTION_SNOOZED
            if kind == AttentionAction.Kind.SNOOZE
            else AuditAction.ATTENTION_HANDLED,
            obj=customer,
            actor=user,
            details={"reasons": reasons, "until": until.isoformat() if until else None, "action_id": action.pk},
        )
    return action
