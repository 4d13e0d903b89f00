"""Ingestion of interactions from any channel: one at a time (API) or in batches (import).

Identity resolution: the identities given are normalised and looked up; the
interaction goes to the customer named by `customer_id`, else to the owner of the
first known identity given, else to a new customer. Identities not yet known are
attached to that customer. Identities owned by other customers are never merged
silently: a MergeSuggestion is recorded.

Idempotency: (source, external_id) is unique; the same key again returns the
existing interaction and changes nothing. Two concurrent ingestions of one new
identity end with one customer: the identity's unique constraint makes the loser's
insert fail inside a savepoint, and it retries the resolution, now finding the
winner's customer.
"""

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from cxcrm.api.exceptions import django_validation_detail

from ..choices import Direction, InteractionType, SuggestionStatus
from ..identities import NormalisedIdentity
from ..models import Case, Customer, Identity, Interaction, LifecycleChange, MergeSuggestion
from ..signals import interaction_recorded
from .customers import DETAIL_FIELDS, customer_fields_clean, identities_normalise, identities_owned

logger = logging.getLogger(__name__)

RESOLVE_ATTEMPTS = 3
IMPORT_SOURCE = "import"

# --------------------------------------------------------------------------- validation


@dataclass
class _Prepared:
    """A validated interaction input, before identity resolution."""

    interaction: Interaction
    identities: list[NormalisedIdentity]
    customer_id: int | None
    details: dict
    case_id: int | None


