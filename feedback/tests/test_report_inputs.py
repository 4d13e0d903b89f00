"""Odd query strings on the report pages, the drill-down and the metrics API: a form error
(or a 400 naming the parameter), never a 500 and never minutes of computing."""

import random
from datetime import date, timedelta

import pytest
from django.urls import reverse

from feedback.metrics import rollup
from feedback.metrics.compute import periods_in
from feedback.metrics.definitions import METRICS
from feedback.metrics.params import period_count
from feedback.tests.metrics_factories import ResponseFactory, at

pytestmark = pytest.mark.django_db

PAGES = [
    "feedback:report_overview",
    "feedback:report_breakdown",
    "feedback:report_touchpoints",
    "feedback:report_topics",
    "feedback:report_campaigns",
    "feedback:report_followups",
    "feedback:report_journeys",
    "feedback:report_mine",
]
HUGE_ID = "9" * 25

# (query, the message the page shows next to the field)
ODD_QUERIES = [
    ({"start": "2026-13-45"}, "Enter a valid date."),
    ({"start": "banana", "end": "2026-01-01"}, "Enter a valid date."),
    ({"start": "2026-06-01", "end": "2026-01-01"}, "The start is after the end."),
    ({"start": "0001-01-01", "end": "9999-12-31"}, "Choose a date between 1970-01-01 and 2100-12-31."),
    ({"start": "2026-01-01", "end": "9999-12-31"}, "Choose a date between 1970-01-01 and 2100-12-31."),
    ({"start": "2026-01-01\x00"}, "Enter a valid date."),
    ({"persona": HUGE_ID}, "Select a valid choice."),
    ({"survey": "-1"}, "Select a valid choice."),
    ({"journey": "abc"}, "Select a valid choice."),
    ({"channel": "pigeon"}, "Select a valid choice."),
]
# Only pages that draw a point per period offer a granularity (and bound the number of periods).
BY_PERIOD_PAGES = ["feedback:report_overview", "feedback:report_topics", "feedback:report_mine"]
ODD_PERIOD_QUERIES = [
    ({"granularity": "fortnight"}, "Choose day, week, month or quarter."),
    (
        {"granularity": "day", "start": "2020-01-01", "end": "2026-01-01"},
        "More than 400 periods: choose a shorter range or a coarser granularity.",
    ),
    (
        {"granularity": "week", "start": "1970-01-01", "end": "2026-01-01"},
        "More than 400 periods: choose a shorter range or a coarser granularity.",
    ),
]


def field_error_shown(page: str, message: str) -> bool:
    return 'data-testid="form-error"' in page and 'data-testid="field-error"' in page and message in page


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize(("query", "message"), ODD_QUERIES, ids=lambda v: repr(v)[:40])
def test_odd_query_strings_show_a_form_error_not_a_crash(client, superuser, name, query, message):
    client.force_login(superuser)

    response = client.get(reverse(name), query)

    assert response.status_code == 200
    page = response.content.decode()
    shows_field = any(f'name="{field}"' in page for field in query)
    if shows_field:  # pages without that filter ignore it
        assert field_error_shown(page, message)
    else:
        assert 'data-testid="form-error"' not in page


@pytest.mark.parametrize("name", BY_PERIOD_PAGES)
@pytest.mark.parametrize(("query", "message"), ODD_PERIOD_QUERIES, ids=lambda v: repr(v)[:40])
def test_unknown_granularity_or_too_many_periods_show_a_form_error(client, superuser, name, query, message):
    client.force_login(superuser)

    response = client.get(reverse(name), query)

    assert response.status_code == 200
    assert field_error_shown(response.content.decode(), message)


def test_a_refused_period_keeps_what_was_typed_and_shows_the_default_period(client, manager_user):
    client.force_login(manager_user)

    page = client.get(
        reverse("feedback:report_overview"), {"start": "2026-06-01", "end": "2026-01-01", "granularity": "month"}
    ).content.decode()

    assert 'name="start" id="id_start" value="2026-06-01"' in page
    assert 'name="end" id="id_end" value="2026-01-01"' in page
    assert '<option value="week" selected>' in page  # the granularity of what is shown instead
    assert "Below: the default period without filters." in page


