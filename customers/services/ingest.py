"""Ingestion of interactions from any channel: one at a time (API, pages) or in batches (bulk API, import).

Every service here takes InteractionInput values (ingest_input.py): checked and normalised once, by the
parser all doors share; nothing here parses or validates them again. What is checked here needs the
customer resolved: an unknown customer_id, an unknown case or a case of another customer.

Identity resolution: the identities given are looked up; the interaction goes to the customer named by
`customer_id`, else to the owner of the first known identity given, else to a new customer. Identities
not yet known are attached to that customer. Identities owned by other customers are never merged
silently: a MergeSuggestion is recorded.

Idempotency: (source, external_id) is unique; the same key again returns the
existing interaction and changes nothing. Two concurrent ingestions of one new
identity end with one customer: the identity's unique constraint makes the loser's
insert fail inside a savepoint, and it retries the resolution, now finding the
winner's customer.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext

from cxcrm.db import rows_insert, statement_run
from cxcrm.outbox import outbox_record

from ..choices import Direction, InteractionType, SuggestionStatus
from ..identities import NormalisedIdentity
from ..models import Case, Customer, Identity, Interaction, MergeSuggestion
from ..signals import INTERACTIONS_RECORDED, interaction_recorded
from ..summaries import conflict_reason
from .customers import identities_owned
from .ingest_input import FieldErrors, InteractionInput
from .lifecycle import lifecycle_change_record, lifecycle_initial_changes_record

logger = logging.getLogger(__name__)

RESOLVE_ATTEMPTS = 3

# --------------------------------------------------------------------------- shared steps


def _resolve_ids(customer_ids: Iterable[int]) -> dict[int, int]:
    """Map customer ids to their survivors' ids (folded customers follow merged_into), in few queries.
    An id whose survivor was erased is left out, as an unknown one: nothing new attaches to an erased customer."""
    pending = set(customer_ids)
    resolved: dict[int, int] = {}
    parent, erased = {}, set()

    def read(ids):
        for pk, merged_into_id, is_erased in Customer.objects.filter(pk__in=ids).values_list(
            "pk", "merged_into_id", "erased"
        ):
            parent[pk] = merged_into_id
            if is_erased:
                erased.add(pk)

    read(pending)
    for _ in range(20):
        missing = {p for p in parent.values() if p is not None and p not in parent}
        if not missing:
            break
        read(missing)
    for pk in pending:
        if pk not in parent:
            continue
        current, hops = pk, 0
        while parent.get(current) is not None and hops < 20:
            current, hops = parent[current], hops + 1
        if current not in erased:
            resolved[pk] = current
    return resolved


def _touch_contact(customer_ids: Iterable[int], occurred_at: datetime) -> None:
    """Widen first/last contact of these customers to `occurred_at`."""
    customer_ids = list(customer_ids)
    if not customer_ids:
        return
    first, last = Value(occurred_at), Value(occurred_at)
    Customer.objects.filter(pk__in=customer_ids).update(
        first_contact_at=Least(Coalesce(F("first_contact_at"), first), first),
        last_contact_at=Greatest(Coalesce(F("last_contact_at"), last), last),
        updated_at=timezone.now(),
    )


def _suggest_merge(*, customer_id: int, other_id: int, reason: str, interaction: Interaction | None) -> None:
    """Record an open merge suggestion between two customers unless one exists (either way round)."""
    if customer_id == other_id:
        return
    open_pair = MergeSuggestion.objects.filter(status=SuggestionStatus.OPEN).filter(
        Q(customer_id=customer_id, other_id=other_id) | Q(customer_id=other_id, other_id=customer_id)
    )
    if open_pair.exists():
        return
    try:
        with transaction.atomic():
            MergeSuggestion.objects.create(
                customer_id=customer_id, other_id=other_id, reason=reason[:300], interaction=interaction
            )
    except IntegrityError:  # recorded concurrently
        pass


def _conflict_reason(identities: Sequence[NormalisedIdentity]) -> str:
    return conflict_reason(identities)


def _first_response_from(interaction: Interaction) -> None:
    """An outbound interaction by an agent on a case is the case's first response if nothing came earlier."""
    if interaction.case_id and interaction.agent_id and interaction.direction == Direction.OUTBOUND:
        Case.objects.filter(pk=interaction.case_id).filter(
            Q(first_response_at__isnull=True) | Q(first_response_at__gt=interaction.occurred_at)
        ).update(first_response_at=interaction.occurred_at, updated_at=timezone.now())


