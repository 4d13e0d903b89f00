"""Every page under the Content Security Policy in headless chromium: the pages of each role, the
public survey pages, Swagger UI and the admin load and work with no CSP violation reported."""

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CaseFactory, CustomerFactory, InteractionFactory, NoteFactory
from cxcrm.navigation import nav_for
from feedback.choices import InvitationStatus
from feedback.tests.factories import InvitationFactory, SurveyFactory
from feedback.tokens import invitation_token, survey_url
from journeys.choices import MapStatus
from journeys.tests.factories import StageFactory, TouchpointFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var where = e.sourceFile + ":" + e.lineNumber;
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + where);
});
"""


@pytest.fixture
def csp_page(browser_page):
    """browser_page whose `violations()` lists the CSP violations seen so far: the console's
    "Content Security Policy" messages and the page's securitypolicyviolation events."""
    console: list[str] = []
    browser_page.on(
        "console", lambda message: console.append(message.text) if "Content Security Policy" in message.text else None
    )
    browser_page.add_init_script(WATCH)

    def violations() -> list[str]:
        try:
            events = browser_page.evaluate("window.__cspViolations || []")
        except Exception:  # mid-navigation
            events = []
        return console + events

    browser_page.violations = violations
    return browser_page


def visit(page, path: str):
    response = page.goto(page.base_url + path)
    page.wait_for_load_state("networkidle")
    assert response.status < 500, f"{path}: {response.status}"
    assert response.headers.get("content-security-policy"), f"{path} has no CSP header"
    assert page.violations() == [], f"{path}: {page.violations()}"
    return response


def sign_in(page, username: str) -> None:
    page.goto(f"{page.base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-word-1")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def some_data():
    customer = CustomerFactory(first_name="Ana", last_name="Souza")
    InteractionFactory(customer=customer, body="Line one\nline two")
    NoteFactory(customer=customer, body="A note\nover two lines")
    case = CaseFactory(customer=customer, description="Broken\nagain")
    stage = StageFactory(journey_map__status=MapStatus.PUBLISHED)
    TouchpointFactory(stage=stage)
    return {"customer": customer, "case": case, "map": stage.journey_map}


def test_public_pages_show_and_answer_with_no_csp_violation(csp_page):
    invitation = InvitationFactory(
        survey=SurveyFactory(kind="nps"), status=InvitationStatus.SENT, sent_at=timezone.now()
    )
    visit(csp_page, "/accounts/login/")
    visit(csp_page, "/accounts/password_reset/")
    visit(csp_page, "/s/no-such-link/")
    visit(csp_page, reverse("feedback:unsubscribe", args=[invitation_token(invitation.pk)]))
    visit(csp_page, survey_url(invitation.pk, score=9, absolute=False))
    csp_page.click("button[type=submit]")
    csp_page.wait_for_selector("[data-testid=thanks]")
    assert csp_page.violations() == []


@pytest.mark.parametrize("username", ["rep", "marketer", "manager"])
def test_each_roles_pages_load_with_no_csp_violation(
    csp_page, rep_user, marketer_user, manager_user, some_data, username
):
    user = {"rep": rep_user, "marketer": marketer_user, "manager": manager_user}[username]
    sign_in(csp_page, username)
    paths = [item["url"] for item in nav_for(user) if not item["url"].startswith(("/admin/", "/api/"))]
    paths += [
        reverse("customers:customer_detail", args=[some_data["customer"].pk]),
        reverse("customers:case_detail", args=[some_data["case"].pk]),
        reverse("journeys:map_detail", args=[some_data["map"].pk]),
    ]
    if user.has_perm("feedback.view_reports"):
        for name in ("breakdown", "touchpoints", "topics", "followups", "journeys"):
            paths.append(reverse(f"feedback:report_{name}"))
    for path in paths:
        if path.startswith("/customers/") and not user.has_perm("customers.view_customer"):
            continue
        visit(csp_page, path)


def test_the_journey_grid_keeps_its_width_without_a_style_attribute(csp_page, rep_user, some_data):
    sign_in(csp_page, "rep")
    visit(csp_page, reverse("journeys:map_detail", args=[some_data["map"].pk]))
    grid = csp_page.locator("[data-testid=journey-grid]")
    # 9rem + 13rem at the page's 16 px root size.
    assert grid.evaluate("el => parseFloat(getComputedStyle(el).minWidth)") == 352


def test_a_rep_filters_the_timeline_through_htmx_with_no_csp_violation(csp_page, rep_user, some_data):
    InteractionFactory(customer=some_data["customer"], channel="phone", summary="Called about the bill")
    sign_in(csp_page, "rep")
    visit(csp_page, reverse("customers:customer_detail", args=[some_data["customer"].pk]))
    assert csp_page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert csp_page.locator("style").count() == 0  # htmx added no stylesheet of its own
    note = csp_page.locator("[data-testid=note] .text-pre-wrap").first
    assert note.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"

    with csp_page.expect_response(lambda r: "/timeline" in r.url):
        csp_page.select_option("[data-testid=timeline-filters] select[name=channel]", "phone")
    csp_page.wait_for_load_state("networkidle")
    assert "Called about the bill" in csp_page.inner_text("#timeline-items")
    assert csp_page.violations() == []


def test_swagger_ui_renders_the_api_with_no_csp_violation(csp_page, manager_user):
    sign_in(csp_page, "manager")
    visit(csp_page, "/api/docs/")
    csp_page.wait_for_selector(".swagger-ui .info .title")
    assert "cxcrm API" in csp_page.inner_text(".swagger-ui .info .title")
    assert csp_page.violations() == []


def test_the_admin_works_under_its_own_policy(csp_page, superuser, some_data):
    sign_in(csp_page, "root")
    for path in (
        "/admin/",
        reverse("admin:customers_customer_changelist"),
        reverse("admin:customers_customer_change", args=[some_data["customer"].pk]),
        reverse("admin:journeys_journeymap_change", args=[some_data["map"].pk]),
        reverse("admin:feedback_survey_add"),
    ):
        policy = visit(csp_page, path).headers["content-security-policy"]
        assert "script-src 'self' 'unsafe-inline'" in policy
