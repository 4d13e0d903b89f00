"""Every metric formula against hand-computed figures (docs/metrics.md)."""

from datetime import date, timedelta

import pytest
from django.db import connection

from customers.choices import CaseStatus, InteractionType, LifecycleStage
from customers.tests.factories import CustomerFactory, InteractionFactory
from feedback.metrics import query, rollup
from feedback.tests.metrics_factories import (
    ResponseFactory,
    SentInvitationFactory,
    at,
    campaign_event,
    case,
    lifecycle,
)

pytestmark = pytest.mark.django_db

JAN = {"start": date(2026, 1, 1), "end": date(2026, 1, 31)}


def total(metric, **kwargs):
    """The figure from the daily rollups, checked against a direct computation from the rows."""
    rollup.metric_rollups_recompute(start=date(2025, 12, 1), end=date(2026, 2, 28), metrics=[metric])
    kwargs = {**JAN, **kwargs}
    from_rollups = query.metric_total(metric, **kwargs)
    assert from_rollups == query.metric_total(metric, source="live", **kwargs)
    return from_rollups


def responses(kind, scores, when=None):
    return [ResponseFactory(kind=kind, score=score, submitted_at=when or at(2026, 1, 10)) for score in scores]


# --------------------------------------------------------------------------- scores


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], {"n": 0, "value": None, "promoters": 0, "passives": 0, "detractors": 0}),
        ([9, 10, 10], {"n": 3, "value": 100.0, "promoters": 3, "passives": 0, "detractors": 0}),
        ([6], {"n": 1, "value": -100.0, "promoters": 0, "passives": 0, "detractors": 1}),
        ([8], {"n": 1, "value": 0.0, "promoters": 0, "passives": 1, "detractors": 0}),
        ([10, 9, 8, 7, 6, 0], {"n": 6, "value": 0.0, "promoters": 2, "passives": 2, "detractors": 2}),
        ([10, 10, 9, 5], {"n": 4, "value": 50.0, "promoters": 3, "passives": 0, "detractors": 1}),
        ([10, 3, 3], {"n": 3, "value": -33.33, "promoters": 1, "passives": 0, "detractors": 2}),
    ],
    ids=["no answers", "all promoters", "one detractor", "one passive", "balanced", "mixed", "thirds"],
)
def test_nps_is_percent_promoters_minus_percent_detractors(scores, expected):
    responses("nps", scores)

    row = total("nps")

    assert {key: row[key] for key in expected} == expected


def test_skipped_primary_questions_and_other_kinds_count_in_no_score():
    responses("nps", [10, None])
    responses("csat", [1])

    assert total("nps")["n"] == 1
    assert total("csat")["n"] == 1


def test_csat_is_percent_of_four_and_five_with_the_mean_beside_it():
    responses("csat", [5, 4, 3, 1])

    row = total("csat")

    assert (row["value"], row["mean"], row["satisfied"], row["neutral"], row["dissatisfied"]) == (50.0, 3.25, 2, 1, 1)


def test_ces_is_the_mean_with_the_easy_share_beside_it():
    responses("ces", [7, 5, 4, 1])

    row = total("ces")

    assert (row["value"], row["easy_pct"], row["easy"], row["difficult"]) == (4.25, 50.0, 2, 1)


def test_no_answers_give_no_value_rather_than_zero():
    assert total("csat")["value"] is None
    assert total("ces")["value"] is None
    assert total("response_rate")["value"] is None


# --------------------------------------------------------------------------- response rate


def test_response_rate_counts_invitations_sent_in_the_period_even_if_answered_later():
    sent = [SentInvitationFactory(scheduled_for=at(2026, 1, d)) for d in (3, 4, 30)]
    SentInvitationFactory(scheduled_for=at(2026, 2, 2))  # sent in February: not in January
    SentInvitationFactory(scheduled_for=at(2026, 1, 5), sent_at=None)  # never sent
    ResponseFactory(invitation=sent[2], survey=sent[2].survey, customer=sent[2].customer, submitted_at=at(2026, 2, 3))

    row = total("response_rate")

    assert (row["numerator"], row["denominator"], row["value"]) == (1, 3, 33.33)


