"""Health by persona, lifecycle stage and journey: the figures from the score history, the report page, its
drill-down and CSV, and /api/metrics/?metric=health — on a hand-computed example.

Two weeks, Mon 1 – Sun 14 June 2026, attention threshold 40 (the default). Score history (HealthScoreChange):
- Ann (persona Gold, active): 70 on 20 May; 30 on 3 June;
- Bob (persona Gold, at risk): 50 on 10 June (his first score);
- Cyd (no persona, active): 20 on 20 May; 60 on 10 June;
- Eve (persona Gold, erased): 10 on 3 June — never counted.
Interactions on the journey map "Onboarding"'s touchpoint: Ann in week 1, Bob and Cyd in week 2 (and Ann in week
2 on no touchpoint).

At the end of week 1: Ann 30, Cyd 20 (Bob has no score yet); at the end of week 2: Ann 30, Bob 50, Cyd 60.
"""

from datetime import UTC, date, datetime

import pytest
from django.utils import translation

from customers.choices import LifecycleStage
from customers.tests.factories import CustomerFactory, InteractionFactory
from feedback.models import HealthScoreChange, HealthSettings
from feedback.reports import health
from journeys.tests.factories import PersonaFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

WEEK1, WEEK2 = date(2026, 6, 1), date(2026, 6, 8)
START, END = date(2026, 6, 1), date(2026, 6, 14)


def at(day, month=6):
    return datetime(2026, month, day, 12, 0, tzinfo=UTC)


@pytest.fixture
def history():
    HealthSettings.load()  # the defaults' row, as a running site has it (the threshold: 40)
    gold = PersonaFactory(name="Gold")
    touchpoint = TouchpointFactory(journey_map__name="Onboarding")
    ann = CustomerFactory(first_name="Ann", persona=gold, lifecycle_stage=LifecycleStage.ACTIVE)
    bob = CustomerFactory(first_name="Bob", persona=gold, lifecycle_stage=LifecycleStage.AT_RISK)
    cyd = CustomerFactory(first_name="Cyd", persona=None, lifecycle_stage=LifecycleStage.ACTIVE)
    eve = CustomerFactory(first_name="Eve", persona=gold, erased=True)
    for customer, from_score, score, changed_at in (
        (ann, None, 70, at(20, 5)),
        (ann, 70, 30, at(3)),
        (bob, None, 50, at(10)),
        (cyd, None, 20, at(20, 5)),
        (cyd, 20, 60, at(10)),
        (eve, None, 10, at(3)),
    ):
        HealthScoreChange.objects.create(customer=customer, from_score=from_score, score=score, changed_at=changed_at)
    InteractionFactory(customer=ann, touchpoint=touchpoint, occurred_at=at(2))
    InteractionFactory(customer=bob, touchpoint=touchpoint, occurred_at=at(9))
    InteractionFactory(customer=cyd, touchpoint=touchpoint, occurred_at=at(12))
    InteractionFactory(customer=ann, occurred_at=at(11))
    return {"gold": gold, "journey": touchpoint.journey_map, "ann": ann, "bob": bob, "cyd": cyd}


def figures(rows):
    return [(r["period_start"], r["dimension_value"], r["value"], r["n"], r["below"], r["below_share"]) for r in rows]


def test_overall_health_is_the_average_of_the_scores_at_each_period_end(history):
    rows = health.health_series(start=START, end=END, granularity="week")

    assert figures(rows) == [
        (WEEK1, "", 25.0, 2, 2, 100.0),  # Ann 30, Cyd 20
        (WEEK2, "", 46.7, 3, 1, 33.3),  # Ann 30, Bob 50, Cyd 60
    ]


def test_health_by_persona(history):
    gold = str(history["gold"].pk)

    rows = health.health_series(start=START, end=END, granularity="week", dimension="persona")

    assert figures(rows) == [
        (WEEK1, "", 20.0, 1, 1, 100.0),  # Cyd
        (WEEK1, gold, 30.0, 1, 1, 100.0),  # Ann (Eve is erased)
        (WEEK2, "", 60.0, 1, 0, 0.0),
        (WEEK2, gold, 40.0, 2, 1, 50.0),  # Ann 30, Bob 50
    ]


def test_health_by_lifecycle_stage(history):
    rows = health.health_series(start=START, end=END, granularity="week", dimension="lifecycle_stage")

    assert figures(rows) == [
        (WEEK1, "active", 25.0, 2, 2, 100.0),
        (WEEK2, "active", 45.0, 2, 1, 50.0),  # Ann 30, Cyd 60
        (WEEK2, "at_risk", 50.0, 1, 0, 0.0),
    ]


def test_health_by_journey_counts_the_customers_who_met_its_touchpoints_in_the_period(history):
    journey = str(history["journey"].pk)

    rows = health.health_series(start=START, end=END, granularity="week", dimension="journey")

    assert figures(rows) == [
        (WEEK1, journey, 30.0, 1, 1, 100.0),  # Ann
        (WEEK2, journey, 55.0, 2, 0, 0.0),  # Bob 50, Cyd 60 (Ann's week-2 contact was on no touchpoint)
    ]


