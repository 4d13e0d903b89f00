"""A support rep's day in headless chromium: find a customer by a phone number typed in national
format, read and filter the history, load more, log a call, open and resolve a case, add a note,
fix the profile, add an identity and merge a suggested duplicate after the preview.

Set QA_SCREENSHOTS=/some/dir to keep a screenshot of each page (desktop and phone widths).
"""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers.choices import CaseStatus, Direction, IdentityKind, InteractionType, LifecycleStage
from customers.models import (
    Case,
    Customer,
    Identity,
    Interaction,
    LifecycleChange,
    MergeSuggestion,
    Note,
    SlaPolicy,
)
from customers.services import interaction_ingest, interaction_input_parse
from cxcrm.choices import Channel
from journeys.tests.factories import JourneyMapFactory, StageFactory, TouchpointFactory

from .factories import CustomerFactory, IdentityFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

HISTORY = 62  # more than one timeline page (50)


def shot(page, name: str) -> None:
    folder = os.environ.get("QA_SCREENSHOTS")
    if folder:
        width = page.viewport_size["width"]
        top = {"x": 0, "y": 0, "width": width, "height": 1400 if width > 500 else 2400}
        page.screenshot(path=os.path.join(folder, f"qa_rep_{name}.png"), full_page=True, clip=top)


def submit(page, button) -> None:
    """Click a button that posts a form and wait for the page that answers (its HTML, not every asset)."""
    with page.expect_navigation(wait_until="domcontentloaded"):
        button.click()


def open_form(page, toggle: str, testid: str):
    """Open a collapsed form: wait for its fields, which htmx fetches when it opens, and until Bootstrap's
    animation is over (a half-open form hides its button)."""
    page.get_by_role("button", name=toggle).first.click()  # the loaded form's own button may share the name
    form = page.locator(f"[data-testid={testid}]")
    page.locator(f".collapse.show:has([data-testid={testid}])").wait_for(state="visible")
    return form


def summaries(page) -> list[str]:
    return page.locator("[data-testid=timeline-item] strong").all_inner_texts()


