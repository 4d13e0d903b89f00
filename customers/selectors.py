"""Reads of the customers app: each selector owns its query shape."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Case as CaseWhen
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from cxcrm.choices import Role

from .choices import (
    ACTIVE_STAGES,
    OPEN_CASE_STATUSES,
    CaseStatus,
    IdentityKind,
    InteractionType,
    SuggestionStatus,
)
from .identities import phone_readings, search_candidates
from .models import (
    Case,
    CaseChange,
    CaseSeen,
    Customer,
    Identity,
    Interaction,
    LifecycleChange,
    MergeRecord,
    MergeSuggestion,
    Note,
    WorkspaceVisit,
    stage_before_condition,
)
from .text import search_fold

MAX_FOLD_HOPS = 20

# --------------------------------------------------------------------------- customers


def customer_resolve(customer: Customer) -> Customer:
    """The customer itself, or the survivor it was folded into (following chains of merges)."""
    hops = 0
    while customer.merged_into_id is not None and hops < MAX_FOLD_HOPS:
        customer = Customer.objects.get(pk=customer.merged_into_id)
        hops += 1
    return customer


def customer_get(pk, *, queryset: QuerySet | None = None) -> Customer:
    """The customer with this id, or the survivor it was folded into, loaded by `queryset` (all fields by
    default; a queryset must keep merged_into_id). One query for an unfolded customer.

    Raises Customer.DoesNotExist for an unknown (or non-integer) id.
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Customer.DoesNotExist(f"No customer with id {pk!r}.") from None
    if not 0 < pk < 2**63:
        raise Customer.DoesNotExist(f"No customer with id {pk!r}.")
    queryset = queryset if queryset is not None else Customer.objects.all()
    # One query for a customer that was not folded (nearly every call): the row itself, as asked for.
    customer = queryset.get(pk=pk)
    if customer.merged_into_id is None:
        return customer
    return queryset.get(pk=customer_resolve(customer).pk)