# --------------------------------------------------------------------------- cases


def test_time_to_resolution_median_and_mean_for_cases_resolved_in_the_period():
    case(opened=at(2026, 1, 5, 8), resolved=at(2026, 1, 5, 10))  # 2 h
    case(opened=at(2026, 1, 5, 8), resolved=at(2026, 1, 5, 12))  # 4 h
    case(opened=at(2026, 1, 5, 8), resolved=at(2026, 1, 6, 14))  # 30 h
    case(opened=at(2026, 1, 5, 8), resolved=at(2026, 2, 1, 8))  # resolved in February
    case(opened=at(2026, 1, 5, 8))  # still open

    row = total("ttr_hours")

    assert (row["n"], row["median"], row["mean"], row["value"]) == (3, 4.0, 12.0, 4.0)


def test_median_of_an_even_count_is_the_mean_of_the_middle_two():
    case(opened=at(2026, 1, 5, 8), resolved=at(2026, 1, 5, 10))
    case(opened=at(2026, 1, 5, 8), resolved=at(2026, 1, 5, 12))

    assert total("ttr_hours")["median"] == 3.0


def test_a_reopened_case_counts_once_at_its_last_resolution_from_its_opening():
    # Resolved on the 5th, reopened, resolved again on the 7th: resolved_at is the last resolution.
    case(opened=at(2026, 1, 5, 8), resolved=at(2026, 1, 7, 8), reopen_count=1)

    days = query.metric_series(
        "ttr_hours", granularity="day", start=date(2026, 1, 5), end=date(2026, 1, 7), source="live"
    )

    assert [(row["n"], row["value"]) for row in days] == [(0, None), (0, None), (1, 48.0)]


def test_a_reopened_case_not_yet_resolved_again_counts_nowhere():
    case(opened=at(2026, 1, 5, 8), status=CaseStatus.OPEN, reopen_count=1)

    assert total("ttr_hours")["n"] == 0


def test_first_response_hours_for_cases_first_answered_in_the_period():
    case(opened=at(2026, 1, 5, 8), first_response=at(2026, 1, 5, 9))  # 1 h
    case(opened=at(2026, 1, 5, 8), first_response=at(2026, 1, 5, 11))  # 3 h
    case(opened=at(2026, 1, 5, 8), first_response=at(2026, 1, 5, 14))  # 6 h

    row = total("first_response_hours")

    assert (row["n"], row["value"], row["mean"]) == (3, 3.0, 3.33)


def test_sla_breach_rate_over_cases_due_in_the_period():
    case(opened=at(2026, 1, 5, 8), due=at(2026, 1, 5, 12), resolved=at(2026, 1, 5, 13))  # late: breached
    case(opened=at(2026, 1, 5, 8), due=at(2026, 1, 5, 12), resolved=at(2026, 1, 5, 11))  # in time
    case(opened=at(2026, 1, 5, 8), due=at(2026, 1, 6, 12))  # never resolved, due passed: breached
    case(opened=at(2026, 1, 5, 8), due=at(2026, 1, 6, 12), status=CaseStatus.PENDING)  # clock stopped
    case(opened=at(2026, 1, 5, 8), due=at(2026, 2, 6, 12), resolved=at(2026, 2, 7))  # due in February

    row = total("sla_breach_rate")

    assert (row["numerator"], row["denominator"], row["value"]) == (2, 4, 50.0)


def test_case_volume_counts_cases_opened_per_day():
    for day in (5, 5, 6):
        case(opened=at(2026, 1, day))

    days = query.metric_series("case_volume", granularity="day", start=date(2026, 1, 4), end=date(2026, 1, 6))

    assert [row["value"] for row in days] == [0, 0, 0]  # nothing rolled up yet
    live = query.metric_series(
        "case_volume", granularity="day", start=date(2026, 1, 4), end=date(2026, 1, 6), source="live"
    )
    assert [row["value"] for row in live] == [0, 2, 1]


# --------------------------------------------------------------------------- churn


