"""GDPR erasure of one customer: the personal data goes, the anonymous rows that the reports count stay.

`customer_erase(customer=..., user=...)` works on the customer and every customer folded into it by a merge
(the same person), in one transaction and with set-based updates only, so its cost in queries does not grow
with the customer's history:

- the profile: names (and the folded search name), country, time zone, language, preferred channel, tags
  and consents are cleared (surveys opted out); `erased` and `erased_at` are set. Persona, lifecycle stage,
  owner, first and last contact times and the lifecycle history stay (churn and the persona breakdowns).
- identities and notes are deleted;
- interactions keep channel, network, direction, type, times, agent, case, touchpoint, campaign and their
  idempotency key; their summary becomes ERASED_TEXT, body and metadata are emptied;
- cases keep origin, priority, status, topic, assignee, every time and SLA figure; subject becomes
  ERASED_TEXT, description and resolution note are emptied; their history (CaseChange) keeps who changed
  what and when, but loses the reasons given and the subject's old and new texts;
- merge suggestions lose their reason (it names the identities given together) and the open ones are
  dismissed; merge records' undo snapshots lose the personal values they hold (names, country, channel);
- outbox messages whose payload names the customer (`customer_id`) lose every other key and their error;
- higher apps scrub their own rows in the same transaction through settings.CUSTOMER_ERASURE_HOOKS
  (feedback: survey invitations and responses, see feedback/gdpr.py; webhooks: the deliveries about them);
- CUSTOMER_ERASED {"customer_id": n} is recorded in the outbox (webhooks send `customer.erased`).

Erased customers are left out of lists, search and merge suggestions (Customer.objects.listed()); an identity
that arrives again later finds no customer and makes a new one. The audit event `erasure` names the customer
with ids and counts only. Erasing again scrubs again (what came since, if anything) and answers the same.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from cxcrm.audit import audit_record
from cxcrm.models import AuditAction, OutboxMessage
from cxcrm.outbox import outbox_record

from ..choices import SuggestionStatus
from ..models import Case, CaseChange, Customer, Identity, Interaction, MergeRecord, MergeSuggestion, Note
from ..signals import CUSTOMER_ERASED

# What replaces a required free text (an interaction's summary, a case's subject).
ERASED_TEXT = "[erased]"
# Customer fields a merge snapshot (MergeRecord.moved["fields"]) may hold that are personal data.
PERSONAL_MERGE_FIELDS = ("first_name", "last_name", "country", "preferred_channel")
# Outbox payload keys kept when a message names an erased customer (ids say nothing about the person).
OUTBOX_KEPT_KEYS = ("customer_id",)
MAX_FOLD_DEPTH = 20


@dataclass
class ErasureResult:
    """What an erasure did: `counts` {label: rows} (customers', then the hooks'), `already_erased` when the
    customer had been erased before (the second call scrubs again and counts what was still there)."""

    customer: Customer
    erased_at: datetime
    already_erased: bool
    customer_ids: list[int]
    counts: dict[str, int] = field(default_factory=dict)


def erasure_payload(result: ErasureResult) -> dict:
    """The API's (and the admin message's) shape of an erasure: {customer, erased, erased_at,
    already_erased, customers, counts}."""
    return {
        "customer": result.customer.pk,
        "erased": True,
        "erased_at": result.erased_at,
        "already_erased": result.already_erased,
        "customers": result.customer_ids,
        "counts": result.counts,
    }


def _folded_ids(customer: Customer) -> list[int]:
    """The customer's id and those of every customer folded into it, through chains of merges."""
    ids, level = [customer.pk], [customer.pk]
    for _ in range(MAX_FOLD_DEPTH):
        level = list(Customer.objects.filter(merged_into_id__in=level).values_list("pk", flat=True))
        if not level:
            break
        ids.extend(level)
    return ids


def _hooks() -> list:
    return [import_string(path) for path in getattr(settings, "CUSTOMER_ERASURE_HOOKS", [])]


def erasure_counts(*, customer: Customer) -> dict[str, int]:
    """{label: rows} that erasing `customer` removes or anonymises (the confirmation page's list), customers'
    own and those of settings.CUSTOMER_ERASURE_HOOKS. Reads only."""
    ids = _folded_ids(customer)
    counts = {
        "identities": Identity.objects.filter(customer_id__in=ids).count(),
        "interactions": Interaction.objects.filter(customer_id__in=ids).count(),
        "cases": Case.objects.filter(customer_id__in=ids).count(),
        "notes": Note.objects.filter(customer_id__in=ids).count(),
        "merged_customers": len(ids) - 1,
    }
    for hook in _hooks():
        counts.update(hook(ids, commit=False))
    return counts


