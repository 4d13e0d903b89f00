"""Cases (support tickets): creation with SLA due times, updates and status transitions.

SLA rules:
- due times = opened_at + the priority's SlaPolicy targets (none without a policy);
- first_response_at = the first outbound interaction by an agent on the case (see
  interaction_ingest), or the first move to pending or resolved, whichever comes first;
- time spent pending does not count: leaving pending pushes the due times not yet met
  forward by the time spent pending (accumulated in pending_seconds);
- resolved_at = the last resolution; reopening clears it and counts a reopen;
- `case_resolved` is sent after commit on each move to resolved, and its background work is recorded in the
  transaction as an outbox row (event CASE_RESOLVED, payload {"case_id"}) for the app that handles it;
- a breach is derived when read (CaseQuerySet.breached); the beat task (cases_breach_detect, every minute)
  stamps `sla_breached_at` on each open case it finds breached for the first time and records CASE_BREACHED.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cxcrm.choices import Channel
from cxcrm.outbox import outbox_record
from cxcrm.validators import instant_clean

from ..choices import OPEN_CASE_STATUSES, CaseOrigin, CasePriority, CaseStatus, Direction, InteractionType
from ..models import Case, CaseChange, Customer, Interaction, SlaPolicy
from ..signals import CASE_BREACHED, CASE_OPENED, CASE_RESOLVED, case_resolved
from ..summaries import SUMMARY_VALUES, summary_line
from .customers import customer_not_erased_check


def case_opened_at_clean(value) -> datetime:
    """The time a case was opened, as an aware datetime in UTC: within the product's bounds and not later than
    now + INTERACTION_FUTURE_SKEW (the SLA due times count from it, so a case opened next week would stay
    within its SLA until then). A time without a zone is read in the current time zone (page and admin forms).
    Raises ValidationError({"opened_at": [...]}) for anything else."""
    try:
        return instant_clean(value, naive="local", future_skew=settings.INTERACTION_FUTURE_SKEW)
    except ValidationError as error:
        raise ValidationError({"opened_at": error.messages}) from None


EDITABLE_FIELDS = ("subject", "description", "topic", "origin", "priority", "assignee", "resolution_note")


def sla_due_times(*, priority: str, opened_at: datetime, paused_seconds: int = 0):
    """(first_response_due_at, resolution_due_at) for a case of this priority; (None, None) without a policy."""
    policy = SlaPolicy.objects.filter(priority=priority).first()
    if policy is None:
        return None, None
    shift = timedelta(seconds=paused_seconds)
    return (
        opened_at + timedelta(minutes=policy.first_response_minutes) + shift,
        opened_at + timedelta(minutes=policy.resolution_minutes) + shift,
    )


def _choice_error(message: str, value, choices) -> str:
    """A refused choice's message: the value as sent and the codes a client may send (codes, not labels)."""
    return message % {"value": value, "codes": ", ".join(choices.values)}


def _clean(fields: dict) -> dict:
    errors = {}
    for name in ("subject", "description", "topic", "resolution_note"):
        if name in fields:
            if fields[name] is None:
                fields[name] = ""
            if not isinstance(fields[name], str):
                errors[name] = [_("Must be a string.")]
            else:
                fields[name] = fields[name].strip()
    if "subject" in fields and not errors.get("subject") and not fields["subject"]:
        errors["subject"] = [gettext("Give the case a subject.")]
    if "priority" in fields and fields["priority"] not in CasePriority.values:
        errors["priority"] = [
            _choice_error(gettext("“%(value)s” is not a priority; use %(codes)s."), fields["priority"], CasePriority)
        ]
    if "origin" in fields and fields["origin"] not in CaseOrigin.values:
        errors["origin"] = [
            _choice_error(gettext("“%(value)s” is not an origin; use %(codes)s."), fields["origin"], CaseOrigin)
        ]
    if "status" in fields and fields["status"] not in CaseStatus.values:
        errors["status"] = [
            _choice_error(gettext("“%(value)s” is not a status; use %(codes)s."), fields["status"], CaseStatus)
        ]
    probe = Case(**{k: v for k, v in fields.items() if k not in errors and k != "assignee"})
    exclude = [f.name for f in Case._meta.fields if f.name not in fields or f.name in errors or f.name == "assignee"]
    try:
        probe.clean_fields(exclude=exclude)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def case_create_or_get(
    *,
    customer: Customer,
    subject: str,
    description: str = "",
    topic: str = "",
    origin: str = Channel.OTHER,
    priority: str = CasePriority.NORMAL,
    status: str = CaseStatus.NEW,
    assignee=None,
    opened_at: datetime | None = None,
    source: str = "web",
    external_id: str = "",
    resolution_note: str | None = "",
    user=None,
) -> tuple[Case, bool]:
    """Open a case with SLA due times from its priority's policy; returns (case, created).

    With an `external_id`, the same (source, external_id) again returns the existing case
    unchanged and created=False. A folded customer is replaced by its survivor.
    Raises ValidationError for bad values, for an erased customer, and for a `resolution_note` (a case opens
    unresolved: the note is written when it is resolved, with case_update).
    """
    if resolution_note and str(resolution_note).strip():
        raise ValidationError(
            {
                "resolution_note": [
                    gettext("A case opens unresolved: write the resolution note when resolving it (PATCH).")
                ]
            }
        )
    from ..selectors import customer_resolve

    source = (source or "web").strip() if isinstance(source, str) else source
    external_id = (external_id or "").strip() if isinstance(external_id, str) else external_id
    fields = _clean(
        {
            "subject": subject,
            "description": description,
            "topic": topic,
            "origin": origin,
            "priority": priority,
            "status": status,
            "source": source,
            "external_id": external_id,
        }
    )
    if fields["status"] not in OPEN_CASE_STATUSES:
        raise ValidationError({"status": [gettext("A new case starts as new, open or pending.")]})
    if external_id:
        existing = Case.objects.by_external_key(source, external_id).first()
        if existing is not None:
            return existing, False
    customer = customer_resolve(customer)
    customer_not_erased_check(customer, "customer")
    now = timezone.now()
    opened_at = case_opened_at_clean(opened_at) if opened_at is not None else now
    first_due, resolution_due = sla_due_times(priority=fields["priority"], opened_at=opened_at)
    case = Case(
        customer=customer,
        assignee=assignee,
        assigned_at=now if assignee else None,
        opened_at=opened_at,
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
        **fields,
    )
    if case.status == CaseStatus.PENDING:
        case.pending_since = now
        case.first_response_at = now
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        existing = Case.objects.by_external_key(source, external_id).first() if external_id else None
        if existing is None:
            raise
        return existing, False
    outbox_record(event=CASE_OPENED, payload={"case_id": case.pk})
    return case, True


