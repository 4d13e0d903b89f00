"""Headless chromium: the user menu's language chooser, as a person uses it."""

import pytest

from cxcrm.models import UserPreference

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_choosing_portuguese_in_the_user_menu_translates_the_pages_and_is_kept_at_the_next_login(
    browser_login, rep_user
):
    page = browser_login("rep")
    assert "My work" in page.inner_text("[data-testid=nav]")

    menu = page.get_by_test_id("user-menu")
    menu.get_by_role("button").first.click()
    with page.expect_navigation(wait_until="load"):
        menu.get_by_role("button", name="Português (Brasil)").click()

    assert page.locator("html").get_attribute("lang") == "pt-br"
    assert "Meu trabalho" in page.inner_text("[data-testid=nav]")
    assert UserPreference.objects.get(user=rep_user).language == "pt-br"

    menu.get_by_role("button").first.click()
    with page.expect_navigation():
        menu.get_by_role("button", name="Encerrar sessão").click()
    page = browser_login("rep")
    assert "Meu trabalho" in page.inner_text("[data-testid=nav]")
    menu = page.get_by_test_id("user-menu")
    menu.get_by_role("button").first.click()
    chosen = menu.get_by_role("button", name="Português (Brasil)")
    assert chosen.get_attribute("aria-current") == "true"
    assert "Idioma" in page.inner_text("[data-testid=language-chooser]")


def test_the_main_staff_pages_in_each_language_leave_no_text_of_the_catalogue_in_english(browser_login, superuser):
    from django.urls import reverse

    from cxcrm.choices import Language
    from cxcrm.tests.test_i18n_pages import catalogue, staff_pages, world_objects

    world = world_objects()
    page = browser_login("root")
    names = dict(Language.choices)
    for language in ("pt-br", "es", "pl", "el"):
        menu = page.get_by_test_id("user-menu")
        menu.get_by_role("button").first.click()
        with page.expect_navigation(wait_until="load"):
            menu.get_by_role("button", name=names[language]).click()
        texts = catalogue(language)
        for url in [*staff_pages(world), reverse("customers:case_list")]:
            page.goto(f"{page.base_url}{url}", wait_until="load")
            assert page.locator("html").get_attribute("lang") == language, url
            shown = " ".join(page.inner_text("body").split())
            assert [msgid for msgid in texts if msgid in shown] == [], (language, url)


def test_a_customer_in_the_admin_shows_portuguese_field_labels_only(browser_login, superuser):
    """The admin's customer list and page, as a pt-BR user sees them: the labels of our fields translated."""
    from django.urls import reverse

    from customers.models import Customer, Identity, Note
    from customers.tests.factories import CustomerFactory, IdentityFactory
    from cxcrm.tests.test_i18n_admin import english_labels_shown

    customer = CustomerFactory(first_name="Zed", last_name="Q", country="BR")
    IdentityFactory(customer=customer)
    page = browser_login("root")
    menu = page.get_by_test_id("user-menu")
    menu.get_by_role("button").first.click()
    with page.expect_navigation(wait_until="load"):
        menu.get_by_role("button", name="Português (Brasil)").click()

    page.goto(f"{page.base_url}{reverse('admin:customers_customer_changelist')}", wait_until="load")
    listed = " ".join(page.inner_text("body").split())
    assert "estágio do ciclo de vida" in listed.casefold()
    assert english_labels_shown(listed, [Customer]) == []

    page.goto(f"{page.base_url}{reverse('admin:customers_customer_change', args=[customer.pk])}", wait_until="load")
    shown = " ".join(page.inner_text("body").split())
    assert "fuso horário" in shown.casefold() and "consentimento de marketing" in shown.casefold()
    assert english_labels_shown(shown, [Customer, Identity, Note]) == []
