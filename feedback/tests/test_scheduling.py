"""Quiet hours across time zones and the seeded sampling draw."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from feedback.scheduling import in_quiet_hours, next_allowed_time, retry_delay, sampled_in

UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("local", "start", "end", "quiet"),
    [
        (time(22, 0), time(21, 0), time(8, 0), True),
        (time(3, 0), time(21, 0), time(8, 0), True),
        (time(8, 0), time(21, 0), time(8, 0), False),
        (time(20, 59), time(21, 0), time(8, 0), False),
        (time(12, 30), time(12, 0), time(14, 0), True),
        (time(14, 0), time(12, 0), time(14, 0), False),
    ],
)
def test_in_quiet_hours_handles_windows_wrapping_midnight(local, start, end, quiet):
    assert in_quiet_hours(local, start, end) is quiet


@pytest.mark.parametrize(
    ("when_utc", "zone", "expected_utc"),
    [
        # 23:30 in São Paulo (UTC-3) is quiet; sending moves to 08:00 local the next day = 11:00 UTC.
        (datetime(2026, 3, 10, 2, 30, tzinfo=UTC), "America/Sao_Paulo", datetime(2026, 3, 10, 11, 0, tzinfo=UTC)),
        # 02:30 UTC is 03:30 in Warsaw (UTC+1): quiet until 08:00 the same local day = 07:00 UTC.
        (datetime(2026, 3, 10, 2, 30, tzinfo=UTC), "Europe/Warsaw", datetime(2026, 3, 10, 7, 0, tzinfo=UTC)),
        # 02:30 UTC is 14:30 in Auckland (UTC+13): allowed, unchanged.
        (datetime(2026, 3, 10, 2, 30, tzinfo=UTC), "Pacific/Auckland", datetime(2026, 3, 10, 2, 30, tzinfo=UTC)),
        # 21:15 in Athens (UTC+2) on 9 March: quiet until 08:00 on 10 March = 06:00 UTC.
        (datetime(2026, 3, 9, 19, 15, tzinfo=UTC), "Europe/Athens", datetime(2026, 3, 10, 6, 0, tzinfo=UTC)),
    ],
)
def test_next_allowed_time_reads_quiet_hours_in_the_customers_zone(when_utc, zone, expected_utc):
    moved = next_allowed_time(when_utc, zone=ZoneInfo(zone), quiet_start=time(21, 0), quiet_end=time(8, 0))
    assert moved == expected_utc


def test_next_allowed_time_across_a_dst_change():
    # Night of the spring-forward in Warsaw (29 March 2026, 02:00 → 03:00): 23:00 local on the 28th (UTC+1)
    # is quiet until 08:00 on the 29th, which is UTC+2 by then: 06:00 UTC.
    when = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    moved = next_allowed_time(when, zone=ZoneInfo("Europe/Warsaw"), quiet_start=time(21, 0), quiet_end=time(8, 0))
    assert moved == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)


def test_no_quiet_hours_leaves_the_time_alone():
    when = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)
    assert next_allowed_time(when, zone=ZoneInfo("Europe/Warsaw"), quiet_start=None, quiet_end=None) == when


def test_sampling_is_seeded_and_repeatable(settings):
    settings.SURVEY_SAMPLING_SEED = "seed-a"
    keys = [f"interaction:{n}" for n in range(2000)]
    first = [sampled_in(percent=30, rule_id=1, source_key=k) for k in keys]
    again = [sampled_in(percent=30, rule_id=1, source_key=k) for k in keys]
    assert first == again
    assert 0.26 < sum(first) / len(first) < 0.34
    settings.SURVEY_SAMPLING_SEED = "seed-b"
    other_seed = [sampled_in(percent=30, rule_id=1, source_key=k) for k in keys]
    assert other_seed != first


@pytest.mark.parametrize(("percent", "expected"), [(0, 0), (100, 50)])
def test_sampling_edges_take_none_or_all(percent, expected):
    assert sum(sampled_in(percent=percent, rule_id=7, source_key=f"case:{n}") for n in range(50)) == expected


def test_retry_delay_doubles(settings):
    settings.SURVEY_SEND_RETRY_BACKOFF_SECONDS = 60
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
