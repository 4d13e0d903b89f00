"""Which days of the daily rollups changed: the beat's change-driven cycle.

Every 15 minutes the beat (`rollup.metric_rollups_recent`) recomputes today and yesterday for every metric and,
of the earlier days inside each metric's settle window, only those whose source rows changed since the start of
its previous successful run (`MetricRollupWatermark.run_started_at`, less WATERMARK_MARGIN for transactions
that committed after they stamped their rows). A change is found by a time every write path sets on the row,
whatever door it came through (a service's save, bulk_create, the COPY of the bulk ingestion, which set
auto_now_add fields, or the services' set-based updates, which set the time they mean), and the day it changes
is the day the metric counts the row on (compute.py's `date_field` of its source):

- answers (NPS, CSAT, CES): answers recorded since (`Response.created_at`) -> their `submitted_at` days; and
  the answers about a case changed since (its topic is a dimension) -> theirs;
- invitations (response rate): sent since (`sent_at`, or stored since) -> their `sent_at` days; answered
  since (the answer's `created_at`) -> the invitation's `sent_at` day; about a case changed since (its origin is
  the channel of a case's survey) -> theirs;
- cases (case volume, time to resolution, first response, SLA breaches): changed since (`Case.updated_at`,
  set by every case service, the first response stamped by ingestion and the erasure), or given an
  interaction since (a case's touchpoint is its earliest interaction's) -> the days of their opening, first
  response, resolution and due time; a case whose resolution or due time may have moved away from a day (a
  reopen, leaving pending, a new priority: a CaseChange since) -> every day from its opening, where all of
  those times lie, so the day it left is recomputed too;
- interactions (interaction volume): recorded since (`created_at`) -> their `occurred_at` days (history
  ingested late, 20 days old, included);
- campaigns: a send, open or click of a campaign, or a purchase (conversions), recorded since -> the days of
  that customer's campaign sends inside the window (where the first send of each pair lies);
- churn: every day of its short window (`METRICS_ROLLUP_RECENT_DAYS`), always. A stage move changes the stage
  at the start of every later day, and an edit or a deletion of a move in the admin leaves no time to find;
  the window's days are computed in one pass, so this costs no more than today and yesterday.

What no row's time shows is announced instead: a customer's new persona (a dimension of the rows read through
the customer), a deletion of a customer, an interaction or a case in the admin, and an edit of an interaction
there send `customers.signals.history_rewritten` inside their transaction, and feedback's receiver stamps
`MetricRollupWatermark.rewritten_at` in it (as it does when a user is deleted: their rows lose their agent).
The next run then recomputes every metric's whole settle window, as the first run, without a watermark, does.

Every day after the watermark's own day is recomputed too (it is yesterday or today when the beat runs every 15
minutes): breaches become true when a due time passes, with no write, and a day is recomputed at least once
after it ends. A merge and its undo are recomputed from their first day by `rollup_metrics_after_merge`; a GDPR
erasure changes no count (the rows stay, anonymous).
"""

from datetime import date, datetime, timedelta

from django.db.models import DateField, Min, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from customers.choices import CaseStatus, InteractionType
from customers.models import Case, CaseChange, Interaction

from ..models import Invitation, Response
from .compute import local_bounds
from .definitions import METRICS

# How far before the previous run's start changes are looked for: a row stamped before the run started but
# committed after it read was not counted by it.
WATERMARK_MARGIN = timedelta(minutes=10)

# Customers whose campaign sends are looked up one by one; more (a large import) recompute the campaign window.
CAMPAIGN_CUSTOMERS_MAX = 2_000
CAMPAIGN_TYPES = (InteractionType.EMAIL_SENT, InteractionType.EMAIL_OPEN, InteractionType.EMAIL_CLICK)
# A case's status move that can take its resolution or due times off the day they were on.
MOVED_AWAY_FROM = (CaseStatus.PENDING, CaseStatus.RESOLVED, CaseStatus.CLOSED)
CASE_ANCHORS = {
    "cases_opened": "opened_at",
    "cases_first_response": "first_response_at",
    "cases_resolved": "resolved_at",
    "cases_due": "resolution_due_at",
}


def _local_day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=timezone.get_default_timezone(), output_field=DateField())


def _days(qs, field: str, low: date) -> set[date]:
    """The distinct TIME_ZONE days of `field` on or after `low` among `qs`'s rows (one query)."""
    first, _ = local_bounds(low, low)
    return set(
        qs.filter(**{f"{field}__gte": first})
        .annotate(_day=_local_day(field))
        .order_by()
        .values_list("_day", flat=True)
        .distinct()
    )


def days_between(first: date, last: date) -> set[date]:
    """Every day of [first, last] (empty when first is after last)."""
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def _response_days(since: datetime, low: date) -> dict[str, set[date]]:
    """{survey kind: days} of the answers recorded since, or about a case changed since."""
    first, _ = local_bounds(low, low)
    days: dict[str, set[date]] = {}
    for changed in (Q(created_at__gte=since), Q(case__updated_at__gte=since)):
        rows = (
            Response.objects.filter(changed, submitted_at__gte=first)
            .annotate(_day=_local_day("submitted_at"))
            .order_by()
            .values_list("kind", "_day")
            .distinct()
        )
        for kind, day in rows:
            days.setdefault(kind, set()).add(day)
    return days