def _prepare(
    *,
    channel=None,
    occurred_at=None,
    summary=None,
    identities=(),
    customer_id=None,
    customer_details=None,
    body="",
    direction=Direction.INBOUND,
    type=InteractionType.MESSAGE,
    source="api",
    external_id="",
    touchpoint="",
    case=None,
    campaign="",
    metadata=None,
    agent=None,
    live=True,
) -> _Prepared:
    """Validate everything that needs no database (but the touchpoint key); raise ValidationError by field."""
    errors: dict[str, list[str]] = {}

    def text(name, value, default=""):
        if value is None:
            return default
        if not isinstance(value, str):
            errors[name] = ["Must be a string."]
            return default
        return value.strip()

    summary = text("summary", summary)
    body = text("body", body)
    campaign = text("campaign", campaign)
    source = text("source", source) or "api"
    external_id = text("external_id", external_id)
    touchpoint_key = text("touchpoint", touchpoint)
    direction = text("direction", direction) or Direction.INBOUND
    type = text("type", type) or InteractionType.MESSAGE
    channel = text("channel", channel)
    if not summary and "summary" not in errors:
        errors["summary"] = ["Give a short summary."]
    if not channel and "channel" not in errors:
        errors["channel"] = ["Give the channel."]
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        errors["metadata"] = ["Must be a JSON object."]
        metadata = {}

    try:
        normalised = identities_normalise(identities)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        normalised = []

    if customer_id is not None and (isinstance(customer_id, bool) or not isinstance(customer_id, int)):
        if isinstance(customer_id, str) and customer_id.strip().isdigit():
            customer_id = int(customer_id)
        else:
            errors["customer_id"] = [f"“{customer_id}” is not a customer id."]
            customer_id = None
    if customer_id is None and not normalised and "identities" not in errors:
        errors["identities"] = ["Give at least one identity or a customer_id."]

    details: dict = {}
    if customer_details:
        try:
            details = customer_fields_clean(customer_details, allowed=DETAIL_FIELDS)
        except ValidationError as exc:
            errors["customer"] = [f"{name}: {m}" for name, msgs in exc.message_dict.items() for m in msgs]

    case_id = None
    if case is not None and case != "":
        if isinstance(case, Case):
            case_id = case.pk
        elif isinstance(case, int) and not isinstance(case, bool):
            case_id = case
        elif isinstance(case, str) and case.strip().isdigit():
            case_id = int(case)
        else:
            errors["case"] = [f"“{case}” is not a case id."]

    if isinstance(occurred_at, str):
        from django.utils.dateparse import parse_datetime

        try:
            parsed = parse_datetime(occurred_at.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            errors["occurred_at"] = [f"“{occurred_at}” is not a date and time (ISO 8601, e.g. 2024-05-01T14:30:00Z)."]
        occurred_at = parsed
    elif occurred_at is None:
        errors["occurred_at"] = ["Give when it happened."]
    elif not isinstance(occurred_at, datetime):
        errors["occurred_at"] = [f"“{occurred_at}” is not a date and time."]
        occurred_at = None
    if occurred_at is not None and timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)

    interaction = Interaction(
        channel=channel,
        direction=direction,
        type=type,
        occurred_at=occurred_at,
        summary=summary,
        body=body,
        agent=agent,
        touchpoint_key=touchpoint_key,
        campaign=campaign,
        source=source,
        external_id=external_id,
        metadata=metadata,
        live=live,
    )
    checked = {"channel", "direction", "type", "summary", "campaign", "source", "external_id", "touchpoint_key"}
    try:
        interaction.clean_fields(
            exclude=[f.name for f in Interaction._meta.fields if f.name not in checked or f.name in errors]
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault("touchpoint" if name == "touchpoint_key" else name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return _Prepared(interaction, normalised, customer_id, details, case_id)


def _touchpoint(key: str, cache: dict | None = None):
    """The published touchpoint for `key`; raises ValidationError naming an unknown key."""
    from journeys.selectors import touchpoint_for_key

    if not key:
        return None
    if cache is not None and key in cache:
        touchpoint = cache[key]
    else:
        touchpoint = touchpoint_for_key(key)
        if cache is not None:
            cache[key] = touchpoint
    if touchpoint is None:
        raise ValidationError({"touchpoint": [f"Unknown touchpoint key “{key}” (not in a published journey map)."]})
    return touchpoint


# --------------------------------------------------------------------------- shared steps


def _resolve_ids(customer_ids: Iterable[int]) -> dict[int, int]:
    """Map customer ids to their survivors' ids (folded customers follow merged_into), in few queries."""
    pending = set(customer_ids)
    resolved: dict[int, int] = {}
    parent = dict(Customer.objects.filter(pk__in=pending).values_list("pk", "merged_into_id"))
    for _ in range(20):
        missing = {p for p in parent.values() if p is not None and p not in parent}
        if not missing:
            break
        parent.update(Customer.objects.filter(pk__in=missing).values_list("pk", "merged_into_id"))
    for pk in pending:
        if pk not in parent:
            continue
        current, hops = pk, 0
        while parent.get(current) is not None and hops < 20:
            current, hops = parent[current], hops + 1
        resolved[pk] = current
    return resolved


def _touch_contact(customer_ids: Iterable[int], occurred_at: datetime | None = None) -> None:
    """Update first/last contact of these customers: from `occurred_at`, or from their interactions (in SQL)."""
    customer_ids = list(customer_ids)
    if not customer_ids:
        return
    if occurred_at is not None:
        first, last = Value(occurred_at), Value(occurred_at)
    else:
        per_customer = Interaction.objects.filter(customer=OuterRef("pk")).values("customer")
        first = Subquery(per_customer.annotate(m=Min("occurred_at")).values("m")[:1])
        last = Subquery(per_customer.annotate(m=Max("occurred_at")).values("m")[:1])
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


def _conflict_reason(identities: list[NormalisedIdentity]) -> str:
    shown = ", ".join(f"{i.kind} {i.value}" for i in identities[:4])
    return f"Given together on one interaction: {shown}"


def _first_response_from(interaction: Interaction) -> None:
    """An outbound interaction by an agent on a case is the case's first response if nothing came earlier."""
    if interaction.case_id and interaction.agent_id and interaction.direction == Direction.OUTBOUND:
        Case.objects.filter(pk=interaction.case_id).filter(
            Q(first_response_at__isnull=True) | Q(first_response_at__gt=interaction.occurred_at)
        ).update(first_response_at=interaction.occurred_at, updated_at=timezone.now())


def _new_customer(details: dict, at: datetime) -> Customer:
    customer = Customer.objects.create(**details)
    LifecycleChange.objects.create(customer=customer, from_stage="", to_stage=customer.lifecycle_stage, changed_at=at)
    return customer


# --------------------------------------------------------------------------- one interaction


@dataclass(frozen=True)
class IngestResult:
    interaction: Interaction
    created: bool
    customer_created: bool = False


def _resolve_customer(prepared: _Prepared, at: datetime) -> tuple[Customer, bool, list[int]]:
    """Find or create the customer and attach unknown identities; (customer, created, other owners' ids)."""
    owned = identities_owned(prepared.identities)
    survivors = _resolve_ids({identity.customer_id for identity in owned.values()} | {prepared.customer_id} - {None})
    if prepared.customer_id is not None:
        if prepared.customer_id not in survivors:
            raise ValidationError({"customer_id": [f"No customer with id {prepared.customer_id}."]})
        target_id = survivors[prepared.customer_id]
    else:
        target_id = next(
            (survivors[owned[key].customer_id] for key in prepared.identities if key in owned),
            None,
        )
    owners = []
    for key in prepared.identities:
        if key in owned:
            owner = survivors[owned[key].customer_id]
            if owner != target_id and owner not in owners:
                owners.append(owner)
    created = target_id is None
    customer = _new_customer(prepared.details, at) if created else Customer.objects.get(pk=target_id)
    unknown = [key for key in prepared.identities if key not in owned]
    for key in unknown:
        Identity.objects.create(customer=customer, kind=key.kind, network=key.network, value=key.value)
    return customer, created, owners


def interaction_ingest(
    *,
    channel: str,
    occurred_at: datetime | str,
    summary: str,
    identities: Iterable[Mapping] = (),
    customer_id: int | None = None,
    customer_details: Mapping | None = None,
    body: str = "",
    direction: str = Direction.INBOUND,
    type: str = InteractionType.MESSAGE,
    source: str = "api",
    external_id: str = "",
    touchpoint: str = "",
    case: Case | int | None = None,
    campaign: str = "",
    metadata: dict | None = None,
    agent=None,
    live: bool = True,
) -> IngestResult:
    """Store one interaction, resolving (and if needed creating) its customer.

    `identities`: [{kind, value, network?}]; `customer_id` names an existing customer (a folded
    one resolves to its survivor); `customer_details` ({first_name, last_name, language, country,
    timezone}) fill a customer created here; `touchpoint` is a touchpoint key of a published map;
    `live` is False for history (imports, demo data), carried by `interaction_recorded`.

    Returns IngestResult(interaction, created, customer_created); created=False when
    (source, external_id) was already stored (nothing changes then).
    Raises ValidationError by field: bad values, no identity nor customer_id, unknown customer_id,
    unknown touchpoint key, unknown case or a case of another customer.
    """
    prepared = _prepare(
        channel=channel,
        occurred_at=occurred_at,
        summary=summary,
        identities=identities,
        customer_id=customer_id,
        customer_details=customer_details,
        body=body,
        direction=direction,
        type=type,
        source=source,
        external_id=external_id,
        touchpoint=touchpoint,
        case=case,
        campaign=campaign,
        metadata=metadata,
        agent=agent,
        live=live,
    )
    interaction = prepared.interaction
    existing = _existing(interaction)
    if existing is not None:
        return IngestResult(existing, False)
    interaction.touchpoint = _touchpoint(interaction.touchpoint_key)
    now = timezone.now()
    try:
        with transaction.atomic():
            for attempt in range(RESOLVE_ATTEMPTS):
                try:
                    with transaction.atomic():
                        customer, customer_created, others = _resolve_customer(
                            prepared, min(now, interaction.occurred_at)
                        )
                    break
                except IntegrityError:
                    # Another request attached one of these identities meanwhile: resolve again.
                    if attempt == RESOLVE_ATTEMPTS - 1:
                        raise
            if prepared.case_id is not None:
                case_row = Case.objects.filter(pk=prepared.case_id).values_list("customer_id", flat=True).first()
                if case_row is None:
                    raise ValidationError({"case": [f"No case with id {prepared.case_id}."]})
                if _resolve_ids([case_row]).get(case_row) != customer.pk:
                    raise ValidationError({"case": [f"Case #{prepared.case_id} belongs to another customer."]})
                interaction.case_id = prepared.case_id
            interaction.customer = customer
            interaction.save()
            for other_id in others:
                _suggest_merge(
                    customer_id=customer.pk,
                    other_id=other_id,
                    reason=_conflict_reason(prepared.identities),
                    interaction=interaction,
                )
            _touch_contact([customer.pk], interaction.occurred_at)
            at = interaction.occurred_at
            customer.first_contact_at = min(filter(None, [customer.first_contact_at, at]))
            customer.last_contact_at = max(filter(None, [customer.last_contact_at, at]))
            _first_response_from(interaction)
            transaction.on_commit(
                lambda: interaction_recorded.send(sender=Interaction, interaction=interaction, live=interaction.live)
            )
    except IntegrityError:
        existing = _existing(interaction)
        if existing is None:
            raise
        return IngestResult(existing, False)
    return IngestResult(interaction, True, customer_created)


def _existing(interaction: Interaction) -> Interaction | None:
    if not interaction.external_id:
        return None
    return (
        Interaction.objects.by_external_key(interaction.source, interaction.external_id)
        .select_related("customer")
        .first()
    )


# --------------------------------------------------------------------------- batches (bulk API, import)


@dataclass
class BatchResult:
    """What became of one item of a batch; `ref` is the caller's (an array index, a line number)."""

    ref: object
    status: str  # "created", "existing" or "error"
    interaction: Interaction | None = None
    customer_created: bool = False
    errors: dict | None = None


@dataclass
class ImportSummary:
    created: int = 0
    existing: int = 0
    customers_created: int = 0
    errors: list[tuple[int, dict]] = field(default_factory=list)  # (line number, {field: [messages]})

    @property
    def processed(self) -> int:
        return self.created + self.existing + len(self.errors)


def _row_key(row: Mapping) -> str:
    """A stable external id for a row that has none, so re-importing the same file creates nothing."""
    canonical = json.dumps(row, sort_keys=True, default=str, separators=(",", ":"))
    return "row-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def interactions_ingest_batch(
    items: Iterable[tuple[object, Mapping]], *, live: bool, touchpoints: dict | None = None
) -> list[BatchResult]:
    """Ingest several interactions as `interaction_ingest` would one after the other, with bulk lookups and
    bulk inserts: the batch is one transaction, a few queries whatever its size.

    `items`: (ref, input as for interaction_ingest) pairs, in order; a later item sees the customers and
    identities an earlier one made, and repeats an earlier item's (source, external_id) as "existing".
    Returns one BatchResult per item, in order. Each item is all-or-nothing: a bad one is an "error" with
    field messages and leaves nothing behind. When a concurrent writer makes a bulk insert collide, the
    batch is rolled back and its new items are ingested one by one instead. `touchpoints` caches keys
    across batches.
    """
    touchpoints = {} if touchpoints is None else touchpoints
    results: dict[int, BatchResult] = {}
    prepared: list[tuple[int, object, _Prepared]] = []
    for position, (ref, data) in enumerate(items):
        try:
            p = _prepare(**data, live=live)
            p.interaction.touchpoint = _touchpoint(p.interaction.touchpoint_key, touchpoints)
        except ValidationError as exc:
            results[position] = BatchResult(ref, "error", errors=django_validation_detail(exc))
            continue
        prepared.append((position, ref, p))

    # Already stored (a retried request, a re-run import): one query per source.
    by_source: dict[str, set[str]] = {}
    for _, _, p in prepared:
        if p.interaction.external_id:
            by_source.setdefault(p.interaction.source, set()).add(p.interaction.external_id)
    stored: dict[tuple[str, str], Interaction] = {}
    for source, ids in by_source.items():
        for row in Interaction.objects.by_external_key(source, ids).only("pk", "customer_id", "external_id"):
            stored[(source, row.external_id)] = row
    fresh: list[tuple[int, object, _Prepared]] = []
    repeats: list[tuple[int, object, _Prepared, int]] = []  # (…, position of the first item with its key)
    first_with: dict[tuple[str, str], int] = {}
    for position, ref, p in prepared:
        key = (p.interaction.source, p.interaction.external_id)
        if p.interaction.external_id and key in stored:
            results[position] = BatchResult(ref, "existing", interaction=stored[key])
        elif p.interaction.external_id and key in first_with:
            repeats.append((position, ref, p, first_with[key]))
        else:
            if p.interaction.external_id:
                first_with[key] = position
            fresh.append((position, ref, p))

    if fresh:
        try:
            with transaction.atomic():
                results.update(_ingest_resolved(fresh))
        except IntegrityError:
            logger.warning("a batch collided with a concurrent writer; ingesting its items one by one")
            for position, ref, p in fresh:
                results[position] = _ingest_one(ref, p)
    for position, ref, p, first in repeats:
        earlier = results[first]
        if earlier.status == "error":  # nothing was stored under this key: this item is tried on its own
            results[position] = _ingest_one(ref, p)
        else:
            results[position] = BatchResult(ref, "existing", interaction=earlier.interaction)
    return [results[position] for position in sorted(results)]


def _ingest_one(ref, p: _Prepared) -> BatchResult:
    i = p.interaction
    try:
        result = interaction_ingest(
            channel=i.channel,
            occurred_at=i.occurred_at,
            summary=i.summary,
            identities=[{"kind": k.kind, "value": k.value, "network": k.network} for k in p.identities],
            customer_id=p.customer_id,
            customer_details=p.details,
            body=i.body,
            direction=i.direction,
            type=i.type,
            source=i.source,
            external_id=i.external_id,
            touchpoint=i.touchpoint_key,
            case=p.case_id,
            campaign=i.campaign,
            metadata=i.metadata,
            agent=i.agent,
            live=i.live,
        )
    except ValidationError as exc:
        return BatchResult(ref, "error", errors=django_validation_detail(exc))
    return BatchResult(
        ref, "created" if result.created else "existing", result.interaction, customer_created=result.customer_created
    )


def _error(ref, field_name: str, message: str) -> BatchResult:
    return BatchResult(ref, "error", errors={field_name: [message]})


def _ingest_resolved(fresh: list[tuple[int, object, _Prepared]]) -> dict[int, BatchResult]:
    """Resolve customers for new items with bulk lookups, then bulk-insert customers, identities and interactions."""
    now = timezone.now()
    all_identities = {key for _, _, p in fresh for key in p.identities}
    owner_of: dict[NormalisedIdentity, int] = {
        key: identity.customer_id for key, identity in identities_owned(all_identities).items()
    }
    customer_ids = set(owner_of.values()) | {p.customer_id for _, _, p in fresh if p.customer_id}
    survivors = _resolve_ids(customer_ids)
    owner_of = {key: survivors[cid] for key, cid in owner_of.items()}
    cases = dict(
        Case.objects.filter(pk__in={p.case_id for _, _, p in fresh if p.case_id}).values_list("pk", "customer_id")
    )
    case_owner = {pk: survivors.get(cid) or _resolve_ids([cid]).get(cid) for pk, cid in cases.items()}

    results: dict[int, BatchResult] = {}
    # Items whose customer is created in this batch point at a placeholder (negative) id until the bulk insert.
    new_customers: list[Customer] = []
    rows: list[tuple[int, object, _Prepared, int]] = []
    new_identities: dict[NormalisedIdentity, int] = {}
    suggestions: list[tuple[int, int, str, _Prepared]] = []
    for position, ref, p in fresh:
        if p.customer_id is not None:
            if p.customer_id not in survivors:
                results[position] = _error(ref, "customer_id", f"No customer with id {p.customer_id}.")
                continue
            target = survivors[p.customer_id]
        else:
            target = next((owner_of[key] for key in p.identities if key in owner_of), None)
        if p.case_id is not None:
            if p.case_id not in cases:
                results[position] = _error(ref, "case", f"No case with id {p.case_id}.")
                continue
            if target is None or case_owner[p.case_id] != target:
                results[position] = _error(ref, "case", f"Case #{p.case_id} belongs to another customer.")
                continue
        customer_created = target is None
        if customer_created:
            new_customers.append(Customer(**p.details))
            target = -len(new_customers)
        for key in p.identities:
            owner = owner_of.get(key)
            if owner is None:
                owner_of[key] = target
                new_identities[key] = target
            elif owner != target:
                suggestions.append((target, owner, _conflict_reason(p.identities), p))
        p.interaction.case_id = p.case_id
        rows.append((position, ref, p, target))
        results[position] = BatchResult(ref, "created", p.interaction, customer_created=customer_created)

    Customer.objects.bulk_create(new_customers)

    def real(customer_ref: int) -> int:
        return new_customers[-customer_ref - 1].pk if customer_ref < 0 else customer_ref

    first_seen: dict[int, datetime] = {}
    for _, _, p, target in rows:
        if target < 0:
            first_seen[target] = min(first_seen.get(target, p.interaction.occurred_at), p.interaction.occurred_at)
    LifecycleChange.objects.bulk_create(
        [
            LifecycleChange(
                customer=c, from_stage="", to_stage=c.lifecycle_stage, changed_at=min(now, first_seen.get(-i - 1, now))
            )
            for i, c in enumerate(new_customers)
        ]
    )
    Identity.objects.bulk_create(
        [
            Identity(customer_id=real(ref), kind=key.kind, network=key.network, value=key.value)
            for key, ref in new_identities.items()
        ]
    )
    interactions = []
    for _, _, p, target in rows:
        p.interaction.customer_id = real(target)
        interactions.append(p.interaction)
    Interaction.objects.bulk_create(interactions)
    for target, owner, reason, p in suggestions:
        _suggest_merge(customer_id=real(target), other_id=real(owner), reason=reason, interaction=p.interaction)
    _touch_contact({real(target) for _, _, _, target in rows})
    for interaction in interactions:
        _first_response_from(interaction)

    def send():
        for interaction in interactions:
            interaction_recorded.send(sender=Interaction, interaction=interaction, live=interaction.live)

    transaction.on_commit(send)
    return results


def _import_chunk(items: list[tuple[int, dict]], summary: ImportSummary, touchpoints: dict) -> None:
    for result in interactions_ingest_batch(items, live=False, touchpoints=touchpoints):
        if result.status == "error":
            summary.errors.append((result.ref, result.errors))
        elif result.status == "existing":
            summary.existing += 1
        else:
            summary.created += 1
            summary.customers_created += result.customer_created


def interactions_import(
    rows: Iterable[tuple[int, Mapping]],
    *,
    chunk_size: int = 500,
    source: str = IMPORT_SOURCE,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import history: rows of (line number, interaction input as for interaction_ingest) in chunks.

    A row given as an error ({"__error__": message}) is reported as such. Rows without an
    external_id get one derived from their content (so re-importing a file creates nothing);
    rows without a source get `source`. Interactions are recorded with live=False.
    Each chunk resolves identities with bulk lookups in one transaction; valid rows are kept,
    invalid ones reported with their line number. `progress(n)` is called with the rows done.
    """
    summary = ImportSummary()
    touchpoints: dict = {}
    chunk: list[tuple[int, dict]] = []
    done = 0

    def flush():
        nonlocal done
        _import_chunk(chunk, summary, touchpoints)
        done += len(chunk)
        chunk.clear()
        if progress:
            progress(done)

    for line, row in rows:
        if "__error__" in row:
            summary.errors.append((line, {"row": [row["__error__"]]}))
            done += 1
            continue
        data = dict(row)
        data.setdefault("source", source)
        if not data.get("source"):
            data["source"] = source
        if not data.get("external_id"):
            data["external_id"] = _row_key(row)
        chunk.append((line, data))
        if len(chunk) >= chunk_size:
            flush()
    if chunk:
        flush()
    summary.errors.sort(key=lambda e: e[0])
    return summary
