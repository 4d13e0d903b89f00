"""Merges: the feedback rows (invitations, responses) that follow a customer merge and its undo.

On `customers_merged` (feedback/receivers.py) the merged customer's rows move to the survivor
and each move is remembered by merge id (an InvitationMergeMove / ResponseMergeMove row); on
`merge_undone` exactly those rows, if still on the survivor, move back. Both are idempotent: a
replayed event finds nothing left to move.
"""

import logging

from django.db import models, transaction
from django.utils import timezone

from ..models import Invitation, InvitationMergeMove, Response, ResponseMergeMove

logger = logging.getLogger(__name__)


def _rows_move_on_merge(*, model: type[models.Model], move_model: type[models.Model], field: str, merge) -> int:
    """Move `model` rows of merge.merged to merge.survivor, recording each in `move_model`
    (whose FK to the row is `field`). Returns how many moved. Raises nothing."""
    with transaction.atomic():
        ids = list(model.objects.filter(customer_id=merge.merged_id).values_list("pk", flat=True))
        move_model.objects.bulk_create(
            [move_model(merge_id=merge.pk, from_customer_id=merge.merged_id, **{f"{field}_id": pk}) for pk in ids],
            ignore_conflicts=True,
        )
        moved = model.objects.filter(pk__in=ids).update(customer_id=merge.survivor_id)
    logger.info("merge %s: moved %s %s rows to customer %s", merge.pk, moved, field, merge.survivor_id)
    return moved


def _rows_move_back_on_undo(*, model: type[models.Model], move_model: type[models.Model], field: str, merge) -> int:
    """Move back exactly the rows this merge moved (those still on the survivor); each
    move is marked undone once. Returns how many moved back. Raises nothing."""
    now = timezone.now()
    moved_back = 0
    with transaction.atomic():
        moves = list(move_model.objects.select_for_update().filter(merge_id=merge.pk, undone_at__isnull=True))
        by_customer: dict[int, list[int]] = {}
        for move in moves:
            by_customer.setdefault(move.from_customer_id, []).append(getattr(move, f"{field}_id"))
        for customer_id, ids in by_customer.items():
            moved_back += model.objects.filter(pk__in=ids, customer_id=merge.survivor_id).update(
                customer_id=customer_id
            )
        move_model.objects.filter(pk__in=[m.pk for m in moves]).update(undone_at=now)
    logger.info("merge %s undone: moved back %s %s rows", merge.pk, moved_back, field)
    return moved_back


# --------------------------------------------------------------------------- invitations and responses


def invitations_move_on_merge(*, merge) -> int:
    """Move the merged customer's invitations to the survivor, remembering each move by merge id.

    Idempotent (a replay finds nothing left to move). Returns how many moved. Raises nothing.
    """
    return _rows_move_on_merge(model=Invitation, move_model=InvitationMergeMove, field="invitation", merge=merge)


def invitations_move_back_on_undo(*, merge) -> int:
    """Move back exactly the invitations this merge moved (those still on the survivor).

    Idempotent: each move is marked undone once. Returns how many moved back. Raises nothing.
    """
    return _rows_move_back_on_undo(model=Invitation, move_model=InvitationMergeMove, field="invitation", merge=merge)


def responses_move_on_merge(*, merge) -> int:
    """Move the merged customer's responses to the survivor, remembering each move by merge id.

    Idempotent (a replay finds nothing left to move). Returns how many moved. Raises nothing.
    """
    return _rows_move_on_merge(model=Response, move_model=ResponseMergeMove, field="response", merge=merge)


def responses_move_back_on_undo(*, merge) -> int:
    """Move back exactly the responses this merge moved (those still on the survivor). Idempotent. Raises nothing."""
    return _rows_move_back_on_undo(model=Response, move_model=ResponseMergeMove, field="response", merge=merge)
