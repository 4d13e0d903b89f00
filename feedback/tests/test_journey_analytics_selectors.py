"""Funnel, paths and flow of the hand-computed example (feedback/tests/journey_analytics_example.py), March 2026.

Stage visits entered (or passed) in March: Alice Discover 03-01, Consider 03-03, Purchase 03-05, Support 03-10
(each left for the next, Support not); Bob Discover 03-02 (left for Purchase), Consider skipped 03-04,
Purchase 03-04; Carol's second journey Discover and Consider skipped 03-01, Purchase 03-01; Dan Consider
03-03 00:00 (his Discover was in February). Every journey ended long before the tests run: none in progress.
"""

from datetime import date

import pytest

from feedback.journey_analytics.compute import journey_analytics_refresh
from feedback.journey_analytics.selectors import funnel_customers, journey_flow, journey_funnel, journey_paths

from .journey_analytics_example import build_example

pytestmark = pytest.mark.django_db

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}
FIELDS = ("name", "reached", "entered", "skipped", "converted", "in_progress", "dropped", "conversion_rate")


@pytest.fixture
def example():
    journey_map, people = build_example()
    journey_analytics_refresh(journey_map=journey_map)
    return journey_map, people


def _table(rows, fields=FIELDS):
    return [tuple(row[f] for f in fields) for row in rows]


def test_funnel_of_march(example, django_assert_max_num_queries):
    journey_map, _people = example
    with django_assert_max_num_queries(3):
        funnel = journey_funnel(journey_map, **MARCH)
    assert _table(funnel["stages"]) == [
        ("Discover", 3, 2, 1, 3, 0, 0, 100.0),
        ("Consider", 4, 2, 2, 3, 0, 1, 75.0),
        ("Purchase", 3, 3, 0, 1, 0, 2, 33.3),
        ("Support", 1, 1, 0, 0, 0, 1, 0.0),
    ]
    assert [row["drop_off_rate"] for row in funnel["stages"]] == [0.0, 25.0, 66.7, 100.0]
    # Time in stage: entered visits that went on (Discover: Alice and Bob 2 days each; Purchase: Alice 5 days).
    assert _table(funnel["stages"], ("median_hours", "p90_hours")) == [
        (48.0, 48.0),
        (48.0, 48.0),
        (120.0, 120.0),
        (None, None),
    ]


@pytest.mark.parametrize(
    ("start", "end", "reached"),
    [
        # Dan entered Consider at 03-03 00:00: in a period starting that day, not in one ending the day before.
        (date(2026, 3, 3), date(2026, 3, 4), [0, 3, 1, 0]),
        (date(2026, 3, 2), date(2026, 3, 2), [1, 0, 0, 0]),
        (date(2026, 1, 1), date(2026, 1, 31), [1, 1, 0, 0]),
    ],
)
def test_funnel_period_edges(example, start, end, reached):
    journey_map, _people = example
    assert [row["reached"] for row in journey_funnel(journey_map, start=start, end=end)["stages"]] == reached


def test_funnel_by_entry_channel_persona_and_cohort(example):
    journey_map, people = example
    by_channel = journey_funnel(journey_map, **MARCH, by="channel")
    assert {g["value"]: [row["reached"] for row in g["stages"]] for g in by_channel["groups"]} == {
        "email": [1, 1, 1, 1],
        "social": [1, 1, 1, 0],
        "web": [1, 2, 1, 0],
    }
    assert _table(by_channel["stages"]) == _table(journey_funnel(journey_map, **MARCH)["stages"])
    by_persona = journey_funnel(journey_map, **MARCH, by="persona")
    explorer = people["alice"].persona_id
    assert [g["value"] for g in by_persona["groups"]] == [explorer, ""]
    by_cohort = journey_funnel(journey_map, **MARCH, by="cohort")
    # Alice's first contact was in February; the others' is their journey's start.
    assert [g["value"] for g in by_cohort["groups"]] == ["2026-02", "2026-03"]
    filtered = journey_funnel(journey_map, **MARCH, filters={"channel": "social"})
    assert [row["reached"] for row in filtered["stages"]] == [1, 1, 1, 0]


