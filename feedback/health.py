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

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, Window
from django.db.models.functions import RowNumber
from django.template.defaultfilters import floatformat
from django.utils import timezone

from customers.choices import OPEN_CASE_STATUSES, InteractionType, LifecycleStage
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

# The signals a customer without any row of a kind has (no interaction, answer or open case).
EMPTY_SIGNALS = {
    **{f"{kind}_{which}": None for kind in SURVEY_KINDS for which in ("last", "prev")},
    "open_cases": 0,
    "breached_cases": 0,
    "open_followup": False,
    "comments_negative": 0,
    "comments_read": 0,
    "recent_interactions": 0,
    "before_interactions": 0,
    "rhythm_count": 0,
    "rhythm_first": None,
    "rhythm_last": None,
}


def health_signals(customers: list[dict], *, settings: HealthSettings, now: datetime, id_range: bool = False):
    """Every signal the score reads, for a batch of customers: [{**customer, **signals}] in `customers`' order.

    `customers`: dicts with "pk", "lifecycle_stage" and "last_contact_at" (`health_customers`). Set-based: four
    aggregate queries over the batch whatever its size (interactions, the latest two answers of each kind by a
    window function, comments and follow-ups, open cases), each grouped by customer. `id_range`: the batch is
    every listed customer between its first and last id, so the queries read that id range (one index range
    scan) instead of a list of ids. The keys are named as `health_score_of` reads them.
    """
    if not customers:
        return []
    ids = [c["pk"] for c in customers]
    scope = Q(customer_id__gte=min(ids), customer_id__lte=max(ids)) if id_range else Q(customer_id__in=ids)
    signals = {pk: dict(EMPTY_SIGNALS) for pk in ids}

    def merge(rows):
        for row in rows:
            found = signals.get(row.pop("customer_id"))
            if found is not None:
                found.update(row)

    recent_from = now - timedelta(days=RECENT_DAYS)
    merge(
        Interaction.objects.filter(scope, occurred_at__gte=now - timedelta(days=RHYTHM_DAYS), occurred_at__lte=now)
        .exclude(type=InteractionType.SURVEY_RESPONSE)
        .order_by()
        .values("customer_id")
        .annotate(
            recent_interactions=Count("pk", filter=Q(occurred_at__gte=recent_from)),
            before_interactions=Count(
                "pk",
                filter=Q(occurred_at__gte=recent_from - timedelta(days=BEFORE_DAYS), occurred_at__lt=recent_from),
            ),
            rhythm_count=Count("pk"),
            rhythm_first=Min("occurred_at"),
            rhythm_last=Max("occurred_at"),
        )
    )
    latest_two = (
        Response.objects.scored()
        .filter(scope, kind__in=SURVEY_KINDS)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("customer_id"), F("kind")],
                order_by=[F("submitted_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=2)
        .order_by()
        .values_list("customer_id", "kind", "rank", "score")
    )
    for customer_id, kind, rank, score in latest_two:
        if customer_id in signals:
            signals[customer_id][f"{kind}_{'last' if rank == 1 else 'prev'}"] = score
    comment = Q(submitted_at__gte=now - timedelta(days=settings.sentiment_days)) & ~Q(comment="")
    merge(
        Response.objects.filter(scope)
        .order_by()
        .values("customer_id")
        .annotate(
            comments_negative=Count("pk", filter=comment & Q(sentiment=Sentiment.NEGATIVE)),
            comments_read=Count("pk", filter=comment & ~Q(sentiment=Sentiment.UNKNOWN)),
            open_followup=Count("pk", filter=Q(followup_case__status__in=OPEN_CASE_STATUSES)),
        )
    )
    merge(
        Case.objects.filter(scope, status__in=OPEN_CASE_STATUSES)
        .order_by()
        .values("customer_id")
        .annotate(open_cases=Count("pk"), breached_cases=Count("pk", filter=Case.objects.breached_condition(now)))
    )
    return [{**c, **signals[c["pk"]]} for c in customers]


def health_customers(customer_ids: Iterable[int] | None = None, *, after: int = 0, limit: int | None = None):
    """The listed customers (only `customer_ids` if given) with an id above `after`, by id, at most `limit`:
    [{"pk", "lifecycle_stage", "last_contact_at"}], what `health_signals` takes."""
    customers = Customer.objects.listed().filter(pk__gt=after).order_by("pk")
    if customer_ids is not None:
        customers = customers.filter(pk__in=list(customer_ids))
    rows = customers.values("pk", "lifecycle_stage", "last_contact_at")
    return list(rows if limit is None else rows[:limit])


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
    """Recompute and store the health score of these customers (all listed customers when None): what the
    hourly beat task runs, and what the benchmarks time ("health full recompute").

    Works in batches of BATCH_SIZE by id; each batch is one transaction of a fixed number of queries
    whatever its size (the customers, `health_signals`' four aggregates, the stored scores, then the upsert
    of the scores that differ and a HealthScoreChange per score that moved). Idempotent: running it twice
    at the same `now` changes nothing the second time. Returns how many scores moved (new ones included).
    """
    now = now or timezone.now()
    settings = HealthSettings.load()
    ids = None if customer_ids is None else sorted(set(customer_ids))
    moved = 0
    after = 0
    while True:
        customers = health_customers(ids, after=after, limit=BATCH_SIZE)
        if not customers:
            break
        after = customers[-1]["pk"]
        moved += _refresh_batch(customers, settings=settings, now=now, id_range=ids is None)
    return moved


def _refresh_batch(customers: list[dict], *, settings: HealthSettings, now: datetime, id_range: bool) -> int:
    with transaction.atomic():
        stored = _stored_scores([c["pk"] for c in customers])
        rows, changes = [], []
        for signals in health_signals(customers, settings=settings, now=now, id_range=id_range):
            score, parts = health_score_of(signals, settings=settings, now=now)
            customer_id = signals["pk"]
            before = stored.get(customer_id)
            # An hour later most scores and parts are as they were: those rows are not written again.
            if before is not None and before == (score, parts):
                continue
            rows.append((customer_id, score, parts))
            if before is None or before[0] != score:
                changes.append((customer_id, None if before is None else before[0], score))
        _scores_upsert(rows, now=now)
        drops = _changes_insert(changes, now=now)
        if drops:
            outbox_record(event=HEALTH_DROPPED, payload={"change_ids": drops})
    return len(changes)


def _changes_insert(changes: list[tuple[int, int | None, int]], *, now: datetime) -> list[int]:
    """Insert a HealthScoreChange per (customer id, from score or None, score) at `now`, in one statement;
    returns the ids of the drops (a lower score than before; a first score is not a drop). On PostgreSQL the
    columns go as three integer arrays (unnest): a third of bulk_create's time for 2,000 rows."""
    if not changes:
        return []
    if connection.vendor != "postgresql":
        created = HealthScoreChange.objects.bulk_create(
            [
                HealthScoreChange(customer_id=pk, from_score=before, score=score, changed_at=now)
                for pk, before, score in changes
            ]
        )
        return [c.pk for c in created if c.from_score is not None and c.score < c.from_score]
    ids, befores, scores = (list(column) for column in zip(*changes, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {HealthScoreChange._meta.db_table} (customer_id, from_score, score, changed_at)"
            " SELECT customer_id, from_score, score, %s"
            " FROM unnest(%s::integer[], %s::integer[], %s::integer[]) AS incoming (customer_id, from_score, score)"
            " RETURNING id, from_score, score",
            [now, ids, befores, scores],
        )
        return sorted(pk for pk, before, score in cursor.fetchall() if before is not None and score < before)


def _stored_scores(customer_ids: list[int]) -> dict[int, tuple[int, dict]]:
    """{customer id: (score, parts)} as stored. The parts are read as JSON text and decoded here: three times
    faster than the JSONField's own reading on PostgreSQL, which would cost more than the writes it saves."""
    table = HealthScore._meta.db_table
    if connection.vendor == "postgresql":  # one array parameter, not 2,000 placeholders
        sql, params = f"SELECT customer_id, score, parts::text FROM {table} WHERE customer_id = ANY(%s)", [customer_ids]
    else:
        ids = ", ".join(["%s"] * len(customer_ids))
        sql, params = f"SELECT customer_id, score, parts FROM {table} WHERE customer_id IN ({ids})", customer_ids
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pk: (score, json.loads(text)) for pk, score, text in cursor.fetchall()}


def _scores_upsert(rows: list[tuple[int, int, dict]], *, now: datetime) -> None:
    """Insert or update the HealthScore rows [(customer id, score, parts)] computed at `now`, in one statement.

    On PostgreSQL a multi-row INSERT … ON CONFLICT DO UPDATE with each parts document sent as one JSON text:
    half the time of bulk_create's adaptation of every value, which a first run of 100,000 scores pays in full."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        HealthScore.objects.bulk_create(
            [HealthScore(customer_id=pk, score=score, parts=parts, computed_at=now) for pk, score, parts in rows],
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=["score", "parts", "computed_at"],
        )
        return
    # A multi-row VALUES list: array parameters are cheaper to parse, but quoting 2,000 JSON documents into a
    # text[] literal costs psycopg twice as much as the placeholders.
    params = []
    for customer_id, score, parts in rows:
        params += [customer_id, score, json.dumps(parts), now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {HealthScore._meta.db_table} (customer_id, score, parts, computed_at) VALUES "
            + ", ".join(["(%s, %s, %s::jsonb, %s)"] * len(rows))
            + " ON CONFLICT (customer_id) DO UPDATE"
            " SET score = EXCLUDED.score, parts = EXCLUDED.parts, computed_at = EXCLUDED.computed_at",
            params,
        )


def health_history_prune(*, now: datetime | None = None) -> int:
    """Delete the score changes older than HealthSettings.history_days; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=HealthSettings.load().history_days)
    deleted, _ = HealthScoreChange.objects.filter(changed_at__lt=cutoff).delete()
    return deleted


