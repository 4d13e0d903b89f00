"""The score table (feedback/scales.py) is the one place the NPS/CSAT/CES scales and their boxes live:
one change to it changes every rule, figure and page that shows a threshold."""

import dataclasses
import json
import re
from datetime import date

import pytest
from django.urls import reverse

from customers.tests.factories import CustomerFactory
from feedback.metrics import rollup
from feedback.metrics.query import metric_series
from feedback.panels import customer_scores_panel
from feedback.scales import SCALES, is_detractor
from feedback.tests.metrics_factories import ResponseFactory, at

pytestmark = pytest.mark.django_db

JAN = {"start": "2026-01-01", "end": "2026-01-31", "granularity": "month"}


@pytest.fixture
def stricter_nps(monkeypatch):
    """NPS redrawn as promoters 10 only and detractors 0–7 (a stricter house rule some teams use)."""
    monkeypatch.setitem(SCALES, "nps", dataclasses.replace(SCALES["nps"], top_box_from=10, bottom_box_to=7))


@pytest.fixture
def january_nps():
    customer = CustomerFactory(first_name="Ana", last_name="Sete")
    for score in (10, 9, 7):
        ResponseFactory(kind="nps", score=score, customer=customer, channel="chat", submitted_at=at(2026, 1, 5))
    return customer


def test_the_standard_table_reads_as_the_literature_defines_it():
    nps, csat, ces = SCALES["nps"], SCALES["csat"], SCALES["ces"]
    assert (nps.scale_range, nps.top_box_range, nps.middle_range, nps.bottom_box_range) == (
        "0–10",
        "9–10",
        "7–8",
        "0–6",
    )
    assert (csat.scale_range, csat.top_box_range, csat.middle_range, csat.bottom_box_range) == (
        "1–5",
        "4–5",
        "3",
        "1–2",
    )
    assert (ces.scale_range, ces.top_box_range, ces.middle_range, ces.bottom_box_range) == ("1–7", "5–7", "4", "1–3")
    assert [is_detractor("nps", s) for s in (6, 7)] == [True, False]
    assert not is_detractor("custom", 0) and not is_detractor("nps", None)


def test_a_changed_table_changes_the_rules_figures_and_pages(stricter_nps, january_nps, client, manager_user, rep_user):
    # The closed-loop rule: a 7 is now a detractor.
    assert is_detractor("nps", 7) and not is_detractor("nps", 8)

    # The figures: one promoter (10), one passive (9), one detractor (7) → NPS 0.
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    series = metric_series("nps", start=date(2026, 1, 1), end=date(2026, 1, 31), granularity="month")
    assert series[0]["value"] == pytest.approx(0.0)

    # The report page's formula and the drill-down's bucket names.
    client.force_login(manager_user)
    overview = client.get(reverse("feedback:report_overview"), JAN).content.decode()
    assert "% of answers 10 (promoters) − % of answers 0–7 (detractors)" in overview
    drill = client.get(
        reverse("feedback:report_drilldown"), {**JAN, "metric": "nps", "bucket": "detractors"}
    ).content.decode()
    assert "Detractors (0–7)" in drill and "Passives (8–9)" in drill

    # The customer page marks the 7 as a detractor's answer.
    request = type("R", (), {"user": rep_user})()
    tiles = customer_scores_panel(january_nps, request)["context"]["tiles"]
    nps_tile = next(t for t in tiles if t["kind"] == "nps")
    assert nps_tile["response"].score == 7 and nps_tile["detractor"] is True
    client.force_login(rep_user)
    page = client.get(reverse("customers:customer_detail", args=[january_nps.pk])).content.decode()
    nps_html = page.split('data-testid="cx-score-nps"')[1].split("</div>\n  </div>")[0]
    assert re.search(r">7<", nps_html) and "text-danger" in nps_html


def test_a_changed_scale_redraws_the_mean_score_chart_axis(monkeypatch, client, manager_user):
    """CES on a five-point scale: the overview's CES chart spans 1–5 (the axis is read from the table)."""
    monkeypatch.setitem(SCALES, "ces", dataclasses.replace(SCALES["ces"], high=5, top_box_from=4, bottom_box_to=2))
    client.force_login(manager_user)

    page = client.get(reverse("feedback:report_overview"), JAN).content.decode()

    chart = json.loads(re.search(r'<script id="chart-ces-data" type="application/json">(.*?)</script>', page).group(1))
    assert (chart["min"], chart["max"]) == (1, 5)
