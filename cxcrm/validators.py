"""Bounds on the instants the product accepts: one validator for every door that takes a date and time.

Why bounds: a timestamp that the database or Python cannot hold or shift to UTC (year 9999 with a negative
offset, year 1 with a positive one) breaks every list that later reads it, and a time far in the future
(a wrong year typed, a device clock gone wrong) sorts first forever and shows as a "last contact" to come.

The rule, for API bodies and filters, the file import and page forms alike:

- a year between INSTANT_MIN_YEAR and INSTANT_MAX_YEAR (UTC): years of history are normal, 1970 onwards;
- a UTC offset within ±14:00 (the widest in use, Kiribati's +14:00);
- a zone (an offset or "Z") on every text timestamp of the API and the import: a time without one is refused,
  never silently read as UTC; page forms, which send local times by nature, pass `naive="local"` to read it in
  the user's current time zone;
- optionally, not in the future beyond an allowance for clock skew (`future_skew`, e.g.
  settings.INTERACTION_FUTURE_SKEW): a time ahead of the server's clock by less than that is taken as now.

`instant_clean(value, ...)` returns an aware datetime in UTC or raises django.core.exceptions.ValidationError
with one of the codes below; callers put the message on their field (a serializer field, a filter, a line of
an import). `day_clean` holds a calendar date (a date filter, a report's period) to the same years.
The fields that use them at each door live in cxcrm/fields.py.

Text: PostgreSQL stores neither the NUL character (U+0000, in text or in jsonb) nor a lone UTF-16 surrogate
(U+D800..U+DFFF, which JSON's "\\ud800" escape can produce). `text_storable_check` refuses them in a string,
`json_storable_check` anywhere in a JSON value's keys and values.
"""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

INSTANT_MIN_YEAR = 1970
INSTANT_MAX_YEAR = 2100
MAX_UTC_OFFSET = timedelta(hours=14)

# Error codes, for callers that word a message of their own.
INVALID, A_DATE, NAIVE, OFFSET, RANGE, FUTURE = "invalid", "date", "naive", "offset", "range", "future"
DAY_INVALID, DAY_RANGE = "invalid_date", "date_range"
UNSTORABLE = "unstorable"

# In the request's language (lazy); the formats, offsets and dates they quote are the same in every language.
MESSAGES = {
    INVALID: _(
        "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
    ),
    A_DATE: _("Expected a datetime but got a date."),
    NAIVE: _("Give the time zone: a UTC offset (+02:00, -03:00) or Z; a time without one is not taken as UTC."),
    OFFSET: _("The UTC offset %(offset)s is outside -14:00 to +14:00."),
    RANGE: _("Give a time between %(earliest)s and %(latest)s (UTC)."),
    DAY_INVALID: _("Date has wrong format. Use this format instead: YYYY-MM-DD."),
    DAY_RANGE: _("Give a date between %(earliest)s and %(latest)s."),
    FUTURE: _(
        "This is %(ahead)s in the future (the server's clock says %(now)s UTC); times more than %(allowance)s "
        "ahead are refused: give when it happened, with its UTC offset."
    ),
}
_YEARS = {"earliest": f"{INSTANT_MIN_YEAR}-01-01", "latest": f"{INSTANT_MAX_YEAR}-12-31"}

EARLIEST_DAY = date(INSTANT_MIN_YEAR, 1, 1)
LATEST_DAY = date(INSTANT_MAX_YEAR, 12, 31)
_EARLIEST = datetime(INSTANT_MIN_YEAR, 1, 1, tzinfo=UTC)
_LATEST = datetime(INSTANT_MAX_YEAR + 1, 1, 1, tzinfo=UTC)


def _error(code: str, **params) -> ValidationError:
    if code in (RANGE, DAY_RANGE):
        params = {**_YEARS, **params}
    return ValidationError(MESSAGES[code], code=code, params=params or None)


