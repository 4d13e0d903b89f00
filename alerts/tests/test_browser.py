"""Headless chromium: the bell shows the unread count without a reload, and the navbar keeps one row with it."""

import pytest
from django.utils import timezone

from alerts.models import Alert, AlertRecipient
from customers.tests.factories import CustomerFactory

from .factories import AlertRuleFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_bell_shows_the_unread_count_and_the_administrators_navbar_keeps_one_row(browser_login, superuser):
    # A long first name (the user menu's label) is shortened rather than pushing the navigation to a second row.
    superuser.first_name = "Maximiliano Bartholomeu"
    superuser.save()
    rule = AlertRuleFactory()
    for n in range(12):
        alert = Alert.objects.create(
            rule=rule,
            customer=CustomerFactory(),
            reason="detractor",
            message=f"Customer {n} is a detractor",
            window_start=timezone.now(),
            raised_at=timezone.now(),
        )
        AlertRecipient.objects.create(alert=alert, user=superuser)
    page = browser_login("root")
    page.set_viewport_size({"width": 1360, "height": 900})
    page.evaluate("document.fonts.ready.then(() => document.fonts.status)")
    bell = page.get_by_test_id("alert-bell")
    assert bell.get_by_test_id("alert-count").inner_text(timeout=10000) == "12"

    nav_items = page.locator("[data-testid=nav] .nav-link")
    assert nav_items.count() >= 8
    tops = set()
    for _ in range(10):
        tops = {round(item.bounding_box()["y"]) for item in nav_items.all()}
        if len(tops) == 1:
            break
        page.wait_for_timeout(500)
    items = [(i.inner_text().strip(), round(i.bounding_box()["y"])) for i in nav_items.all()]
    assert len(tops) == 1, f"the navbar wraps at 1360 px with the bell: {items}"
    first, box = nav_items.first.bounding_box(), bell.bounding_box()
    assert first["y"] <= box["y"] + box["height"] / 2 <= first["y"] + first["height"], "the bell sits on the nav's row"

    bell.click()
    page.wait_for_url("**/alerts/")
    assert page.get_by_test_id("alert-row").count() == 12
    with page.expect_navigation():  # the page is /alerts/ already: wait for the one the POST leads to
        page.get_by_test_id("read-all").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("alert-count").count() == 0 or not page.get_by_test_id("alert-count").is_visible()
