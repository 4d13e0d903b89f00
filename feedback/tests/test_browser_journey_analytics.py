"""A published map's page in headless chromium: the measured funnel loaded by htmx under the stages, the stage
flow drawn as a Sankey chart by Chart.js and chartjs-chart-sankey, and a count opening the customers behind it."""

import pytest

from feedback.journey_analytics.compute import journey_analytics_refresh

from .journey_analytics_example import build_example

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_marketer_sees_the_measured_funnel_and_the_flow_chart_on_the_map(browser_login, marketer_user):
    journey_map, people = build_example()
    journey_analytics_refresh(journey_map=journey_map)
    page = browser_login("marketer")

    page.goto(f"{page.base_url}/journeys/{journey_map.pk}/?period=custom&start=2026-03-01&end=2026-03-31")
    page.wait_for_selector("[data-testid=funnel]")
    page.wait_for_load_state("networkidle")

    reached = page.locator("[data-testid=funnel] tr[data-row=reached] td").all_inner_texts()
    assert [text.split()[0] for text in reached] == ["3", "4", "3", "1"]
    dropped = page.locator("[data-testid=funnel] tr[data-row=dropped] td").all_inner_texts()
    assert dropped[2].startswith("2 · 66.7%")

    flow = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.querySelector("canvas[data-sankey]"));
            return chart && {type: chart.config.type, links: chart.data.datasets[0].data.length,
                             width: chart.canvas.width};
        }"""
    )
    assert flow == {"type": "sankey", "links": 7, "width": flow["width"]} and flow["width"] > 0
    # A link's tooltip names its stages (never the nodes' ids) and counts in the page's language.
    tooltip = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.querySelector("canvas[data-sankey]"));
            const link = chart.data.datasets[0].data[0];
            return chart.options.plugins.tooltip.callbacks.label(
                {parsed: {_custom: {from: {key: link.from}, to: {key: link.to}, flow: 1234}}});
        }"""
    )
    assert "stage-" not in tooltip and "→" in tooltip and tooltip.endswith(": 1,234")

    # Consider's drop-off opens the one customer who stopped there.
    page.locator("[data-testid=funnel] tr[data-row=dropped] td").nth(1).locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert str(people["dan"]) in page.inner_text("main")


def test_the_report_draws_the_touchpoint_flow_as_a_sankey_chart(browser_login, marketer_user):
    journey_map, _people = build_example()
    journey_analytics_refresh(journey_map=journey_map)
    page = browser_login("marketer")

    page.goto(f"{page.base_url}/reports/journeys/{journey_map.pk}/analytics/?start=2026-03-01&end=2026-03-31")
    page.wait_for_selector("[data-testid=touchpoint-sankey]")
    page.wait_for_load_state("networkidle")

    flow = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.querySelector("[data-testid=touchpoint-sankey]"));
            return chart && {type: chart.config.type, links: chart.data.datasets[0].data.length,
                             labels: Object.values(chart.data.datasets[0].labels), width: chart.canvas.width};
        }"""
    )
    # Every touchpoint transition of March's paths, each touchpoint at its step ("d-web" twice: step 1 and 4).
    assert (flow["type"], flow["links"]) == ("sankey", 6) and flow["width"] > 0
    assert {"d-web (1)", "d-web (4)", "p-store (2)"} <= set(flow["labels"])
