"""A report figure equals its drill-down's row count, in headless chromium, as a manager checks it: the tile
says when it was computed, "Refresh now" brings in the answers since, and the drill-down's figure and rows agree."""

from datetime import date

import pytest

from feedback.metrics import rollup
from feedback.tests.metrics_factories import ResponseFactory, at

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PERIOD = "start=2026-01-01&end=2026-01-31&granularity=week"


def tile(page, part: str) -> str:
    return page.inner_text(f"[data-testid=tile-csat] [data-testid={part}]").strip()


def test_a_manager_refreshes_the_figures_and_the_tile_equals_its_drill_down(browser_login, manager_user):
    for score in [5] * 10 + [1] * 3:
        ResponseFactory(kind="csat", score=score, submitted_at=at(2026, 1, 8))
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    for _ in range(3):  # answered since the rollup
        ResponseFactory(kind="csat", score=5, submitted_at=at(2026, 1, 9))
    page = browser_login("manager")

    page.goto(f"{page.base_url}/reports/?{PERIOD}")
    assert (tile(page, "tile-value"), tile(page, "tile-n")) == ("76.9%", "13")
    assert page.locator("[data-testid=computed-at]").is_visible()

    with page.expect_navigation(wait_until="load"):
        page.click("[data-testid=refresh-now]")
    assert "Figures recomputed for 1 Jan 2026 – 31 Jan 2026" in page.inner_text("body")
    assert page.url.endswith(f"/reports/?{PERIOD}")
    assert (tile(page, "tile-value"), tile(page, "tile-n")) == ("81.2%", "16")

    with page.expect_navigation(wait_until="load"):
        page.click("[data-testid=tile-csat] [data-testid=tile-value]")
    assert page.inner_text("[data-testid=drill-figure]") == "81.2"
    assert page.inner_text("[data-testid=drill-total]") == "16"
    assert page.locator("table[data-testid=report-table] tbody tr").count() == 16


def test_the_csat_trend_is_straight_and_broken_where_a_week_has_no_answers(browser_login, manager_user):
    """CSAT 100 % in the week of 5 January, no answers in the week of 12 January, 0 % in the week of 19 January:
    no line across the empty week (not "about 30 %"), straight segments, n in the tooltip, small samples marked."""
    ResponseFactory(kind="csat", score=5, submitted_at=at(2026, 1, 6))
    ResponseFactory(kind="csat", score=1, submitted_at=at(2026, 1, 20))
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    page = browser_login("manager")

    page.goto(f"{page.base_url}/reports/?{PERIOD}")
    page.wait_for_load_state("networkidle")

    csat = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.querySelector('canvas[data-chart="chart-csat-data"]'));
            const dataset = chart.data.datasets[0];
            const meta = chart.getDatasetMeta(0);
            return {values: dataset.data, spanGaps: dataset.spanGaps, tension: meta.dataset.options.tension,
                    styles: meta.data.map(point => point.options.pointStyle),
                    skipped: meta.data.map(point => point.skip),
                    note: chart.options.plugins.tooltip.callbacks.afterLabel({dataIndex: 1})};
        }"""
    )
    assert csat["values"][1:4] == [100.0, None, 0.0]  # weeks of 5, 12 and 19 January
    assert csat["spanGaps"] is False and csat["tension"] == 0
    assert csat["skipped"][2] is True
    assert csat["styles"][1] == "triangle" and csat["styles"][3] == "triangle"
    assert csat["note"] == "n = 1 answers (fewer than 30: read with care)"
    assert page.locator("[data-testid=chart-small-sample]").first.is_visible()


def test_the_breakdown_offers_the_dimensions_of_the_metric_picked(browser_login, manager_user):
    page = browser_login("manager")
    page.goto(f"{page.base_url}/reports/breakdown/?metric=nps&dimension=survey&{PERIOD}")
    assert "survey" in page.locator("#id_dimension option").evaluate_all("options => options.map(o => o.value)")

    page.select_option("#id_metric", "churn_rate")

    options = page.locator("#id_dimension option").evaluate_all("options => options.map(o => o.value)")
    assert options == ["persona"]
    with page.expect_navigation(wait_until="load"):
        page.click("[data-testid=report-filters] button[type=submit]")
    assert "Churn rate by persona" in page.inner_text("body")
    assert page.locator("[data-testid=breakdown-error]").count() == 0


def test_a_manager_opens_a_tile_and_sees_its_rows_as_of_when_it_was_computed(browser_login, manager_user):
    """Without a refresh: the tile's 13 answers are the 13 rows listed (as of its computation), and "Show live
    rows" brings in the three answered since."""
    for score in [5] * 10 + [1] * 3:
        ResponseFactory(kind="csat", score=score, submitted_at=at(2026, 1, 8))
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    for _ in range(3):  # answered since the rollup
        ResponseFactory(kind="csat", score=5, submitted_at=at(2026, 1, 9))
    page = browser_login("manager")

    page.goto(f"{page.base_url}/reports/?{PERIOD}")
    figure_n = tile(page, "tile-n")
    with page.expect_navigation(wait_until="load"):
        page.click("[data-testid=tile-csat] [data-testid=tile-value]")

    assert figure_n == "13"
    assert page.inner_text("[data-testid=drill-total]") == figure_n
    assert page.inner_text("[data-testid=drill-n]") == figure_n
    assert page.locator("table[data-testid=report-table] tbody tr").count() == 13
    assert "Rows as of" in page.inner_text("[data-testid=drill-as-of]")

    with page.expect_navigation(wait_until="load"):
        page.click("[data-testid=drill-live-link]")
    assert page.inner_text("[data-testid=drill-total]") == "16"
    assert page.locator("[data-testid=drill-as-of]").count() == 0
