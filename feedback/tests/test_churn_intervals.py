"""Churn read from the stage intervals gives the figures of its definition (docs/metrics.md) on hand-made
histories — stage changes exactly at period edges, two changes at one instant, a change dated in the past,
merges and their undo, erasure — for every granularity, by persona and with a persona filter, and costs the
same few queries whatever the number of periods."""

from datetime import date, timedelta

import pytest

from customers.choices import ACTIVE_STAGES, LifecycleStage
from customers.models import Customer, LifecycleChange
from customers.selectors import lifecycle_churn_counts
from customers.services import (
    customer_erase,
    customer_merge,
    lifecycle_change_remove,
    lifecycle_intervals_rebuild,
    lifecycle_intervals_refresh,
    lifecycle_stage_set,
    merge_undo,
)
from feedback.metrics import compute, query
from journeys.tests.factories import PersonaFactory

from .metrics_factories import CustomerFactory, at, lifecycle

pytestmark = pytest.mark.django_db

ACTIVE, AT_RISK, ADVOCATE = LifecycleStage.ACTIVE, LifecycleStage.AT_RISK, LifecycleStage.ADVOCATE
LEAD, CHURNED = LifecycleStage.LEAD, LifecycleStage.CHURNED
START, END = date(2026, 1, 1), date(2026, 3, 31)


def midnight(day: date):
    return at(day.year, day.month, day.day, hour=0)


def expected_churn(start, end, granularity, *, dimension="overall", filters=None, as_of=None) -> list[dict]:
    """The definition, read straight from the changes in Python: each period's base is the customers (not
    folded into another) whose last change strictly before its first instant is to an active stage; its
    churned are those of them with a change to `churned` within the period. As of a moment: the customers
    created and the changes made by then."""
    customers = Customer.objects.active()
    if filters:
        customers = customers.filter(**filters)
    changes: dict[int, list[LifecycleChange]] = {}
    recorded = LifecycleChange.objects.all()
    if as_of is not None:
        customers = customers.filter(created_at__lte=as_of)
        recorded = recorded.filter(changed_at__lte=as_of)
    for change in recorded.order_by("changed_at", "id"):
        changes.setdefault(change.customer_id, []).append(change)
    rows = {}
    for first, last in compute.periods_in(start, end, granularity):
        low, high = compute.local_bounds(first, last)
        for customer in customers:
            history = changes.get(customer.pk, [])
            before = [c for c in history if c.changed_at < low]
            if not before or before[-1].to_stage not in ACTIVE_STAGES:
                continue
            value = "" if dimension == "overall" else str(customer.persona_id or "")
            row = rows.setdefault((first, value), {"active": 0, "churned": 0})
            row["active"] += 1
            row["churned"] += any(c.to_stage == CHURNED and low <= c.changed_at < high for c in history)
    return [
        {"period": first, "dimension_value": value, "n": row["active"], "numerator": row["churned"]}
        for (first, value), row in sorted(rows.items())
    ]


def computed_churn(start, end, granularity, *, dimension="overall", filters=None, as_of=None) -> list[dict]:
    rows = compute.aggregate(
        "churn_rate",
        start=start,
        end=end,
        granularity=granularity,
        dimension=dimension,
        filters=filters,
        as_of=as_of,
    )
    return [
        {"period": r["period"], "dimension_value": r["dimension_value"], "n": r["n"], "numerator": r["numerator"]}
        for r in sorted(rows, key=lambda r: (r["period"], r["dimension_value"]))
    ]


def assert_intervals_follow_the_changes():
    """Every change's valid_to is its customer's next change's time (NULL for the latest), and its
    next_churned_at the time of the first later change to churned (NULL if none)."""
    changes: dict[int, list[LifecycleChange]] = {}
    for change in LifecycleChange.objects.order_by("changed_at", "id"):
        changes.setdefault(change.customer_id, []).append(change)
    for history in changes.values():
        following = [c.changed_at for c in history[1:]] + [None]
        assert [c.valid_to for c in history] == following
        churns = [
            next((later.changed_at for later in history[i + 1 :] if later.to_stage == CHURNED), None)
            for i in range(len(history))
        ]
        assert [c.next_churned_at for c in history] == churns


