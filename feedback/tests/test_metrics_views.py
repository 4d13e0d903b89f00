"""Report pages: numbers and charts, filters, small samples, breakdowns, drill-down to exactly
the rows behind a figure, CSV equal to the table, role access, query bounds, agreement with the API."""

import csv
import html
import io
import json
import re
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.formats import date_format

from customers.choices import CaseStatus, InteractionType, LifecycleStage
from customers.models import Case
from customers.tests.factories import CustomerFactory
from cxcrm.choices import Role
from cxcrm.tables import BOM
from cxcrm.tests.factories import UserFactory
from feedback.metrics import rollup
from feedback.models import MetricRollup
from feedback.reports.views import DrilldownView
from feedback.tests.factories import SurveyFactory
from feedback.tests.metrics_factories import ResponseFactory, at, campaign_event, case, lifecycle
from journeys.choices import MapStatus
from journeys.tests.factories import PersonaFactory, build_map

pytestmark = pytest.mark.django_db

JAN = {"start": "2026-01-01", "end": "2026-01-31", "granularity": "week"}


@pytest.fixture
def january():
    """NPS: chat 10, 9, 3 and email 0 in week 2; CSAT 5, 4, 1; two cases; a December answer."""
    persona = PersonaFactory(name="Budget shopper")
    alice = CustomerFactory(first_name="Alice", last_name="Promoter", persona=persona)
    bob = CustomerFactory(first_name="Bob", last_name="Detractor", persona=persona)
    ResponseFactory(kind="nps", score=10, customer=alice, persona=persona, channel="chat", submitted_at=at(2026, 1, 5))
    ResponseFactory(kind="nps", score=9, channel="chat", submitted_at=at(2026, 1, 6))
    ResponseFactory(kind="nps", score=3, customer=bob, persona=persona, channel="chat", submitted_at=at(2026, 1, 7))
    ResponseFactory(kind="nps", score=0, channel="email", submitted_at=at(2026, 1, 14))
    ResponseFactory(kind="nps", score=10, channel="email", submitted_at=at(2025, 12, 20))  # previous period
    for score in (5, 4, 1):
        ResponseFactory(kind="csat", score=score, channel="chat", submitted_at=at(2026, 1, 8))
    case(opened=at(2026, 1, 5, 8), resolved=at(2026, 1, 5, 12), topic="billing")
    case(opened=at(2026, 1, 6, 8), resolved=at(2026, 1, 7, 8), topic="delivery", reopen_count=1)
    rollup.metric_rollups_recompute(start=date(2025, 11, 1), end=date(2026, 2, 28))
    return {"persona": persona, "alice": alice, "bob": bob}


