"""Journeys and stage visits of the hand-computed example (feedback/tests/journey_analytics_example.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from customers.models import Interaction
from customers.tests.factories import InteractionFactory
from feedback.journey_analytics.compute import journey_analytics_refresh, journey_analytics_refresh_all
from feedback.journey_analytics.models import CustomerJourney, JourneyAnalyticsState, JourneyStageVisit
from journeys.choices import MapStatus
from journeys.models import Stage

from .journey_analytics_example import at, build_example

pytestmark = pytest.mark.django_db

DAY = 86400.0


def _journeys(customer):
    return list(CustomerJourney.objects.filter(customer=customer).order_by("started_at"))


def _visits(journey):
    return [
        (
            v.stage.name,
            v.entered_at,
            v.skipped,
            v.left_at,
            v.next_stage.name if v.next_stage else None,
            v.seconds_in_stage,
        )
        for v in JourneyStageVisit.objects.filter(journey=journey)
        .select_related("stage", "next_stage")
        .order_by("stage_index")
    ]


@pytest.fixture
def example():
    journey_map, people = build_example()
    journey_analytics_refresh(journey_map=journey_map)
    return journey_map, people


def test_in_order_journey_enters_every_stage_with_its_time_in_stage(example):
    _map, people = example
    (journey,) = _journeys(people["alice"])
    assert (journey.started_at, journey.ended_at, journey.interactions) == (at(3, 1, 10), at(3, 10, 10), 4)
    assert journey.furthest_stage.name == "Support" and journey.furthest_index == 3
    assert journey.path == "d-web > c-web > p-web > s-phone"
    assert (journey.skipped, journey.reversed, journey.off_map) == (False, False, False)
    assert journey.entry_channel == "email"
    assert journey.persona.name == "Explorer" and journey.first_contact_at == at(2, 10)
    assert (journey.nps_n, journey.nps_promoters, journey.nps_detractors, journey.churned) == (1, 1, 0, False)
    assert _visits(journey) == [
        ("Discover", at(3, 1, 10), False, at(3, 3, 10), "Consider", 2 * DAY),
        ("Consider", at(3, 3, 10), False, at(3, 5, 10), "Purchase", 2 * DAY),
        ("Purchase", at(3, 5, 10), False, at(3, 10, 10), "Support", 5 * DAY),
        ("Support", at(3, 10, 10), False, None, None, None),
    ]


def test_skipped_stage_going_back_and_off_map_touchpoint(example):
    _map, people = example
    (journey,) = _journeys(people["bob"])
    assert journey.furthest_stage.name == "Purchase"
    # other-key is off the map; the second d-web in a row is one step; going back to d-web enters nothing.
    assert journey.path == "d-ad > p-store > other-key > d-web"
    assert (journey.skipped, journey.reversed, journey.off_map) == (True, True, True)
    assert journey.entry_channel == "social"
    assert (journey.nps_n, journey.nps_promoters, journey.nps_detractors, journey.churned) == (1, 0, 1, True)
    assert _visits(journey) == [
        ("Discover", at(3, 2, 9), False, at(3, 4, 9), "Purchase", 2 * DAY),
        ("Consider", at(3, 4, 9), True, at(3, 4, 9), "Purchase", None),
        ("Purchase", at(3, 4, 9), False, None, None, None),
    ]


def test_gap_of_inactivity_splits_two_journeys_and_the_second_skips_the_stages_before(example):
    _map, people = example
    first, second = _journeys(people["carol"])
    assert (first.started_at, first.furthest_stage.name, first.path) == (at(1, 1, 12), "Consider", "d-web > c-web")
    assert _visits(first) == [
        ("Discover", at(1, 1, 12), False, at(1, 5, 12), "Consider", 4 * DAY),
        ("Consider", at(1, 5, 12), False, None, None, None),
    ]
    assert (second.started_at, second.furthest_stage.name, second.path, second.skipped) == (
        at(3, 1, 12),
        "Purchase",
        "p-web",
        True,
    )
    assert _visits(second) == [
        ("Discover", at(3, 1, 12), True, at(3, 1, 12), "Purchase", None),
        ("Consider", at(3, 1, 12), True, at(3, 1, 12), "Purchase", None),
        ("Purchase", at(3, 1, 12), False, None, None, None),
    ]


def test_exactly_the_gap_apart_is_still_one_journey_and_no_map_touchpoint_is_no_journey(example):
    _map, people = example
    (journey,) = _journeys(people["dan"])
    assert journey.path == "d-web > c-web"
    assert _journeys(people["erin"]) == []


def test_refresh_is_idempotent(example):
    journey_map, _people = example

    def snapshot():
        return sorted(
            CustomerJourney.objects.values_list("customer_id", "started_at", "path", "furthest_index")
        ), sorted(JourneyStageVisit.objects.values_list("customer_id", "stage_id", "entered_at", "skipped", "left_at"))

    before = snapshot()
    counts = journey_analytics_refresh(journey_map=journey_map)
    assert counts == {"customers": 4, "journeys": 5, "visits": 14}
    assert snapshot() == before


def test_incremental_refresh_replaces_only_the_customers_touched_since(example):
    journey_map, people = example
    untouched = CustomerJourney.objects.get(customer=people["alice"]).pk
    Interaction.objects.update(created_at=at(4, 1))  # recorded long ago
    since = datetime.now(UTC) - timedelta(hours=1)
    InteractionFactory(customer=people["dan"], touchpoint_key="p-web", occurred_at=at(3, 4))  # arrives late
    counts = journey_analytics_refresh(journey_map=journey_map, since=since)
    assert counts["customers"] == 1
    (dan,) = _journeys(people["dan"])
    assert (dan.path, dan.furthest_stage.name) == ("d-web > c-web > p-web", "Purchase")
    assert CustomerJourney.objects.get(customer=people["alice"]).pk == untouched


def test_refresh_all_recomputes_a_map_whose_layout_changed_and_drops_unpublished_maps(example):
    journey_map, people = example
    journey_analytics_refresh_all(since=datetime.now(UTC))
    assert JourneyAnalyticsState.objects.get(journey_map=journey_map).layout["gap_days"] == 30
    # Consider moved before Discover: everyone is recomputed with the new order, even with nothing new.
    Stage.objects.filter(journey_map=journey_map, name="Discover").update(position=1)
    Stage.objects.filter(journey_map=journey_map, name="Consider").update(position=0)
    journey_analytics_refresh_all(since=datetime.now(UTC))
    (alice,) = _journeys(people["alice"])
    assert alice.reversed is True
    journey_map.status = MapStatus.ARCHIVED
    journey_map.save()
    journey_analytics_refresh_all(since=datetime.now(UTC))
    assert not CustomerJourney.objects.exists() and not JourneyStageVisit.objects.exists()


def test_backfill_command_and_beat_task_fill_the_journeys(capsys):
    from django.core.management import call_command

    from feedback.journey_analytics.tasks import refresh_journey_analytics

    build_example()
    call_command("rollup_metrics", "--since", "2026-01-01", "--until", "2026-03-31", "--no-progress")
    assert "Journey analytics: 5 journeys of 4 customers on 1 published maps." in capsys.readouterr().out
    assert CustomerJourney.objects.count() == 5
    # The beat: the customers touched since yesterday (every interaction was recorded today): the same rows.
    assert refresh_journey_analytics() == 5
    assert CustomerJourney.objects.count() == 5


def test_deleting_a_customer_removes_their_journeys_and_visits(example):
    _map, people = example
    people["dan"].delete()
    assert not CustomerJourney.objects.filter(customer_id=people["dan"].pk).exists()
    assert not JourneyStageVisit.objects.filter(customer_id=people["dan"].pk).exists()
    assert CustomerJourney.objects.count() == 4
