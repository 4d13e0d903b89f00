"""Pages that must fit a laptop screen (1366 px) in headless chromium: a drill-down whose answer has a long
unbroken comment, and the survey admin with its texts, questions and rules inline."""

from datetime import date

import pytest

from feedback.metrics import rollup
from feedback.tests.factories import SurveyFactory, SurveyQuestionFactory, SurveyRuleFactory
from feedback.tests.metrics_factories import ResponseFactory, at

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

LAPTOP = {"width": 1366, "height": 768}


def page_width(page) -> dict:
    return page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )


def test_a_long_unbroken_comment_wraps_and_keeps_the_row_links_on_screen(browser_login, manager_user):
    ResponseFactory(kind="csat", score=1, comment="x" * 400, submitted_at=at(2026, 1, 8))
    ResponseFactory(kind="csat", score=2, comment="https://example.com/" + "a" * 300, submitted_at=at(2026, 1, 9))
    rollup.metric_rollups_recompute(start=date(2026, 1, 1), end=date(2026, 1, 31))
    page = browser_login("manager")
    page.set_viewport_size(LAPTOP)

    page.goto(f"{page.base_url}/reports/drill/?metric=csat&start=2026-01-01&end=2026-01-31")

    width = page_width(page)
    assert width["scroll"] <= width["client"], width
    table = page.evaluate(
        "() => { const t = document.querySelector('[data-testid=report-table]');"
        " return {table: t.scrollWidth, box: t.parentElement.clientWidth}; }"
    )
    assert table["table"] <= table["box"], table
    links = page.locator("[data-testid=report-table] tbody td:last-child a")
    assert links.count() == 2
    for i in range(2):
        box = links.nth(i).bounding_box()
        assert box["x"] + box["width"] <= LAPTOP["width"]


def test_the_survey_admin_page_fits_a_laptop_screen(browser_login, superuser):
    survey = SurveyFactory(name="Post-purchase CSAT", kind="csat")
    SurveyQuestionFactory(survey=survey, position=1)
    for n in range(3):
        SurveyRuleFactory(survey=survey, name=f"After chat {n}", channel="chat", touchpoint_key="checkout-help-desk")
    page = browser_login("root")
    page.set_viewport_size(LAPTOP)

    page.goto(f"{page.base_url}/admin/feedback/survey/{survey.pk}/change/")

    width = page_width(page)
    assert width["scroll"] <= width["client"], width
    # The rules' table fits its box too (every column in view, no sideways scrolling).
    rules = page.evaluate(
        "() => { const t = document.querySelector('#rules-group table');"
        " return {table: t.scrollWidth, box: t.parentElement.clientWidth}; }"
    )
    assert rules["table"] <= rules["box"], rules
    assert page.locator("#rules-group input[name=rules-0-priority]").is_visible()