def _new_customer(details: dict, at: datetime) -> Customer:
    customer = Customer.objects.create(**details)
    lifecycle_change_record(customer=customer, from_stage="", to_stage=customer.lifecycle_stage, at=at, initial=True)
    return customer


def _interaction_new(data: InteractionInput, live: bool) -> Interaction:
    """The (unsaved) row of an input, without its customer and case.

    Built with the model's positional constructor (the one Django uses for rows read from the database), a
    third of the keyword constructor's cost, which a 1,000-item batch pays 1,000 times; a field the input does
    not set gets its default."""
    values = {
        "channel": data.channel,
        "network": data.network,
        "direction": data.direction,
        "type": data.type,
        "occurred_at": data.occurred_at,
        "summary": data.summary,
        "body": data.body,
        "touchpoint_key": data.touchpoint_key,
        "campaign": data.campaign,
        "source": data.source,
        "external_id": data.external_id,
        "metadata": data.metadata,
        "live": live,
    }
    interaction = Interaction(*[values[name] if name in values else default() for name, default in _row_defaults()])
    if data.agent is not None:
        interaction.agent = data.agent
    if data.touchpoint is not None:
        interaction.touchpoint = data.touchpoint
    return interaction


@cache
def _row_defaults() -> list[tuple[str, Callable[[], object]]]:
    """(attname, default) of each of Interaction's concrete fields, in the order of its positional constructor."""
    return [(field.attname, field.get_default) for field in Interaction._meta.concrete_fields]


def _target(data: InteractionInput, survivors: dict[int, int], owner_of: dict[NormalisedIdentity, int]) -> int | None:
    """The id of the customer an input goes to (None: a new one), given the survivors of the customer ids
    involved and the (survivor) owners of its known identities. Raises ValidationError for an unknown customer_id."""
    if data.customer_id is not None:
        if data.customer_id not in survivors:
            raise ValidationError({"customer_id": [gettext("No customer with id %(id)s.") % {"id": data.customer_id}]})
        return survivors[data.customer_id]
    return next((owner_of[key] for key in data.identities if key in owner_of), None)


def _case_owners(case_ids: Iterable[int]) -> dict[int, int]:
    """{case id: its customer's survivor id} for the cases that exist among these (a few queries)."""
    case_ids = set(case_ids)
    if not case_ids:
        return {}
    customer_of = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "customer_id"))
    survivors = _resolve_ids(customer_of.values())
    return {pk: survivors[customer_id] for pk, customer_id in customer_of.items() if customer_id in survivors}


def _case_check(data: InteractionInput, target: int | None, case_owners: dict[int, int]) -> None:
    """Raises ValidationError unless the input's case (if any) exists and belongs to customer `target`."""
    if data.case_id is None:
        return
    if data.case_id not in case_owners:
        raise ValidationError({"case": [gettext("No case with id %(id)s.") % {"id": data.case_id}]})
    if target is None or case_owners[data.case_id] != target:
        raise ValidationError({"case": [gettext("Case #%(id)s belongs to another customer.") % {"id": data.case_id}]})


# --------------------------------------------------------------------------- one interaction


@dataclass(frozen=True)
class IngestResult:
    interaction: Interaction
    created: bool
    customer_created: bool = False


def _resolve_customer(data: InteractionInput, at: datetime) -> tuple[Customer, bool, list[int]]:
    """Find or create the customer and attach unknown identities; (customer, created, other owners' ids).

    Raises ValidationError for an unknown customer_id or case, or a case of another customer.
    """
    owned, rows = _owners_with_rows(data)
    survivors = _survivors_of(set(owned.values()) | {data.customer_id} - {None}, rows)
    owner_of = {key: survivors[customer_id] for key, customer_id in owned.items() if customer_id in survivors}
    target_id = _target(data, survivors, owner_of)
    _case_check(data, target_id, _case_owners([data.case_id] if data.case_id else []))
    owners = []
    for key in data.identities:
        owner = owner_of.get(key)
        if owner is not None and owner != target_id and owner not in owners:
            owners.append(owner)
    created = target_id is None
    if created:
        customer = _new_customer(data.customer_details, at)
    else:
        customer = rows.get(target_id) or Customer.objects.get(pk=target_id)
    for key in data.identities:
        if key not in owned:
            Identity.objects.create(customer=customer, kind=key.kind, network=key.network, value=key.value)
    return customer, created, owners