def case_create(**kwargs) -> Case:
    """Open a case (see case_create_or_get); returns the case (the existing one on an idempotent replay)."""
    return case_create_or_get(**kwargs)[0]


# --------------------------------------------------------------------------- status, changes and their history

# The fields whose every change is kept in the case's history (CaseChange) and on the customer's timeline.
TRACKED_FIELDS = ("status", "priority", "assignee", "subject", "topic", "origin")
REASON_MAX = 2000


def _user_label(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _value_label(name: str, value) -> tuple[str, str]:
    """(stored value, label as a person reads it) of a tracked field's value."""
    if name == "assignee":
        return ("" if value is None else str(value.pk)), _user_label(value)
    value = "" if value is None else str(value)
    vocabulary = {"status": CaseStatus, "priority": CasePriority, "origin": CaseOrigin}.get(name)
    if vocabulary is not None and value in vocabulary.values:
        return value, str(vocabulary(value).label)
    return value, value


def _reason_clean(reason) -> str:
    if reason is None:
        return ""
    if not isinstance(reason, str):
        raise ValidationError({"reason": [_("Must be a string.")]})
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [gettext("Keep the reason under %(max)s characters.") % {"max": REASON_MAX}]})
    return reason


def _timeline_values(case: Case, changes: list[CaseChange]) -> dict:
    """The codes and values of the timeline entry's line (customers.summaries: built in the reader's language)."""
    return {
        "key": "case_update",
        "case_id": case.pk,
        "subject": case.subject,
        "changes": [
            {
                "field": c.field,
                "from": c.from_value,
                "to": c.to_value,
                "from_label": c.from_label,
                "to_label": c.to_label,
            }
            for c in changes
        ],
    }


def _changes_record(*, case: Case, before: dict, user, reason: str, at: datetime) -> list[CaseChange]:
    """Write the history rows of what differs between `before` ({field: value}) and the case now, and one
    timeline entry (a system "case update" interaction on the case) that says it; nothing when nothing changed."""
    changes = []
    for name, old in before.items():
        new = getattr(case, name)
        if (old.pk if hasattr(old, "pk") else old) == (new.pk if hasattr(new, "pk") else new):
            continue
        from_value, from_label = _value_label(name, old)
        to_value, to_label = _value_label(name, new)
        changes.append(
            CaseChange(
                case=case,
                field=name,
                from_value=from_value[:200],
                to_value=to_value[:200],
                from_label=from_label[:200],
                to_label=to_label[:200],
                reason=reason,
                changed_by=user if getattr(user, "pk", None) else None,
                changed_at=at,
            )
        )
    if not changes:
        return []
    CaseChange.objects.bulk_create(changes)
    values = _timeline_values(case, changes)
    with translation.override(settings.LANGUAGE_CODE):  # the stored line: search, exports, older readers
        summary = summary_line(values)[:300]
    Interaction.objects.create(
        customer_id=case.customer_id,
        channel=Channel.OTHER,
        type=InteractionType.CASE_UPDATE,
        direction=Direction.SYSTEM,
        occurred_at=at,
        summary=summary,
        metadata={SUMMARY_VALUES: values},
        body=reason,
        agent=user if getattr(user, "pk", None) else None,
        case=case,
        source="case",
        live=False,
    )
    return changes


