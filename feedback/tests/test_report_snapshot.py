"""A report figure and its drill-down agree: the drill-down's figure is read from the rows it lists, the
report pages say when their rollups were computed, and a manager recomputes them on demand."""

import re
from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from feedback.metrics import rollup
from feedback.models import MetricRollup
from feedback.tests.metrics_factories import ResponseFactory, at

pytestmark = pytest.mark.django_db

JAN = {"start": "2026-01-01", "end": "2026-01-31", "granularity": "week"}
CSAT_JAN = {"metric": "csat", "start": "2026-01-01", "end": "2026-01-31"}


@pytest.fixture
def stale_csat():
    """Thirteen CSAT answers rolled up (ten satisfied: 76.9 %), then three more answered since (not yet rolled up)."""
    for score in [5] * 10 + [1] * 3:
        ResponseFactory(kind="csat", score=score, channel="chat", submitted_at=at(2026, 1, 8))
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    for _ in range(3):
        ResponseFactory(kind="csat", score=5, channel="chat", submitted_at=at(2026, 1, 9))


def tile_n(page: str, metric: str) -> int:
    tile = page.split(f'data-testid="tile-{metric}"', 1)[1]
    return int(re.search(r'data-testid="tile-n">(\d+)<', tile).group(1))


def test_the_drill_down_figure_is_read_from_the_rows_it_lists(client, manager_user, stale_csat):
    client.force_login(manager_user)

    page = client.get(reverse("feedback:report_drilldown"), CSAT_JAN).content.decode()

    # Not "Figure 76.9 %, n = 13" above "Showing 16 rows".
    assert 'data-testid="drill-figure">81.2<' in page
    assert 'data-testid="drill-n">16<' in page
    assert 'data-testid="drill-total">16<' in page


def test_the_overview_says_when_its_figures_were_computed(client, manager_user, stale_csat):
    client.force_login(manager_user)
    computed = MetricRollup.objects.filter(metric="csat").order_by("computed_at").first().computed_at

    page = client.get(reverse("feedback:report_overview"), JAN).content.decode()

    assert tile_n(page, "csat") == 13
    assert f'<time datetime="{computed.isoformat()}" data-testid="computed-at">' in page
    assert 'data-testid="refresh-now"' in page


def test_refresh_now_recomputes_the_period_shown_and_returns_to_the_page(client, manager_user, stale_csat):
    client.force_login(manager_user)
    back = reverse("feedback:report_overview") + "?start=2026-01-01&end=2026-01-31&granularity=week"

    response = client.post(
        reverse("feedback:report_refresh"), {"start": "2026-01-01", "end": "2026-01-31", "next": back}
    )

    assert response.status_code == 302 and response.url == back
    assert [str(m) for m in get_messages(response.wsgi_request)][0].startswith("Figures recomputed for 1 Jan 2026")
    assert tile_n(client.get(back).content.decode(), "csat") == 16


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": "2026-01-31", "end": "2026-01-01"}, "give the period's first and last day"),
        ({"start": "2026-01-01"}, "give the period's first and last day"),
        ({"start": "2024-01-01", "end": "2026-01-31"}, "choose at most 366 days"),
    ],
)
def test_refresh_refuses_a_period_it_cannot_read_and_recomputes_nothing(
    client, manager_user, stale_csat, data, message
):
    client.force_login(manager_user)

    response = client.post(reverse("feedback:report_refresh"), {**data, "next": "https://evil.example/"})

    assert response.status_code == 302 and response.url == reverse("feedback:report_overview")
    assert message in str(list(get_messages(response.wsgi_request))[0])
    assert MetricRollup.objects.get(metric="csat", dimension="overall").n == 13


def test_refresh_is_a_post_for_managers_only(client, manager_user, marketer_user, rep_user, stale_csat):
    period = {"start": "2026-01-01", "end": "2026-01-31"}
    client.force_login(manager_user)
    assert client.get(reverse("feedback:report_refresh"), period).status_code == 405
    for user in (marketer_user, rep_user):
        client.force_login(user)
        assert client.post(reverse("feedback:report_refresh"), period).status_code == 403
    assert MetricRollup.objects.get(metric="csat", dimension="overall").n == 13


def test_a_rep_sees_when_figures_were_computed_without_the_refresh(client, rep_user):
    client.force_login(rep_user)
    page = client.get(reverse("feedback:report_mine")).content.decode()
    assert 'data-testid="figures-freshness"' in page
    assert 'data-testid="refresh-now"' not in page


# --------------------------------------------------------------------------- trend charts


def test_a_trend_chart_breaks_at_empty_periods_and_counts_small_samples():
    from feedback.reports.charts import trend_chart

    series = [
        {"period_start": date(2026, 1, 5), "value": 100.0, "n": 1},
        {"period_start": date(2026, 1, 12), "value": 30.0, "n": 0},  # a value without a sample is no figure
        {"period_start": date(2026, 1, 19), "value": 80.0, "n": 40},
    ]

    chart = trend_chart("csat", series, links=["a", "b", "c"])

    assert chart["values"] == [100.0, None, 80.0]
    assert (chart["tension"], chart["span_gaps"], chart["small_points"]) == (0, False, 1)