def _owners_with_rows(data: InteractionInput) -> tuple[dict[NormalisedIdentity, int], dict[int, Customer]]:
    """({stored identity: its customer's id}, {customer id: its row}) for one input: the identities with their
    customers in one join, and the row of its customer_id in one more query when no identity named it."""
    owned = identities_owned(data.identities)
    rows = {identity.customer_id: identity.customer for identity in owned.values()}
    if data.customer_id is not None and data.customer_id not in rows:
        rows.update((row.pk, row) for row in Customer.objects.filter(pk=data.customer_id))
    return {key: identity.customer_id for key, identity in owned.items()}, rows


def _survivors_of(customer_ids: set[int], rows: dict[int, Customer]) -> dict[int, int]:
    """_resolve_ids from rows already read: a customer neither folded nor erased is its own survivor (no query);
    the others (folded, unknown) are resolved as _resolve_ids does."""
    survivors = {
        pk: pk for pk in customer_ids if pk in rows and rows[pk].merged_into_id is None and not rows[pk].erased
    }
    rest = {pk for pk in customer_ids if pk not in survivors and not (pk in rows and rows[pk].erased)}
    return {**survivors, **(_resolve_ids(rest) if rest else {})}


def interaction_ingest(*, data: InteractionInput, live: bool = True) -> IngestResult:
    """Store one interaction, resolving (and if needed creating) its customer.

    `data` comes from ingest_input (interaction_input_parse): its customer_id names an existing customer
    (a folded one resolves to its survivor); its customer_details fill a customer created here.
    `live` is False for history (imports, demo data), carried by `interaction_recorded`.

    Returns IngestResult(interaction, created, customer_created); created=False when
    (source, external_id) was already stored (nothing changes then).
    Raises ValidationError by field: unknown customer_id, unknown case or a case of another customer.
    """
    now = timezone.now()
    # No lookup of (source, external_id) first: the unique constraint answers a replay (its insert fails, the
    # attempt rolls back, the stored row is returned), so a new interaction costs no query for it. The same
    # failure on an identity another request attached meanwhile starts the attempt again, resolving anew.
    for attempt in range(RESOLVE_ATTEMPTS):
        interaction = _interaction_new(data, live)
        try:
            with transaction.atomic():
                customer, customer_created, others = _resolve_customer(data, min(now, data.occurred_at))
                interaction.customer = customer
                interaction.case_id = data.case_id
                interaction.save()
                for other_id in others:
                    _suggest_merge(
                        customer_id=customer.pk,
                        other_id=other_id,
                        reason=_conflict_reason(data.identities),
                        interaction=interaction,
                    )
                _touch_contact([customer.pk], interaction.occurred_at)
                at = interaction.occurred_at
                customer.first_contact_at = min(filter(None, [customer.first_contact_at, at]))
                customer.last_contact_at = max(filter(None, [customer.last_contact_at, at]))
                _first_response_from(interaction)
                _record_work([interaction])
                transaction.on_commit(
                    lambda interaction=interaction: interaction_recorded.send(
                        sender=Interaction, interaction=interaction, live=interaction.live
                    )
                )
        except IntegrityError:
            existing = _existing(data.source, data.external_id)
            if existing is not None:
                return IngestResult(existing, False)
            if attempt == RESOLVE_ATTEMPTS - 1:
                raise
            continue
        except ValidationError:
            # A replay is answered with what was stored even if its customer or case has gone since.
            existing = _existing(data.source, data.external_id)
            if existing is not None:
                return IngestResult(existing, False)
            raise
        return IngestResult(interaction, True, customer_created)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _record_work(interactions: Sequence[Interaction]) -> None:
    """Record, in the current transaction, the background work of new live interactions: one outbox row
    (event INTERACTIONS_RECORDED, payload {"interaction_ids": [...]}) for the whole batch. History and
    survey answers start nothing."""
    ids = [i.pk for i in interactions if i.live and i.type != InteractionType.SURVEY_RESPONSE]
    if ids:
        outbox_record(event=INTERACTIONS_RECORDED, payload={"interaction_ids": ids})


