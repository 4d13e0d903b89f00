"""Health by persona in headless chromium: a line per persona drawn by Chart.js on the 0–100 scale, and a click
on a point opening the customers behind it (the example of test_health_report.py)."""

import pytest

from .test_health_report import history  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_manager_reads_health_by_persona_and_opens_a_points_customers(browser_login, manager_user, history):  # noqa: F811
    page = browser_login("manager")

    page.goto(f"{page.base_url}/reports/health/?start=2026-06-01&end=2026-06-14&granularity=week&dimension=persona")
    page.wait_for_load_state("networkidle")
    page.screenshot(path="/tmp/health-report.png", full_page=True)

    lines = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.querySelector("canvas[data-chart='chart-health-data']"));
            return {labels: chart.data.datasets.map(d => d.label), values: chart.data.datasets.map(d => d.data),
                    min: chart.scales.y.min, max: chart.scales.y.max};
        }"""
    )
    assert lines["labels"] == ["(none)", "Gold"]
    assert lines["values"] == [[20.0, 60.0], [30.0, 40.0]]
    assert (lines["min"], lines["max"]) == (0, 100)

    # Gold's second point (Ann 30, Bob 50) opens those two customers, lowest first.
    page.evaluate(
        """() => {
            const canvas = document.querySelector("canvas[data-chart='chart-health-data']");
            const chart = Chart.getChart(canvas);
            const point = chart.getDatasetMeta(1).data[1];
            const rect = canvas.getBoundingClientRect();
            window.__click = {x: rect.left + point.x, y: rect.top + point.y};
        }"""
    )
    where = page.evaluate("() => window.__click")
    page.mouse.click(where["x"], where["y"])
    page.wait_for_url("**/reports/health/drill/**")
    rows = page.locator("[data-testid=report-table] tbody tr")
    assert rows.count() == 2
    assert "Ann" in rows.nth(0).inner_text() and "Bob" in rows.nth(1).inner_text()