def test_a_period_reads_the_last_change_at_or_before_its_end(history):
    # One period, 1–3 June: Ann's 30 came at noon on the 3rd, inside the period.
    rows = health.health_series(start=START, end=date(2026, 6, 3), granularity="week")
    assert figures(rows) == [(WEEK1, "", 25.0, 2, 2, 100.0)]
    # Ending on the 2nd, Ann is still at 70.
    rows = health.health_series(start=START, end=date(2026, 6, 2), granularity="week")
    assert figures(rows) == [(WEEK1, "", 45.0, 2, 1, 50.0)]


@pytest.mark.parametrize("dimension", ["overall", "persona", "lifecycle_stage", "journey"])
def test_health_series_query_count_does_not_grow_with_the_periods(history, django_assert_max_num_queries, dimension):
    with django_assert_max_num_queries(3):
        health.health_series(start=START, end=END, granularity="week", dimension=dimension)
    with django_assert_max_num_queries(3):
        health.health_series(start=date(2026, 3, 1), end=END, granularity="day", dimension=dimension)


def test_customers_behind_a_figure_lowest_first(history):
    customers = health.health_customers_at(start=WEEK2, end=END, dimension="persona", value=str(history["gold"].pk))
    assert [(c.first_name, c.health_at) for c in customers] == [("Ann", 30), ("Bob", 50)]

    below = health.health_customers_at(
        start=WEEK2, end=END, dimension="persona", value=str(history["gold"].pk), below=True
    )
    assert [c.first_name for c in below] == ["Ann"]

    journey = health.health_customers_at(
        start=WEEK1, end=date(2026, 6, 7), dimension="journey", value=str(history["journey"].pk)
    )
    assert [(c.first_name, c.health_at) for c in journey] == [("Ann", 30)]


# --------------------------------------------------------------------------- the page, its drill-down and CSV


def test_health_page_shows_the_table_and_the_charts_with_links_to_the_customers(
    client, manager_user, history, django_assert_max_num_queries
):
    client.force_login(manager_user)
    params = {"start": START.isoformat(), "end": END.isoformat(), "granularity": "week", "dimension": "persona"}

    with django_assert_max_num_queries(14):
        response = client.get("/reports/health/", params)

    assert response.status_code == 200
    table = response.context["table"]
    # The periods are dates: "1 Jun 2026" on the page, "2026-06-01" in the exports.
    gold = str(history["gold"].pk)  # the persona's id: an export-only column beside its name
    assert table.cells == [
        [date(2026, 6, 1), "", "(none)", "20.0", "1", "1", "100.0"],
        [date(2026, 6, 1), gold, "Gold", "30.0", "1", "1", "100.0"],
        [date(2026, 6, 8), "", "(none)", "60.0", "1", "0", "0.0"],
        [date(2026, 6, 8), gold, "Gold", "40.0", "2", "1", "50.0"],
    ]
    assert "1 Jun 2026" in response.content.decode()
    chart = response.context["charts"][0]
    gold = next(d for d in chart["datasets"] if d["label"] == "Gold")
    assert gold["values"] == [30.0, 40.0]
    drill = client.get(gold["links"][1])
    assert drill.status_code == 200
    assert [row["customer"] for row in _rows(drill)] == ["Ann", "Bob"]


def _rows(response):
    return [{"customer": row.record.first_name} for row in response.context["table"].page.object_list]


def test_health_page_exports_its_table_as_csv(client, manager_user, history):
    client.force_login(manager_user)
    params = {"start": START.isoformat(), "end": END.isoformat(), "granularity": "week", "dimension": "lifecycle_stage"}

    response = client.get("/reports/health/", {**params, "format": "csv"})

    body = b"".join(response.streaming_content if response.streaming else [response.content]).decode()
    lines = body.strip().splitlines()
    # The stage as its code (integrations read it) with its label beside it.
    header = "Period,lifecycle_stage,lifecycle_stage_label,Average health,n,Below threshold,Below threshold (%)"
    assert lines[0].lstrip("\ufeff") == header
    assert lines[1:] == [
        "2026-06-01,active,Active,25.0,2,2,100.0",
        "2026-06-08,active,Active,45.0,2,1,50.0",
        "2026-06-08,at_risk,At risk,50.0,1,0,0.0",
    ]
    with translation.override("pl"):
        response = client.get("/reports/health/", {**params, "format": "csv"}, HTTP_ACCEPT_LANGUAGE="pl")
    body = b"".join(response.streaming_content if response.streaming else [response.content]).decode()
    polish = body.strip().splitlines()
    assert polish[0].lstrip("\ufeff") == header and polish[3].split(",")[1] == "at_risk"