def _scrub_merge_records(ids: list[int]) -> int:
    records = list(
        MergeRecord.objects.filter(Q(survivor_id__in=ids) | Q(merged_id__in=ids)).only("pk", "moved").order_by()
    )
    changed = []
    for record in records:
        fields = (record.moved or {}).get("fields") or {}
        personal = [name for name in PERSONAL_MERGE_FIELDS if name in fields]
        if personal:
            for name in personal:
                fields[name] = {"old": "", "new": ""}
            changed.append(record)
    MergeRecord.objects.bulk_update(changed, ["moved"])
    return len(records)


def _scrub_outbox(ids: list[int]) -> int:
    messages = list(
        OutboxMessage.objects.filter(payload__customer_id__in=ids).only("pk", "payload", "last_error").order_by()
    )
    for message in messages:
        message.payload = {k: v for k, v in message.payload.items() if k in OUTBOX_KEPT_KEYS}
        message.last_error = ""
    OutboxMessage.objects.bulk_update(messages, ["payload", "last_error"])
    return len(messages)


@transaction.atomic
def customer_erase(*, customer: Customer, user=None, request=None) -> ErasureResult:
    """Erase the personal data of `customer` and of the customers folded into it (see the module docstring);
    the reports' figures are the same before and after. `user` (else the request's) is the audit event's actor.

    Returns an ErasureResult. Erasing an erased customer again is allowed (`already_erased`).
    Raises ValidationError when `customer` was folded into another by a merge: erase the survivor.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.merged_into_id is not None:
        raise ValidationError(
            {
                "customer": [
                    gettext("Customer #%(id)s was merged into #%(survivor)s; erase that one.")
                    % {"id": customer.pk, "survivor": customer.merged_into_id}
                ]
            }
        )
    now = timezone.now()
    already_erased = customer.erased
    erased_at = customer.erased_at or now
    ids = _folded_ids(customer)
    folded = Customer.objects.filter(pk__in=ids)

    counts = {
        "identities": Identity.objects.filter(customer_id__in=ids).delete()[0],
        "notes": Note.objects.filter(customer_id__in=ids).delete()[0],
        "interactions": Interaction.objects.filter(customer_id__in=ids).update(
            summary=ERASED_TEXT, body="", metadata={}
        ),
        "cases": Case.objects.filter(customer_id__in=ids).update(
            subject=ERASED_TEXT, description="", resolution_note="", updated_at=now
        ),
    }
    # A case's history keeps who changed what and when; the subject's texts and the reasons given go.
    history = CaseChange.objects.filter(case__customer_id__in=ids)
    history.filter(field="subject").update(
        from_value=ERASED_TEXT, to_value=ERASED_TEXT, from_label=ERASED_TEXT, to_label=ERASED_TEXT
    )
    counts["case_changes"] = history.update(reason="")
    Customer.tags.through.objects.filter(customer_id__in=ids).delete()
    suggestions = MergeSuggestion.objects.filter(Q(customer_id__in=ids) | Q(other_id__in=ids))
    suggestions.filter(status=SuggestionStatus.OPEN).update(status=SuggestionStatus.DISMISSED, decided_at=now)
    counts["merge_suggestions"] = suggestions.update(reason="")
    counts["merge_records"] = _scrub_merge_records(ids)
    counts["outbox_messages"] = _scrub_outbox(ids)
    for hook in _hooks():
        counts.update(hook(ids, commit=True))
    folded.update(
        first_name="",
        last_name="",
        search_name="",
        country="",
        timezone="UTC",
        language=Customer._meta.get_field("language").default,
        preferred_channel="",
        marketing_consent=False,
        survey_opt_out=True,
        erased=True,
        erased_at=erased_at,
        updated_at=now,
    )
    counts["merged_customers"] = len(ids) - 1
    if not already_erased:
        # Once per customer (a repeated erasure tells no one again); after the outbox scrub above.
        outbox_record(event=CUSTOMER_ERASED, payload={"customer_id": customer.pk})
    audit_record(
        action=AuditAction.ERASURE,
        obj=customer,
        actor=user,
        request=request,
        details={"customers": ids, "counts": counts, "repeat": already_erased},
    )
    customer.refresh_from_db()
    return ErasureResult(
        customer=customer, erased_at=erased_at, already_erased=already_erased, customer_ids=ids, counts=counts
    )