@pytest.fixture
def histories():
    """Customers whose histories put changes on period edges, two at one instant, and one dated in the past."""
    retail, business = PersonaFactory(name="Retail"), PersonaFactory(name="Business")
    edge = CustomerFactory(persona=retail)  # active from before; churned exactly at Monday 12 Jan 00:00
    lifecycle(edge, ACTIVE, at(2025, 11, 3))
    lifecycle(edge, CHURNED, midnight(date(2026, 1, 12)), ACTIVE)
    starts_on_edge = CustomerFactory(persona=retail)  # active from Monday 5 Jan 00:00: not active *before* it
    lifecycle(starts_on_edge, LEAD, at(2025, 12, 1))
    lifecycle(starts_on_edge, ACTIVE, midnight(date(2026, 1, 5)), LEAD)
    lifecycle(starts_on_edge, CHURNED, at(2026, 1, 7), ACTIVE)
    same_instant = CustomerFactory(persona=business)  # at risk then advocate at one instant: the later id wins
    lifecycle(same_instant, LEAD, at(2025, 12, 1))
    lifecycle(same_instant, AT_RISK, at(2026, 1, 20), LEAD)
    lifecycle(same_instant, ADVOCATE, at(2026, 1, 20), AT_RISK)
    lifecycle(same_instant, CHURNED, at(2026, 2, 16), ADVOCATE)
    churned_twice = CustomerFactory(persona=business)  # churned, back, churned again within one month
    lifecycle(churned_twice, ACTIVE, at(2025, 10, 1))
    lifecycle(churned_twice, CHURNED, at(2026, 2, 3), ACTIVE)
    lifecycle(churned_twice, ACTIVE, at(2026, 2, 10), CHURNED)
    lifecycle(churned_twice, CHURNED, at(2026, 2, 24), ACTIVE)
    backdated = CustomerFactory(lifecycle_stage=ACTIVE)  # no persona; a change entered later, dated earlier
    lifecycle(backdated, ACTIVE, at(2025, 12, 1))
    lifecycle(backdated, CHURNED, at(2026, 3, 2), ACTIVE)
    lifecycle(backdated, AT_RISK, at(2026, 1, 14), ACTIVE)  # recorded last, placed between the two
    steady = CustomerFactory(persona=retail)
    lifecycle(steady, ADVOCATE, at(2025, 6, 1))
    return {
        "edge": edge,
        "starts_on_edge": starts_on_edge,
        "same_instant": same_instant,
        "churned_twice": churned_twice,
        "backdated": backdated,
        "steady": steady,
        "retail": retail,
    }


GRANULARITIES = ["day", "week", "month", "quarter", None]


def assert_churn_as_defined(**kwargs):
    assert_intervals_follow_the_changes()
    for granularity in GRANULARITIES:
        assert computed_churn(START, END, granularity, **kwargs) == expected_churn(START, END, granularity, **kwargs)


def test_churn_from_intervals_matches_the_definition_at_period_edges(histories):
    assert_churn_as_defined()
    weeks = {row["period"]: row for row in computed_churn(date(2026, 1, 5), date(2026, 1, 18), "week")}
    # Week of 5 Jan: edge, churned_twice, backdated, steady active at Monday 00:00 (starts_on_edge became
    # active at that very instant: not before it). Week of 12 Jan: edge churned at its first instant.
    assert (weeks[date(2026, 1, 5)]["n"], weeks[date(2026, 1, 5)]["numerator"]) == (4, 0)
    assert (weeks[date(2026, 1, 12)]["n"], weeks[date(2026, 1, 12)]["numerator"]) == (4, 1)


def test_churn_by_persona_and_with_a_persona_filter_matches_the_definition(histories):
    assert_churn_as_defined(dimension="persona")
    assert_churn_as_defined(filters={"persona": histories["retail"].pk})


@pytest.mark.parametrize("stage", [LEAD, ADVOCATE], ids=["stage kept", "stage changed"])
def test_churn_after_a_merge_and_its_undo_matches_the_definition(histories, stage):
    survivor = CustomerFactory(lifecycle_stage=LEAD)
    lifecycle(survivor, LEAD, at(2025, 12, 1))
    # Moves the other's four changes over (and records the merged customer's new stage, now, if it changes).
    record = customer_merge(survivor=survivor, other=histories["churned_twice"], lifecycle_stage=stage)
    assert_churn_as_defined()
    assert LifecycleChange.objects.filter(customer=survivor).count() == (5 if stage == LEAD else 6)

    merge_undo(merge=record)

    assert_churn_as_defined()
    assert LifecycleChange.objects.filter(customer=histories["churned_twice"]).count() == 4


