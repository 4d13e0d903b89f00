"""The bounds of every instant the product accepts (cxcrm.validators.instant_clean)."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from django.core.exceptions import ValidationError

from cxcrm.validators import INSTANT_MAX_YEAR, INSTANT_MIN_YEAR, instant_clean, validate_instant

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2024-05-01T14:30:00Z", datetime(2024, 5, 1, 14, 30, tzinfo=UTC)),
        ("2024-05-01T11:30:00-03:00", datetime(2024, 5, 1, 14, 30, tzinfo=UTC)),
        ("2024-05-02T04:30:00+14:00", datetime(2024, 5, 1, 14, 30, tzinfo=UTC)),
        ("2024-05-01T02:30:00-12:00", datetime(2024, 5, 1, 14, 30, tzinfo=UTC)),
        ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC)),
        ("1990-03-04T05:06:07+01:00", datetime(1990, 3, 4, 4, 6, 7, tzinfo=UTC)),
        (datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=5, minutes=45))), None),
    ],
)
def test_instants_within_the_bounds_come_back_in_utc(given, expected):
    result = instant_clean(given)
    assert result.tzinfo == UTC
    if expected is not None:
        assert result == expected


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("yesterday", "invalid"),
        ("", "invalid"),
        (12, "invalid"),
        (date(2024, 5, 1), "date"),
        ("2024-05-01T14:30:00", "naive"),
        (datetime(2024, 5, 1, 14, 30), "naive"),
        ("2024-01-01T00:00:00-21:00", "offset"),
        ("2024-01-01T00:00:00+14:30", "offset"),
        ("9999-12-31T23:59:59-12:00", "range"),
        ("0001-01-01T00:00:00+01:00", "range"),
        ("1969-12-31T23:59:59Z", "range"),
        (f"{INSTANT_MAX_YEAR + 1}-01-01T00:00:00Z", "range"),
        (f"{INSTANT_MIN_YEAR}-01-01T00:30:00+01:00", "range"),  # 1969 in UTC
    ],
)
def test_anything_else_is_refused_with_its_reason(given, code):
    with pytest.raises(ValidationError) as error:
        instant_clean(given)
    assert error.value.code == code
    assert error.value.messages[0]


def test_a_time_without_a_zone_may_be_read_in_the_current_time_zone(settings):
    settings.TIME_ZONE = "America/Sao_Paulo"
    assert instant_clean("2024-05-01T11:30:00", naive="local") == datetime(2024, 5, 1, 14, 30, tzinfo=UTC)


def test_the_future_beyond_the_allowance_is_refused_and_within_it_taken_as_now():
    skew = timedelta(minutes=5)
    assert instant_clean(NOW + timedelta(minutes=4), future_skew=skew, now=NOW) == NOW
    assert instant_clean(NOW - timedelta(days=400), future_skew=skew, now=NOW) == NOW - timedelta(days=400)
    with pytest.raises(ValidationError) as error:
        instant_clean(NOW + timedelta(minutes=6), future_skew=skew, now=NOW)
    assert error.value.code == "future"
    assert "6 minutes in the future" in error.value.messages[0] and "5 minutes" in error.value.messages[0]
    with pytest.raises(ValidationError) as error:
        instant_clean("2031-01-01T00:00:00Z", future_skew=skew, now=NOW)
    assert "days in the future" in error.value.messages[0]


def test_the_offset_message_names_the_offset():
    with pytest.raises(ValidationError) as error:
        instant_clean("2024-01-01T00:00:00-21:00")
    assert "-21:00" in error.value.messages[0]


def test_validate_instant_checks_bounds_only():
    validate_instant(datetime(2024, 5, 1, tzinfo=UTC))
    with pytest.raises(ValidationError):
        validate_instant(datetime(1900, 5, 1, tzinfo=UTC))