def _status_move(case: Case, status: str, now: datetime) -> None:
    """Move a locked case to a status in memory, keeping the SLA bookkeeping (see the module docstring)."""
    previous = case.status
    if previous == CaseStatus.PENDING and case.pending_since:
        paused = max(now - case.pending_since, timedelta(0))
        case.pending_seconds += int(paused.total_seconds())
        if case.first_response_due_at and case.first_response_at is None:
            case.first_response_due_at += paused
        if case.resolution_due_at and case.resolved_at is None:
            case.resolution_due_at += paused
        case.pending_since = None

    was_finished = previous in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
    if was_finished and status in OPEN_CASE_STATUSES:
        case.reopen_count += 1
        case.resolved_at = None
        case.closed_at = None

    if status in (CaseStatus.PENDING, CaseStatus.RESOLVED) and case.first_response_at is None:
        case.first_response_at = now
    if status == CaseStatus.PENDING:
        case.pending_since = now
    if status == CaseStatus.RESOLVED:
        case.resolved_at = now
        case.closed_at = None
        outbox_record(event=CASE_RESOLVED, payload={"case_id": case.pk})
        transaction.on_commit(lambda: case_resolved.send(sender=Case, case=case))
    if status == CaseStatus.CLOSED:
        case.closed_at = now
        # Closing ends the case: without a resolution before, it counts as resolved now (no survey event).
        if case.resolved_at is None:
            case.resolved_at = now
    case.status = status


@transaction.atomic
def case_status_set(*, case: Case, status: str, user=None, at: datetime | None = None, reason: str = "") -> Case:
    """Move a case to a status, keeping the SLA bookkeeping (see the module docstring), and record the move
    in the case's history (CaseChange, with `reason`) and on the customer's timeline.

    Raises ValidationError for an unknown status or a bad reason.
    """
    if status not in CaseStatus.values:
        message = _choice_error(gettext("“%(value)s” is not a status; use %(codes)s."), status, CaseStatus)
        raise ValidationError({"status": [message]})
    reason = _reason_clean(reason)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if status == case.status:
        return case
    now = at or timezone.now()
    before = {"status": case.status}
    _status_move(case, status, now)
    case.save()
    _changes_record(case=case, before=before, user=user, reason=reason, at=now)
    return case


@transaction.atomic
def case_update(*, case: Case, user=None, status: str | None = None, reason: str = "", **fields) -> Case:
    """Change a case's fields (EDITABLE_FIELDS) and, if given, its status (see case_status_set).

    A priority change recomputes the due times (time already spent pending still does not count);
    an assignee change sets assigned_at. Every change of a tracked field (TRACKED_FIELDS) is kept in the
    case's history (CaseChange: who, when, from → to, `reason`) and makes one timeline entry for the
    customer. Nothing changed, nothing recorded. Raises ValidationError for bad values.
    """
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    fields = _clean(dict(fields))
    if status is not None:
        _clean({"status": status})
    reason = _reason_clean(reason)
    case = Case.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=case.pk)
    before = {name: getattr(case, name) for name in TRACKED_FIELDS}
    now = timezone.now()
    priority_changed = "priority" in fields and fields["priority"] != case.priority
    assignee_changed = "assignee" in fields and fields["assignee"] != case.assignee
    for name, value in fields.items():
        setattr(case, name, value)
    if assignee_changed:
        case.assigned_at = now if case.assignee else None
    if priority_changed:
        first_due, resolution_due = sla_due_times(
            priority=case.priority, opened_at=case.opened_at, paused_seconds=case.pending_seconds
        )
        case.first_response_due_at, case.resolution_due_at = first_due, resolution_due
    if status is not None and status != case.status:
        _status_move(case, status, now)
    case.save()
    _changes_record(case=case, before=before, user=user, reason=reason, at=now)
    return case


def cases_breach_detect(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Find the open cases newly past a due time (first response or resolution) and tell the apps above.

    Each such case is stamped `sla_breached_at` = `now` and gets an outbox row CASE_BREACHED {"case_id"} in
    the same transaction, in batches of `batch_size` (rows taken FOR UPDATE SKIP LOCKED on PostgreSQL, so two
    runs at once never stamp one case twice); a case is news once. Returns how many cases were stamped.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            found = Case.objects.open().filter(sla_breached_at__isnull=True).breached(now).order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                found = found.select_for_update(skip_locked=True, of=("self",))
            ids = list(found.values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            Case.objects.filter(pk__in=ids).update(sla_breached_at=now)
            for case_id in ids:
                outbox_record(event=CASE_BREACHED, payload={"case_id": case_id})
        total += len(ids)
        if len(ids) < batch_size:
            break
    return total