@pytest.fixture
def ana(rep_user):
    """Ana, with a phone, an email and a year of history on three channels, two items per instant."""
    # Transactional tests flush the rows data migrations made: bring the SLA target the case needs.
    SlaPolicy.objects.update_or_create(
        priority="high", defaults={"first_response_minutes": 60, "resolution_minutes": 8 * 60}
    )
    journey_map = JourneyMapFactory(name="Support", status="published")
    stage = StageFactory(journey_map=journey_map, name="Contact")
    touchpoint = TouchpointFactory(stage=stage, key="support-chat", name="Chat support", channel="chat", published=True)
    customer = CustomerFactory(
        first_name="Ana", last_name="Silva", language="pt-br", lifecycle_stage=LifecycleStage.ACTIVE
    )
    IdentityFactory(customer=customer, kind=IdentityKind.PHONE, value="+5511912345678")
    IdentityFactory(customer=customer, kind=IdentityKind.EMAIL, value="ana@example.com")
    now = timezone.now()
    channels = [Channel.EMAIL, Channel.CHAT, Channel.WEB]
    Interaction.objects.bulk_create(
        Interaction(
            customer=customer,
            channel=channels[i % 3],
            direction=Direction.INBOUND,
            type=InteractionType.MESSAGE if i % 3 != 2 else InteractionType.PAGE_VIEW,
            occurred_at=now - timedelta(days=2 + i // 2),  # pairs share a timestamp
            summary=f"History item {i:02d}",
            body=f"Body of item {i:02d}",
            touchpoint=touchpoint if channels[i % 3] == Channel.CHAT else None,
            touchpoint_key=touchpoint.key if channels[i % 3] == Channel.CHAT else "",
            source="test",
            external_id=f"h{i}",
        )
        for i in range(HISTORY)
    )
    Customer.objects.filter(pk=customer.pk).update(
        first_contact_at=now - timedelta(days=40), last_contact_at=now - timedelta(days=2)
    )
    return customer


@pytest.fixture
def twin(ana):
    """The same Ana through another channel: an email only she has, given together with Ana's phone."""
    twin = CustomerFactory(first_name="Ana", last_name="S.", language="pt-br")
    IdentityFactory(customer=twin, kind=IdentityKind.EMAIL, value="ana.s@work.example")
    data = interaction_input_parse(
        {
            "channel": Channel.CHAT,
            "occurred_at": timezone.now() - timedelta(days=1),
            "summary": "Chat from a work email",
            "identities": [
                {"kind": "phone", "value": "+55 11 91234-5678"},
                {"kind": "email", "value": "ana.s@work.example"},
            ],
        }
    )
    interaction_ingest(data=data, live=False)
    assert MergeSuggestion.objects.filter(status="open").count() == 1
    return twin


def test_a_rep_does_a_days_work_on_one_customer(browser_login, rep_user, ana, twin):
    page = browser_login("rep")

    # ---- find her from a phone number typed in national format in the navbar
    search = page.get_by_role("searchbox", name="Search customers")
    search.fill("(11) 91234-5678")
    search.press("Enter")
    page.wait_for_url(re.compile(rf"/customers/{ana.pk}/$"))
    assert "Ana Silva" in page.inner_text("h1")
    identities = page.inner_text("[data-testid=identities]")
    assert "+5511912345678" in identities and "ana@example.com" in identities
    shot(page, "customer")

    # ---- read the history: newest first, with channel, type and touchpoint
    items = page.locator("[data-testid=timeline-item]")
    assert items.count() == 50
    first = items.nth(0).inner_text()
    assert "Chat from a work email" in first and "Chat" in first and "Message" in first
    chat_item = page.locator("[data-testid=timeline-item][data-channel=chat]").nth(1)
    assert "Chat support" in chat_item.inner_text()
    assert page.locator("[data-testid=timeline-item][data-channel=web]").first.inner_text().count("Page view") == 1
    # the body opens on demand
    body_item = page.locator("[data-testid=timeline-item]", has_text="History item 00")
    assert not body_item.get_by_text("Body of item 00").is_visible()
    body_item.locator("summary").click()
    assert body_item.get_by_text("Body of item 00").is_visible()

    # ---- filter by channel (htmx swaps the list)
    with page.expect_response(re.compile(r"/timeline/\?")):
        page.select_option("[data-testid=timeline-filters] select[name=channel]", "web")
    # Locator waits, not wait_for_function: its string predicate is an eval, which the page's CSP refuses.
    expect(page.locator("[data-testid=timeline-item]:not([data-channel=web])")).to_have_count(0)
    page.wait_for_url(re.compile(rf"/customers/{ana.pk}/\?channel=web$"))  # the address bar follows the filter
    web_items = summaries(page)
    assert len(web_items) == HISTORY // 3 + (HISTORY % 3 > 2)
    assert web_items == [f"History item {i:02d}" for i in range(2, HISTORY, 3)]
    shot(page, "customer_filtered")

    # ---- back to every channel, then "load more" appends the older items, none twice
    with page.expect_response(re.compile(r"/timeline/\?")):
        page.select_option("[data-testid=timeline-filters] select[name=channel]", "")
    expect(page.locator("[data-testid=timeline-item]")).to_have_count(50)
    with page.expect_response(re.compile(r"cursor=")):
        page.get_by_role("link", name="Load more").click()
    expect(page.locator("[data-testid=timeline-item]")).to_have_count(HISTORY + 1)
    everything = summaries(page)
    assert len(set(everything)) == len(everything) == HISTORY + 1
    newest_first = sorted(range(HISTORY), key=lambda i: (i // 2, -i))  # ties: the later id first
    assert everything[1:] == [f"History item {i:02d}" for i in newest_first]
    assert page.locator("[data-testid=timeline-more]").count() == 0
    assert page.url.endswith(f"/customers/{ana.pk}/")  # the page itself did not navigate

    # ---- log a call
    form = open_form(page, "Log an interaction", "form-log")
    form.get_by_label("Channel").select_option("phone")
    form.get_by_label("Type").select_option("call")
    form.get_by_label("Summary").fill("Called about the late delivery")
    form.get_by_label("Details").fill("She will wait until Friday.")
    submit(page, form.get_by_role("button", name="Log it"))
    assert "Logged: Phone call “Called about the late delivery”." in page.inner_text(".alert-success")
    top = page.locator("[data-testid=timeline-item]").first
    assert "Called about the late delivery" in top.inner_text() and top.get_attribute("data-channel") == "phone"
    call = Interaction.objects.get(summary="Called about the late delivery")
    assert (call.customer_id, call.channel, call.type, call.agent, call.source) == (
        ana.pk,
        "phone",
        "call",
        rep_user,
        "web",
    )

    # ---- open a case
    form = open_form(page, "Open a case", "form-case")
    form.get_by_label("Subject").fill("Parcel never arrived")
    form.get_by_label("Priority").select_option("high")
    submit(page, form.get_by_role("button", name="Open case"))
    shot(page, "case_opened")
    case = Case.objects.get(subject="Parcel never arrived")
    assert f"Opened case #{case.pk} “Parcel never arrived”." in page.inner_text(".alert-success")
    open_cases = page.inner_text("[data-testid=open-cases]")
    assert f"#{case.pk} Parcel never arrived" in open_cases and "High" in open_cases
    assert case.status == CaseStatus.OPEN and case.assignee == rep_user and case.resolution_due_at

    # ---- resolve it on the case page
    page.get_by_role("link", name=f"#{case.pk} Parcel never arrived").click()
    page.wait_for_url(re.compile(rf"/customers/cases/{case.pk}/$"))
    shot(page, "case")
    form = page.locator("[data-testid=form-case-update]")
    form.get_by_label("Status").select_option("resolved")
    form.get_by_label("Resolution note").fill("Reshipped with express delivery.")
    submit(page, form.get_by_role("button", name="Save"))
    assert f"Case #{case.pk} saved (resolved)." in page.inner_text(".alert-success")
    assert page.inner_text("[data-testid=case-status]") == "Resolved"
    assert "Reshipped with express delivery." in page.inner_text("[data-testid=case-facts]")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.resolved_at and case.first_response_at

    # ---- back on the customer: the case is no longer open; add a note
    page.get_by_role("link", name="Ana Silva").click()
    page.wait_for_url(re.compile(rf"/customers/{ana.pk}/$"))
    assert "No open cases." in page.inner_text("[data-testid=open-cases]")
    form = page.locator("[data-testid=form-note]")
    form.get_by_label("Note").fill("Prefers WhatsApp after 6 pm.\nVery patient.")
    submit(page, form.get_by_role("button", name="Add note"))
    assert "Note added." in page.inner_text(".alert-success")
    assert "Prefers WhatsApp after 6 pm." in page.locator("[data-testid=note]").first.inner_text()
    assert Note.objects.get().author == rep_user

    # ---- fix the profile
    form = open_form(page, "Edit profile", "form-profile")
    form.get_by_label("Lifecycle stage").select_option(LifecycleStage.AT_RISK)
    form.get_by_label("Language").select_option("es")
    submit(page, form.get_by_role("button", name="Save profile"))
    assert "Profile saved." in page.inner_text(".alert-success")
    assert page.inner_text("[data-testid=lifecycle]") == "At risk"
    assert "Español" in page.inner_text("[data-testid=customer-header]")
    ana.refresh_from_db()
    assert (ana.lifecycle_stage, ana.language) == (LifecycleStage.AT_RISK, "es")
    assert LifecycleChange.objects.filter(customer=ana, to_stage=LifecycleStage.AT_RISK).exists()

    # ---- add an identity: a bad phone first (the error on the field, the typed value kept), then a good one
    form = open_form(page, "Add identity", "form-identity")
    form.get_by_label("Kind").select_option("phone")
    form.get_by_label("Value").fill("12-ab")
    submit(page, form.get_by_role("button", name="Add identity"))
    form = page.locator("[data-testid=form-identity]")
    assert form.is_visible()  # the form comes back open
    value = form.get_by_label("Value")
    assert value.input_value() == "12-ab"
    assert "is-invalid" in value.get_attribute("class")
    error = form.locator("#error_1_id_identity-value, .invalid-feedback").first.inner_text()
    assert "12-ab" in error
    assert form.get_by_label("Kind").input_value() == "phone"
    shot(page, "identity_error")
    value.fill("(21) 3456-7890")
    submit(page, form.get_by_role("button", name="Add identity"))
    assert "Identity added: phone +552134567890." in page.inner_text(".alert-success")
    assert "+552134567890" in page.inner_text("[data-testid=identities]")

    # ---- removing one asks first (there is no undo): declined, nothing happens; accepted, it is gone
    remove = page.get_by_role("button", name="Remove +552134567890")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    remove.click()
    assert asked == ["Remove +552134567890 from this customer?"]
    assert Identity.objects.filter(value="+552134567890").exists()
    page.once("dialog", lambda dialog: dialog.accept())
    submit(page, remove)
    assert "Identity removed: phone +552134567890." in page.inner_text(".alert-success")
    assert "+552134567890" not in page.inner_text("[data-testid=identities]")
    assert not Identity.objects.filter(value="+552134567890").exists()

    # ---- merge the suggested duplicate after the preview
    suggestion = page.locator("[data-testid=suggestion]")
    assert f"#{twin.pk} Ana S." in suggestion.inner_text()
    suggestion.get_by_role("link", name="Preview merge").click()
    page.wait_for_url(re.compile(rf"/customers/{ana.pk}/merge/{twin.pk}/"))
    assert "ana.s@work.example" in page.inner_text("[data-testid=other]")
    assert page.inner_text("[data-testid=moves] [data-count=identities]") == "1"
    shot(page, "merge_preview")
    page.get_by_test_id("merge-button").click()
    page.wait_for_url(re.compile(rf"/customers/{ana.pk}/$"))
    assert f"Merged customer #{twin.pk} into this customer." in page.inner_text(".alert-success")
    assert "ana.s@work.example" in page.inner_text("[data-testid=identities]")
    assert page.locator("[data-testid=suggestions]").count() == 0
    twin.refresh_from_db()
    assert twin.merged_into_id == ana.pk
    assert Identity.objects.get(value="ana.s@work.example").customer_id == ana.pk
    assert MergeSuggestion.objects.get().status == "merged"


# --------------------------------------------------------------------------- layout on a desktop and a phone

PAGES = {
    "customer": lambda ana, twin, case: f"/customers/{ana.pk}/",
    "my_work": lambda ana, twin, case: "/customers/my-work/",
    "cases": lambda ana, twin, case: "/customers/cases/",
    "case": lambda ana, twin, case: f"/customers/cases/{case.pk}/",
    "merge_preview": lambda ana, twin, case: f"/customers/{ana.pk}/merge/{twin.pk}/",
}


def test_the_rep_pages_fit_a_desktop_and_a_phone(browser_page, rep_user, ana, twin):
    """Signed out, a page sends the rep to log in and back; no page scrolls sideways; every icon has a glyph."""
    overdue = Case.objects.create(
        customer=ana,
        subject="Refund for a parcel that came back damaged and was returned to the warehouse",
        topic="refunds",
        origin=Channel.EMAIL,
        priority="urgent",
        status=CaseStatus.OPEN,
        assignee=rep_user,
        opened_at=timezone.now() - timedelta(days=3),
        first_response_due_at=timezone.now() - timedelta(days=2),
        resolution_due_at=timezone.now() - timedelta(days=1),
    )
    page = browser_page
    page.goto(f"{page.base_url}/customers/{ana.pk}/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    page.fill("#id_username", "rep")
    page.fill("#id_password", "pass-word-1")
    submit(page, page.locator("button[type=submit]"))
    assert page.url == f"{page.base_url}/customers/{ana.pk}/"
    assert "Ana Silva" in page.inner_text("h1")
    for width, height in ((1360, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        for name, url in PAGES.items():
            page.goto(page.base_url + url(ana, twin, overdue))
            assert page.locator("h1").count() == 1, name
            shot(page, f"{name}_{width}")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} at {width}px scrolls sideways by {overflow}px"
            # case tables fit too: on a phone each case is a card, not a table scrolling in its box
            inside = page.evaluate(
                "[...document.querySelectorAll('.table-stack')]"
                ".map(t => t.parentElement.scrollWidth - t.parentElement.clientWidth)"
            )
            assert all(extra <= 0 for extra in inside), f"{name} at {width}px: a case table scrolls by {inside}"
            if name in ("cases", "my_work") and width < 500:
                labels = page.evaluate(
                    "[...document.querySelectorAll('[data-testid=case-row]')[0].cells]"
                    ".map(td => getComputedStyle(td, '::before').content)"
                )
                assert '"Priority"' in labels and '"SLA"' in labels, labels  # each value shows its label
            missing = page.evaluate(
                """[...document.querySelectorAll('i.bi')]
                   .filter(i => ['', 'none', 'normal'].includes(getComputedStyle(i, '::before').content))
                   .map(i => i.className)"""
            )
            assert missing == [], f"{name}: icons without a glyph {missing}"
