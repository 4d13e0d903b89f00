"""The rep's workspace: remembering when a user last looked at "My work"."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import WorkspaceVisit


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