def _existing(source: str, external_id: str) -> Interaction | None:
    if not external_id:
        return None
    return Interaction.objects.by_external_key(source, external_id).select_related("customer").first()


# --------------------------------------------------------------------------- batches (bulk API, import)


@dataclass
class BatchResult:
    """What became of one item of a batch; `ref` is the caller's (an array index, a line number).

    `attempts` is how many times the item's customer was resolved: 1, or more when a concurrent writer stored
    one of its new identities first and the item was resolved again (only such items are)."""

    ref: object
    status: str  # "created", "existing" or "error"
    interaction: Interaction | None = None
    customer_created: bool = False
    errors: FieldErrors | None = None
    attempts: int = 1


@dataclass
class ImportSummary:
    created: int = 0
    existing: int = 0
    customers_created: int = 0
    errors: list[tuple[int, FieldErrors]] = field(default_factory=list)  # (line number, {field: [messages]})

    @property
    def processed(self) -> int:
        return self.created + self.existing + len(self.errors)


@dataclass
class _Pending:
    """An item of a batch on its way in: its place in the batch, the caller's ref, its input and its row."""

    position: int
    ref: object
    data: InteractionInput
    interaction: Interaction


def interactions_ingest_batch(items: Iterable[tuple[object, InteractionInput]], *, live: bool) -> list[BatchResult]:
    """Ingest several interactions as `interaction_ingest` would one after the other, set-based: the batch is one
    transaction (a database failure midway stores none of it) and takes the same few queries whatever its size.

    `items`: (ref, InteractionInput) pairs, in order; a later item sees the customers and identities an
    earlier one made, and repeats an earlier item's (source, external_id) as "existing".
    Returns one BatchResult per item, in order. Each item is all-or-nothing: a bad one is an "error" with
    field messages and leaves nothing behind. New identities are inserted with INSERT … ON CONFLICT DO NOTHING:
    when a concurrent writer stored one of them first, only the items that depend on it (the items of the
    customer it was to create, or that gave it) are resolved again, finding the writer's customer; the rest of
    the batch is stored as resolved. Only when the interactions themselves collide (the same key sent by two
    requests at once) is the batch rolled back and its new items ingested one by one.
    """
    items = list(items)
    if not items:
        return []
    with transaction.atomic():
        return _ingest_batch(items, live)


def _ingest_batch(items: list[tuple[object, InteractionInput]], live: bool) -> list[BatchResult]:
    pending = [
        _Pending(position, ref, data, _interaction_new(data, live)) for position, (ref, data) in enumerate(items)
    ]
    results: dict[int, BatchResult] = {}

    # Already stored (a retried request, a re-run import): one query per source.
    by_source: dict[str, set[str]] = {}
    for p in pending:
        if p.data.external_id:
            by_source.setdefault(p.data.source, set()).add(p.data.external_id)
    stored: dict[tuple[str, str], Interaction] = {}
    for source, ids in by_source.items():
        for row in Interaction.objects.by_external_key(source, ids).only("pk", "customer_id", "external_id"):
            stored[(source, row.external_id)] = row
    fresh: list[_Pending] = []
    repeats: list[tuple[_Pending, int]] = []  # (item, position of the first item with its key)
    first_with: dict[tuple[str, str], int] = {}
    for p in pending:
        key = (p.data.source, p.data.external_id)
        if p.data.external_id and key in stored:
            results[p.position] = BatchResult(p.ref, "existing", interaction=stored[key])
        elif p.data.external_id and key in first_with:
            repeats.append((p, first_with[key]))
        else:
            if p.data.external_id:
                first_with[key] = p.position
            fresh.append(p)

    if fresh:
        try:
            with transaction.atomic():
                results.update(_ingest_rounds(fresh, live))
        except IntegrityError:
            logger.warning("a batch collided with a concurrent writer; ingesting its items one by one")
            for p in fresh:
                results[p.position] = _ingest_one(p, live)
    for p, first in repeats:
        earlier = results[first]
        if earlier.status == "error":  # nothing was stored under this key: this item is tried on its own
            results[p.position] = _ingest_one(p, live)
        else:
            results[p.position] = BatchResult(p.ref, "existing", interaction=earlier.interaction)
    return [results[position] for position in sorted(results)]


