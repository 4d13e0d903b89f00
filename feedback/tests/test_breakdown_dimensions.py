"""The breakdown offers only the dimensions a metric supports, from the metric's definition: the form's
choices and validation, the page's select and the API agree."""

import re

import pytest
from django.urls import reverse

from feedback.metrics.definitions import METRICS
from feedback.reports.forms import BreakdownForm, metric_dimensions

pytestmark = pytest.mark.django_db


def test_churn_rate_breaks_down_by_persona_only_and_says_so_for_survey(client, manager_user):
    client.force_login(manager_user)

    page = client.get(reverse("feedback:report_breakdown"), {"metric": "churn_rate", "dimension": "survey"})

    text = page.content.decode()
    assert "Churn rate cannot be broken down by Survey; use one of: Persona." in text
    assert 'data-testid="empty-table"' not in text  # not "No data for this period"
    select = text.split('data-testid="dimension-select"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="(\w+)"', select) == ["persona"]


@pytest.mark.parametrize("metric", list(METRICS))
def test_the_page_offers_exactly_the_dimensions_the_api_accepts(api_as, manager_user, metric):
    api = api_as(manager_user)
    period = {"start": "2026-01-01", "end": "2026-01-31", "granularity": "week"}
    offered = {d for d, _label in metric_dimensions(metric)}

    for dimension in offered:
        response = api.get("/api/metrics/", {"metric": metric, "dimension": dimension, **period})
        assert response.status_code == 200, (metric, dimension, response.json())
    refused = api.get("/api/metrics/", {"metric": metric, "dimension": "galaxy", **period})
    assert refused.status_code == 400
    assert BreakdownForm.dimensions_by_metric()[metric] == [list(pair) for pair in metric_dimensions(metric)]
    for other in {"channel", "survey", "persona", "agent", "touchpoint"} - offered:
        form = BreakdownForm({"metric": metric, "dimension": other})
        assert not form.is_valid() and "dimension" in form.errors
