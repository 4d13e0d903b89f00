"""Merging two customers into one, previewing it, undoing it, and dismissing suggestions.

The customer named in the URL (`survivor`) survives; `other` is folded into it:
its identities, interactions, cases, notes and lifecycle changes move to the
survivor, its tags are added, the survivor's empty fields are filled from it, and
`other.merged_into` points at the survivor (lookups by its id land on the survivor).
The MergeRecord lists exactly the ids that moved, so `merge_undo` moves exactly
those back. Other apps move their own rows on `customers_merged`/`merge_undone`
(sent inside the merge's transaction, so their moves and the background work they record commit
or roll back with it) and report what they would move through `merge_preview`.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from cxcrm.outbox import outbox_record

from ..choices import LifecycleStage, SuggestionStatus
from ..models import Case, Customer, Identity, Interaction, LifecycleChange, MergeRecord, MergeSuggestion, Note
from ..signals import CUSTOMERS_MERGED, customers_merged, merge_undone
from ..signals import merge_preview as merge_preview_signal
from .lifecycle import lifecycle_change_record, lifecycle_intervals_refresh

# What moves, by the key used in MergeRecord.moved.
MOVED_MODELS = {
    "identities": Identity,
    "interactions": Interaction,
    "cases": Case,
    "notes": Note,
    "lifecycle_changes": LifecycleChange,
}
MOVED_KEYS = tuple(MOVED_MODELS)
# The early stages a merge moves forward: a lead or prospect survivor takes the other's stage when it is later
# in this order (a Lead merged with an Active customer is Active); any other stage is the survivor's.
STAGE_PROGRESSION = (LifecycleStage.LEAD, LifecycleStage.PROSPECT, LifecycleStage.ACTIVE)
# Survivor fields filled from the folded customer when empty (attnames).
FILLED_FIELDS = ("first_name", "last_name", "country", "persona_id", "owner_id", "preferred_channel")


def _json(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _field_changes(survivor: Customer, other: Customer) -> dict[str, dict]:
    """{attname: {"old": survivor's value, "new": value after the merge}} for fields the merge changes."""
    changes = {}
    for name in FILLED_FIELDS:
        old, incoming = getattr(survivor, name), getattr(other, name)
        if old in (None, "") and incoming not in (None, ""):
            changes[name] = {"old": old, "new": incoming}
    if other.survey_opt_out and not survivor.survey_opt_out:
        changes["survey_opt_out"] = {"old": False, "new": True}
    if other.first_contact_at and (not survivor.first_contact_at or other.first_contact_at < survivor.first_contact_at):
        changes["first_contact_at"] = {"old": _json(survivor.first_contact_at), "new": _json(other.first_contact_at)}
    if other.last_contact_at and (not survivor.last_contact_at or other.last_contact_at > survivor.last_contact_at):
        changes["last_contact_at"] = {"old": _json(survivor.last_contact_at), "new": _json(other.last_contact_at)}
    return changes


def _check_pair(survivor: Customer, other: Customer) -> None:
    if survivor.merged_into_id is not None:
        message = gettext("Customer #%(id)s was merged into #%(survivor)s.")
        raise ValidationError({"customer": [message % {"id": survivor.pk, "survivor": survivor.merged_into_id}]})
    if other.merged_into_id is not None:
        message = gettext("Customer #%(id)s was already merged into customer #%(survivor)s.")
        raise ValidationError({"other": [message % {"id": other.pk, "survivor": other.merged_into_id}]})
    if survivor.pk == other.pk:
        raise ValidationError({"other": [gettext("A customer cannot be merged into itself.")]})
    for key, customer in (("customer", survivor), ("other", other)):
        if customer.erased:
            raise ValidationError({key: [gettext("Customer #%(id)s was erased.") % {"id": customer.pk}]})


def merge_stage_default(*, survivor_stage: str, other_stage: str) -> str:
    """The merged customer's lifecycle stage unless the rep picks another: the survivor's, except that a
    lead or prospect survivor takes the other's stage when it is later in lead → prospect → active."""
    early, known = STAGE_PROGRESSION[:2], STAGE_PROGRESSION
    if survivor_stage in early and other_stage in known and known.index(other_stage) > known.index(survivor_stage):
        return other_stage
    return survivor_stage


def _history_key(customer: Customer, counts: dict[str, int]) -> tuple:
    """How much history a customer has, to compare two: interactions, then cases, then identities; on a tie
    the one known first (lower id) wins."""
    return (counts["interactions"], counts["cases"], counts["identities"], -customer.pk)


# --------------------------------------------------------------------------- preview


@dataclass
class MergePreview:
    survivor: Customer
    other: Customer
    counts: dict[str, int]  # label -> rows that would move (customers' own and other apps')
    identities: list[Identity]
    tags: list[str]
    fields: dict[str, dict] = field(default_factory=dict)
    survivor_counts: dict[str, int] = field(default_factory=dict)  # the survivor's own rows, by the same labels
    suggested_survivor_id: int | None = None  # the one with more history (_history_key)
    lifecycle_stage: str = ""  # the merged customer's stage by default (merge_stage_default)


def merge_preview(*, survivor: Customer, other: Customer) -> MergePreview:
    """What merging `other` into `survivor` would move, both customers' own counts, the survivor suggested
    (more history) and the merged customer's default lifecycle stage. Raises ValidationError for an
    impossible merge."""
    _check_pair(survivor, other)
    counts = {key: model.objects.filter(customer=other).count() for key, model in MOVED_MODELS.items()}
    survivor_counts = {key: model.objects.filter(customer=survivor).count() for key, model in MOVED_MODELS.items()}
    suggested = max((survivor, survivor_counts), (other, counts), key=lambda pair: _history_key(*pair))[0]
    for _receiver, response in merge_preview_signal.send(sender=Customer, survivor=survivor, other=other):
        if isinstance(response, dict):
            for label, count in response.items():
                counts[str(label)] = counts.get(str(label), 0) + int(count or 0)
    survivor_tags = set(survivor.tags.values_list("pk", flat=True))
    return MergePreview(
        survivor=survivor,
        other=other,
        counts=counts,
        identities=list(other.identities.all()),
        tags=[t.name for t in other.tags.all() if t.pk not in survivor_tags],
        fields=_field_changes(survivor, other),
        survivor_counts=survivor_counts,
        suggested_survivor_id=suggested.pk,
        lifecycle_stage=merge_stage_default(survivor_stage=survivor.lifecycle_stage, other_stage=other.lifecycle_stage),
    )


# --------------------------------------------------------------------------- merge and undo


@transaction.atomic
def customer_merge(
    *, survivor: Customer, other: Customer, user=None, lifecycle_stage: str | None = None
) -> MergeRecord:
    """Fold `other` into `survivor` in one transaction; returns the MergeRecord.

    The merged customer's lifecycle stage is `lifecycle_stage`, by default merge_stage_default's; a change
    is recorded as a LifecycleChange (by `user`, now) and undone by merge_undo. Open suggestions between
    the two are marked merged. `customers_merged` is sent inside the transaction.
    Raises ValidationError if either was already folded, they are the same customer, or the stage is unknown.
    """
    if lifecycle_stage not in (None, "") and lifecycle_stage not in LifecycleStage.values:
        raise ValidationError(
            {
                "lifecycle_stage": [
                    gettext("“%(value)s” is not a lifecycle stage; use %(codes)s.")
                    % {"value": lifecycle_stage, "codes": ", ".join(LifecycleStage.values)}
                ]
            }
        )
    # Lock both rows (in id order, against deadlocks) and re-read them.
    locked = {
        c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, other.pk]).order_by("pk")
    }
    survivor, other = locked[survivor.pk], locked[other.pk]
    _check_pair(survivor, other)

    moved: dict = {}
    for key, model in MOVED_MODELS.items():
        ids = list(model.objects.filter(customer=other).order_by("pk").values_list("pk", flat=True))
        model.objects.filter(pk__in=ids).update(customer=survivor)
        moved[key] = ids
    survivor_tags = set(survivor.tags.values_list("pk", flat=True))
    added_tags = [pk for pk in other.tags.values_list("pk", flat=True) if pk not in survivor_tags]
    survivor.tags.add(*added_tags)
    moved["tags"] = added_tags
    pair = Q(customer=survivor, other=other) | Q(customer=other, other=survivor)
    suggestion_ids = list(
        MergeSuggestion.objects.filter(pair, status=SuggestionStatus.OPEN).values_list("pk", flat=True)
    )
    MergeSuggestion.objects.filter(pk__in=suggestion_ids).update(
        status=SuggestionStatus.MERGED, decided_at=timezone.now(), decided_by=user
    )
    moved["suggestions"] = suggestion_ids

    changes = _field_changes(survivor, other)
    for name, change in changes.items():
        value = change["new"]
        if name in ("first_contact_at", "last_contact_at"):
            value = parse_datetime(value)
        setattr(survivor, name, value)
    moved["fields"] = {name: {"old": _json(c["old"]), "new": _json(c["new"])} for name, c in changes.items()}
    stage = lifecycle_stage or merge_stage_default(
        survivor_stage=survivor.lifecycle_stage, other_stage=other.lifecycle_stage
    )
    if stage != survivor.lifecycle_stage:
        # Also places the moved changes among the survivor's own in its stage intervals.
        change = lifecycle_change_record(
            customer=survivor, from_stage=survivor.lifecycle_stage, to_stage=stage, at=timezone.now(), user=user
        )
        moved["lifecycle_stage"] = {"old": survivor.lifecycle_stage, "new": stage, "change_id": change.pk}
        survivor.lifecycle_stage = stage
    elif moved["lifecycle_changes"]:
        lifecycle_intervals_refresh(customer_ids=[survivor.pk])
    survivor.save()
    other.merged_into = survivor
    other.save(update_fields=["merged_into", "updated_at"])

    record = MergeRecord.objects.create(survivor=survivor, merged=other, merged_by=user, moved=moved)
    # In the transaction: receivers move their rows with the merge, and record their background work in it.
    customers_merged.send(sender=MergeRecord, merge=record)
    outbox_record(event=CUSTOMERS_MERGED, payload={"merge_id": record.pk})
    return record


