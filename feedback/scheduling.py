"""Pure scheduling arithmetic: quiet hours in the customer's zone, the sampling draw, the retry backoff.

No database here: feedback/services/invitations.py (when to send, who is sampled) and
feedback/services/sending.py (when to retry) call these functions.
"""

import hashlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Whether a local wall-clock time falls in [start, end); the window may wrap midnight."""
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_allowed_time(when: datetime, *, zone: ZoneInfo, quiet_start: time | None, quiet_end: time | None) -> datetime:
    """`when`, or the end of the quiet hours it falls in, read in `zone`; returned in UTC."""
    if quiet_start is None or quiet_end is None:
        return when
    local = when.astimezone(zone)
    if not in_quiet_hours(local.timetz().replace(tzinfo=None), quiet_start, quiet_end):
        return when
    end_day = local.date()
    # Past the start of a window that wraps midnight: it ends tomorrow.
    if quiet_start > quiet_end and local.time() >= quiet_start:
        end_day += timedelta(days=1)
    allowed = datetime.combine(end_day, quiet_end, tzinfo=zone)
    # A wall-clock time skipped by a DST jump normalises forward through UTC.
    return allowed.astimezone(ZoneInfo("UTC"))


def sampled_in(*, percent: int, rule_id: int, source_key: str) -> bool:
    """A deterministic draw: the same seed, rule and event always decide alike (retries agree)."""
    if percent >= 100:
        return True
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"{settings.SURVEY_SAMPLING_SEED}:{rule_id}:{source_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10000 < percent * 100


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff after the `attempt`-th failed send (1-based)."""
    return timedelta(seconds=settings.SURVEY_SEND_RETRY_BACKOFF_SECONDS * 2 ** max(attempt - 1, 0))
