"""The rep's workspace: when a user last looked at "My work", and which cases they have seen."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import CaseSeen, WorkspaceVisit


@transaction.atomic
def workspace_visit_record(*, user, at: datetime | None = None) -> datetime | None:
    """Record that `user` opened "My work" at `at` (default now); return the previous visit's time (None: first)."""
    at = at or timezone.now()
    visit = WorkspaceVisit.objects.select_for_update().filter(user=user).first()
    if visit is None:
        WorkspaceVisit.objects.create(user=user, seen_at=at)
        return None
    previous = visit.seen_at
    visit.seen_at = at
    visit.save(update_fields=["seen_at"])
    return previous


def case_seen_mark(*, user, case, at: datetime | None = None) -> None:
    """Record that `user` looked at `case` at `at` (default now): opened its page or marked it seen.

    Idempotent: one row per (user, case), moved forward only. "New for me" (selectors.cases_new_for)
    leaves out a case seen since it was assigned. Anonymous or unsaved users record nothing.
    """
    if not getattr(user, "pk", None):
        return
    at = at or timezone.now()
    seen, created = CaseSeen.objects.get_or_create(user=user, case_id=case.pk, defaults={"seen_at": at})
    if not created and seen.seen_at < at:
        CaseSeen.objects.filter(pk=seen.pk, seen_at__lt=at).update(seen_at=at)
