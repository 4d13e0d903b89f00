"""Survey rule precedence in headless chromium, as a marketer meets it: a specific rule added next to the
demo's general one is warned about, invites, and the rules' pages show what each did in the last 30 days."""

import pytest

from customers.tests.factories import InteractionFactory
from feedback import services
from feedback.choices import SuppressionReason
from feedback.models import Invitation, SurveyRule
from feedback.tests.factories import SurveyFactory, SurveyRuleFactory, customer_with_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def activity(page) -> dict[str, str]:
    """The rule page's 30-day table as {label: count}."""
    rows = page.locator("[data-testid=rule-activity] tr")
    return {
        rows.nth(i).locator("th").inner_text().strip(): rows.nth(i).locator("td").inner_text().strip()
        for i in range(rows.count())
    }


def test_marketer_adds_a_specific_rule_that_outranks_the_demo_rule(browser_login, marketer_user):
    general = SurveyRuleFactory(name="Any chat", channel="chat", delay_minutes=30, survey=SurveyFactory(name="CSAT"))
    checkout_survey = SurveyFactory(name="Checkout CSAT")
    page = browser_login("marketer")

    page.goto(page.base_url + "/admin/feedback/surveyrule/add/")
    # The survey is an autocomplete (select2): type part of its name and take the match.
    page.click(".field-survey .select2-selection")
    page.fill(".select2-search__field", "Checkout")
    page.click(f".select2-results__option:has-text('{checkout_survey.name}')")
    page.fill("#id_name", "Checkout chat")
    page.select_option("#id_channel", "chat")
    page.fill("#id_touchpoint_key", "checkout")
    page.fill("#id_delay_minutes", "0")
    page.fill("#id_sample_percent", "100")
    with page.expect_navigation(wait_until="load"):
        page.click("input[name=_save]")
    warning = page.inner_text("ul.messagelist li.warning")
    assert "“Checkout chat” overlaps “Any chat”" in warning
    assert "offered to “Checkout chat” first" in warning

    specific = SurveyRule.objects.get(name="Checkout chat")
    for touchpoint in ("checkout", "checkout", "returns"):
        interaction = InteractionFactory(customer=customer_with_email(), channel="chat", touchpoint_key=touchpoint)
        services.survey_rules_evaluate_interaction(interaction_id=interaction.pk)
    assert Invitation.objects.filter(rule=general, suppression_reason=SuppressionReason.OVERLAP).count() == 2
    assert Invitation.objects.filter(suppression_reason=SuppressionReason.FATIGUE).count() == 0

    page.goto(page.base_url + f"/admin/feedback/surveyrule/{specific.pk}/change/")
    specific_activity = activity(page)
    assert specific_activity["Events matched"] == "2"
    assert specific_activity["Invited"] == "2"
    page.goto(page.base_url + f"/admin/feedback/surveyrule/{general.pk}/change/")
    general_activity = activity(page)
    assert general_activity["Events matched"] == "3"
    assert general_activity["Invited"] == "1"
    assert general_activity["A rule of higher precedence invited for the same event"] == "2"
    assert general_activity["Invited recently (fatigue rule)"] == "0"
    assert "Checkout chat" in page.inner_text(".field-overlapping_rules")

    page.goto(page.base_url + "/admin/feedback/surveyrule/")
    assert page.locator("td.field-overlaps img[alt=True]").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