def test_drill_down_lists_the_customers_behind_a_figure(example):
    journey_map, people = example
    consider = journey_map.stages.get(name="Consider").pk
    dropped = funnel_customers(journey_map, **MARCH, stage_id=consider, status="dropped")
    assert [visit.customer for visit in dropped] == [people["dan"]]
    skipped = funnel_customers(journey_map, **MARCH, stage_id=consider, status="skipped")
    assert {visit.customer.first_name for visit in skipped} == {"Bob", "Carol"}


def test_top_paths_with_deviations_and_outcomes(example, django_assert_max_num_queries):
    journey_map, _people = example
    with django_assert_max_num_queries(3):
        result = journey_paths(journey_map, **MARCH)
    assert result["journeys"] == 3  # Dan's journey started in February
    summary = [
        (" > ".join(p["path"]), p["journeys"], p["share"], p["deviations"], p["nps"], p["churn_rate"])
        for p in result["paths"]
    ]
    assert summary == [
        ("d-ad > p-store > other-key > d-web", 1, 33.3, ["skipped", "reversed", "off_map"], -100.0, 100.0),
        ("d-web > c-web > p-web > s-phone", 1, 33.3, [], 100.0, 0.0),
        ("p-web", 1, 33.3, ["skipped"], None, 0.0),
    ]
    assert result["paths"][0]["steps"][2] == {"key": "other-key", "on_map": False}
    assert result["paths"][1]["follows_design"] is True
    assert {(t["from"], t["to"]) for t in result["transitions"]} == {
        ("d-ad", "p-store"),
        ("p-store", "other-key"),
        ("other-key", "d-web"),
        ("d-web", "c-web"),
        ("c-web", "p-web"),
        ("p-web", "s-phone"),
    }
    assert [len(journey_paths(journey_map, **MARCH, limit=1)["paths"])] == [1]


def test_stage_flow_for_the_sankey_chart(example, django_assert_max_num_queries):
    journey_map, _people = example
    ids = {stage.name: f"stage-{stage.pk}" for stage in journey_map.stages.all()}
    with django_assert_max_num_queries(2):
        flow = journey_flow(journey_map, **MARCH)
    assert [node["label"] for node in flow["nodes"]] == [
        "Discover",
        "Consider",
        "Purchase",
        "Support",
        "Left the journey",
    ]
    links = {(link["from"], link["to"]): link["journeys"] for link in flow["links"]}
    assert links == {
        (ids["Discover"], ids["Consider"]): 1,
        (ids["Discover"], ids["Purchase"]): 1,
        (ids["Consider"], ids["Purchase"]): 1,
        (ids["Purchase"], ids["Support"]): 1,
        (ids["Consider"], "dropped"): 1,
        (ids["Purchase"], "dropped"): 2,
        (ids["Support"], "dropped"): 1,
    }


def test_touchpoint_flow_indexes_nodes_by_step_so_going_back_draws_no_cycle(example):
    journey_map, _people = example
    flow = journey_paths(journey_map, **MARCH)["touchpoint_flow"]
    links = {(link["from"], link["to"]): link["journeys"] for link in flow["links"]}
    assert links[("1:d-ad", "2:p-store")] == 1 and links[("2:c-web", "3:p-web")] == 1
    assert links[("3:other-key", "4:d-web")] == 1 and links[("1:d-web", "2:c-web")] == 1  # d-web at two steps
    assert sum(links.values()) == sum(t["journeys"] for t in journey_paths(journey_map, **MARCH)["transitions"])

    from collections import Counter

    from feedback.journey_analytics.selectors import _step_flow

    went_back = _step_flow(
        Counter({(1, "cart", "checkout"): 5, (2, "checkout", "cart"): 2, (3, "cart", "checkout"): 2})
    )
    edges = [(link["from"], link["to"]) for link in went_back["links"]]
    assert edges == [("1:cart", "2:checkout"), ("2:checkout", "3:cart"), ("3:cart", "4:checkout")]
    assert all(int(a.split(":")[0]) < int(b.split(":")[0]) for a, b in edges)  # always forward: no cycle