def test_churn_rate_counts_customers_active_at_the_period_start_who_churned_during_it():
    a, b, c, d = CustomerFactory(), CustomerFactory(), CustomerFactory(), CustomerFactory()
    lifecycle(a, LifecycleStage.ACTIVE, at(2025, 12, 1))
    lifecycle(a, LifecycleStage.CHURNED, at(2026, 1, 10), LifecycleStage.ACTIVE)
    lifecycle(b, LifecycleStage.ADVOCATE, at(2025, 12, 1))
    lifecycle(c, LifecycleStage.LEAD, at(2025, 12, 1))
    lifecycle(c, LifecycleStage.CHURNED, at(2026, 1, 11), LifecycleStage.LEAD)  # never active: not counted
    lifecycle(d, LifecycleStage.ACTIVE, at(2026, 1, 3))  # active only after the month started
    lifecycle(d, LifecycleStage.CHURNED, at(2026, 1, 20), LifecycleStage.ACTIVE)

    month = total("churn_rate")
    week = total("churn_rate", start=date(2026, 1, 19), end=date(2026, 1, 25))

    assert (month["churned"], month["active_at_start"], month["value"], month["retention"]) == (1, 2, 50.0, 50.0)
    # a churned before the week; b and d were active at its start; d churned in it.
    assert (week["churned"], week["active_at_start"], week["value"]) == (1, 2, 50.0)


def test_churn_by_week_is_computed_per_week_not_summed_from_days():
    a, b = CustomerFactory(), CustomerFactory()
    lifecycle(a, LifecycleStage.ACTIVE, at(2025, 12, 1))
    lifecycle(b, LifecycleStage.ACTIVE, at(2025, 12, 1))
    lifecycle(a, LifecycleStage.CHURNED, at(2026, 1, 6), LifecycleStage.ACTIVE)

    [week] = query.metric_series("churn_rate", granularity="week", start=date(2026, 1, 5), end=date(2026, 1, 11))

    # Seven daily bases would sum to 13 customers; the week's base is the 2 active on Monday.
    assert (week["active_at_start"], week["churned"], week["value"]) == (2, 1, 50.0)


# --------------------------------------------------------------------------- campaigns


def test_campaign_rates_count_unique_recipients_by_their_first_send():
    x, y, z, w, v = (CustomerFactory() for _ in range(5))
    for customer in (x, y, z, w, v):
        campaign_event(customer, InteractionType.EMAIL_SENT, at(2026, 1, 5))
    campaign_event(w, InteractionType.EMAIL_SENT, at(2026, 1, 6))  # a second send: still one recipient
    campaign_event(x, InteractionType.EMAIL_OPEN, at(2026, 1, 5, 13))
    campaign_event(x, InteractionType.EMAIL_CLICK, at(2026, 1, 5, 14))
    InteractionFactory(customer=x, type=InteractionType.PURCHASE, occurred_at=at(2026, 1, 8))  # 3 days: converted
    campaign_event(y, InteractionType.EMAIL_OPEN, at(2026, 1, 6))
    campaign_event(v, InteractionType.EMAIL_CLICK, at(2026, 1, 5, 14))  # a click counts as an open
    InteractionFactory(customer=v, type=InteractionType.PURCHASE, occurred_at=at(2026, 1, 16))  # 11 days: too late
    campaign_event(z, InteractionType.EMAIL_OPEN, at(2026, 1, 6), campaign="other")  # another campaign

    figures = {name: total(name) for name in ("open_rate", "ctr", "click_to_open", "conversion_rate")}

    assert figures["open_rate"]["value"] == 60.0  # x, y, v of 5
    assert figures["ctr"]["value"] == 40.0  # x, v of 5
    assert figures["click_to_open"]["value"] == 66.67  # x, v of x, y, v
    assert figures["conversion_rate"]["value"] == 20.0  # x of 5


def test_conversion_window_follows_the_setting(settings):
    settings.CAMPAIGN_CONVERSION_DAYS = 14
    v = CustomerFactory()
    campaign_event(v, InteractionType.EMAIL_SENT, at(2026, 1, 5))
    campaign_event(v, InteractionType.EMAIL_CLICK, at(2026, 1, 5, 14))
    InteractionFactory(customer=v, type=InteractionType.PURCHASE, occurred_at=at(2026, 1, 16))

    assert total("conversion_rate")["value"] == 100.0


