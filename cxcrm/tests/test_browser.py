"""Headless chromium through Playwright: what a person sees when signing in."""

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_each_role_signs_in_and_sees_its_navigation(browser_login, rep_user, integration_user):
    page = browser_login("rep")
    nav = page.inner_text("[data-testid=nav]")
    assert "Admin" in nav
    assert page.locator("text=Log out").count() == 1


def test_bad_password_shows_the_error(browser_login, rep_user):
    page = browser_login("rep", "wrong-password")
    assert "Please enter a correct username and password" in page.content()
