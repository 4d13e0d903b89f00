"""Headless chromium through Playwright: what a person sees when signing in."""

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_each_role_signs_in_and_sees_its_navigation(browser_login, rep_user, integration_user):
    page = browser_login("rep")
    nav = page.inner_text("[data-testid=nav]")
    assert "Admin" in nav
    assert page.locator("text=Log out").count() == 1


@pytest.mark.parametrize("username", ["rep", "manager", "root"])
def test_the_navbar_fits_one_row_on_a_laptop_and_the_user_menu_signs_out(
    browser_login, rep_user, manager_user, superuser, username
):
    page = browser_login(username)
    page.set_viewport_size({"width": 1360, "height": 900})
    # Measure with the icon font in place: until it loads, fallback glyphs are wider than the icons.
    page.evaluate("document.fonts.ready.then(() => document.fonts.status)")
    nav_items = page.locator("[data-testid=nav] .nav-link")
    assert nav_items.count() >= 7  # the roles with the most entries

    def rows():
        return {round(box["y"]) for box in (item.bounding_box() for item in nav_items.all())}

    # A layout read while a busy machine is still laying out the resized page may be a passing state: a real
    # wrap stays, so read again for up to 5 s before calling it one.
    for _ in range(10):
        if len(tops := rows()) == 1:
            break
        page.wait_for_timeout(500)
    items = [(item.inner_text().strip(), round(item.bounding_box()["y"])) for item in nav_items.all()]
    assert len(tops) == 1, f"the navbar wraps to a second row at 1360 px: {items}"

    menu = page.get_by_test_id("user-menu")
    menu.get_by_role("button").click()
    user = {"rep": rep_user, "manager": manager_user, "root": superuser}[username]
    assert user.get_full_name() in menu.get_by_test_id("user-name").inner_text()
    with page.expect_navigation():
        menu.get_by_role("button", name="Log out").click()
    page.goto(f"{page.base_url}/customers/")
    assert "/accounts/login/" in page.url


def test_bad_password_shows_the_error(browser_login, rep_user):
    page = browser_login("rep", "wrong-password")
    assert "Please enter a correct username and password" in page.content()