def test_interaction_volume_counts_interactions_in_the_period():
    for day in (1, 31):
        InteractionFactory(occurred_at=at(2026, 1, day))
    InteractionFactory(occurred_at=at(2026, 2, 1))

    assert total("interaction_volume")["value"] == 2


# --------------------------------------------------------------------------- periods


def test_weeks_start_on_monday_and_cross_the_year_boundary():
    responses("nps", [10], at(2025, 12, 28))  # Sunday: the week of Dec 22
    responses("nps", [10], at(2025, 12, 29))  # Monday
    responses("nps", [0], at(2026, 1, 4))  # Sunday, same week as Dec 29

    weeks = query.metric_series(
        "nps", granularity="week", start=date(2025, 12, 24), end=date(2026, 1, 6), source="live"
    )

    assert [(row["period_start"], row["n"], row["value"]) for row in weeks] == [
        (date(2025, 12, 24), 1, 100.0),  # cut to the range's start
        (date(2025, 12, 29), 2, 0.0),
        (date(2026, 1, 5), 0, None),
    ]


@pytest.mark.parametrize(
    ("granularity", "expected"),
    [
        ("month", [(date(2025, 12, 15), 2), (date(2026, 1, 1), 1), (date(2026, 2, 1), 1)]),
        ("quarter", [(date(2025, 12, 15), 2), (date(2026, 1, 1), 2)]),
    ],
)
def test_months_and_quarters_cross_the_year_and_are_cut_to_the_range(granularity, expected):
    responses("csat", [5], at(2025, 12, 20))
    responses("csat", [5], at(2025, 12, 31, 23, 59))
    responses("csat", [5], at(2026, 1, 1, 0, 0))
    responses("csat", [5], at(2026, 2, 10))
    responses("csat", [5], at(2026, 2, 11))  # after the range

    rows = query.metric_series(
        "csat", granularity=granularity, start=date(2025, 12, 15), end=date(2026, 2, 10), source="live"
    )

    assert [(row["period_start"], row["n"]) for row in rows] == expected


def test_days_are_calendar_days_in_the_configured_time_zone(settings):
    settings.TIME_ZONE = "America/Sao_Paulo"  # UTC−3
    responses("nps", [10], at(2026, 1, 6, 2))  # 23:00 on the 5th in São Paulo

    days = query.metric_series("nps", granularity="day", start=date(2026, 1, 5), end=date(2026, 1, 6), source="live")

    assert [row["n"] for row in days] == [1, 0]


def test_periods_in_splits_a_range_into_calendar_periods():
    from feedback.metrics.compute import periods_in

    assert periods_in(date(2025, 11, 20), date(2026, 4, 2), "quarter") == [
        (date(2025, 11, 20), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 4, 2)),
    ]
    assert periods_in(date(2026, 1, 1), date(2026, 1, 1), "week") == [(date(2026, 1, 1), date(2026, 1, 1))]
    assert len(periods_in(date(2024, 1, 1), date(2024, 12, 31), "day")) == 366
    assert periods_in(date(2026, 1, 30), date(2026, 3, 1), "month")[1] == (date(2026, 2, 1), date(2026, 2, 28))
    assert periods_in(date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=13), "week")[-1][0] == date(2026, 1, 12)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
def test_the_campaign_metrics_look_up_a_recipients_opens_and_clicks_in_the_campaign_index():
    """Each send's opens, clicks and earlier sends are found in the partial index of campaign interactions,
    not by reading the recipient's whole history (11 s of every 15 s of a month's rollup at 1M interactions)."""
    from feedback.metrics.compute import SOURCES

    campaign_event(CustomerFactory(), InteractionType.EMAIL_SENT, at(2026, 1, 5))
    queryset = SOURCES["campaign"].base(None).filter(opened=True)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "customers_int_campaign_idx" in plan and "customers_int_timeline_idx" not in plan, plan
