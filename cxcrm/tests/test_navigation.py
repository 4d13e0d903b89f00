import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def nav_labels(response):
    return [item["label"] for item in response.context["nav_items"]]


def test_staff_roles_see_admin_link(client, rep_user):
    client.force_login(rep_user)
    response = client.get(reverse("home"), follow=True)
    assert "Admin" in nav_labels(response)
    assert 'href="/admin/"' in response.content.decode()


def test_integration_role_sees_no_admin(client, integration_user):
    client.force_login(integration_user)
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    assert "Admin" not in nav_labels(response)
    assert "API" in nav_labels(response)


def test_navigation_shows_only_permitted_items(client, rep_user, marketer_user):
    from cxcrm.navigation import NAV_ITEMS

    for user in (rep_user, marketer_user):
        client.force_login(user)
        labels = nav_labels(client.get(reverse("home"), follow=True))
        for item in NAV_ITEMS:
            if item.label in labels and item.permission:
                assert user.has_perm(item.permission), (user, item.label)


def test_user_without_role_home_says_so(client):
    from cxcrm.tests.factories import UserFactory

    client.force_login(UserFactory(username="norole"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "You have no role yet" in response.content.decode()
