"""A customer's timeline: every interaction across channels, newest first, keyset-paginated on
(occurred_at, id) so a deep page costs what the first does, and filtered by TimelineFilterSet."""

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from cxcrm.db import keyset_condition
from cxcrm.validators import instant_clean

from .filtersets import TimelineFilterSet
from .models import Customer, Interaction


class InvalidCursor(ValidationError):
    pass


@dataclass
class TimelinePage:
    results: list[Interaction]
    next_cursor: str | None = None
    previous_cursor: str | None = None
    extra: dict = field(default_factory=dict)


def _encode_cursor(item: Interaction, direction: str) -> str:
    payload = json.dumps({"t": item.occurred_at.isoformat(), "i": item.pk, "d": direction}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        occurred_at = parse_datetime(data["t"])
        pk = int(data["i"])
        direction = data["d"]
        if occurred_at is None or direction not in ("n", "p") or not 0 <= pk < 2**63:
            raise ValueError
        if timezone.is_naive(occurred_at):
            occurred_at = timezone.make_aware(occurred_at, UTC)
        # A cursor is read from the query string: an edited one must not reach the database out of bounds.
        occurred_at = instant_clean(occurred_at)
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError, AttributeError, ValidationError):
        raise InvalidCursor({"cursor": [gettext("Invalid cursor.")]}) from None
    return occurred_at, pk, direction


def timeline_queryset(customer: Customer, filters: Mapping | None = None) -> QuerySet[Interaction]:
    """A customer's interactions filtered by TimelineFilterSet: `channel`, `type`, `direction`, `case` (id),
    `occurred_after`/`occurred_before` (ISO strings or aware datetimes). Empty or invalid values filter nothing.
    """
    queryset = Interaction.objects.filter(customer=customer).select_related("agent", "case", "touchpoint")
    return TimelineFilterSet(filters or None, queryset=queryset).qs


def customer_timeline(
    customer: Customer, filters: dict | None = None, cursor: str | None = None, page_size: int = 50
) -> TimelinePage:
    """One page of a customer's timeline, newest first, keyset-paginated on (occurred_at, id).

    `filters` as timeline_queryset takes them (a request's query parameters will do).

    `cursor` is the opaque string of a previous page's next_cursor/previous_cursor.
    Ties on occurred_at are broken by id, so no item is lost or repeated across pages.
    Raises InvalidCursor (a ValidationError) for a cursor that does not decode.
    """
    page_size = max(1, min(int(page_size), 500))
    qs = timeline_queryset(customer, filters)
    if not cursor:
        rows = list(qs.order_by("-occurred_at", "-id")[: page_size + 1])
        has_more = len(rows) > page_size
        rows = rows[:page_size]
        return TimelinePage(rows, _encode_cursor(rows[-1], "n") if has_more else None, None)
    occurred_at, pk, direction = _decode_cursor(cursor)
    if direction == "n":
        older = keyset_condition(Interaction, ("occurred_at", "id"), "<", (occurred_at, pk))
        rows = list(qs.filter(older).order_by("-occurred_at", "-id")[: page_size + 1])
        has_more = len(rows) > page_size
        rows = rows[:page_size]
        next_cursor = _encode_cursor(rows[-1], "n") if has_more else None
        previous_cursor = _encode_cursor(rows[0], "p") if rows else None
        return TimelinePage(rows, next_cursor, previous_cursor)
    newer = keyset_condition(Interaction, ("occurred_at", "id"), ">", (occurred_at, pk))
    rows = list(qs.filter(newer).order_by("occurred_at", "id")[: page_size + 1])
    has_more = len(rows) > page_size
    rows = list(reversed(rows[:page_size]))
    previous_cursor = _encode_cursor(rows[0], "p") if has_more else None
    next_cursor = _encode_cursor(rows[-1], "n") if rows else None
    return TimelinePage(rows, next_cursor, previous_cursor)