def customer_ref(pk) -> Customer:
    """The customer with this id, or the survivor it was folded into, with only its id and merged_into_id
    loaded: one query for an unfolded customer, for endpoints that need the customer only to filter by it.

    Raises Customer.DoesNotExist for an unknown (or non-integer) id.
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Customer.DoesNotExist(f"No customer with id {pk!r}.") from None
    if not 0 < pk < 2**63:
        raise Customer.DoesNotExist(f"No customer with id {pk!r}.")
    return customer_resolve(Customer.objects.only("id", "merged_into_id").get(pk=pk))


def _with_counts(queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """Annotate interaction_count and open_case_count with correlated subqueries (no row fan-out)."""
    interactions = (
        Interaction.objects.filter(customer=OuterRef("pk")).order_by().values("customer").annotate(n=Count("pk"))
    )
    open_cases = (
        Case.objects.filter(customer=OuterRef("pk"), status__in=OPEN_CASE_STATUSES)
        .order_by()
        .values("customer")
        .annotate(n=Count("pk"))
    )
    return queryset.annotate(
        interaction_count=Coalesce(Subquery(interactions.values("n")[:1]), 0),
        open_case_count=Coalesce(Subquery(open_cases.values("n")[:1]), 0),
    )


def customer_detail_queryset() -> QuerySet[Customer]:
    """Customers (folded ones too) with everything their representation needs, in a fixed number of queries
    (the annotations of settings.CUSTOMER_API_EXTENSIONS included: customers/extensions.py)."""
    from .extensions import customer_queryset_extend

    return customer_queryset_extend(
        _with_counts(
            Customer.objects.select_related("persona", "owner").prefetch_related(
                "tags", Prefetch("identities", queryset=Identity.objects.order_by("kind", "network", "value"))
            )
        )
    )


def customer_list_queryset() -> QuerySet[Customer]:
    """Listed customers (not folded, not erased), as customer_detail_queryset."""
    return customer_detail_queryset().listed()


_WORDS = re.compile(r"\w+")
_PHONE_LIKE = re.compile(r"\+?[\d\s().-]+")
_SPACES = re.compile(r"\s")


def customer_search(q: str, queryset: QuerySet | None = None) -> QuerySet[Customer]:
    """Customers whose name contains every word of `q`, who own an identity matching `q`, or whose id it is.

    Names are compared folded (customers.text.search_fold, through Customer.search_name): "hugo perez"
    finds "Hugo Pérez", "γιωργος" "Γιώργος", "lukasz" "Łukasz". Identity values are normalised as on
    ingestion: "(11) 91234-5678" finds +5511912345678, " Ana@Example.com" finds ana@example.com, "@Ana"
    finds the handle ana; a national phone of another region is found when unambiguous (_phone_elsewhere).
    Partial identity values (3+ characters) match too, unless the term is several words and no phone: that
    is a name (emails, phones and handles hold no spaces; an external id with spaces is found typed whole).
    "#304" or "304" finds customer 304. Erased customers are never found.

    Ranked (then the queryset's own order): the customer whose id it is or who owns an identity equal to
    `q` first, then names equal to `q`, names starting with it, names with a word starting with it, the rest.
    """
    # Erased customers are never found, not even by their id.
    queryset = (queryset if queryset is not None else customer_list_queryset()).filter(erased=False)
    q = (q or "").strip()
    if not q:
        return queryset
    identity_exact = Q(pk__in=[])
    candidates = search_candidates(q)
    owners = _exact_contact_owners(candidates)
    if owners:
        # An email or phone stored as typed (normalised) answers the search: one index lookup, no scan of
        # every name and identity for the parts of it.
        return (
            queryset.filter(pk__in=owners).annotate(search_rank=Value(0)).order_by("search_rank", *_ordering(queryset))
        )
    for kind, value in candidates:
        identity_exact |= Q(kind=kind, value=value)
    identity_exact |= _phone_elsewhere(q, candidates)
    identity_match = identity_exact
    digits = re.sub(r"\D", "", q)
    # A term of several words that is not a phone ("ana souza") is a name: its partial identity match, which
    # reads every identity value's trigrams, is skipped (the exact match above still finds an id typed whole).
    plain_name = bool(_SPACES.search(q)) and not _PHONE_LIKE.fullmatch(q)
    if len(q) >= 3 and not plain_name:
        identity_match |= Q(value__icontains=q.lstrip("@").lower())
    read_as_phone = any(kind == IdentityKind.PHONE for kind, _ in candidates)
    if len(digits) >= 3 and _PHONE_LIKE.fullmatch(q) and not read_as_phone:
        # "510 8966" or "612-345-678": part of a stored phone, whatever separators were typed (a whole number
        # read in a region is matched exactly above, so that another region's number is not guessed).
        identity_match |= Q(kind=IdentityKind.PHONE, value__icontains=digits)  # UPPER(value): its trigram index
    folded = search_fold(q)
    name_match = Q()
    # Words are runs of letters and digits: "pérez, carlos", "carlos-perez" and "o'brien" find their names.
    for word in _WORDS.findall(folded):
        name_match &= Q(search_name__contains=word)
    # The owners of an identity equal to the term, read first (one indexed query): as a list of ids, the
    # name's trigram index and the primary key are ORed in one bitmap scan, where a subquery beside them made
    # PostgreSQL read every customer (30 ms at 127,000).
    exact_ids = list(
        Identity.objects.filter(identity_exact)
        .order_by()
        .values_list("customer_id", flat=True)
        .distinct()[:MAX_EXACT_OWNERS]
    )
    exact = Q(pk__in=exact_ids)
    by_id = _customer_id_in(q)
    if by_id is not None:
        exact |= Q(pk=by_id)
    rank = CaseWhen(
        When(exact, then=Value(0)),
        When(search_name=folded, then=Value(1)),
        When(search_name__startswith=folded, then=Value(2)),
        When(search_name__contains=f" {folded}", then=Value(3)),
        default=Value(4),
    )
    partial = Q(pk__in=[])
    if identity_match is not identity_exact:  # partial values are looked for too (one word, a phone's part)
        partial = Q(pk__in=Identity.objects.filter(identity_match).values("customer_id"))
    matches = queryset.filter((name_match if folded else Q(pk__in=[])) | exact | partial)
    return matches.annotate(search_rank=rank).order_by("search_rank", *_ordering(queryset))


# Enough to list every owner of one email or phone (shared by a household or a company's switchboard).
MAX_EXACT_OWNERS = 100
CONTACT_KINDS = (IdentityKind.EMAIL, IdentityKind.PHONE)


def _exact_contact_owners(candidates: set[tuple[str, str]]) -> list[int]:
    """Ids of the customers holding an email or phone equal to a reading of the search term (unique
    (kind, value) index; one query, none when the term reads as neither)."""
    contacts = [Q(kind=kind, value=value) for kind, value in candidates if kind in CONTACT_KINDS]
    if not contacts:
        return []
    exact = Q(*contacts, _connector=Q.OR)
    return list(Identity.objects.filter(exact).values_list("customer_id", flat=True).distinct()[:MAX_EXACT_OWNERS])


def _customer_id_in(q: str) -> int | None:
    """The customer id a search term names: "#304" or "304" (None for anything else)."""
    match = re.fullmatch(r"#?\s*(\d{1,18})", q)
    return int(match.group(1)) if match else None


def _ordering(queryset: QuerySet) -> list:
    return list(queryset.query.order_by) or list(queryset.model._meta.ordering)


def _phone_elsewhere(q: str, candidates: set[tuple[str, str]]) -> Q:
    """A national-format phone read in another region than the organisation's, when exactly one stored
    phone is such a reading ("692 510 8966" finds the Greek +30 692 510 8966 while no +55 69 2510-8966 is
    stored); nothing when the organisation's reading is stored or the readings are ambiguous (one query)."""
    readings = phone_readings(q)
    if not readings:
        return Q(pk__in=[])
    found = set(
        Identity.objects.filter(kind=IdentityKind.PHONE, value__in=readings).values_list("value", flat=True)[:2]
    )
    if len(found) != 1 or (IdentityKind.PHONE, next(iter(found))) in candidates:
        return Q(pk__in=[])
    return Q(kind=IdentityKind.PHONE, value__in=found)


def customers_with_channel(queryset: QuerySet, channel: str, *, network: str = "") -> QuerySet:
    """Customers with at least one interaction on `channel` (and on `network`, e.g. whatsapp, when given)."""
    on = Interaction.objects.filter(customer=OuterRef("pk"), channel=channel)
    if network:
        on = on.filter(network=network)
    return queryset.filter(Exists(on))


# --------------------------------------------------------------------------- interactions, cases, notes, merges


def interaction_list() -> QuerySet[Interaction]:
    return Interaction.objects.select_related("customer", "agent", "case", "touchpoint")


def case_list(now: datetime | None = None) -> QuerySet[Case]:
    """Cases with customer and assignee loaded and `is_breached` derived at `now`."""
    return Case.objects.select_related("customer", "assignee").with_breached(now or timezone.now())


def case_assignable_users(*, current_id: int | None = None) -> QuerySet:
    """Users a case can be assigned to (and a customer owned by): active support reps, by name.

    Marketers, managers, integrations and administrators are not listed unless they are
    also in the support rep group (roles: cxcrm.roles). The pages' forms, the API and
    the admin offer and accept only these. `current_id` (the user who holds the case or
    customer now) is kept in the list even if no longer a rep, so that a form showing
    it can be saved unchanged.
    """
    User = get_user_model()
    reps = Q(pk__in=User.objects.filter(is_active=True, groups__name=Role.SUPPORT_REP).values("pk"))
    if current_id is not None:
        reps |= Q(pk=current_id)
    return User.objects.filter(reps).order_by("first_name", "last_name", "username")


def note_list() -> QuerySet[Note]:
    return Note.objects.select_related("author", "customer")


def merge_record_list() -> QuerySet[MergeRecord]:
    return MergeRecord.objects.select_related("survivor", "merged", "merged_by", "undone_by")


def merge_suggestion_list(*, status: str | None = SuggestionStatus.OPEN) -> QuerySet[MergeSuggestion]:
    """Merge suggestions (open ones by default); open ones only when both customers are unfolded and not erased."""
    qs = MergeSuggestion.objects.select_related("customer", "other", "interaction", "decided_by")
    if status:
        qs = qs.filter(status=status)
    if status == SuggestionStatus.OPEN:
        qs = qs.filter(
            customer__merged_into__isnull=True,
            other__merged_into__isnull=True,
            customer__erased=False,
            other__erased=False,
        )
    return qs


# --------------------------------------------------------------------------- pages: SLA state, customer page, workspace

# A case whose next due time falls within this window is "about to breach".
DUE_SOON = timedelta(hours=1)


def case_list_sla(now: datetime | None = None) -> QuerySet[Case]:
    """case_list with `next_due_at` (the next SLA due time still to meet) and `sla_state`:
    breached, met (finished in time), paused (pending), none (no policy), due_soon (within DUE_SOON) or on_track.
    """
    now = now or timezone.now()
    next_due = CaseWhen(
        When(first_response_at__isnull=True, first_response_due_at__isnull=False, then=F("first_response_due_at")),
        default=F("resolution_due_at"),
    )
    state = CaseWhen(
        When(is_breached=True, then=Value("breached")),
        When(status__in=[CaseStatus.RESOLVED, CaseStatus.CLOSED], then=Value("met")),
        When(status=CaseStatus.PENDING, then=Value("paused")),
        When(next_due_at__isnull=True, then=Value("none")),
        When(next_due_at__lte=now + DUE_SOON, then=Value("due_soon")),
        default=Value("on_track"),
    )
    return case_list(now).annotate(next_due_at=next_due).annotate(sla_state=state)


def case_work_queue(*, user, now: datetime | None = None) -> QuerySet[Case]:
    """A user's open cases (any origin, survey follow-ups included), the next SLA due first."""
    return (
        case_list_sla(now)
        .filter(assignee=user, status__in=OPEN_CASE_STATUSES)
        .order_by(F("next_due_at").asc(nulls_last=True), "opened_at", "id")
    )


def cases_assigned_since(*, user, since: datetime, now: datetime | None = None) -> QuerySet[Case]:
    """A user's open cases assigned to them after `since`, newest assignment first."""
    return (
        case_list_sla(now)
        .filter(assignee=user, status__in=OPEN_CASE_STATUSES, assigned_at__gt=since)
        .order_by("-assigned_at", "-id")
    )


def cases_new_for(*, user, since: datetime, now: datetime | None = None) -> QuerySet[Case]:
    """A user's open cases assigned to them after `since` that they have not seen since (opened the case's
    page or marked it seen: CaseSeen), newest assignment first. A reload of My work changes nothing."""
    seen = CaseSeen.objects.filter(user=user, case=OuterRef("pk"), seen_at__gte=OuterRef("assigned_at"))
    return cases_assigned_since(user=user, since=since, now=now).exclude(Exists(seen))


def case_thread(*, case: Case, limit: int = 200) -> list[Interaction]:
    """The conversation of a case: its interactions but the system's "case update" entries (the history
    shows those), oldest first as a helpdesk thread reads; the newest `limit` when there are more."""
    rows = list(
        Interaction.objects.filter(case=case)
        .exclude(type=InteractionType.CASE_UPDATE)
        .select_related("agent", "touchpoint")
        .order_by("-occurred_at", "-id")[:limit]
    )
    return rows[::-1]


def case_history(*, case: Case) -> QuerySet[CaseChange]:
    """Every change of a case (CaseChange), oldest first, with who made it."""
    return CaseChange.objects.filter(case=case).select_related("changed_by").order_by("changed_at", "id")


def workspace_last_visit(*, user) -> datetime | None:
    return WorkspaceVisit.objects.filter(user=user).values_list("seen_at", flat=True).first()


# Interactions that are no contact on a channel: survey answers (counted on a row of their own) and the
# system's case updates (a case's history on the timeline).
NOT_CHANNEL_CONTACT = (InteractionType.SURVEY_RESPONSE, InteractionType.CASE_UPDATE)


@dataclass
class ChannelFigures:
    channels: list[dict]  # [{channel, n}], most used first; survey answers and case updates not counted
    survey_answers: int  # survey answers in the same period, whatever channel they came back on


def customer_channel_counts(*, customer: Customer, since: datetime) -> ChannelFigures:
    """A customer's contacts since `since` by channel, most used channel first, and their survey answers
    apart (an answer is no "Web" contact); case updates are not counted. One query."""
    answer = Q(type=InteractionType.SURVEY_RESPONSE)
    rows = list(
        Interaction.objects.filter(customer=customer, occurred_at__gte=since)
        .exclude(type=InteractionType.CASE_UPDATE)
        .order_by()
        .values("channel")
        .annotate(n=Count("pk", filter=~answer), answers=Count("pk", filter=answer))
    )
    channels = sorted(
        ({"channel": row["channel"], "n": row["n"]} for row in rows if row["n"]), key=lambda r: (-r["n"], r["channel"])
    )
    return ChannelFigures(channels=channels, survey_answers=sum(row["answers"] for row in rows))


def customer_cases(*, customer: Customer) -> QuerySet[Case]:
    """A customer's cases, newest first, with just what choice lists need."""
    return (
        Case.objects.filter(customer=customer)
        .only("id", "subject", "status", "customer_id")
        .order_by("-opened_at", "-id")
    )


def customer_open_cases(*, customer: Customer, now: datetime | None = None) -> QuerySet[Case]:
    return (
        case_list_sla(now)
        .filter(customer=customer, status__in=OPEN_CASE_STATUSES)
        .order_by(F("next_due_at").asc(nulls_last=True), "id")
    )


def customer_cases_and_open_cases(*, customer: Customer, now: datetime | None = None) -> tuple[list[Case], list[Case]]:
    """(every case of the customer, newest first; its open ones, the next SLA due first), in one query.

    The cases carry what customer_open_cases gives them (assignee, `is_breached`, `next_due_at`,
    `sla_state`) but not their long texts (description, resolution note), so a customer with hundreds of cases
    costs one short read instead of the two queries of customer_cases and customer_open_cases.
    """
    cases = list(
        case_list_sla(now)
        .filter(customer=customer)
        .select_related(None)
        .select_related("assignee")
        .defer("description", "resolution_note")
        .order_by("-opened_at", "-id")
    )
    never = datetime.max.replace(tzinfo=UTC)
    open_cases = sorted(
        (case for case in cases if case.status in OPEN_CASE_STATUSES),
        key=lambda case: (case.next_due_at or never, case.pk),
    )
    return cases, open_cases


def customer_resolved_cases(*, customer: Customer, limit: int = 10) -> list[Case]:
    """A customer's latest resolved or closed cases, the last resolved first, with their assignee (one query)."""
    return list(
        Case.objects.filter(customer=customer, status__in=[CaseStatus.RESOLVED, CaseStatus.CLOSED])
        .select_related("assignee")
        .order_by(F("resolved_at").desc(nulls_last=True), "-id")[:limit]
    )


def customer_merge_suggestions(*, customer: Customer) -> QuerySet[MergeSuggestion]:
    """Open suggestions that involve this customer (either side)."""
    return merge_suggestion_list().filter(Q(customer=customer) | Q(other=customer))


def customer_undoable_merges(*, customer: Customer) -> QuerySet[MergeRecord]:
    """Merges into this customer that were not undone, newest first."""
    return merge_record_list().filter(survivor=customer, undone_at__isnull=True)


def case_work_summary(*, user, now: datetime | None = None) -> dict:
    """{total, breached, due_soon} of a user's open cases, counted in SQL."""
    return case_work_queue(user=user, now=now).aggregate(
        total=Count("pk"),
        breached=Count("pk", filter=Q(sla_state="breached")),
        due_soon=Count("pk", filter=Q(sla_state="due_soon")),
    )


# --------------------------------------------------------------------------- lifecycle: churn counts

# Periods read in one query; more are read in this many at a time (a year of days is 4 queries).
CHURN_PERIODS_PER_QUERY = 100


@dataclass(frozen=True)
class ChurnCount:
    """One period's (and group's) churn counts: customers in an active stage (ACTIVE_STAGES) just before the
    period's start, and those of them who entered `churned` during it."""

    active_at_start: int = 0
    churned: int = 0


def lifecycle_churn_counts(
    *,
    periods: list[tuple[datetime, datetime]],
    customers: QuerySet | None = None,
    group_by=None,
    as_of: datetime | None = None,
) -> dict[tuple[int, object], ChurnCount]:
    """Churn counts for many periods at once, from the stage intervals (LifecycleChange.valid_to and
    next_churned_at).

    `periods`: [low, high) instants, each non-empty (a ValueError otherwise); they may overlap (a quarter and
    its weeks in one query). `customers`: a Customer queryset (or a queryset of customer ids) to count among,
    e.g. one persona's; customers folded into another by a merge never count. `group_by`: a path from a
    customer (`"persona_id"`) or an expression over a lifecycle change whose customer is `customer_id` (a
    Subquery with OuterRef("customer_id")), for a breakdown; None for one group. `as_of`: as things stood
    then — the customers created and the stage moves made by then (the figures stored by the rollups).
    Returns {(period index, group value or None): ChurnCount} for the (period, group) pairs with at least one
    active customer at the start.

    One query per CHURN_PERIODS_PER_QUERY periods whatever the number of customers: one scan of the active
    intervals that reach into the range of starts, with two conditional counts per period (those holding its
    start; those of them whose `next_churned_at` falls before its end).
    """
    if any(low >= high for low, high in periods):
        raise ValueError("a churn period must end after it starts")
    counts: dict[tuple[int, object], ChurnCount] = {}
    for offset in range(0, len(periods), CHURN_PERIODS_PER_QUERY):
        chunk = periods[offset : offset + CHURN_PERIODS_PER_QUERY]
        for (index, group), (active, churned) in _churn_chunk(chunk, customers, group_by, as_of).items():
            counts[(offset + index, group)] = ChurnCount(active_at_start=active, churned=churned)
    return counts


def _churn_chunk(periods, customers, group_by, as_of) -> dict[tuple[int, object], tuple[int, int]]:
    """One scan of the active intervals that reach into the range of starts: for each period, a conditional
    count of those holding its start (active at it) and of those among them whose customer next entered
    churned before its end (`next_churned_at`: every later change is after the start)."""
    # Customers left out — folded into another, or created after `as_of` — are few: a hashed NOT IN through
    # their indexes rather than a join with every customer.
    left_out = Q(merged_into__isnull=False)
    if as_of is not None:
        left_out |= Q(created_at__gt=as_of)
    rows = LifecycleChange.objects.exclude(customer_id__in=Customer.objects.filter(left_out).values("pk")).order_by()
    if as_of is not None:
        rows = rows.filter(changed_at__lte=as_of)
    if customers is not None:
        rows = rows.filter(customer_id__in=customers.values("pk") if customers.model is Customer else customers)
    if group_by is not None:
        rows = rows.annotate(_group=F(f"customer__{group_by}") if isinstance(group_by, str) else group_by)
    lows = [low for low, _high in periods]
    counts = {}
    for i, (low, high) in enumerate(periods):
        # The rows are the changes made by `as_of`; for a start at or before it, an interval closed after it
        # (valid_to > as_of >= low) already passes valid_to >= low: the plain condition, cheaper per row.
        held = stage_before_condition(low, as_of=as_of if as_of is not None and as_of < low else None)
        churned = Q(next_churned_at__lt=high)
        if as_of is not None:
            churned &= Q(next_churned_at__lte=as_of)
        counts[f"a{i}"] = Count("pk", filter=held)
        counts[f"c{i}"] = Count("pk", filter=held & churned)
    reach = Q(valid_to__gte=min(lows)) | Q(valid_to__isnull=True)
    if as_of is not None:
        reach |= Q(valid_to__gt=as_of)
    active = rows.filter(reach, to_stage__in=ACTIVE_STAGES, changed_at__lt=max(lows))
    grouped = active.values("_group").annotate(**counts) if group_by is not None else [active.aggregate(**counts)]
    result: dict[tuple[int, object], tuple[int, int]] = {}
    for row in grouped:
        for i in range(len(periods)):
            if row[f"a{i}"]:
                result[(i, row.get("_group"))] = (row[f"a{i}"], row[f"c{i}"])
    return result