def _ingest_rounds(fresh: list[_Pending], live: bool) -> dict[int, BatchResult]:
    """Resolve and store the new items; the items a concurrent writer's identities sent back are resolved again
    (RESOLVE_ATTEMPTS rounds in all, then one by one)."""
    results: dict[int, BatchResult] = {}
    todo = fresh
    for attempt in range(1, RESOLVE_ATTEMPTS + 1):
        done, todo = _ingest_resolved(todo, attempt)
        results.update(done)
        if not todo:
            return results
        logger.info("%d item(s) of a batch met identities a concurrent writer stored; resolving them again", len(todo))
    for p in todo:
        results[p.position] = _ingest_one(p, live)
        results[p.position].attempts = RESOLVE_ATTEMPTS + 1
    return results


def _ingest_one(p: _Pending, live: bool) -> BatchResult:
    try:
        result = interaction_ingest(data=p.data, live=live)
    except ValidationError as exc:
        return BatchResult(p.ref, "error", errors=exc.message_dict)
    return BatchResult(
        p.ref, "created" if result.created else "existing", result.interaction, customer_created=result.customer_created
    )


def _owners(keys: Iterable[NormalisedIdentity]) -> dict[NormalisedIdentity, int]:
    """{identity: its customer's id} for the stored identities among these (one query over the value index,
    reading four columns, not the customers)."""
    keys = set(keys)
    if not keys:
        return {}
    rows = Identity.objects.filter(value__in={key.value for key in keys}).values_list(
        "kind", "network", "value", "customer_id"
    )
    found = {}
    for kind, network, value, customer_id in rows.order_by():
        key = NormalisedIdentity(kind, network, value)
        if key in keys:
            found[key] = customer_id
    return found


# Rows per INSERT … ON CONFLICT statement (6 parameters a row: within SQLite's 32,766 and PostgreSQL's 65,535).
IDENTITY_INSERT_ROWS = 2000


def _identities_insert(new: dict[NormalisedIdentity, int]) -> set[NormalisedIdentity]:
    """Insert identities {key: customer id} unless stored already (INSERT … ON CONFLICT DO NOTHING, in key order
    so that two batches wait on each other's keys in one order, never in a cycle); returns the keys inserted.
    A key missing from the answer was stored by a concurrent writer (PostgreSQL waits for its commit first).
    PostgreSQL takes the rows as four arrays (one statement whatever the batch's size); SQLite as VALUES rows."""
    if not new:
        return set()
    table = connection.ops.quote_name(Identity._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    columns = "customer_id, kind, network, value, raw_value, created_at"
    conflict = "ON CONFLICT (kind, network, value) DO NOTHING RETURNING kind, network, value"
    ordered = sorted(new.items())
    if connection.vendor == "postgresql":
        answer = statement_run(
            f"INSERT INTO {table} ({columns}) SELECT c, k, n, v, '', %s "
            "FROM UNNEST(%s::bigint[], %s::text[], %s::text[], %s::text[]) WITH ORDINALITY AS u(c, k, n, v, o) "
            f"ORDER BY o {conflict}",
            [now, [c for _, c in ordered], *(list(part) for part in zip(*(key for key, _ in ordered), strict=True))],
        )
        return {NormalisedIdentity(*row) for row in answer}
    inserted = set()
    for start in range(0, len(ordered), IDENTITY_INSERT_ROWS):
        chunk = ordered[start : start + IDENTITY_INSERT_ROWS]
        rows = ", ".join(["(%s, %s, %s, %s, '', %s)"] * len(chunk))
        params = [part for key, customer_id in chunk for part in (customer_id, *key, now)]
        answer = statement_run(f"INSERT INTO {table} ({columns}) VALUES {rows} {conflict}", params)
        inserted.update(NormalisedIdentity(*row) for row in answer)
    return inserted


def _rows_delete(model, column: str, ids: list[int]) -> None:
    """DELETE the model's rows whose `column` is among `ids`, in SQL (rows this transaction made, that nothing
    refers to: no cascade to collect)."""
    table, column = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(ids))})", ids)