def test_churn_as_of_a_moment_counts_the_customers_and_moves_recorded_by_then(histories):
    """As the rollups store it: a customer created later and the moves made later are not counted yet (a
    stage then is the one before the later moves, even for periods after the moment)."""
    Customer.objects.update(created_at=at(2025, 1, 1))
    Customer.objects.filter(pk=histories["steady"].pk).update(created_at=at(2026, 2, 20))

    for as_of in (at(2026, 1, 12, 0), at(2026, 2, 10), at(2026, 2, 24)):
        for granularity in ("day", "week", None):
            computed = computed_churn(START, END, granularity, as_of=as_of)
            assert computed == expected_churn(START, END, granularity, as_of=as_of)
    assert computed_churn(START, END, "month", as_of=at(2026, 2, 10)) != computed_churn(START, END, "month")


def test_churn_after_erasure_is_unchanged(histories):
    before = computed_churn(START, END, "week")

    customer_erase(customer=histories["edge"])

    assert computed_churn(START, END, "week") == before
    assert_churn_as_defined()


def test_stage_set_with_a_past_date_and_a_removed_change_keep_the_intervals(histories):
    customer = histories["steady"]
    lifecycle_stage_set(customer=customer, stage=CHURNED, at=at(2026, 2, 2))
    lifecycle_stage_set(customer=customer, stage=AT_RISK, at=at(2026, 1, 26))  # dated before the last one
    assert_churn_as_defined()

    lifecycle_change_remove(change=LifecycleChange.objects.get(customer=customer, to_stage=CHURNED))

    assert_churn_as_defined()


def test_rebuilding_the_intervals_restores_them_and_a_second_run_changes_nothing(histories):
    LifecycleChange.objects.update(valid_to=None, next_churned_at=None)  # as before the intervals existed

    assert lifecycle_intervals_rebuild() > 0
    assert lifecycle_intervals_rebuild() == 0
    assert lifecycle_intervals_refresh(customer_ids=[histories["edge"].pk]) == 0
    assert_churn_as_defined()


@pytest.mark.parametrize("weeks", [2, 13, 52])
def test_churn_over_many_periods_takes_one_query_whatever_their_number(histories, weeks, django_assert_num_queries):
    end = START + timedelta(weeks=weeks) - timedelta(days=1)
    with django_assert_num_queries(1):
        rows = compute.aggregate("churn_rate", start=START, end=end, granularity="week", dimension="persona")
    assert rows


def test_churn_counts_take_a_customer_queryset_and_any_breakdown_expression(histories):
    """The selector other breakdowns build on: customers as a queryset, groups from any expression."""
    low, high = compute.local_bounds(date(2026, 2, 1), date(2026, 2, 28))
    some = Customer.objects.filter(pk__in=[histories["churned_twice"].pk, histories["steady"].pk])

    counts = lifecycle_churn_counts(periods=[(low, high)], customers=some, group_by="persona__name")

    assert {(group, c.active_at_start, c.churned) for (_i, group), c in counts.items()} == {
        ("Business", 1, 1),
        ("Retail", 1, 0),
    }


def test_overlapping_churn_periods_count_each_as_on_its_own(histories):
    quarter = compute.local_bounds(START, END)
    weeks = [compute.local_bounds(first, last) for first, last in compute.periods_in(START, END, "week")]

    together = lifecycle_churn_counts(periods=[quarter, *weeks])

    assert together[(0, None)] == lifecycle_churn_counts(periods=[quarter])[(0, None)]
    alone = lifecycle_churn_counts(periods=weeks)
    assert {(i + 1, g): c for (i, g), c in alone.items()} == {k: c for k, c in together.items() if k[0] > 0}
    with pytest.raises(ValueError, match="end after it starts"):
        lifecycle_churn_counts(periods=[(quarter[1], quarter[0])])


@pytest.mark.parametrize("granularity", ["week", "month"])
def test_a_trend_with_its_tiles_reads_churn_in_one_query_with_the_same_figures(
    histories, granularity, django_assert_num_queries
):
    start, end = date(2026, 2, 1), date(2026, 3, 31)
    separately = (
        query.metric_series("churn_rate", granularity=granularity, start=start, end=end),
        query.metric_totals("churn_rate", ranges=[(start, end), query.previous_range(start, end)]),
    )

    with django_assert_num_queries(1):
        together = query.metric_series_with_totals("churn_rate", granularity=granularity, start=start, end=end)

    assert together == separately
    assert together[1][0]["n"] > 0 and together[1][1]["n"] > 0
