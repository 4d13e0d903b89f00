"""The CX overview in headless chromium: the KPI tiles' numbers, the trend charts drawn by
Chart.js on the metric's whole scale, the small-sample note in a point's tooltip, and a
click on a point opening exactly the rows behind it."""

from datetime import date

import pytest

from feedback.metrics import rollup
from feedback.tests.metrics_factories import ResponseFactory, at, case

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PERIOD = "start=2026-01-01&end=2026-01-31&granularity=week"


@pytest.fixture
def january():
    """NPS 10, 9, 3 in the week of 5 January and 0 in the week of 12 January; CES 7, 5; one case of 6 hours."""
    for day, score in ((5, 10), (6, 9), (7, 3), (14, 0)):
        ResponseFactory(kind="nps", score=score, submitted_at=at(2026, 1, day))
    for score in (7, 5):
        ResponseFactory(kind="ces", score=score, submitted_at=at(2026, 1, 8))
    case(opened=at(2026, 1, 9, 8), resolved=at(2026, 1, 9, 14))
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))


def tile_text(page, metric: str, part: str) -> str:
    return page.inner_text(f"[data-testid=tile-{metric}] [data-testid={part}]").strip()


def test_a_manager_reads_the_overview_tiles_and_its_drawn_trend_charts(browser_login, manager_user, january):
    page = browser_login("manager")

    page.goto(f"{page.base_url}/reports/?{PERIOD}")
    page.wait_for_load_state("networkidle")

    # The tiles: 2 promoters − 2 detractors of 4 answers; CES mean 6; one case of 6 hours.
    assert (tile_text(page, "nps", "tile-value"), tile_text(page, "nps", "tile-n")) == ("0.0", "4")
    assert (tile_text(page, "ces", "tile-value"), tile_text(page, "ces", "tile-n")) == ("6.00", "2")
    assert (tile_text(page, "ttr_hours", "tile-value"), tile_text(page, "ttr_hours", "tile-n")) == ("6.0 h", "1")
    assert page.locator("[data-testid=tile-nps] [data-testid=small-sample]").is_visible()
    formula = page.get_attribute("[data-testid=tile-nps] .bi-info-circle", "aria-label")
    assert formula.startswith("Formula: % of answers 9–10 (promoters)")

    # Chart.js registered a chart on every trend canvas, drawn on the metric's whole scale.
    charts = page.evaluate(
        """() => Array.from(document.querySelectorAll("canvas[data-chart]")).map(canvas => {
            const chart = Chart.getChart(canvas);
            return chart && {id: canvas.dataset.chart, values: chart.data.datasets[0].data,
                             min: chart.scales.y.min, max: chart.scales.y.max, width: canvas.width};
        })"""
    )
    assert all(charts) and len(charts) == 6
    by_id = {chart["id"]: chart for chart in charts}
    nps = by_id["chart-nps-data"]
    assert nps["values"][1:3] == [33.33, -100.0]  # weeks of 5 and 12 January
    assert (nps["min"], nps["max"]) == (-100, 100) and nps["width"] > 0
    assert (by_id["chart-ces-data"]["min"], by_id["chart-ces-data"]["max"]) == (1, 7)

    # A point's tooltip names its sample and warns that it is small.
    note = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.querySelector('canvas[data-chart="chart-nps-data"]'));
            return chart.options.plugins.tooltip.callbacks.afterLabel({dataIndex: 1});
        }"""
    )
    assert note == "n = 3 answers (fewer than 30: read with care)"

    # Clicking that point opens exactly the three answers behind it.
    point = page.evaluate(
        """() => {
            const canvas = document.querySelector('canvas[data-chart="chart-nps-data"]');
            const element = Chart.getChart(canvas).getDatasetMeta(0).data[1];
            const box = canvas.getBoundingClientRect();
            return {x: box.left + element.x, y: box.top + element.y};
        }"""
    )
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url("**/reports/drill/**")
    assert "start=2026-01-05&end=2026-01-11" in page.url
    assert page.inner_text("[data-testid=drill-total]") == "3"
    assert sorted(page.locator("[data-testid=report-table] tbody tr td:nth-child(4)").all_inner_texts()) == [
        "10",
        "3",
        "9",
    ]
