"""The customer health score: 0–100 per customer, with the parts that make it (docs/metrics.md, "Health score").

The signals are read set-based in SQL (`health_signals`: one query per batch of customers, correlated
subqueries over the indexed per-customer columns); `health_score_of` turns one customer's signals into
the score and its parts with the weights and thresholds of HealthSettings (a pure function, so the
hand-computed example in the tests checks it exactly); `customer_health_refresh` writes the scores,
and a row of HealthScoreChange each time a score moves.

Parts (each earns a fraction 0–1 of its weight; a part without a signal is left out of the total):
- surveys: the mean of the latest NPS, CSAT and CES, each placed on its scale (0 at the bottom, 1 at the top);
- survey_trend: 0.5 + the mean change from the answer before to the latest (on the same 0–1 scales);
- cases: 1 − open × open_case_penalty − breached × breached_case_penalty (open cases past their SLA), ≥ 0;
- followup: 0 while a detractor follow-up case is open, else 1;
- sentiment: 1 − the share of negative comments among those read in the last sentiment_days;
- engagement: interactions in the last 30 days against the customer's own monthly rate of the 90 before, ≤ 1;
- recency: 1 while the days since the last contact are within the customer's usual gap between contacts
  (over the last 365 days), falling to 0 at recency_overdue_ratio × that gap;
- lifecycle: the stage's points (HealthSettings.lifecycle_points).
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, IntegerField, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.choices import OPEN_CASE_STATUSES, InteractionType
from customers.models import Case, Customer, Interaction
from cxcrm.outbox import outbox_record

from .choices import Sentiment, SurveyKind
from .models import HealthScore, HealthScoreChange, HealthSettings, Response
from .scales import SCALES

logger = logging.getLogger(__name__)

# Outbox event recorded with a batch's score drops ({"change_ids": [HealthScoreChange ids]}), for the apps above
# (alerts: "health below X"); nothing is recorded while nobody subscribes. A first score is not a drop.
HEALTH_DROPPED = "feedback.health_dropped"

PART_KEYS = ("surveys", "survey_trend", "cases", "followup", "sentiment", "engagement", "recency", "lifecycle")
SURVEY_KINDS = (SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES)
BATCH_SIZE = 2000
# Engagement compares the last 30 days with the 90 before them; the usual rhythm looks back a year.
RECENT_DAYS = 30
BEFORE_DAYS = 90
RHYTHM_DAYS = 365

# --------------------------------------------------------------------------- signals (SQL)


def _count(queryset, field="pk") -> Subquery:
    return Coalesce(
        Subquery(queryset.order_by().values("customer").annotate(n=Count(field)).values("n")[:1]),
        0,
        output_field=IntegerField(),
    )


def health_signals(customer_ids: Iterable[int] | None = None, *, settings: HealthSettings, now: datetime):
    """Customers (listed ones; only `customer_ids` if given) annotated with every signal the score reads.

    One query; the annotations are named as `health_score_of` reads them.
    """
    responses = Response.objects.scored().filter(customer=OuterRef("pk"))
    interactions = Interaction.objects.filter(customer=OuterRef("pk")).exclude(type=InteractionType.SURVEY_RESPONSE)
    cases = Case.objects.filter(customer=OuterRef("pk"), status__in=OPEN_CASE_STATUSES)
    comments = Response.objects.filter(
        customer=OuterRef("pk"), submitted_at__gte=now - timedelta(days=settings.sentiment_days)
    ).exclude(comment="")
    rhythm = interactions.filter(occurred_at__gte=now - timedelta(days=RHYTHM_DAYS), occurred_at__lte=now)
    annotations = {}
    for kind in SURVEY_KINDS:
        latest = responses.filter(kind=kind).order_by("-submitted_at", "-id").values("score")
        annotations[f"{kind}_last"] = Subquery(latest[:1])
        annotations[f"{kind}_prev"] = Subquery(latest[1:2])
    annotations.update(
        open_cases=_count(cases),
        breached_cases=_count(cases.filter(Case.objects.breached_condition(now))),
        open_followup=Exists(
            Response.objects.filter(customer=OuterRef("pk"), followup_case__status__in=OPEN_CASE_STATUSES)
        ),
        comments_negative=_count(comments.filter(sentiment=Sentiment.NEGATIVE)),
        comments_read=_count(comments.exclude(sentiment=Sentiment.UNKNOWN)),
        recent_interactions=_count(
            interactions.filter(occurred_at__gte=now - timedelta(days=RECENT_DAYS), occurred_at__lte=now)
        ),
        before_interactions=_count(
            interactions.filter(
                occurred_at__gte=now - timedelta(days=RECENT_DAYS + BEFORE_DAYS),
                occurred_at__lt=now - timedelta(days=RECENT_DAYS),
            )
        ),
        rhythm_count=_count(rhythm),
        rhythm_first=Subquery(rhythm.order_by().values("customer").annotate(at=Min("occurred_at")).values("at")[:1]),
        rhythm_last=Subquery(rhythm.order_by().values("customer").annotate(at=Max("occurred_at")).values("at")[:1]),
    )
    customers = Customer.objects.listed().order_by("pk")
    if customer_ids is not None:
        customers = customers.filter(pk__in=list(customer_ids))
    return customers.annotate(**annotations).values("pk", "lifecycle_stage", "last_contact_at", *annotations)


# --------------------------------------------------------------------------- the score (pure)


def _on_scale(kind: str, score: int) -> float:
    scale = SCALES[kind]
    return (score - scale.low) / (scale.high - scale.low)


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def health_score_of(signals: dict, *, settings: HealthSettings, now: datetime) -> tuple[int, dict]:
    """(score 0–100, parts) of one customer from its signals (a row of `health_signals`).

    parts = {key: {"weight": int, "fraction": float 0–1 rounded to 3 places, or None without a signal,
    "detail": {...the figures it was computed from}}}.
    """
    parts: dict[str, dict] = {}

    def part(key: str, fraction: float | None, **detail):
        weight = getattr(settings, f"weight_{key}")
        parts[key] = {
            "weight": weight,
            "fraction": None if fraction is None else round(_clamp(fraction), 3),
            "detail": detail,
        }

    latest = {kind: signals.get(f"{kind}_last") for kind in SURVEY_KINDS}
    answered = [_on_scale(kind, score) for kind, score in latest.items() if score is not None]
    part("surveys", sum(answered) / len(answered) if answered else None, **latest)

    moves = {
        kind: _on_scale(kind, signals[f"{kind}_last"]) - _on_scale(kind, signals[f"{kind}_prev"])
        for kind in SURVEY_KINDS
        if signals.get(f"{kind}_last") is not None and signals.get(f"{kind}_prev") is not None
    }
    previous = {kind: signals.get(f"{kind}_prev") for kind in moves}
    part("survey_trend", 0.5 + sum(moves.values()) / len(moves) if moves else None, previous=previous)

    open_cases, breached = signals["open_cases"], signals["breached_cases"]
    part(
        "cases",
        1 - open_cases * settings.open_case_penalty - breached * settings.breached_case_penalty,
        open=open_cases,
        breached=breached,
    )
    part("followup", 0.0 if signals["open_followup"] else 1.0, open=bool(signals["open_followup"]))

    read, negative = signals["comments_read"], signals["comments_negative"]
    part("sentiment", 1 - negative / read if read else None, negative=negative, read=read, days=settings.sentiment_days)

    recent, before = signals["recent_interactions"], signals["before_interactions"]
    monthly_before = before * RECENT_DAYS / BEFORE_DAYS
    if monthly_before:
        engagement = recent / monthly_before
    else:
        engagement = 1.0 if recent else None
    part("engagement", engagement, last_30_days=recent, previous_90_days=before)

    count, first, last = signals["rhythm_count"], signals["rhythm_first"], signals["rhythm_last"]
    last_contact = signals.get("last_contact_at") or last
    recency = usual = days_since = None
    if count >= 2 and last_contact is not None and last > first:
        usual = (last - first).total_seconds() / 86400 / (count - 1)
        days_since = max((now - last_contact).total_seconds() / 86400, 0.0)
        overdue = days_since / usual
        recency = 1 - (overdue - 1) / (settings.recency_overdue_ratio - 1) if overdue > 1 else 1.0
    part(
        "recency",
        recency,
        days_since_contact=None if days_since is None else round(days_since, 1),
        usual_gap_days=None if usual is None else round(usual, 1),
    )

    stage = signals["lifecycle_stage"]
    part("lifecycle", float((settings.lifecycle_points or {}).get(stage, 0.5)), stage=stage)

    counted = [p for p in parts.values() if p["fraction"] is not None and p["weight"]]
    total = sum(p["weight"] for p in counted)
    score = round(100 * sum(p["weight"] * p["fraction"] for p in counted) / total) if total else 50
    return score, parts


# --------------------------------------------------------------------------- refresh (writes)


def customer_health_refresh(customer_ids: Iterable[int] | None = None, *, now: datetime | None = None) -> int:
    """Recompute and store the health score of these customers (all listed customers when None).

    Works in batches of BATCH_SIZE by id; each batch is one read and two writes (upsert of HealthScore,
    a HealthScoreChange per score that moved), in one transaction. Idempotent: running it twice at the
    same `now` changes nothing the second time. Returns how many scores moved (new ones included).
    """
    now = now or timezone.now()
    settings = HealthSettings.load()
    ids = None if customer_ids is None else sorted(set(customer_ids))
    moved = 0
    after = 0
    while True:
        if ids is None:
            batch_ids = list(
                Customer.objects.listed().filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]
            )
        else:
            batch_ids = [pk for pk in ids if pk > after][:BATCH_SIZE]
        if not batch_ids:
            break
        after = batch_ids[-1]
        moved += _refresh_batch(batch_ids, settings=settings, now=now)
    return moved


def _refresh_batch(batch_ids: list[int], *, settings: HealthSettings, now: datetime) -> int:
    with transaction.atomic():
        current = dict(HealthScore.objects.filter(customer_id__in=batch_ids).values_list("customer_id", "score"))
        rows, changes = [], []
        for signals in health_signals(batch_ids, settings=settings, now=now):
            score, parts = health_score_of(signals, settings=settings, now=now)
            customer_id = signals["pk"]
            rows.append(HealthScore(customer_id=customer_id, score=score, parts=parts, computed_at=now))
            if current.get(customer_id) != score:
                changes.append(
                    HealthScoreChange(
                        customer_id=customer_id, from_score=current.get(customer_id), score=score, changed_at=now
                    )
                )
        HealthScore.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["customer"], update_fields=["score", "parts", "computed_at"]
        )
        created = HealthScoreChange.objects.bulk_create(changes)
        drops = [c.pk for c in created if c.from_score is not None and c.score < c.from_score]
        if drops:
            outbox_record(event=HEALTH_DROPPED, payload={"change_ids": drops})
    return len(changes)


def health_history_prune(*, now: datetime | None = None) -> int:
    """Delete the score changes older than HealthSettings.history_days; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=HealthSettings.load().history_days)
    deleted, _ = HealthScoreChange.objects.filter(changed_at__lt=cutoff).delete()
    return deleted