def test_the_csv_of_a_refused_period_is_the_default_period_not_a_crash(client, manager_user):
    client.force_login(manager_user)

    response = client.get(reverse("feedback:report_topics"), {"start": "2026-06-01", "end": "bad", "format": "csv"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


def test_an_unknown_breakdown_dimension_is_a_form_error(client, manager_user):
    client.force_login(manager_user)

    response = client.get(reverse("feedback:report_breakdown"), {"metric": "nps", "dimension": "galaxy"})

    assert response.status_code == 200
    assert "Select a valid choice. galaxy is not one of the available choices." in response.content.decode()


def test_pages_without_periods_ignore_the_granularity_and_accept_long_ranges(client, manager_user):
    ResponseFactory(kind="nps", score=10, channel="chat", submitted_at=at(2001, 3, 1))
    rollup.metric_rollups_recompute(start=date(2001, 3, 1), end=date(2001, 3, 1))
    client.force_login(manager_user)

    page = client.get(
        reverse("feedback:report_breakdown"),
        {"metric": "nps", "dimension": "channel", "start": "2000-01-01", "end": "2026-01-01", "granularity": "day"},
    ).content.decode()

    assert 'data-testid="form-error"' not in page
    assert 'name="granularity"' not in page
    assert "1 Jan 2000 – 1 Jan 2026. Days" in page  # no "by day": the table is one total
    assert 'data-testid="report-table"' in page


@pytest.mark.parametrize("metric", list(METRICS))
def test_a_breakdown_of_an_empty_period_says_so(client, manager_user, metric):
    client.force_login(manager_user)

    response = client.get(reverse("feedback:report_breakdown"), {"metric": metric})

    assert response.status_code == 200
    assert 'data-testid="empty-table"' in response.content.decode()


# --------------------------------------------------------------------------- drill-down

DRILL = {"metric": "nps", "start": "2026-01-01", "end": "2026-01-31"}


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ({"metric": "bogus"}, "metric", "is not a valid choice"),
        ({"start": "2026-06-01", "end": "2026-01-01"}, "start", "The start is after the end."),
        ({"start": "0001-01-01"}, "start", "Choose a date between"),
        ({"dimension": "galaxy", "value": "1"}, "dimension", "is not a valid choice"),
        ({"dimension": "persona", "value": "xyz"}, "value", "No persona “xyz”."),
        ({"dimension": "agent", "value": HUGE_ID}, "value", "No agent “999"),
        ({"dimension": "channel", "value": "chat\x00"}, "value", "No channel “chat"),
        ({"persona": HUGE_ID}, "persona", "Invalid pk"),
        ({"bucket": "nope"}, "bucket", "No subset “nope” for NPS."),
        ({"metric": "open_rate", "mine": "1"}, "mine", "Open rate has no figures of your own."),
        ({"metric": "churn_rate", "dimension": "survey", "value": "1"}, "dimension", "cannot be broken down by survey"),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_a_drill_down_that_names_no_figure_says_why_with_a_400(client, manager_user, query, parameter, message):
    client.force_login(manager_user)

    response = client.get(reverse("feedback:report_drilldown"), {**DRILL, **query})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="form-error"' in page
    assert f"<strong>{parameter}</strong>" in page and message in page


def test_drill_down_subsets_are_named_in_the_metrics_words(client, manager_user):
    for score in (5, 3, 1):
        ResponseFactory(kind="csat", score=score, submitted_at=at(2026, 1, 5))
    rollup.metric_rollups_recompute(start=date(2026, 1, 5), end=date(2026, 1, 5))
    client.force_login(manager_user)

    page = client.get(reverse("feedback:report_drilldown"), {**DRILL, "metric": "csat", "bucket": "detractors"})

    text = page.content.decode()
    assert ">Satisfied (4–5)<" in text and ">Neutral (3)<" in text and ">Dissatisfied (1–2)<" in text
    assert 'data-testid="drill-total">1<' in text and "(dissatisfied (1–2))" in text
    assert "This figure rests on fewer than 30 answers" in text
    assert ">customer <i" in text  # each row opens its customer


def test_my_figures_drill_to_my_own_rows_whatever_my_role(client, manager_user):
    """A manager opening "My figures" sees their own figure, and its drill-down lists the same rows."""
    ResponseFactory(kind="csat", score=5, agent=manager_user, submitted_at=at(2026, 1, 5))
    ResponseFactory(kind="csat", score=1, submitted_at=at(2026, 1, 5))
    client.force_login(manager_user)

    page = client.get(reverse("feedback:report_mine"), DRILL).content.decode()
    tile = page.split('data-testid="tile-csat"', 1)[1].split('data-testid="tile-nps"', 1)[0]
    link = tile.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    drill = client.get(link).content.decode()

    assert 'tile-n">1<' in tile and "mine=1" in link
    assert 'data-testid="drill-total">1<' in drill


# --------------------------------------------------------------------------- API


@pytest.mark.parametrize(
    "query",
    [
        {"granularity": "quarter", "start": "0001-01-01", "end": "9999-12-31"},
        {"granularity": "day", "start": "9999-01-01", "end": "9999-12-31"},
        {"granularity": "day", "start": "2026-01-01", "end": "2026-02-01", "persona": HUGE_ID},
        {"granularity": "week", "start": "1900-01-01", "end": "2199-12-31"},
    ],
)
def test_the_metrics_api_refuses_dates_out_of_range_with_a_400(api_as, manager_user, query):
    response = api_as(manager_user).get("/api/metrics/", {"metric": "nps", **query})

    assert response.status_code == 400
    assert set(response.json()) & {"start", "end", "persona"}


def test_period_count_equals_the_number_of_periods():
    rng = random.Random(7)
    for _ in range(500):
        start = date(2020, 1, 1) + timedelta(days=rng.randint(0, 2000))
        end = start + timedelta(days=rng.randint(0, 800))
        for granularity in ("day", "week", "month", "quarter"):
            assert period_count(start, end, granularity) == len(periods_in(start, end, granularity))