def table_cells(page: str) -> list[list[str]]:
    """The body cells of the page's report table, as text (the drill link column left out)."""
    body = page.split('data-testid="report-table"', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody", 1)[1], flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        rows.append([html.unescape(c).strip() for c in cells if "drill-link" not in c])
    return rows


def exported_rows(response) -> list[list[str]]:
    """The rows of a CSV export (headers first), which starts with a UTF-8 BOM for spreadsheet programs."""
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM.encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def as_shown(rows: list[list[str]]) -> list[list[str]]:
    """Exported rows as the page shows them: its local date-times ("2026-01-06 08:00", the same in every
    language) in the reader's format ("6 Jan 2026, 08:00" in English), its dates ("2026-01-05", a period's
    first day) in the reader's short format ("5 Jan 2026")."""
    return [[_as_shown(cell) for cell in row] for row in rows]


def _as_shown(cell: str) -> str:
    if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", cell):
        return date_format(datetime.strptime(cell, "%Y-%m-%d %H:%M"), "SHORT_DATETIME_FORMAT")
    if re.fullmatch(r"\d{4}-\d\d-\d\d", cell):
        return date_format(date.fromisoformat(cell), "SHORT_DATE_FORMAT")
    return cell


def xlsx_rows(response) -> list[list[str]]:
    """The rows of an XLSX export (headers first), empty cells as ""."""
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [["" if cell.value is None else str(cell.value) for cell in row] for row in sheet.iter_rows()]


def chart_data(page: str, chart_id: str) -> dict:
    match = re.search(rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>', page, flags=re.S)
    assert match, chart_id
    return json.loads(match.group(1))


def test_overview_shows_kpi_tiles_with_change_sample_and_formula(client, manager_user, january):
    client.force_login(manager_user)

    page = client.get(reverse("feedback:report_overview"), JAN).content.decode()

    nps_tile = page.split('data-testid="tile-nps"', 1)[1].split('data-testid="tile-csat"', 1)[0]
    assert re.search(r'data-testid="tile-value">0\.0<', nps_tile)  # 2 promoters, 2 detractors of 4
    assert 'n = <span data-testid="tile-n">4</span> answers' in nps_tile
    assert "-100.0" in nps_tile  # change: 0 − 100 (December's one promoter)
    assert "Fewer than 30" in nps_tile
    assert "% of answers 9–10 (promoters) − % of answers 0–6 (detractors)" in nps_tile  # the formula tooltip
    csat_tile = page.split('data-testid="tile-csat"', 1)[1].split('data-testid="tile-ces"', 1)[0]
    assert "66.7%" in csat_tile
    ttr_tile = page.split('data-testid="tile-ttr_hours"', 1)[1].split('data-testid="tile-churn_rate"', 1)[0]
    assert "14.0 h" in ttr_tile  # median of 4 h and 24 h


def test_overview_charts_carry_the_series_the_api_returns(client, api_as, manager_user, january):
    client.force_login(manager_user)

    page = client.get(reverse("feedback:report_overview"), JAN).content.decode()
    api = api_as(manager_user).get("/api/metrics/", {"metric": "nps", **JAN}).json()

    data = chart_data(page, "chart-nps")
    assert data["labels"] == [row["period_start"] for row in api["results"]]
    assert data["values"] == [row["value"] for row in api["results"]]
    assert data["values"][1:3] == [33.33, -100.0]
    assert "vendor/chartjs/chart.umd.min.js" in page and "feedback/reports.js" in page
    assert 'canvas data-chart="chart-nps-data"' in page
    # Each point opens the rows behind it: week of 5 January.
    assert "start=2026-01-05&end=2026-01-11" in data["links"][1]


def test_filters_combined_on_the_page_agree_with_the_api(client, api_as, manager_user, january):
    client.force_login(manager_user)
    params = {**JAN, "persona": january["persona"].pk, "channel": "chat"}

    page = client.get(reverse("feedback:report_overview"), params).content.decode()
    api = api_as(manager_user).get("/api/metrics/", {"metric": "nps", **params}).json()

    assert chart_data(page, "chart-nps")["values"] == [row["value"] for row in api["results"]]
    assert sum(row["n"] for row in api["results"]) == 2  # Alice 10, Bob 3
    # Churn cannot be filtered by channel: its tile says so instead of showing a wrong number.
    churn_tile = page.split('data-testid="tile-churn_rate"', 1)[1]
    assert "Not available with these filters" in churn_tile


def test_breakdown_offers_only_meaningful_dimensions_and_links_each_row(client, manager_user, january):
    client.force_login(manager_user)

    page = client.get(reverse("feedback:report_breakdown"), {**JAN, "metric": "nps", "dimension": "channel"})
    text = page.content.decode()

    assert table_cells(text) == [["Chat", "33.3", "3", "2", "0", "1"], ["Email", "-100.0", "1", "0", "0", "1"]]
    assert text.count('data-testid="drill-link"') == 2
    churn = client.get(reverse("feedback:report_breakdown"), {**JAN, "metric": "churn_rate", "dimension": "survey"})
    churn_text = churn.content.decode()
    assert "cannot be broken down by Survey" in churn_text
    select = churn_text.split('data-testid="dimension-select"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="(\w+)"', select) == ["persona"]


def test_drill_down_from_a_breakdown_row_lists_exactly_its_responses(client, manager_user, january):
    client.force_login(manager_user)
    page = client.get(reverse("feedback:report_breakdown"), {**JAN, "metric": "nps", "dimension": "channel"})
    link = html.unescape(re.findall(r'href="([^"]+)" class="small" data-testid="drill-link"', page.content.decode())[0])

    drill = client.get(link).content.decode()
    detractors = client.get(link + "&bucket=detractors").content.decode()

    assert 'data-testid="drill-total">3<' in drill
    assert "Alice Promoter" in drill and "Bob Detractor" in drill
    assert [row[3] for row in table_cells(drill)] == ["3", "9", "10"]
    assert [row[1] for row in table_cells(detractors)] == ["Bob Detractor"]


def test_drill_down_csv_equals_its_table(client, manager_user, january):
    client.force_login(manager_user)
    url = reverse("feedback:report_drilldown") + "?metric=ttr_hours&start=2026-01-01&end=2026-01-31"

    page = client.get(url).content.decode()
    exported = client.get(url + "&format=csv")
    excel = client.get(url + "&format=xlsx")

    rows = exported_rows(exported)
    # The file carries each row's customer id first (the page links the row instead), then the page's cells
    # (a code before each label column: "origin", "origin_label"; date-times the same in every language).
    assert rows[0][0] == "Customer id"
    header = rows[0]
    shown = [i for i in range(1, len(header)) if not (i + 1 < len(header) and header[i + 1].endswith("_label"))]
    assert as_shown([[r[i] for i in shown] for r in rows[1:]]) == table_cells(page)
    cases = {f"#{c.pk}": str(c.customer_id) for c in Case.objects.all()}
    assert all(row[0] == cases[row[1]] for row in rows[1:])
    assert [row[-1] for row in rows[1:]] == ["24.0", "4.0"]  # the reopened case counts from its opening
    assert exported["Content-Disposition"] == 'attachment; filename="drill-ttr_hours-20260101-20260131.csv"'
    assert xlsx_rows(excel) == rows


# ------------------------------------------------------ "survey": a survey, or the origin of a follow-up case


@pytest.fixture
def surveys_and_follow_ups():
    """Two NPS surveys answered in January; a detractor follow-up case (origin survey) and a chat case, both
    resolved; a customer who churned."""
    second = SurveyFactory(kind="nps", name="Delivery NPS")
    ResponseFactory(kind="nps", score=10, customer=CustomerFactory(first_name="Ann", last_name="General"))
    ResponseFactory(
        kind="nps", score=2, survey=second, customer=CustomerFactory(first_name="Dan", last_name="Delivery")
    )
    case(opened=at(2026, 1, 5, 8), resolved=at(2026, 1, 5, 12), origin="survey", subject="Call back Dan")
    case(opened=at(2026, 1, 6, 8), resolved=at(2026, 1, 6, 9), origin="chat", subject="Wrong size")
    gone = CustomerFactory(first_name="Gus", last_name="Gone")
    lifecycle(gone, LifecycleStage.ACTIVE, at(2025, 12, 1))
    lifecycle(gone, LifecycleStage.CHURNED, at(2026, 1, 10), LifecycleStage.ACTIVE)
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    return second


def drill_links(page: str) -> list[str]:
    return [html.unescape(link) for link in re.findall(r'href="([^"]*/reports/drill/[^"]*)"', page)]


def test_the_follow_ups_drill_down_lists_the_survey_follow_up_cases_only(client, manager_user, surveys_and_follow_ups):
    client.force_login(manager_user)
    followups = client.get(reverse("feedback:report_followups"), JAN).content.decode()
    closed = html.unescape(re.search(r'href="([^"]+)" data-testid="followups-closed"', followups).group(1))
    by_origin = client.get(reverse("feedback:report_breakdown"), {**JAN, "metric": "ttr_hours", "dimension": "channel"})
    survey_row = next(link for link in drill_links(by_origin.content.decode()) if "value=survey" in link)

    for link in (closed, survey_row):
        drill = client.get(link).content.decode()
        assert [row[1] for row in table_cells(drill)] == ["Call back Dan"], link
        assert 'data-testid="drill-figure">4.0<' in drill


@pytest.mark.parametrize(
    "query", [{"survey": "{pk}"}, {"dimension": "survey", "value": "{pk}"}], ids=["filter", "dimension"]
)
def test_a_survey_drills_to_the_answers_to_that_survey(client, manager_user, surveys_and_follow_ups, query):
    client.force_login(manager_user)
    query = {name: value.format(pk=surveys_and_follow_ups.pk) for name, value in query.items()}

    drill = client.get(reverse("feedback:report_drilldown"), {"metric": "nps", **JAN, **query}).content.decode()

    assert [(row[1], row[2]) for row in table_cells(drill)] == [("Dan Delivery", "Delivery NPS")]


@pytest.mark.parametrize("metric", ["nps", "response_rate", "churn_rate"])
def test_only_cases_can_be_drilled_to_the_survey_follow_up_channel(
    client, manager_user, surveys_and_follow_ups, metric
):
    """Answers, invitations and customers have no "survey" channel: the link is refused, not read as another filter
    (churn used to list every churned customer)."""
    client.force_login(manager_user)

    response = client.get(reverse("feedback:report_drilldown"), {"metric": metric, "channel": "survey", **JAN})

    assert response.status_code == 400
    assert "<strong>channel</strong>" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("feedback:report_overview", JAN),
        ("feedback:report_breakdown", {**JAN, "metric": "csat", "dimension": "channel"}),
        ("feedback:report_topics", JAN),
        ("feedback:report_campaigns", JAN),
        ("feedback:report_touchpoints", JAN),
        ("feedback:report_journeys", JAN),
        ("feedback:report_followups", JAN),
    ],
)
def test_every_table_exports_as_csv_with_the_same_cells(client, manager_user, january, name, params):
    touchpoint_data()
    client.force_login(manager_user)

    page = client.get(reverse(name), params).content.decode()
    exported = client.get(reverse(name), {**params, "format": "csv"})
    excel = client.get(reverse(name), {**params, "format": "xlsx"})

    assert exported["Content-Type"].startswith("text/csv")
    rows = exported_rows(exported)
    # The export adds, before each label column ("channel_label"), the code it labels ("channel"); its
    # date-times are the same in every language.
    header = rows[0]
    shown = [i for i, title in enumerate(header) if f"{title}_label" not in header]
    assert as_shown([[r[i] for i in shown] for r in rows[1:]]) == (
        table_cells(page) if 'data-testid="report-table"' in page else []
    )
    assert len(rows) >= 1
    assert excel["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx_rows(excel) == rows


def touchpoint_data():
    journey_map = build_map(stages=2, touchpoints_per_stage=1, status=MapStatus.PUBLISHED, key_prefix="shop")
    tp = journey_map.touchpoints.get(key="shop-0-0")
    for score in (5, 1, 1):
        ResponseFactory(kind="csat", score=score, touchpoint=tp, touchpoint_key=tp.key, submitted_at=at(2026, 1, 9))
    customer = CustomerFactory()
    campaign_event(customer, InteractionType.EMAIL_SENT, at(2026, 1, 9))
    campaign_event(customer, InteractionType.EMAIL_OPEN, at(2026, 1, 9, 13))
    case(opened=at(2026, 1, 9), origin="survey", status=CaseStatus.OPEN, subject="Call back Bob")
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    return journey_map


def test_worst_touchpoints_compare_with_targets(client, manager_user):
    touchpoint_data()
    client.force_login(manager_user)

    page = client.get(reverse("feedback:report_touchpoints"), JAN).content.decode()

    first = table_cells(page)[0]
    # The touchpoint by its name only: its key is in the exports.
    assert "shop-0-0" not in first
    assert (first[3], first[4], first[5], first[6], first[7]) == (
        "CSAT",
        "33.3",
        "80.0",
        "missed by 46.7 pts",
        "3",
    )
    # Three answers: the row says its figure rests on a small sample.
    assert page.count('data-testid="row-small-sample"') == 1
    assert "Fewer than 30 answers (3): read with care" in page


def test_case_topics_over_time_say_what_most_cases_are_about(client, manager_user, january):
    client.force_login(manager_user)

    page = client.get(reverse("feedback:report_topics"), JAN).content.decode()

    assert table_cells(page) == [
        ["billing", "0", "1", "0", "0", "0", "1", "50.0"],
        ["delivery", "0", "1", "0", "0", "0", "1", "50.0"],
    ]
    assert chart_data(page, "chart-topics")["datasets"][0]["values"] == [0, 1, 0, 0, 0]


def test_followups_show_open_detractor_cases_and_time_to_close(client, manager_user):
    touchpoint_data()
    case(opened=at(2026, 1, 10, 8), resolved=at(2026, 1, 10, 14), origin="survey")
    client.force_login(manager_user)

    page = client.get(reverse("feedback:report_followups"), JAN).content.decode()

    assert 'data-testid="followups-open">1<' in page
    assert 'data-testid="followups-closed">1<' in page
    assert "6.0 h" in page
    assert "Call back Bob" in page


def test_campaign_engagement_table(client, marketer_user):
    touchpoint_data()
    client.force_login(marketer_user)

    page = client.get(reverse("feedback:report_campaigns"), JAN).content.decode()

    assert table_cells(page) == [["spring", "1", "1", "100.0", "0", "0.0", "0.0", "0", "0.0"]]


def test_a_rep_sees_their_own_figures_only(client, rep_user):
    other = UserFactory(role=Role.SUPPORT_REP)
    ResponseFactory(kind="csat", score=5, agent=rep_user, submitted_at=at(2026, 1, 5))
    ResponseFactory(kind="csat", score=1, agent=other, submitted_at=at(2026, 1, 5))
    client.force_login(rep_user)

    page = client.get(reverse("feedback:report_mine"), JAN).content.decode()
    drill = client.get(reverse("feedback:report_drilldown"), {"metric": "csat", **JAN}).content.decode()

    csat_tile = page.split('data-testid="tile-csat"', 1)[1].split('data-testid="tile-nps"', 1)[0]
    assert "100.0%" in csat_tile and 'tile-n">1<' in csat_tile
    assert 'data-testid="drill-total">1<' in drill


@pytest.mark.parametrize(
    ("role", "name", "status"),
    [
        (Role.SUPPORT_REP, "feedback:report_overview", 403),
        (Role.SUPPORT_REP, "feedback:report_mine", 200),
        (Role.MARKETER, "feedback:report_overview", 403),
        (Role.MARKETER, "feedback:report_campaigns", 200),
        (Role.MARKETER, "feedback:report_journeys", 200),
        (Role.MARKETER, "feedback:report_touchpoints", 200),
        (Role.MANAGER, "feedback:report_followups", 200),
        (Role.INTEGRATION, "feedback:report_drilldown", 403),
    ],
)
def test_pages_follow_the_roles(client, role, name, status):
    client.force_login(UserFactory(role=role))

    assert client.get(reverse(name), {"metric": "nps", **JAN}).status_code == status


def test_a_marketer_cannot_drill_into_figures_beyond_their_role(client, marketer_user):
    client.force_login(marketer_user)

    assert client.get(reverse("feedback:report_drilldown"), {"metric": "ttr_hours", **JAN}).status_code == 403


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("feedback:report_overview"))

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_overview_over_a_year_of_rollups_in_bounded_queries(client, manager_user, django_assert_max_num_queries):
    start = date(2025, 1, 1)
    MetricRollup.objects.bulk_create(
        MetricRollup(metric=metric, day=start + timedelta(days=i), n=5, top_box=3, bottom_box=1, value_sum=20)
        for i in range(365)
        for metric in ("nps", "csat", "ces")
    )
    client.force_login(manager_user)
    params = {"start": "2025-01-01", "end": "2025-12-31", "granularity": "day"}

    with django_assert_max_num_queries(40):
        page = client.get(reverse("feedback:report_overview"), params)

    assert page.status_code == 200
    assert len(chart_data(page.content.decode(), "chart-nps")["values"]) == 365