# --------------------------------------------------------------------------- the parts in words


def health_part_rows(parts: dict) -> list[dict]:
    """The parts as the customer page lists them: [{"key", "label", "weight", "fraction", "points", "why"}],
    in PART_KEYS order; `points` is weight × fraction (None without a signal), `why` a short sentence."""
    from django.utils.translation import gettext as _

    labels = {
        "surveys": _("Latest scores"),
        "survey_trend": _("Score trend"),
        "cases": _("Cases"),
        "followup": _("Detractor follow-up"),
        "sentiment": _("Comment sentiment"),
        "engagement": _("Engagement"),
        "recency": _("Last contact"),
        "lifecycle": _("Lifecycle stage"),
    }
    rows = []
    for key in PART_KEYS:
        part = parts.get(key)
        if part is None:
            continue
        d, fraction = part.get("detail") or {}, part.get("fraction")
        if fraction is None:
            why = _("No signal yet")
        elif key == "surveys":
            why = ", ".join(f"{kind.upper()} {d[kind]}" for kind in SURVEY_KINDS if d.get(kind) is not None)
        elif key == "survey_trend":
            why = ", ".join(f"{kind.upper()} {before} before" for kind, before in (d.get("previous") or {}).items())
        elif key == "cases":
            why = _("%(open)s open, %(breached)s past their SLA") % d
        elif key == "followup":
            why = _("A detractor follow-up is open") if d.get("open") else _("None open")
        elif key == "sentiment":
            why = _("%(negative)s negative of %(read)s comments in %(days)s days") % d
        elif key == "engagement":
            why = _("%(last_30_days)s contacts in 30 days, %(previous_90_days)s in the 90 before") % d
        elif key == "recency":
            why = _("%(days_since_contact)s days since last contact; usually every %(usual_gap_days)s") % d
        else:
            why = str(d.get("stage", ""))
        points = None if fraction is None else round(part["weight"] * fraction, 1)
        rows.append(
            {
                "key": key,
                "label": labels[key],
                "weight": part["weight"],
                "fraction": fraction,
                "points": points,
                "why": why,
            }
        )
    return rows


# --------------------------------------------------------------------------- outbox handlers (one customer)


def handle_response_submitted(payload: dict) -> int:
    """{"response_id": n}: refresh the answering customer's score."""
    customer_id = Response.objects.filter(pk=payload["response_id"]).values_list("customer_id", flat=True).first()
    return 0 if customer_id is None else customer_health_refresh([customer_id])


def handle_case_changed(payload: dict) -> int:
    """{"case_id": n} (opened): refresh the case's customer's score."""
    customer_id = Case.objects.filter(pk=payload["case_id"]).values_list("customer_id", flat=True).first()
    return 0 if customer_id is None else customer_health_refresh([customer_id])


def load_demo(*, seed: int = 42, scale: int = 1, stdout=None) -> int | None:
    """Demo: score every customer once (skipped when scores exist), so the health panels and the "needs
    attention" queue are filled on a fresh `make run` before beat's first hourly run. Returns the count."""
    if HealthScore.objects.exists():
        return None
    scored = customer_health_refresh()
    if stdout:
        stdout.write(f"  feedback: health scores of {scored} customers")
    return scored
