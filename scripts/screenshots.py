"""Screenshots of the main pages for docs/screenshots/, taken with Debian's chromium.

Usage: start cxcrm with demo data (`make run`), then
    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 [/s/<token>/]
(the optional path of a survey link adds the public survey page on a phone-sized screen).
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]

# (file name, user, password, path or a callable(page, base) returning a path)
SHOTS = [
    ("login", None, None, "/accounts/login/"),
    ("my-work", "rep", "rep-demo-1", "/customers/my-work/"),
    ("customer-search", "rep", "rep-demo-1", "/customers/?q=silva"),
    ("customer-page", "rep", "rep-demo-1", "top-customer"),
    ("cases", "rep", "rep-demo-1", "/customers/cases/"),
    ("case-page", "rep", "rep-demo-1", "resolved-case"),
    ("customer-new", "rep", "rep-demo-1", "/customers/new/"),
    ("merge-preview", "rep", "rep-demo-1", "first-merge-preview"),
    ("needs-attention", "rep", "rep-demo-1", "/customers/attention/"),
    ("alerts", "manager", "manager-demo-1", "/alerts/"),
    ("journey-map", "marketer", "marketer-demo-1", "first-map"),
    ("survey-rule-admin", "marketer", "marketer-demo-1", "first-rule"),
    ("journey-admin", "marketer", "marketer-demo-1", "/admin/journeys/journeymap/"),
    ("reports-overview", "manager", "manager-demo-1", "/reports/"),
    ("reports-touchpoints", "manager", "manager-demo-1", "/reports/touchpoints/"),
    ("reports-breakdown", "manager", "manager-demo-1", "/reports/breakdown/"),
    ("reports-drilldown", "manager", "manager-demo-1", "first-drilldown"),
    ("reports-health", "manager", "manager-demo-1", "/reports/health/"),
    ("journey-analytics", "marketer", "marketer-demo-1", "first-map-analytics"),
    # The staff interface in the browser's language (Brazilian Portuguese here).
    ("customer-page-pt-br", "rep", "rep-demo-1", "top-customer"),
    ("survey-page-phone", None, None, "survey-link"),
    # Integrations are API-only (no session): the docs as a manager sees them.
    ("api-docs", "manager", "manager-demo-1", "/api/docs/"),
]


# A target named by the first link a list page shows: (list page, the link's CSS selector, the text it holds).
FIRST_LINKS = {
    "top-customer": ("/customers/?q=a", "table a[href^='/customers/']", None),
    # A case with a thread and a history: the newest resolved one.
    "resolved-case": (
        "/customers/cases/?status=resolved&sort=-opened",
        "[data-testid=case-row] a[href^='/customers/cases/']",
        None,
    ),
    "first-merge-preview": ("/customers/my-work/", "a", "Preview merge"),
    "first-rule": ("/admin/feedback/surveyrule/", "#result_list tbody th a", None),
    "first-drilldown": ("/reports/", "a[href^='/reports/drill/']", None),
    "first-map": ("/journeys/", "a[href^='/journeys/']", "Retail"),
    "first-map-analytics": ("/reports/journeys/", "[data-testid=journey-analytics-links] a", "Retail"),
}


def resolve(page, base, target):
    """The path to photograph: a fixed path, the survey link given, or the first link of a list page (the list
    page itself when it shows none)."""
    if target == "survey-link":
        return SURVEY_PATH
    if target not in FIRST_LINKS:
        return target
    path, selector, text = FIRST_LINKS[target]
    page.goto(f"{base}{path}")
    links = page.locator(selector)
    first = (links.filter(has_text=text) if text else links).first
    return first.get_attribute("href") if first.count() else path


SURVEY_PATH = sys.argv[2] if len(sys.argv) > 2 else None


def main(base):
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, user, password, target in SHOTS:
            if target == "survey-link" and not SURVEY_PATH:
                continue
            phone = name.endswith("-phone")
            context = browser.new_context(
                viewport={"width": 390, "height": 844} if phone else {"width": 1400, "height": 900},
                locale="pt-BR" if name.endswith("-pt-br") else "en-US",
            )
            page = context.new_page()
            if user:
                page.goto(f"{base}/accounts/login/")
                page.fill("#id_username", user)
                page.fill("#id_password", password)
                page.click("button[type=submit]")
                page.wait_for_load_state()
            path = resolve(page, base, target)
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=name not in {"api-docs", "needs-attention"})
            print(f"{name}: {path}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000")
