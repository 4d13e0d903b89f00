"""GET /api/journeys/{id}/funnel/ and /paths/, churn by stage in /api/metrics/, and the pages: the map page's
panel, the report page with its CSV, the customers behind a figure (the example of journey_analytics_example)."""

import json
import re
from html import unescape

import pytest

from customers.choices import LifecycleStage
from customers.services import lifecycle_change_record
from feedback.journey_analytics.compute import journey_analytics_refresh

from .journey_analytics_example import at, build_example

pytestmark = pytest.mark.django_db

MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def example():
    journey_map, people = build_example()
    for customer in people.values():  # everyone active since January: churn's base in March
        lifecycle_change_record(
            customer=customer, from_stage=LifecycleStage.LEAD, to_stage=LifecycleStage.ACTIVE, at=at(1, 1)
        )
    journey_analytics_refresh(journey_map=journey_map)
    return journey_map, people


def test_funnel_api_gives_the_stage_figures(api_as, marketer_user, example, django_assert_max_num_queries):
    journey_map, _people = example
    api = api_as(marketer_user)
    with django_assert_max_num_queries(8):
        response = api.get(f"/api/journeys/{journey_map.pk}/funnel/", MARCH)
    assert response.status_code == 200
    body = response.json()
    assert (body["journey"], body["start"], body["end"]) == (journey_map.pk, "2026-03-01", "2026-03-31")
    assert body["computed_at"] is not None
    assert [(s["name"], s["reached"], s["converted"], s["dropped"]) for s in body["stages"]] == [
        ("Discover", 3, 3, 0),
        ("Consider", 4, 3, 1),
        ("Purchase", 3, 1, 2),
        ("Support", 1, 0, 1),
    ]
    assert body["stages"][2]["median_hours"] == 120.0
    by = api_as(marketer_user).get(f"/api/journeys/{journey_map.pk}/funnel/", {**MARCH, "by": "channel"}).json()
    assert [g["value"] for g in by["groups"]] == ["email", "social", "web"]