def test_health_drill_down_exports_the_customers_for_a_manager(client, manager_user, history):
    client.force_login(manager_user)
    url = health.health_drill_url(start=WEEK2, end=END, dimension="persona", value=str(history["gold"].pk), below=True)

    response = client.get(url + "&format=csv")

    body = b"".join(response.streaming_content if response.streaming else [response.content]).decode()
    assert "Ann" in body and "Bob" not in body


@pytest.mark.parametrize(
    "query",
    [
        "start=2026-06-01&end=2026-06-14&dimension=persona&value=abc",
        "start=2026-06-01&end=2026-06-14&dimension=journey&value=",
        "start=2026-06-01&end=2026-06-14&dimension=lifecycle_stage&value=asleep",
        "start=2026-06-14&end=2026-06-01",
        "start=nope&end=2026-06-01",
        "end=2026-06-01",
        "start=2026-06-01&end=2026-06-14&dimension=colour",
    ],
)
def test_health_drill_down_refuses_a_link_that_names_no_figure(client, manager_user, query):
    client.force_login(manager_user)

    response = client.get(f"/reports/health/drill/?{query}")

    assert response.status_code == 400
    assert "The link does not name a figure" in response.content.decode()


def test_health_report_is_for_managers(client, rep_user, marketer_user):
    for user in (rep_user, marketer_user):
        client.force_login(user)
        assert client.get("/reports/health/").status_code == 403
        assert client.get("/reports/health/drill/?start=2026-06-01&end=2026-06-14").status_code == 403


# --------------------------------------------------------------------------- the API


def test_api_metrics_gives_health_by_persona(api_as, manager_user, history):
    response = api_as(manager_user).get(
        "/api/metrics/",
        {"metric": "health", "granularity": "week", "start": "2026-06-01", "end": "2026-06-14", "dimension": "persona"},
    )

    assert response.status_code == 200
    body = response.json()
    gold = str(history["gold"].pk)
    assert [
        (r["period_start"], r["dimension_value"], r["value"], r["n"], r["below"], r["below_share"])
        for r in body["results"]
    ] == [
        ("2026-06-01", "", 20.0, 1, 1, 100.0),
        ("2026-06-01", gold, 30.0, 1, 1, 100.0),
        ("2026-06-08", "", 60.0, 1, 0, 0.0),
        ("2026-06-08", gold, 40.0, 2, 1, 50.0),
    ]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"dimension": "channel"}, "dimension"),
        ({"channel": "email"}, "channel"),
    ],
)
def test_api_metrics_refuses_what_health_cannot_be_read_by(api_as, manager_user, params, field):
    base = {"metric": "health", "granularity": "week", "start": "2026-06-01", "end": "2026-06-14"}

    response = api_as(manager_user).get("/api/metrics/", {**base, **params})

    assert response.status_code == 400
    assert field in response.json()


def test_api_metrics_health_is_for_managers(api_as, rep_user):
    params = {"metric": "health", "granularity": "week", "start": "2026-06-01", "end": "2026-06-14"}
    assert api_as(rep_user).get("/api/metrics/", params).status_code == 403


def test_other_metrics_cannot_be_broken_down_by_lifecycle_stage(api_as, manager_user):
    params = {"metric": "nps", "granularity": "week", "start": "2026-06-01", "end": "2026-06-14"}
    response = api_as(manager_user).get("/api/metrics/", {**params, "dimension": "lifecycle_stage"})
    assert response.status_code == 400
    assert "dimension" in response.json()


def test_api_metrics_health_overall_has_a_row_for_every_period(api_as, manager_user, history):
    params = {"metric": "health", "granularity": "week", "start": "2026-05-11", "end": "2026-05-24"}

    results = api_as(manager_user).get("/api/metrics/", params).json()["results"]

    assert results == [
        {
            "period_start": "2026-05-11",
            "dimension": "overall",
            "dimension_value": None,
            "value": None,
            "n": 0,
            "below": 0,
            "below_share": None,
        },
        # Ann 70 and Cyd 20 since 20 May.
        {
            "period_start": "2026-05-18",
            "dimension": "overall",
            "dimension_value": None,
            "value": 45.0,
            "n": 2,
            "below": 1,
            "below_share": 50.0,
        },
    ]


def test_health_charts_speak_the_managers_language_and_date_their_periods_by_locale(client, manager_user, history):
    client.force_login(manager_user)
    params = {"start": START.isoformat(), "end": END.isoformat(), "granularity": "week", "dimension": "persona"}

    response = client.get("/reports/health/", params, HTTP_ACCEPT_LANGUAGE="pl")

    average, below = response.context["charts"]
    assert (average["label"], below["label"]) == ("Średnia kondycja (0–100)", "Klienci poniżej progu uwagi (%)")
    assert average["sample_label"] == "klientów"
    # ISO dates in the data, written in the page's locale by reports.js (as the other report charts).
    assert average["label_dates"] is below["label_dates"] is True
