"""The case page in headless chromium, as a rep uses it: read the thread, reply, resolve with a reason,
and find the change in the case's history and as "Case resolved" on the customer's timeline."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Case, CaseChange, Interaction

from .factories import CaseFactory, CustomerFactory, InteractionFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def submit(page, button) -> None:
    with page.expect_navigation(wait_until="domcontentloaded"):
        button.click()


def test_rep_replies_resolves_with_a_reason_and_reads_the_history(browser_login, rep_user):
    customer = CustomerFactory(first_name="Ana", last_name="Silva")
    case = CaseFactory(customer=customer, subject="Parcel never arrived", assignee=rep_user)
    InteractionFactory(customer=customer, case=case, summary="Where is my parcel?", body="Ordered two weeks ago.")

    page = browser_login(rep_user.username)
    page.goto(f"{page.base_url}/customers/cases/{case.pk}/")
    thread = page.locator("[data-testid=case-thread]")
    expect(thread.locator("[data-testid=thread-item]")).to_have_count(1)
    expect(thread).to_contain_text("Where is my parcel?")

    reply = page.locator("[data-testid=form-case-reply]")
    reply.get_by_label("Message or call notes").fill("We resent your parcel today.")
    submit(page, reply.get_by_role("button", name="Add to the thread"))
    items = page.locator("[data-testid=thread-item]")
    expect(items).to_have_count(2)
    expect(items.nth(1)).to_contain_text("We resent your parcel today.")
    expect(items.nth(1)).to_have_attribute("data-direction", "outbound")

    form = page.locator("[data-testid=form-case-update]")
    form.get_by_label("Status").select_option("resolved")
    form.get_by_label("Reason").fill("Parcel resent with tracking")
    submit(page, form.get_by_role("button", name="Save"))
    expect(page.locator("[data-testid=case-status]")).to_have_text("Resolved")
    history = page.locator("[data-testid=history-item]")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text(re.compile(r"Status ?: Open → Resolved"))
    expect(history.first.locator("[data-testid=history-reason]")).to_have_text("Parcel resent with tracking")
    expect(history.first.locator("[data-testid=history-by]")).to_have_text(
        rep_user.get_full_name() or rep_user.username
    )

    page.get_by_role("link", name="Ana Silva").click()
    timeline = page.locator("[data-testid=timeline]")
    expect(timeline).to_contain_text("Case resolved: Parcel never arrived")

    case.refresh_from_db()
    assert case.status == "resolved" and case.first_response_at is not None
    assert CaseChange.objects.filter(case=case, reason="Parcel resent with tracking").count() == 1
    assert Interaction.objects.filter(case=case).count() == 3
    assert Case.objects.count() == 1


def test_recent_resolved_cases_load_when_the_rep_opens_them(browser_login, rep_user):
    customer = CustomerFactory(first_name="Bea", last_name="Costa")
    CaseFactory(customer=customer, subject="Still open")
    done = CaseFactory(customer=customer, subject="Refund sent", status="resolved", assignee=rep_user)
    case_update_resolved_at(done)

    page = browser_login(rep_user.username)
    page.goto(f"{page.base_url}/customers/{customer.pk}/")
    resolved = page.get_by_test_id("resolved-cases")
    expect(resolved.get_by_test_id("resolved-case")).to_have_count(0)
    resolved.locator("summary").click()
    expect(resolved.get_by_test_id("resolved-case")).to_have_count(1)
    expect(resolved.get_by_test_id("resolved-case")).to_contain_text("Refund sent")
    expect(resolved).not_to_contain_text("Still open")


def case_update_resolved_at(case):
    from django.utils import timezone

    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now())