def _offset_text(offset: timedelta) -> str:
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _duration_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        minutes = max(minutes, 1)
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return ngettext("%(count)d day", "%(count)d days", hours // 24) % {"count": hours // 24}


def instant_clean(
    value,
    *,
    naive: Literal["refuse", "local"] = "refuse",
    future_skew: timedelta | None = None,
    now: datetime | None = None,
) -> datetime:
    """An instant within the product's bounds, as an aware datetime in UTC.

    `value`: an ISO 8601 text ("2024-05-01T14:30:00-03:00", "…Z") or a datetime.
    `naive`: "refuse" (API, import: a time without a zone is an error) or "local" (page forms: read in the
    current time zone). `future_skew`: when given, a time later than now + future_skew is refused, and one
    later than now but within the allowance is taken as now (the sender's clock runs a little ahead).
    `now`: the server's clock, for tests.

    Raises ValidationError with code "invalid" (not a datetime), "date" (a date without a time), "naive"
    (no zone), "offset" (beyond ±14:00), "range" (outside INSTANT_MIN_YEAR..INSTANT_MAX_YEAR in UTC) or
    "future" (beyond the allowance).
    """
    if isinstance(value, date) and not isinstance(value, datetime):
        raise _error(A_DATE)
    if isinstance(value, str):
        try:
            value = parse_datetime(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime):
        raise _error(INVALID)
    if timezone.is_naive(value):
        if naive != "local":
            raise _error(NAIVE)
        try:
            value = timezone.make_aware(value)
        except (OverflowError, ValueError):
            raise _error(RANGE) from None
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise _error(OFFSET, offset=_offset_text(offset))
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise _error(RANGE) from None
    if not _EARLIEST <= value < _LATEST:
        raise _error(RANGE)
    if future_skew is not None:
        now = now or timezone.now()
        if value > now + future_skew:
            raise _error(
                FUTURE,
                ahead=_duration_text(value - now),
                now=now.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
                allowance=_duration_text(future_skew),
            )
        value = min(value, now)
    return value


def validate_instant(value) -> None:
    """instant_clean as a field validator (model and form fields holding aware datetimes): bounds only,
    no future check. Raises ValidationError as instant_clean does."""
    instant_clean(value, naive="local")


def day_clean(value) -> date:
    """A calendar date within INSTANT_MIN_YEAR..INSTANT_MAX_YEAR: `value` a date or an ISO text ("2024-05-01").

    Raises ValidationError with code "invalid_date" (not a date) or "date_range" (outside the years)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = parse_date(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date):
        raise _error(DAY_INVALID)
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise _error(DAY_RANGE)
    return value


def validate_day(value) -> None:
    """day_clean as a field validator (form fields holding dates). Raises ValidationError as day_clean does."""
    day_clean(value)


# --------------------------------------------------------------------------- text PostgreSQL can store

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = _(
    "Remove the character %(character)s: text may not hold NUL (U+0000) or a lone surrogate (U+D800 to U+DFFF)."
)


def text_storable_check(value: str) -> None:
    """Raises ValidationError (code "unstorable", naming the character) when `value` holds a character
    PostgreSQL cannot store: NUL or a lone surrogate."""
    match = _UNSTORABLE.search(value)
    if match:
        raise ValidationError(UNSTORABLE_MESSAGE, code=UNSTORABLE, params={"character": f"U+{ord(match.group()):04X}"})


def json_storable_check(value) -> None:
    """text_storable_check on every key and string value of a JSON value (dicts and lists, any depth).
    Raises ValidationError naming the character."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            text_storable_check(item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str):
                    text_storable_check(key)
                stack.append(inner)
        elif isinstance(item, list | tuple):
            stack.extend(item)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogates_replace(value):
    """`value` (text, or dicts and lists of it, any depth) with every lone surrogate replaced by U+FFFD,
    so it can be encoded as UTF-8. A message that quotes the input ('"\\ud800" is not a valid choice.')
    is then sent as a 400, not a UnicodeEncodeError. Keeps DRF's ErrorDetail codes; mappings become dicts,
    sequences lists; other values as given."""
    if isinstance(value, str):
        if not _LONE_SURROGATE.search(value):
            return value
        replaced = _LONE_SURROGATE.sub("\ufffd", value)
        code = getattr(value, "code", None)
        return type(value)(replaced, code) if code is not None else replaced
    if isinstance(value, dict):
        return {lone_surrogates_replace(k): lone_surrogates_replace(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [lone_surrogates_replace(item) for item in value]
    return value