@transaction.atomic
def merge_undo(*, merge: MergeRecord, user=None) -> MergeRecord:
    """Undo a merge: move back exactly the rows its record lists (those still on the survivor),
    remove the tags it added, restore the survivor's fields it filled (unless changed since),
    unfold the merged customer and reopen the suggestions it closed. `merge_undone` is sent inside the transaction.

    Raises ValidationError if already undone, or if the survivor was itself merged since
    (undo that later merge first).
    """
    merge = MergeRecord.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError({"merge": [gettext("Merge #%(id)s was already undone.") % {"id": merge.pk}]})
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(pk__in=[merge.survivor_id, merge.merged_id]).order_by("pk")
    }
    survivor, merged = locked[merge.survivor_id], locked[merge.merged_id]
    if survivor.merged_into_id is not None:
        raise ValidationError(
            {
                "merge": [
                    gettext("Customer #%(id)s was merged into #%(survivor)s since; undo that first.")
                    % {"id": survivor.pk, "survivor": survivor.merged_into_id}
                ]
            }
        )
    if merged.merged_into_id != survivor.pk:
        message = gettext("Customer #%(id)s is no longer folded into #%(survivor)s.")
        raise ValidationError({"merge": [message % {"id": merged.pk, "survivor": survivor.pk}]})

    moved = merge.moved or {}
    for key, model in MOVED_MODELS.items():
        model.objects.filter(pk__in=moved.get(key, []), customer=survivor).update(customer=merged)
    if moved.get("tags"):
        survivor.tags.remove(*moved["tags"])
    for name, change in (moved.get("fields") or {}).items():
        if _json(getattr(survivor, name)) == change["new"]:
            old = change["old"]
            if name in ("first_contact_at", "last_contact_at") and old:
                old = parse_datetime(old)
            setattr(survivor, name, old)
    stage = moved.get("lifecycle_stage")
    if stage and survivor.lifecycle_stage == stage["new"]:
        # The stage the merge set, not changed since: back to the survivor's own, and the change never happened.
        survivor.lifecycle_stage = stage["old"]
        LifecycleChange.objects.filter(pk=stage.get("change_id"), customer=survivor).delete()
    if moved.get("lifecycle_changes") or stage:
        # Both customers' stage intervals, from the changes each holds again.
        lifecycle_intervals_refresh(customer_ids=[survivor.pk, merged.pk])
    survivor.save()
    merged.merged_into = None
    merged.save(update_fields=["merged_into", "updated_at"])
    for suggestion in MergeSuggestion.objects.filter(pk__in=moved.get("suggestions", [])):
        try:
            with transaction.atomic():
                MergeSuggestion.objects.filter(pk=suggestion.pk).update(
                    status=SuggestionStatus.OPEN, decided_at=None, decided_by=None
                )
        except IntegrityError:  # a new open suggestion for the pair exists
            pass

    merge.undone_at = timezone.now()
    merge.undone_by = user
    merge.save(update_fields=["undone_at", "undone_by"])
    merge_undone.send(sender=MergeRecord, merge=merge)
    return merge


@transaction.atomic
def merge_suggestion_dismiss(*, suggestion: MergeSuggestion, user=None) -> MergeSuggestion:
    """Mark a suggestion as dismissed (the two are different people). Raises ValidationError if not open."""
    if suggestion.status != SuggestionStatus.OPEN:
        # One sentence per status, so each language can agree the participle with "suggestion".
        messages = {
            SuggestionStatus.MERGED: gettext("This suggestion was already merged."),
            SuggestionStatus.DISMISSED: gettext("This suggestion was already dismissed."),
        }
        raise ValidationError({"status": [messages.get(suggestion.status, gettext("This suggestion is not open."))]})
    suggestion.status = SuggestionStatus.DISMISSED
    suggestion.decided_at = timezone.now()
    suggestion.decided_by = user
    suggestion.save(update_fields=["status", "decided_at", "decided_by"])
    return suggestion