def test_paths_api_gives_paths_transitions_and_flow(api_as, manager_user, example):
    journey_map, _people = example
    body = api_as(manager_user).get(f"/api/journeys/{journey_map.pk}/paths/", {**MARCH, "limit": 2}).json()
    assert body["journeys"] == 3
    assert [p["path"] for p in body["paths"]] == [
        ["d-ad", "p-store", "other-key", "d-web"],
        ["d-web", "c-web", "p-web", "s-phone"],
    ]
    assert body["paths"][0]["deviations"] == ["skipped", "reversed", "off_map"]
    assert len(body["transitions"]) == 6
    assert {"from", "to", "journeys"} == set(body["flow"]["links"][0])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-02-30"}, "start"),
        ({"start": "2026-03-05", "end": "2026-03-01"}, "start"),
        ({"start": "1066-01-01", "end": "2026-01-01"}, "start"),
        ({"channel": "pigeon"}, "channel"),
        ({"persona": "999999"}, "persona"),
        ({"persona": "abc"}, "persona"),
        ({"survey": "1"}, "survey"),
        ({"granularity": "week"}, "granularity"),
        ({"by": "weather"}, "by"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
    ],
)
@pytest.mark.parametrize("endpoint", ["funnel", "paths"])
def test_bad_filters_are_a_400_naming_the_field(api_as, marketer_user, example, params, field, endpoint):
    journey_map, _people = example
    response = api_as(marketer_user).get(f"/api/journeys/{journey_map.pk}/{endpoint}/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_unknown_map_is_404_and_a_rep_is_refused(api_as, marketer_user, rep_user, example):
    journey_map, _people = example
    assert api_as(marketer_user).get("/api/journeys/999999/funnel/").status_code == 404
    assert api_as(rep_user).get(f"/api/journeys/{journey_map.pk}/funnel/").status_code == 403


@pytest.mark.parametrize("role", ["manager", "marketer"])
def test_churn_rate_by_furthest_stage_of_a_journey(api_as, manager_user, marketer_user, example, role):
    journey_map, _people = example
    user = manager_user if role == "manager" else marketer_user
    params = {"metric": "churn_rate", "granularity": "month", "dimension": "stage", **MARCH}
    response = api_as(user).get("/api/metrics/", {**params, "journey": journey_map.pk})
    assert response.status_code == 200, response.json()
    rows = {(r["dimension_value"], r["n"], r["churned"], r["value"]) for r in response.json()["results"]}
    # Erin has no journey on the map; Carol's furthest over her two journeys is Purchase; Bob churned.
    assert rows == {("Consider", 1, 0, 0.0), ("Purchase", 2, 1, 50.0), ("Support", 1, 0, 0.0)}
    without_journey = api_as(manager_user).get("/api/metrics/", params)
    assert without_journey.status_code == 400
    assert "journey" in without_journey.json()["dimension"][0]
    journey_overall = api_as(manager_user).get("/api/metrics/", {**params, "dimension": "overall", "journey": 1})
    assert journey_overall.status_code == 400
    # Churn overall stays a manager's figure.
    overall = {**params, "dimension": "overall"}
    assert api_as(user).get("/api/metrics/", overall).status_code == (200 if role == "manager" else 403)


# --------------------------------------------------------------------------- pages


def test_map_page_loads_the_panel_for_marketers_only(client, marketer_user, rep_user, example):
    journey_map, _people = example
    client.force_login(marketer_user)
    page = client.get(f"/journeys/{journey_map.pk}/?period=custom&start=2026-03-01&end=2026-03-31").content.decode()
    panel_url = f"/reports/journeys/{journey_map.pk}/analytics/panel/?start=2026-03-01&amp;end=2026-03-31"
    assert f'hx-get="{panel_url}"' in page
    assert "chartjs-chart-sankey" in page
    client.force_login(rep_user)
    assert "analytics/panel/" not in client.get(f"/journeys/{journey_map.pk}/").content.decode()


def test_panel_shows_the_measured_funnel_under_the_stages(
    client, marketer_user, example, django_assert_max_num_queries
):
    journey_map, _people = example
    client.force_login(marketer_user)
    with django_assert_max_num_queries(19):  # 18 + the touchpoint names of the paths
        response = client.get(f"/reports/journeys/{journey_map.pk}/analytics/panel/", MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="funnel"' in html and 'data-testid="sankey"' in html
    assert "66.7%" in html  # Purchase drop-off
    assert "50.0% <span" in html  # churn of the customers whose furthest stage is Purchase
    assert (
        '<span title="d-ad" data-key="d-ad">d-ad</span> → <span title="p-store" data-key="p-store">p-store</span>'
        in html
    )


def test_paths_and_transitions_name_the_touchpoints_not_their_keys(client, marketer_user, example):
    """A marketer reads "Social ad → Store visit"; the key stays in the title (and the CSV keeps the keys)."""
    journey_map, _people = example
    journey_map.touchpoints.filter(key="d-ad").update(name="Social ad")
    journey_map.touchpoints.filter(key="p-store").update(name="Store visit")
    client.force_login(marketer_user)

    panel = client.get(f"/reports/journeys/{journey_map.pk}/analytics/panel/", MARCH).content.decode()
    report = client.get(f"/reports/journeys/{journey_map.pk}/analytics/", MARCH).content.decode()

    assert 'data-key="d-ad">Social ad</span> → <span title="p-store" data-key="p-store">Store visit</span>' in panel
    assert 'data-key="d-ad">Social ad</span>' in report
    assert '<td title="d-ad">Social ad</td><td title="p-store">Store visit</td>' in report
    assert ">d-ad<" not in panel + report


def test_report_page_and_its_csv(client, marketer_user, example, django_assert_max_num_queries):
    journey_map, _people = example
    client.force_login(marketer_user)
    url = f"/reports/journeys/{journey_map.pk}/analytics/"
    with django_assert_max_num_queries(24):  # 23 + the touchpoint names of the paths and transitions
        response = client.get(url, {**MARCH, "by": "persona"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Explorer" in html and 'data-testid="churn-by-stage"' in html
    csv = b"".join(client.get(url, {**MARCH, "format": "csv", "table": "funnel"}).streaming_content).decode("utf-8-sig")
    lines = csv.splitlines()
    assert lines[0].startswith("Group,Stage,Reached,Entered,Skipped,Went on,In progress,Dropped")
    assert lines[3].startswith("All,Purchase,3,3,0,1,0,2,33.3,66.7,120.0,120.0")
    paths = b"".join(client.get(url, {**MARCH, "format": "csv", "table": "paths"}).streaming_content)
    assert "d-web → c-web → p-web → s-phone,1,33.3,follows" in paths.decode("utf-8-sig")
    refused = client.get(url, {"start": "2026-03-09", "end": "2026-03-01"})
    assert refused.status_code == 200 and 'data-testid="form-error"' in refused.content.decode()


def test_report_draws_the_touchpoint_flow_with_step_numbered_touchpoints(client, marketer_user, example):
    journey_map, _people = example
    journey_map.touchpoints.filter(key="d-ad").update(name="Social ad")
    journey_map.touchpoints.filter(key="p-store").update(name="Store visit")
    client.force_login(marketer_user)
    html = client.get(f"/reports/journeys/{journey_map.pk}/analytics/", MARCH).content.decode()
    assert 'data-testid="touchpoint-sankey"' in html
    data = json.loads(html.split('<script id="touchpoint-flow-data" type="application/json">')[1].split("</script>")[0])
    labels = {node["id"]: node["label"] for node in data["nodes"]}
    assert (labels["1:d-ad"], labels["2:p-store"]) == ("Social ad (1)", "Store visit (2)")
    assert {"from": "1:d-ad", "to": "2:p-store", "journeys": 1} in data["links"]


def test_customers_behind_a_funnel_figure(client, marketer_user, example):
    journey_map, people = example
    client.force_login(marketer_user)
    consider = journey_map.stages.get(name="Consider").pk
    url = f"/reports/journeys/{journey_map.pk}/analytics/customers/"
    html = client.get(url, {**MARCH, "stage": consider, "status": "dropped"}).content.decode()
    assert str(people["dan"]) in html and str(people["bob"]) not in html
    assert client.get(url, {**MARCH, "stage": "x", "status": "dropped"}).status_code == 404
    assert client.get(url, {**MARCH, "stage": consider, "status": "bored"}).status_code == 404


@pytest.mark.parametrize("by", ["persona", "channel", "cohort"])
def test_each_breakdown_groups_figures_link_to_exactly_their_customers(client, marketer_user, example, by):
    journey_map, _people = example
    client.force_login(marketer_user)
    html = client.get(f"/reports/journeys/{journey_map.pk}/analytics/", {**MARCH, "by": by}).content.decode()
    groups = html.split('data-testid="funnel-group"')[1:]
    assert len(groups) >= 2
    figures = [
        (unescape(href), int(figure))
        for group in groups
        for href, figure in re.findall(r'<a href="([^"]+)">(\d+)</a>', group.split("</table>")[0])
    ]
    assert len(figures) == len(groups) * 3 * journey_map.stages.count()  # reached, went on, drop-off
    assert any(figure for _href, figure in figures)
    for href, figure in figures:
        assert f"by={by}" in href and "group=" in href
        csv = b"".join(client.get(href + "&format=csv").streaming_content).decode("utf-8-sig")
        assert len(csv.splitlines()) - 1 == figure, href


def test_customers_of_a_group_that_cannot_exist_is_404(client, marketer_user, example):
    journey_map, _people = example
    client.force_login(marketer_user)
    consider = journey_map.stages.get(name="Consider").pk
    url = f"/reports/journeys/{journey_map.pk}/analytics/customers/"
    for by, group in (("persona", "x"), ("cohort", "2026-13"), ("cohort", "March")):
        response = client.get(url, {**MARCH, "stage": consider, "status": "reached", "by": by, "group": group})
        assert response.status_code == 404


def test_the_journeys_report_links_each_published_maps_analytics_over_its_period(client, marketer_user, example):
    from journeys.tests.factories import JourneyMapFactory

    journey_map, _people = example
    draft = JourneyMapFactory(name="Draft map", status="draft")
    client.force_login(marketer_user)
    page = client.get("/reports/journeys/", {"period": "custom", **MARCH}).content.decode()
    links = page.split('data-testid="journey-analytics-links"')[1].split("</p>")[0]
    assert f'href="/reports/journeys/{journey_map.pk}/analytics/?start=2026-03-01&amp;end=2026-03-31"' in links
    assert journey_map.label in links
    assert f"/reports/journeys/{draft.pk}/analytics/" not in links
    assert client.get(f"/reports/journeys/{journey_map.pk}/analytics/", MARCH).status_code == 200


def read_in(client, language: str, username: str):
    from cxcrm.choices import Role
    from cxcrm.models import UserPreference
    from cxcrm.tests.factories import UserFactory

    reader = UserFactory(username=username, role=Role.MARKETER)
    UserPreference.objects.create(user=reader, language=language)
    client.force_login(reader)
    session = client.session
    session["cxcrm_language"] = language
    session.save()


def test_cohorts_are_named_by_their_month_in_the_readers_language(client, example):
    journey_map, _people = example
    read_in(client, "pt-br", "leitor")

    html = client.get(f"/reports/journeys/{journey_map.pk}/analytics/", {**MARCH, "by": "cohort"}).content.decode()

    assert '<h3 class="h6 mt-2">fevereiro de 2026</h3>' in html and '<h3 class="h6 mt-2">março de 2026</h3>' in html
    assert "2026-02<" not in html and "2026-03<" not in html


def test_customers_behind_a_figure_read_in_portuguese_dates_words_and_touchpoint_names(client, example):
    """Dan dropped at Consider: his visit on 3 March, the journey started on 1 February, not skipped, his path
    by the touchpoints' names; the CSV writes the dates in ISO form and keeps the path's keys beside the names."""
    from journeys.models import Touchpoint

    journey_map, _people = example
    Touchpoint.objects.filter(key="d-web").update(name="Discover on the web")
    Touchpoint.objects.filter(key="c-web").update(name="Compare on the web")
    read_in(client, "pt-br", "leitora")
    url = f"/reports/journeys/{journey_map.pk}/analytics/customers/"
    params = {**MARCH, "stage": journey_map.stages.get(name="Consider").pk, "status": "dropped"}

    html = client.get(url, params).content.decode()
    rows = re.findall(
        r"<tr[^>]*>(.*?)</tr>", html.split('data-testid="report-table"', 1)[1].split("<tbody", 1)[1], re.S
    )
    cells = [unescape(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", rows[0], re.S)]

    assert cells[1:7] == [
        "03/03/2026 00:00",
        "não",
        "",
        "01/02/2026",
        "03/03/2026",
        "Discover on the web → Compare on the web",
    ]
    exported = b"".join(client.get(url, {**params, "format": "csv"}).streaming_content).decode("utf-8-sig")
    assert (
        "2026-03-03 00:00,false,não,,2026-02-01,2026-03-03,d-web → c-web,Discover on the web → Compare on the web"
        in exported
    )