def _invitation_days(since: datetime, low: date) -> set[date]:
    sent = Invitation.objects.filter(sent_at__isnull=False)
    return (
        _days(sent.filter(Q(sent_at__gte=since) | Q(created_at__gte=since)), "sent_at", low)
        | _days(
            Response.objects.filter(created_at__gte=since, invitation__sent_at__isnull=False),
            "invitation__sent_at",
            low,
        )
        | _days(sent.filter(case__updated_at__gte=since), "sent_at", low)
    )


def _case_days(since: datetime, low: date, today: date) -> dict[str, set[date]]:
    """{case source: days} of the cases changed since (see the module docstring)."""
    # Two queries rather than one OR, so each is served by its own index.
    changed = (
        Q(updated_at__gte=since),
        Q(pk__in=Interaction.objects.filter(created_at__gte=since, case__isnull=False).values("case_id")),
    )
    first, _ = local_bounds(low, low)
    anchors = list(CASE_ANCHORS.items())
    rows = []
    for condition in changed:
        rows += (
            Case.objects.filter(condition)
            .filter(Q(**{f"{field}__gte": first for _, field in anchors}, _connector=Q.OR))
            .annotate(**{f"_day{i}": _local_day(field) for i, (_, field) in enumerate(anchors)})
            .order_by()
            .values_list(*(f"_day{i}" for i in range(len(anchors))))
            .distinct()
        )
    days: dict[str, set[date]] = {source: set() for source in CASE_ANCHORS}
    for row in rows:
        for (source, _), day in zip(anchors, row, strict=True):
            if day is not None and day >= low:
                days[source].add(day)
    moved_from = (
        CaseChange.objects.filter(changed_at__gte=since, case__updated_at__gte=since)
        .filter(Q(field="priority") | Q(field="status", from_value__in=MOVED_AWAY_FROM))
        .aggregate(opened=Min("case__opened_at"))["opened"]
    )
    if moved_from is not None:
        span = days_between(max(timezone.localdate(moved_from), low), today)
        for source in ("cases_first_response", "cases_resolved", "cases_due"):
            days[source] |= span
    return days


def _interaction_days(since: datetime, low: date) -> set[date]:
    return _days(Interaction.objects.filter(created_at__gte=since), "occurred_at", low)


def _campaign_days(since: datetime, low: date, today: date) -> set[date]:
    """The days of the campaign sends of the customers with a campaign event or a purchase recorded since: their
    ids first (a few hundred a quarter of an hour), then their sends through the timeline's index. Beyond
    CAMPAIGN_CUSTOMERS_MAX of them (a large import), the whole window."""
    touched = list(
        Interaction.objects.filter(created_at__gte=since)
        .filter(Q(type__in=CAMPAIGN_TYPES) & ~Q(campaign="") | Q(type=InteractionType.PURCHASE))
        .order_by()
        .values_list("customer_id", flat=True)
        .distinct()[: CAMPAIGN_CUSTOMERS_MAX + 1]
    )
    if len(touched) > CAMPAIGN_CUSTOMERS_MAX:
        return days_between(low, today)
    if not touched:
        return set()
    sends = Interaction.objects.filter(type=InteractionType.EMAIL_SENT, customer_id__in=touched).exclude(campaign="")
    return _days(sends, "occurred_at", low)


def rollup_days_changed(*, since: datetime, windows: dict[str, date], today: date) -> dict[str, set[date]]:
    """{metric: the days in [windows[metric], today] (TIME_ZONE) whose source rows changed at or after `since`}
    for the metrics named in `windows` (see the module docstring for what counts as a change). One to three
    indexed queries a source, each returning distinct days; a source none of the metrics reads is not asked.
    Raises KeyError for an unknown metric."""
    sources: dict[str, date] = {}
    for name, low in windows.items():
        source = METRICS[name].source
        sources[source] = min(low, sources.get(source, low))
    found: dict[str, set[date]] = {}
    if "responses" in sources:
        by_kind = _response_days(since, sources["responses"])
        for name in windows:
            if METRICS[name].source == "responses":
                found[name] = by_kind.get(METRICS[name].survey_kind, set())
    if "invitations" in sources:
        found["invitations"] = _invitation_days(since, sources["invitations"])
    case_sources = [source for source in CASE_ANCHORS if source in sources]
    if case_sources:
        found.update(_case_days(since, min(sources[s] for s in case_sources), today))
    if "interactions" in sources:
        found["interactions"] = _interaction_days(since, sources["interactions"])
    if "campaign" in sources:
        found["campaign"] = _campaign_days(since, sources["campaign"], today)
    if "churn" in sources:
        found["churn"] = days_between(sources["churn"], today)
    return {
        name: {day for day in found.get(name, found.get(METRICS[name].source, set())) if low <= day <= today}
        for name, low in windows.items()
    }
