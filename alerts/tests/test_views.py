"""The in-app alerts: the bell's unread count, the page of a user's alerts, marking read, the API."""

import pytest
from django.utils import timezone

from alerts.models import Alert, AlertRecipient
from customers.tests.factories import CustomerFactory
from cxcrm.choices import Role
from cxcrm.tests.factories import UserFactory

from .factories import AlertRuleFactory

pytestmark = pytest.mark.django_db


def alert_for(user, *, message="Ana Lima is a detractor: NPS 3", read=False, in_app=True, customer=None):
    customer = customer or CustomerFactory()
    alert = Alert.objects.create(
        rule=AlertRuleFactory(),
        customer=customer,
        reason="detractor",
        message=message,
        window_start=timezone.now(),
        raised_at=timezone.now(),
    )
    return AlertRecipient.objects.create(
        alert=alert, user=user, in_app=in_app, read_at=timezone.now() if read else None
    )


@pytest.fixture
def rep_client(client, rep_user):
    client.force_login(rep_user)
    return client


def test_the_navbar_has_a_bell_polling_the_unread_count(rep_client, rep_user):
    page = rep_client.get("/customers/").content.decode()
    assert 'data-testid="alert-bell"' in page
    assert 'hx-get="/alerts/bell/"' in page and 'hx-trigger="load, every 30s"' in page
    assert page.count("htmx.min.js") == 1


def test_the_customer_page_loads_htmx_once_with_the_bell(rep_client):
    customer = CustomerFactory()
    assert rep_client.get(f"/customers/{customer.pk}/").content.decode().count("htmx.min.js") == 1


def test_the_bell_counts_only_the_users_unread_in_app_alerts(rep_client, rep_user):
    alert_for(rep_user)
    alert_for(rep_user)
    alert_for(rep_user, read=True)
    alert_for(rep_user, in_app=False)
    alert_for(UserFactory(role=Role.SUPPORT_REP))
    body = rep_client.get("/alerts/bell/").content.decode()
    assert 'data-testid="alert-count">2<' in body
    AlertRecipient.objects.filter(user=rep_user).update(read_at=timezone.now())
    assert "alert-count" not in rep_client.get("/alerts/bell/").content.decode()


def test_the_bell_answers_an_ended_session_with_nothing_to_swap(client):
    assert client.get("/alerts/bell/").status_code == 204


def test_the_page_lists_the_users_alerts_and_marks_them_read(rep_client, rep_user, django_assert_max_num_queries):
    for n in range(30):
        alert_for(rep_user, message=f"Customer {n} is a detractor")
    alert_for(UserFactory(role=Role.SUPPORT_REP), message="Someone else's")
    with django_assert_max_num_queries(12):
        page = rep_client.get("/alerts/").content.decode()
    assert page.count('data-testid="alert-row"') == 30
    assert "Someone else&#x27;s" not in page and "Someone else's" not in page
    assert "30 unread" in page

    receipt = AlertRecipient.objects.filter(user=rep_user).first()
    answer = rep_client.post(f"/alerts/{receipt.pk}/read/")
    assert answer.status_code == 302 and answer["Location"] == f"/customers/{receipt.alert.customer_id}/"
    receipt.refresh_from_db()
    assert receipt.read_at is not None
    assert "29 unread" in rep_client.get("/alerts/").content.decode()

    assert rep_client.post("/alerts/read-all/").status_code == 302
    assert not AlertRecipient.objects.filter(user=rep_user, read_at__isnull=True).exists()
    assert "No unread alerts." in rep_client.get("/alerts/?unread=1").content.decode()


def test_another_users_alert_cannot_be_marked_read(rep_client):
    receipt = alert_for(UserFactory(role=Role.SUPPORT_REP))
    assert rep_client.post(f"/alerts/{receipt.pk}/read/").status_code == 404
    receipt.refresh_from_db()
    assert receipt.read_at is None


def test_the_api_lists_the_users_own_alerts_with_their_read_state(api_as, rep_user):
    mine = alert_for(rep_user, read=True)
    alert_for(UserFactory(role=Role.SUPPORT_REP))
    answer = api_as(rep_user).get("/api/alerts/")
    assert answer.status_code == 200
    [row] = answer.json()["results"]
    assert row["id"] == mine.alert_id and row["reason"] == "detractor" and row["read_at"] is not None
    assert row["message"] == "Ana Lima is a detractor: NPS 3"
    other = Alert.objects.exclude(pk=mine.alert_id).get()
    assert api_as(rep_user).get(f"/api/alerts/{other.pk}/").status_code == 404


def test_the_rule_admin_refuses_a_rule_without_audience_or_channel(client, superuser):
    client.force_login(superuser)
    form = {"name": "Detractors", "condition": "detractor", "vip_tag": "vip", "window_hours": 24, "enabled": "on"}
    page = client.post("/admin/alerts/alertrule/add/", {**form, "in_app": "on"}).content.decode()
    assert "Choose an audience" in page
    page = client.post("/admin/alerts/alertrule/add/", {**form, "notify_owner": "on"}).content.decode()
    assert "Choose at least one channel" in page
    answer = client.post("/admin/alerts/alertrule/add/", {**form, "notify_owner": "on", "email": "on"})
    assert answer.status_code == 302
    from alerts.models import AlertRule

    assert AlertRule.objects.get().email is True
