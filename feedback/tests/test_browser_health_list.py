"""A rep sorts the customer list by health in headless chromium: a click on the Health header puts the customers
most at risk first, a second click the healthiest, and customers not computed yet stay last."""

import pytest
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from feedback.models import HealthScore

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_rep_sorts_customers_by_health_with_a_click_on_the_header(browser_login, rep_user):
    for first, score in (("Ana", 82), ("Bruno", 35), ("Carla", None), ("Davi", 61)):
        customer = CustomerFactory(first_name=first, last_name="Health")
        if score is not None:
            HealthScore.objects.create(customer=customer, score=score, parts={}, computed_at=timezone.now())
    page = browser_login("rep")
    page.goto(f"{page.base_url}/customers/")

    def order():
        return [
            name.split()[0] for name in page.locator("[data-testid=customer-row] td:first-child a").all_inner_texts()
        ]

    with page.expect_navigation(wait_until="load"):
        page.click("[data-testid=health-header] a")
    assert order() == ["Bruno", "Davi", "Ana", "Carla"]
    assert page.locator("[data-testid=customer-row] [data-testid=health-score]").all_inner_texts() == ["35", "61", "82"]

    with page.expect_navigation(wait_until="load"):
        page.click("[data-testid=health-header] a")
    assert order() == ["Ana", "Davi", "Bruno", "Carla"]