def _contact_extend(spans: dict[int, tuple[datetime, datetime]]) -> None:
    """Widen the customers' first and last contact to {customer id: (earliest, latest)} of the batch's own
    interactions: one UPDATE joined with the batch's values (no scan of the customers' history), in id order."""
    if not spans:
        return
    ops = connection.ops
    table = ops.quote_name(Customer._meta.db_table)
    ordered = sorted(spans.items())
    now = ops.adapt_datetimefield_value(timezone.now())
    if connection.vendor == "postgresql":
        span = "UNNEST(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS span(id, first_at, last_at)"
        least, greatest, params = "LEAST", "GREATEST", [[pk for pk, _ in ordered]]
        params += [[first for _, (first, _) in ordered], [last for _, (_, last) in ordered]]
        prefix, source = "", span
    else:
        rows = ", ".join(["(%s, %s, %s)"] * len(ordered))
        least, greatest = "MIN", "MAX"
        params = [
            part
            for pk, (first, last) in ordered
            for part in (pk, ops.adapt_datetimefield_value(first), ops.adapt_datetimefield_value(last))
        ]
        prefix, source = f"WITH span (id, first_at, last_at) AS (VALUES {rows}) ", "span"
    statement_run(
        f"{prefix}UPDATE {table} SET "
        f"first_contact_at = {least}(COALESCE(first_contact_at, span.first_at), span.first_at), "
        f"last_contact_at = {greatest}(COALESCE(last_contact_at, span.last_at), span.last_at), "
        f"updated_at = %s FROM {source} WHERE {table}.id = span.id",
        [*params, now] if prefix else [now, *params],
    )


def _ingest_resolved(fresh: list[_Pending], attempt: int) -> tuple[dict[int, BatchResult], list[_Pending]]:
    """Resolve customers for new items with bulk lookups, then insert customers, identities and interactions in
    bulk. Returns (results, the items to resolve again: those a concurrent writer's identities took)."""
    now = timezone.now()
    owner_ids = _owners({key for p in fresh for key in p.data.identities})
    survivors = _resolve_ids(set(owner_ids.values()) | {p.data.customer_id for p in fresh} - {None})
    owner_of: dict[NormalisedIdentity, int] = {
        key: survivors[customer_id] for key, customer_id in owner_ids.items() if customer_id in survivors
    }
    case_owners = _case_owners({p.data.case_id for p in fresh} - {None})

    results: dict[int, BatchResult] = {}
    # Items whose customer is created in this batch point at a placeholder (negative) id until the bulk insert.
    new_customers: list[Customer] = []
    rows: list[tuple[_Pending, int]] = []
    new_identities: dict[NormalisedIdentity, int] = {}
    suggestions: list[tuple[_Pending, int, int]] = []  # (item, its customer, the other owner)
    creators: set[int] = set()  # positions of the items that create their customer
    for p in fresh:
        try:
            target = _target(p.data, survivors, owner_of)
            _case_check(p.data, target, case_owners)
        except ValidationError as exc:
            results[p.position] = BatchResult(p.ref, "error", errors=exc.message_dict, attempts=attempt)
            continue
        if target is None:
            new_customers.append(Customer(**p.data.customer_details))
            target = -len(new_customers)
            creators.add(p.position)
        for key in p.data.identities:
            owner = owner_of.get(key)
            if owner is None:
                owner_of[key] = target
                new_identities[key] = target
            elif owner != target:
                suggestions.append((p, target, owner))
        rows.append((p, target))

    for customer in new_customers:
        customer.search_name = customer.search_name_of()
    rows_insert(Customer, new_customers)

    def real(customer_ref: int) -> int:
        return new_customers[-customer_ref - 1].pk if customer_ref < 0 else customer_ref

    # The new identities; those a concurrent writer stored first send back the items that depend on them.
    taken = set(new_identities) - _identities_insert({key: real(ref) for key, ref in new_identities.items()})
    retry: list[_Pending] = []
    if taken:
        lost = {new_identities[key] for key in taken if new_identities[key] < 0}  # customers not to create
        again = {p.position for p, target in rows if target in lost or any(key in taken for key in p.data.identities)}
        again |= {p.position for p, _, other in suggestions if other in lost}
        retry = [p for p, _ in rows if p.position in again]
        rows = [(p, target) for p, target in rows if p.position not in again]
        suggestions = [s for s in suggestions if s[0].position not in again]
        if lost:  # made in this transaction only: nobody else has seen them
            _rows_delete(Identity, "customer_id", [real(ref) for ref in lost])
            _rows_delete(Customer, "id", [real(ref) for ref in lost])

    first_seen: dict[int, datetime] = {}
    spans: dict[int, tuple[datetime, datetime]] = {}
    for p, target in rows:
        at = p.data.occurred_at
        if target < 0:
            first_seen[target] = min(first_seen.get(target, at), at)
        first, last = spans.get(real(target), (at, at))
        spans[real(target)] = (min(first, at), max(last, at))
    made = [(new_customers[-ref - 1], at) for ref, at in sorted(first_seen.items(), reverse=True)]
    lifecycle_initial_changes_record((c, c.lifecycle_stage, min(now, at)) for c, at in made)
    interactions = []
    for p, target in rows:
        p.interaction.customer_id = real(target)
        p.interaction.case_id = p.data.case_id
        interactions.append(p.interaction)
        created = p.position in creators
        results[p.position] = BatchResult(p.ref, "created", p.interaction, customer_created=created, attempts=attempt)
    rows_insert(Interaction, interactions)
    for p, target, owner in suggestions:
        _suggest_merge(
            customer_id=real(target),
            other_id=real(owner),
            reason=_conflict_reason(p.data.identities),
            interaction=p.interaction,
        )
    _contact_extend(spans)
    for interaction in interactions:
        _first_response_from(interaction)

    _record_work(interactions)

    def send():
        for interaction in interactions:
            interaction_recorded.send(sender=Interaction, interaction=interaction, live=interaction.live)

    transaction.on_commit(send)
    return results, retry