# --------------------------------------------------------------------------- the parts in words


def health_part_rows(parts: dict) -> list[dict]:
    """The parts as the customer page lists them: [{"key", "label", "weight", "fraction", "points", "why"}],
    in PART_KEYS order; `points` is weight × fraction (None without a signal), `why` a short sentence in the
    active language, its numbers in the language's format ("3,2" in pt-BR) and the lifecycle stage by its label."""
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

    def number(value) -> str:
        # Decimals only where the figure has them ("20", "3,2"), in the language's format.
        return floatformat(value, -1)

    rows = []
    for key in PART_KEYS:
        part = parts.get(key)
        if part is None:
            continue
        d, fraction = part.get("detail") or {}, part.get("fraction")
        if fraction is None:
            why = _("No signal yet")
        elif key == "surveys":
            why = ", ".join(f"{kind.upper()} {number(d[kind])}" for kind in SURVEY_KINDS if d.get(kind) is not None)
        elif key == "survey_trend":
            why = ", ".join(
                _("%(kind)s %(score)s before") % {"kind": kind.upper(), "score": number(before)}
                for kind, before in (d.get("previous") or {}).items()
            )
        elif key == "cases":
            why = _("%(open)s open, %(breached)s past their SLA") % d
        elif key == "followup":
            why = _("A detractor follow-up is open") if d.get("open") else _("None open")
        elif key == "sentiment":
            why = _("%(negative)s negative of %(read)s comments in %(days)s days") % d
        elif key == "engagement":
            why = _("%(last_30_days)s contacts in 30 days, %(previous_90_days)s in the 90 before") % d
        elif key == "recency":
            why = _("%(days_since_contact)s days since last contact; usually every %(usual_gap_days)s") % {
                "days_since_contact": number(d.get("days_since_contact")),
                "usual_gap_days": number(d.get("usual_gap_days")),
            }
        else:
            stage = d.get("stage") or ""
            why = str(LifecycleStage(stage).label) if stage in LifecycleStage.values else stage
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