def test_overview_reads_each_metric_in_the_same_queries_for_a_quarter_or_a_year_by_week(client, manager_user, january):
    """Every tile reads its range and the one before in one query, every trend one query for all its periods
    (churn's trend and tile together one): a year by week costs what a quarter by week costs."""
    for n, customer in enumerate(CustomerFactory.create_batch(6)):
        lifecycle(customer, LifecycleStage.ACTIVE, at(2025, 1, 1 + n))
        lifecycle(customer, LifecycleStage.CHURNED, at(2025, 2 + n, 3), LifecycleStage.ACTIVE)
    client.force_login(manager_user)
    counts = {}
    for start in ("2025-10-01", "2025-01-01"):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(
                reverse("feedback:report_overview"), {"start": start, "end": "2025-12-31", "granularity": "week"}
            )
        assert page.status_code == 200
        counts[start] = len(queries.captured_queries)

    assert counts["2025-10-01"] == counts["2025-01-01"]
    # Session and permissions 5, six metrics' tiles and trends 11 on PostgreSQL (SQLite reads the medians of
    # time to resolution in a second query each), how fresh the figures are 3, the filters' choices 3.
    assert counts["2025-01-01"] <= (21 if connection.vendor == "postgresql" else 23)


def test_drill_down_of_many_rows_in_bounded_queries(client, manager_user, django_assert_max_num_queries):
    for i in range(120):
        ResponseFactory(kind="nps", score=i % 11, submitted_at=at(2026, 1, 1 + i % 28))
    client.force_login(manager_user)

    with django_assert_max_num_queries(12):
        page = client.get(reverse("feedback:report_drilldown"), {"metric": "nps", **JAN})

    assert 'data-testid="drill-total">120<' in page.content.decode()
    assert len(table_cells(page.content.decode())) == 100


def test_a_long_drill_down_pages_without_counting_every_row(client, manager_user, monkeypatch):
    for i in range(120):
        ResponseFactory(kind="nps", score=i % 11, submitted_at=at(2026, 1, 1 + i % 28))
    monkeypatch.setattr(DrilldownView, "count_limit", 100)
    client.force_login(manager_user)

    with CaptureQueriesContext(connection) as queries:
        first = client.get(reverse("feedback:report_drilldown"), {"metric": "nps", **JAN}).content.decode()
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    next_page = html.unescape(re.search(r'href="([^"]+)">Next<', first).group(1))
    second = client.get(reverse("feedback:report_drilldown") + next_page).content.decode()

    assert 'data-testid="drill-total">more than 100<' in first
    assert counts and all("LIMIT" in sql.upper() for sql in counts), counts
    assert len(table_cells(first)) == 100 and len(table_cells(second)) == 20
    assert 'data-testid="drill-total">more than 100<' in second and ">Previous<" in second