def interactions_import(
    rows: Iterable[tuple[int, InteractionInput | FieldErrors]],
    *,
    chunk_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import history: rows of (line number, InteractionInput or that line's field errors), in chunks.

    Rows come from importfile.inputs_read (parsed, each with an external_id so that re-importing a
    file creates nothing). Interactions are recorded with live=False. Each chunk resolves identities
    with bulk lookups in one transaction; valid rows are kept, invalid ones reported with their line
    number. A chunk the database refuses (a value the parser let through) is rolled back and stored again
    row by row, so only the rows the database refuses on their own are lost, each an error on the field
    "row". `progress(n)` is called with the rows done.
    """
    summary = ImportSummary()
    chunk: list[tuple[int, InteractionInput]] = []
    done = 0

    def flush():
        nonlocal done
        for result in _import_chunk(chunk):
            if result.status == "error":
                summary.errors.append((result.ref, result.errors))
            elif result.status == "existing":
                summary.existing += 1
            else:
                summary.created += 1
                summary.customers_created += result.customer_created
        done += len(chunk)
        chunk.clear()
        if progress:
            progress(done)

    for line, row in rows:
        if isinstance(row, InteractionInput):
            chunk.append((line, row))
            if len(chunk) >= chunk_size:
                flush()
        else:
            summary.errors.append((line, row))
            done += 1
    if chunk:
        flush()
    summary.errors.sort(key=lambda e: e[0])
    return summary


STORE_FAILED = "The database refused this row ({error}); nothing of it was stored."


def _import_chunk(chunk: list[tuple[int, InteractionInput]]) -> list[BatchResult]:
    """interactions_ingest_batch for a chunk of the import; when the database refuses it as a whole, its rows
    are stored one by one (each in a transaction of its own) and those it still refuses are errors."""
    try:
        return interactions_ingest_batch(chunk, live=False)
    except (DatabaseError, ValueError):  # psycopg refuses text it cannot encode with a ValueError
        logger.exception("the database refused an import chunk; storing its %d rows one by one", len(chunk))
    results = []
    for line, data in chunk:
        try:
            results.extend(interactions_ingest_batch([(line, data)], live=False))
        except (DatabaseError, ValueError) as exc:
            logger.exception("the database refused the row of line %s", line)
            error = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            results.append(BatchResult(line, "error", errors={"row": [STORE_FAILED.format(error=error)]}))
    return results
