"""The merge survivor choice in headless chromium: the preview of a suggested duplicate keeps the richer
record, shows both stages, owners and counts; the rep swaps, picks the stage and merges."""

import pytest
from playwright.sync_api import expect

from customers.models import Customer, LifecycleChange, MergeSuggestion

from .factories import CustomerFactory, IdentityFactory, InteractionFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def submit(page, button) -> None:
    with page.expect_navigation(wait_until="domcontentloaded"):
        button.click()


def test_rep_previews_swaps_picks_the_stage_and_merges(browser_login, rep_user):
    lead = CustomerFactory(first_name="Rui", last_name="Lima", lifecycle_stage="lead")
    IdentityFactory(customer=lead, kind="phone", value="+5511955554444")
    active = CustomerFactory(first_name="Rui", last_name="Lima", lifecycle_stage="active", owner=rep_user)
    IdentityFactory(customer=active, kind="email", value="rui@example.com")
    InteractionFactory.create_batch(76, customer=active)
    MergeSuggestion.objects.create(customer=lead, other=active, reason="Given together: phone and email")

    page = browser_login(rep_user.username)
    page.goto(f"{page.base_url}/customers/{lead.pk}/")
    submit(page, page.get_by_role("link", name="Preview merge").first)

    # The richer record stays by default, whichever was named first.
    survivor, other = page.get_by_test_id("survivor"), page.get_by_test_id("other")
    expect(survivor).to_have_attribute("data-customer", str(active.pk))
    expect(survivor.get_by_test_id("suggested-survivor")).to_be_visible()
    expect(survivor.get_by_test_id("stage")).to_have_text("Active")
    expect(other.get_by_test_id("stage")).to_have_text("Lead")
    expect(survivor.locator("[data-count=interactions]")).to_have_text("76")
    expect(other.get_by_test_id("owner")).to_have_text("—")
    expect(page.get_by_test_id("merge-stage")).to_have_value("active")

    # The rep keeps the lead instead: the stage still defaults to the later one.
    submit(page, page.get_by_test_id("swap"))
    expect(page.get_by_test_id("survivor")).to_have_attribute("data-customer", str(lead.pk))
    expect(page.get_by_test_id("other").get_by_test_id("suggested-survivor")).to_be_visible()
    expect(page.get_by_test_id("merge-stage")).to_have_value("active")
    page.get_by_test_id("merge-stage").select_option("prospect")
    submit(page, page.get_by_test_id("merge-button"))

    expect(page.get_by_test_id("customer-name")).to_have_text("Rui Lima")
    lead.refresh_from_db()
    assert lead.lifecycle_stage == "prospect"
    assert Customer.objects.get(pk=active.pk).merged_into_id == lead.pk
    assert LifecycleChange.objects.filter(customer=lead, from_stage="lead", to_stage="prospect").exists()
